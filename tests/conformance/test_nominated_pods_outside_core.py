"""The two filter passes with nominated pods (upstream's RunFilterPluginsWithNominatedPods,
rebuilt from TestFilterPluginsWithNominatedPods' shape as tests/conformance/test_nominated_pods.py
does for the core) on the decisions that filter outside the core too: a pod with resource
claims, a pod an extender is interested in, a profile with a Python filter plugin. In
`simulate`, pod "x" comes nominated to node a (status.nominatedNodeName) after the pod
decided: of the same priority, the pod yields to it there."""

from __future__ import annotations

import json
import sys

import pytest
import yaml

from kubesched.cli.options import load_profiles, load_profiles_and_extenders
from kubesched.framework.config import parse_config
from kubesched.model.cluster import read_cluster
from kubesched.sim.simulate import simulate
from tests.extender_server import extender_servers
from tests.unit.test_simulate_preemption_dra import GPU_CLASS, TEMPLATE, gpu_slice

pytestmark = pytest.mark.unit

servers = extender_servers()

PLUGIN = '''
class NotOnZ:
    def filter(self, pod, node):
        return "node(s) are z" if node.name == "z" else None
'''


def node(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "10"}}}


def pod(name: str, cpu: str = "0", *, nominated: str | None = None, labels=None, wants_x=False, claim=False) -> dict:
    spec = {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": cpu}}}]}
    if wants_x:
        spec["affinity"] = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "x"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    if claim:
        spec["resourceClaims"] = [{"name": "gpu", "resourceClaimTemplateName": "one-gpu"}]
    obj = {"apiVersion": "v1", "kind": "Pod", "spec": spec,
           "metadata": {"name": name, "namespace": "default", "uid": f"{name}-uid", "labels": labels or {}}}
    if nominated:
        obj["status"] = {"nominatedNodeName": nominated}
    return obj


def nominated_x(cpu: str = "0") -> dict:
    return pod("x", cpu, nominated="a", labels={"app": "x"})


def simulated(tmp_path, nodes, pods, profiles=None, extenders=()) -> dict:
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all([GPU_CLASS, TEMPLATE, *map(node, nodes), *map(gpu_slice, nodes), *pods]))
    cluster = read_cluster([str(path)], warn=lambda message: None)
    placements = simulate(cluster, profiles or load_profiles(None), extenders=extenders).placements
    return {p.pod.split("/", 1)[1]: (p.node, p.message) for p in placements}


@pytest.fixture
def python_profiles(tmp_path, monkeypatch):
    (tmp_path / "not_on_z_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield parse_config({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
                        "profiles": [{"plugins": {"filter": {"enabled": [{"name": "not_on_z_plugin:NotOnZ"}]}}}]})
    sys.modules.pop("not_on_z_plugin", None)


def extender_profiles(tmp_path, url):
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
                                  "extenders": [{"urlPrefix": url, "filterVerb": "filter", "nodeCacheCapable": True}]}))
    return load_profiles_and_extenders(str(config))


# DefaultPreemption finds nothing to evict: the node is the nominated pod's
INSUFFICIENT = (None, "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
                      "1 No preemption victims found for incoming pod.")


# -- resources the nominated pod takes: the first pass rejects its node --------------------------

def test_claims_resources_a_nominated_pod_takes_reject_its_node(tmp_path):
    got = simulated(tmp_path, ["a"], [pod("p", "1500m", claim=True), nominated_x("1500m")])
    assert got["p"] == INSUFFICIENT and got["x"] == ("a", "")


def test_python_plugin_resources_a_nominated_pod_takes_reject_its_node(tmp_path, python_profiles):
    got = simulated(tmp_path, ["a"], [pod("p", "1500m"), nominated_x("1500m")], python_profiles)
    assert got["p"] == INSUFFICIENT and got["x"] == ("a", "")


def test_extender_resources_a_nominated_pod_takes_reject_its_node(tmp_path, servers):
    extender = servers()
    profiles, extenders = extender_profiles(tmp_path, extender.url)
    got = simulated(tmp_path, ["a"], [pod("p", "1500m"), nominated_x("1500m")], profiles, extenders)
    assert got["p"] == INSUFFICIENT and got["x"] == ("a", "")
    assert [args["pod"]["metadata"]["name"] for verb, args in extender.calls] == ["x"]  # p fit no node


# -- its own nomination: tried first, under the two passes ---------------------------------------

def test_a_nominated_pod_with_claims_goes_to_its_nominated_node(tmp_path):
    """Without the nomination the tie of a and b goes to a."""
    got = simulated(tmp_path, ["a", "b"], [pod("p", "1", claim=True, nominated="b")])
    assert got["p"] == ("b", "")


def test_a_nominated_pod_with_a_python_plugin_goes_to_its_nominated_node(tmp_path, python_profiles):
    got = simulated(tmp_path, ["a", "b"], [pod("p", "1", nominated="b")], python_profiles)
    assert got["p"] == ("b", "")


def test_a_nominated_pod_an_extender_passes_goes_to_its_nominated_node(tmp_path, servers):
    profiles, extenders = extender_profiles(tmp_path, servers().url)
    got = simulated(tmp_path, ["a", "b"], [pod("p", "1", nominated="b")], profiles, extenders)
    assert got["p"] == ("b", "")
