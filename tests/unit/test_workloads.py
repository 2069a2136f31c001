"""Workloads expanded into the pods their controllers would create."""

import copy

import pytest

from kubesched.errors import InputError
from kubesched.model.manifests import Manifest
from kubesched.model.pods import PodParser
from kubesched.model.records import Node, NodeSelectorTerm, Requirement, Taint, Toleration
from kubesched.model.workloads import deployment_replica_set, expand_workload

TEMPLATE = {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx",
                                     "resources": {"requests": {"cpu": "100m"}}}]}}


def workload(kind, name="web", spec=None, **metadata):
    body = {"selector": {"matchLabels": {"app": "web"}}, "template": copy.deepcopy(TEMPLATE), **(spec or {})}
    if kind == "ReplicationController":
        body["selector"] = {"app": "web"}
    if kind == "Job":
        body["template"]["spec"]["restartPolicy"] = "Never"
    api_version = {"Job": "batch/v1", "ReplicationController": "v1"}.get(kind, "apps/v1")
    return Manifest({"apiVersion": api_version, "kind": kind,
                     "metadata": {"name": name, "namespace": "shop", **metadata}, "spec": body}, "w.yaml")


def node(name, labels=None, taints=()):
    return Node(name, labels or {}, {"cpu": 1000, "pods": 10}, taints=tuple(taints))


def names(pods):
    return [p["metadata"]["name"] for p in pods]


@pytest.mark.parametrize("kind", ["Deployment", "ReplicaSet", "ReplicationController", "StatefulSet"])
def test_replicas(kind):
    assert len(expand_workload(workload(kind, spec={"replicas": 4}), [])) == 4
    assert len(expand_workload(workload(kind), [])) == 1  # default
    assert expand_workload(workload(kind, spec={"replicas": 0}), []) == []


def test_pods_carry_namespace_labels_owner_time_and_spec():
    manifest = workload("ReplicaSet", spec={"replicas": 2}, uid="rs-uid", creationTimestamp="2024-01-01T00:00:00Z")
    pods = expand_workload(manifest, [])
    first = pods[0]
    assert first["kind"] == "Pod"
    assert first["metadata"]["namespace"] == "shop"
    assert first["metadata"]["labels"] == {"app": "web"}
    assert first["metadata"]["creationTimestamp"] == "2024-01-01T00:00:00Z"
    assert first["metadata"]["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
                                                     "controller": True, "blockOwnerDeletion": True,
                                                     "uid": "rs-uid"}]
    assert first["spec"] == TEMPLATE["spec"]
    assert all(n.startswith("web-") and len(n) == len("web-") + 5 for n in names(pods))
    assert len(set(names(pods))) == 2


def test_names_are_deterministic_and_distinct():
    first = names(expand_workload(workload("ReplicaSet", spec={"replicas": 3000}), []))
    again = names(expand_workload(workload("ReplicaSet", spec={"replicas": 3000}), []))
    assert first == again
    assert len(set(first)) == 3000


def test_deployment_pods_belong_to_its_replica_set():
    manifest = workload("Deployment", spec={"replicas": 2})
    pods = expand_workload(manifest, [])
    replica_set = deployment_replica_set(manifest)
    pod_hash = replica_set["metadata"]["labels"]["pod-template-hash"]
    assert replica_set["metadata"]["name"] == f"web-{pod_hash}"
    assert replica_set["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": pod_hash}
    assert replica_set["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
    for p in pods:
        assert p["metadata"]["name"].startswith(f"web-{pod_hash}-")
        assert p["metadata"]["labels"] == {"app": "web", "pod-template-hash": pod_hash}
        assert p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
        assert p["metadata"]["ownerReferences"][0]["name"] == f"web-{pod_hash}"


def test_statefulset_ordinals():
    pods = expand_workload(workload("StatefulSet", "db", {"replicas": 3}), [])
    assert names(pods) == ["db-0", "db-1", "db-2"]
    assert pods[1]["metadata"]["labels"] == {"app": "web", "statefulset.kubernetes.io/pod-name": "db-1",
                                             "apps.kubernetes.io/pod-index": "1"}
    started = expand_workload(workload("StatefulSet", "db", {"replicas": 2, "ordinals": {"start": 5}}), [])
    assert names(started) == ["db-5", "db-6"]


@pytest.mark.parametrize("spec, count", [
    ({}, 1),
    ({"parallelism": 5}, 5),
    ({"parallelism": 5, "completions": 3}, 3),
    ({"parallelism": 2, "completions": 10}, 2),
    ({"completions": 4}, 1),
    ({"parallelism": 0}, 0),
    ({"parallelism": 3, "suspend": True}, 0),
])
def test_job_parallelism(spec, count):
    manifest = workload("Job", "batch", spec)
    del manifest.obj["spec"]["selector"]  # the API generates it
    pods = expand_workload(manifest, [])
    assert len(pods) == count
    for p in pods:
        assert p["metadata"]["labels"]["job-name"] == "batch"
        assert p["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "batch"
        assert p["metadata"]["ownerReferences"][0]["kind"] == "Job"


def test_indexed_job():
    manifest = workload("Job", "batch", {"parallelism": 2, "completionMode": "Indexed"})
    pods = expand_workload(manifest, [])
    assert [p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] for p in pods] == ["0", "1"]
    assert names(pods)[1].startswith("batch-1-")


def test_daemonset_targets_nodes_the_controller_would():
    nodes = [
        node("plain"),
        node("cordoned", taints=[Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")]),
        node("dedicated", taints=[Taint("dedicated", "db", "NoSchedule")]),
        node("soft", taints=[Taint("spot", "", "PreferNoSchedule")]),
        node("draining", taints=[Taint("node.kubernetes.io/not-ready", "", "NoExecute")]),
        node("evicting", taints=[Taint("gone", "", "NoExecute")]),
    ]
    pods = expand_workload(workload("DaemonSet", "agent"), nodes)
    targeted = [p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
                ["nodeSelectorTerms"][0]["matchFields"][0]["values"][0] for p in pods]
    assert targeted == ["plain", "cordoned", "soft", "draining"]


def test_daemonset_honours_template_selector_affinity_and_tolerations():
    nodes = [node("a", {"role": "edge"}), node("b", {"role": "core"}),
             node("c", {"role": "edge"}, [Taint("dedicated", "edge", "NoSchedule")])]
    spec = {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {
        "containers": [{"name": "c", "image": "agent"}],
        "nodeSelector": {"role": "edge"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "edge", "effect": "NoSchedule"}],
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "role", "operator": "Exists"}]}]}}},
    }}}
    pods = expand_workload(workload("DaemonSet", "agent", spec), nodes)
    assert len(pods) == 2
    parser = PodParser()
    info = parser.parse(pods[1]).spec
    # the template's required affinity is replaced by the node's name
    assert info.required_node_terms == (NodeSelectorTerm(match_fields=(Requirement("metadata.name", "In", ("c",)),)),)
    assert Toleration("node.kubernetes.io/unschedulable", "Exists", "", "NoSchedule") in info.tolerations
    assert Toleration("node.kubernetes.io/not-ready", "Exists", "", "NoExecute") in info.tolerations
    assert Toleration("dedicated", "Equal", "edge", "NoSchedule") in info.tolerations
    assert Toleration("node.kubernetes.io/network-unavailable", "Exists", "", "NoSchedule") not in info.tolerations


def test_daemonset_with_host_network_tolerates_network_unavailable():
    taint = Taint("node.kubernetes.io/network-unavailable", "", "NoSchedule")
    spec = {"template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"hostNetwork": True, "containers": [{"name": "c", "image": "cni"}]}}}
    assert len(expand_workload(workload("DaemonSet", "cni", spec), [node("n", taints=[taint])])) == 1
    assert expand_workload(workload("DaemonSet", "agent"), [node("n", taints=[taint])]) == []


def test_template_errors_name_the_workload_and_the_template_field():
    manifest = workload("Deployment")
    manifest.obj["spec"]["template"]["spec"]["containers"] = []
    with pytest.raises(InputError) as caught:
        expand_workload(manifest, [])
    assert str(caught.value) == ("w.yaml: Deployment shop/web: spec.template.spec.containers: "
                                 "a pod needs at least one container")


@pytest.mark.parametrize("change, field, words", [
    (lambda s: s.pop("template"), "spec.template", "needs a pod template"),
    (lambda s: s.update(selector={"matchLabels": {"app": "db"}}), "spec.template.metadata.labels",
     "selector does not match template labels"),
    (lambda s: s.pop("selector"), "spec.selector", "needs a selector"),
    (lambda s: s.update(selector={}), "spec.selector", "empty selector"),
    (lambda s: s.update(replicas=-1), "spec.replicas", "must not be negative"),
    (lambda s: s.update(replicas="3"), "spec.replicas", "expected an integer, got a string"),
])
def test_workload_errors(change, field, words):
    manifest = workload("Deployment")
    change(manifest.obj["spec"])
    with pytest.raises(InputError) as caught:
        expand_workload(manifest, [])
    assert caught.value.field == field
    assert words in caught.value.problem
    assert caught.value.obj == "Deployment shop/web"
    assert caught.value.file == "w.yaml"


def test_priority_class_names_resolve_with_the_clusters_parser():
    manifest = workload("ReplicaSet")
    manifest.obj["spec"]["template"]["spec"]["priorityClassName"] = "high"
    with pytest.raises(InputError, match="no PriorityClass named 'high'"):
        expand_workload(manifest, [])
    assert len(expand_workload(manifest, [], PodParser({"high": 10}))) == 1


def test_daemonset_pods_share_everything_but_their_affinity():
    parser = PodParser()
    pods = expand_workload(workload("DaemonSet", "agent"), [node("a"), node("b")], parser)
    first, second = (parser.parse(p).spec for p in pods)
    assert first is not second
    assert first.tolerations is second.tolerations
    assert first.requests is second.requests
    assert first.required_node_terms != second.required_node_terms


def test_suffixes_of_a_workload_are_the_ones_named_one_by_one():
    from kubesched.model.names import name_suffix, name_suffixes

    for seed in ("default/api-5d8f7c9b6d", "Job/batch/nightly", ""):
        assert list(name_suffixes(seed, 3000)) == [name_suffix(seed, i) for i in range(3000)]
    assert len(set(name_suffixes("s", 100_000))) == 100_000


def test_replicas_of_one_template_share_their_class_and_a_different_one_does_not():
    from kubesched.framework.profile import default_profile
    from kubesched.model.pods import PodParser
    from kubesched.engine.cluster import ClusterSnapshot

    parser = PodParser()
    spec = {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "1"}}}]}
    gpu = {"kubesched.io/gpu-milli": "500"}

    def pod(name, labels, annotations=None):
        meta = {"name": name, "labels": labels, **({"annotations": annotations} if annotations else {})}
        return parser.parse({"kind": "Pod", "metadata": meta, "spec": spec})

    snapshot = ClusterSnapshot([], default_profile())
    a, b = pod("a", {"app": "x"}), pod("b", {"app": "x"})
    assert a.spec is b.spec and snapshot.class_of(a) == snapshot.class_of(b)
    other_labels, other_gpu = pod("c", {"app": "y"}), pod("d", {"app": "x"}, gpu)
    assert len({snapshot.class_of(p) for p in (a, other_labels, other_gpu, b)}) == 3
