"""GPU sharing as users meet it: the names on pods and nodes, their errors, the profile and
config wiring, and simulate placing GPU pods (kubesched.model.gpu)."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from kubesched.cli import main
from kubesched.errors import InputError
from kubesched.framework.config import parse_config
from kubesched.plugins import CORE_FILTERS
from kubesched.framework.profile import Profile
from kubesched.framework.typical_pods import typical_pods
from kubesched.model.gpu import NO_GPU, GpuRequest, gpu_indices, gpu_request, indices_annotation, indices_of, mask_of
from kubesched.model.nodes import parse_node
from kubesched.model.pods import PodParser
from kubesched.engine.cluster import ClusterSnapshot
from kubesched.trace.policies import POLICIES, policy_profile
from tests.resources import resources

pytestmark = pytest.mark.unit


def pod(name="p", annotations=None, requests=None, node_name=None, cpu="1", memory="1Gi"):
    spec = {"containers": [{"name": "c", "image": "x", "resources": resources({"cpu": cpu, "memory": memory, **(requests or {})})}]}
    if node_name:
        spec["nodeName"] = node_name
    return PodParser().parse({"metadata": {"name": name, "annotations": annotations or {}}, "spec": spec})


def node(name, gpus=0, model=None, cpu="32", memory="128Gi", pods="110"):
    allocatable = {"cpu": cpu, "memory": memory, "pods": pods}
    labels = {}
    if gpus:
        allocatable["kubesched.io/gpu"] = str(gpus)
    if model:
        labels["kubesched.io/gpu-model"] = model
    return parse_node({"metadata": {"name": name, "labels": labels}, "status": {"allocatable": allocatable}})


# -- requests -------------------------------------------------------------------------------

def test_requests_from_annotations_and_extended_resource():
    assert gpu_request(pod()) is NO_GPU
    assert gpu_request(pod(annotations={"kubesched.io/gpu-milli": "470"})) == GpuRequest(1, 470, ())
    assert gpu_request(pod(annotations={"kubesched.io/gpu-count": "2"})) == GpuRequest(2, 1000, ())
    share = gpu_request(pod(annotations={"kubesched.io/gpu-count": "1", "kubesched.io/gpu-milli": "250",
                                         "kubesched.io/gpu-models": "T4| V100M32 |"}))
    assert share == GpuRequest(1, 250, ("T4", "V100M32")) and share.shares and share.total_milli == 250
    assert gpu_request(pod(requests={"kubesched.io/gpu": "4"})) == GpuRequest(4, 1000, ())
    assert gpu_request(pod(annotations={"kubesched.io/gpu-count": "0", "kubesched.io/gpu-models": "A"})) == NO_GPU
    assert gpu_request(pod(annotations={"unrelated": "x"})) is NO_GPU


@pytest.mark.parametrize("annotations, requests, field, problem", [
    ({"kubesched.io/gpu-count": "2", "kubesched.io/gpu-milli": "500"}, None, "gpu-count", "one GPU only"),
    ({"kubesched.io/gpu-milli": "1500"}, None, "gpu-milli", "between 0 and 1000"),
    ({"kubesched.io/gpu-count": "two"}, None, "gpu-count", "integer"),
    ({"kubesched.io/gpu-milli": "300"}, {"kubesched.io/gpu": "1"}, "gpu-count", "annotations ask for"),
])
def test_malformed_requests_name_pod_and_field(annotations, requests, field, problem):
    with pytest.raises(InputError) as error:
        gpu_request(pod("bad", annotations=annotations, requests=requests))
    assert error.value.obj == "Pod default/bad"
    assert field in error.value.field and problem in error.value.problem


def test_gpu_indices_and_masks():
    assert gpu_indices(pod(annotations={"kubesched.io/gpu-indices": "3, 0"})) == (0, 3)
    assert gpu_indices(pod()) is None
    assert mask_of((0, 3)) == 9 and indices_of(9) == (0, 3) and indices_annotation(9) == "0,3"
    with pytest.raises(InputError, match="between 0 and 63"):
        gpu_indices(pod(annotations={"kubesched.io/gpu-indices": "64"}))


# -- typical pods -----------------------------------------------------------------------------

def test_typical_pods_cover_the_threshold_and_renormalise():
    shapes = [(1000, 500, 1, ())] * 5 + [(2000, 1000, 1, ())] * 3 + [(4000, 0, 0, ())] * 2
    typical = typical_pods(shapes, threshold=60)
    assert [(t.cpu, t.milli, t.count) for t in typical] == [(1000, 500, 1), (2000, 1000, 1)]
    assert [t.weight for t in typical] == pytest.approx([5 / 8, 3 / 8])
    assert sum(t.weight for t in typical_pods(shapes)) == pytest.approx(1)  # 95%: all three
    assert typical_pods([]) == []


# -- profiles and config ----------------------------------------------------------------------

def test_policies_map_to_profiles_and_gpu_selection():
    assert set(POLICIES) >= {"Random", "DotProd", "GpuClustering", "GpuPacking", "BestFit", "FGD"}
    assert policy_profile("FGD").gpu_select() == "FGD"
    assert policy_profile("Random").gpu_select() == "Random"
    assert policy_profile("BestFit").gpu_select() == "Best"
    assert Profile(weights={"FGDScore": 1}, gpu_selection="Worst").gpu_select() == "Worst"
    with pytest.raises(InputError, match="unknown policy"):
        policy_profile("Nope")


def test_config_enables_gpu_score_plugins():
    document = yaml.safe_load("""
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: gpu
  plugins:
    multiPoint:
      disabled: [{name: "*"}]
    filter:
      enabled: [{name: NodeResourcesFit}, {name: NodeAffinity}]
    score:
      enabled: [{name: FGDScore, weight: 3}, {name: BestFitScore}]
""")
    profile = parse_config(document)["gpu"]
    assert profile.weights == {"FGDScore": 3, "BestFitScore": 1}
    assert profile.gpu_select() == "FGD"


# -- placing GPU pods -----------------------------------------------------------------------------

def test_fit_models_and_failure_message():
    nodes = [node("t4", 2, "T4"), node("a100", 1, "A100"), node("cpu")]
    snapshot = ClusterSnapshot(nodes, Profile(filters=CORE_FILTERS, weights={"BestFitScore": 1}))
    pods = [pod("a", annotations={"kubesched.io/gpu-milli": "600", "kubesched.io/gpu-models": "A100"}),
            pod("b", annotations={"kubesched.io/gpu-milli": "600", "kubesched.io/gpu-models": "A100"}),
            pod("c", annotations={"kubesched.io/gpu-count": "2"}),
            pod("d", annotations={"kubesched.io/gpu-count": "1"})]
    decisions = snapshot.decide_queue(pods)
    assert [d.index for d in decisions] == [1, -1, 0, -1]
    assert [indices_of(d.gpus) for d in decisions] == [(0,), (), (0, 1), ()]
    assert decisions[1].message == (
        "0/3 nodes are available: 1 Insufficient kubesched.io/gpu, 2 node(s) didn't match Pod's node affinity/selector.")
    assert decisions[3].message == "0/3 nodes are available: 3 Insufficient kubesched.io/gpu."
    assert snapshot._engine.gpu_free(1) == [400]


def test_allowed_models_leave_an_empty_required_term_matching_no_node():
    """The models join each required term of the pod's node affinity; an empty term, which
    matches no node, stays empty (with the model's expression it matched every T4 node)."""
    parsed = PodParser().parse({"metadata": {"name": "p", "annotations": {"kubesched.io/gpu-milli": "500",
                                                                          "kubesched.io/gpu-models": "T4"}},
                                "spec": {"containers": [{"name": "c", "image": "x"}], "affinity": {"nodeAffinity": {
                                    "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{}]}}}}})
    snapshot = ClusterSnapshot([node("t4", 1, "T4")], Profile(filters=CORE_FILTERS, weights={}))
    [decision] = snapshot.decide_queue([parsed])
    assert decision.message == "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."


def test_bound_pods_keep_their_recorded_gpus():
    nodes = [node("n", 4, "T4")]
    snapshot = ClusterSnapshot(nodes, Profile(filters=CORE_FILTERS, weights={"BestFitScore": 1}))
    snapshot.add_bound([pod("x", annotations={"kubesched.io/gpu-milli": "300", "kubesched.io/gpu-indices": "2"},
                            node_name="n"),
                        pod("y", annotations={"kubesched.io/gpu-count": "1"}, node_name="n")])
    assert snapshot._engine.gpu_free(0) == [0, 1000, 700, 1000]  # y had no indices: the first free GPU
    with pytest.raises(InputError, match="gpu-indices"):
        snapshot.add_bound([pod("z", annotations={"kubesched.io/gpu-milli": "800", "kubesched.io/gpu-indices": "2"},
                                node_name="n")])


def test_forget_gives_the_gpus_back():
    snapshot = ClusterSnapshot([node("n", 2, "T4")], Profile(filters=CORE_FILTERS, weights={"BestFitScore": 1}))
    share = pod("s", annotations={"kubesched.io/gpu-milli": "300"})
    class_id = snapshot.class_of(share)
    assert [d.node for d in snapshot.decide_queue([share, share])] == [snapshot.node_names[0]] * 2
    assert snapshot._engine.gpu_free(0) == [400, 1000]  # best fit: the fuller GPU
    snapshot.forget(class_id, 0)
    assert snapshot._engine.gpu_free(0) == [700, 1000]


def test_forget_on_gpus_frees_the_pods_own_gpus():
    snapshot = ClusterSnapshot([node("n", 2, "T4")], Profile(filters=CORE_FILTERS, weights={"BestFitScore": 1}))
    class_id = snapshot.class_of(pod("s", annotations={"kubesched.io/gpu-milli": "300"}))
    snapshot.assume_on_gpus(class_id, 0, mask_of([0]))
    snapshot.assume_on_gpus(class_id, 0, mask_of([1]))
    snapshot.forget_on_gpus(class_id, 0, mask_of([0]))  # forget would free GPU 1, the last taken
    assert snapshot._engine.gpu_free(0) == [1000, 700]
    snapshot.forget_on_gpus(class_id, 0, mask_of([1]))
    assert snapshot._engine.gpu_free(0) == [1000, 1000]


def test_a_nominated_gpu_pod_holds_its_share_in_the_pass_with_nominated_pods():
    """Upstream adds a nominated pod with all it asks for; a GPU pod's share is part of that
    (on the GPU the selection would give it): 600 milli nominated leaves no room for 500."""
    snapshot = ClusterSnapshot([node("n", 1, "T4")], Profile(filters=CORE_FILTERS, weights={}))
    nominated = [(snapshot.class_of(pod("x", annotations={"kubesched.io/gpu-milli": "600"})), 0)]
    incoming = pod("p", annotations={"kubesched.io/gpu-milli": "500"})
    decision = snapshot.decide(incoming, nominated)
    assert decision.message == "0/1 nodes are available: 1 Insufficient kubesched.io/gpu."
    assert snapshot._engine.gpu_free(0) == [1000]  # the what-if left no trace
    assert snapshot.decide(pod("q", annotations={"kubesched.io/gpu-milli": "400"}), nominated).node == "n"


def test_simulate_places_gpu_pods_from_manifests(tmp_path):
    manifests = [
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"g{i}", "labels": {"kubesched.io/gpu-model": "T4"}},
         "status": {"allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110", "kubesched.io/gpu": "2"}}}
        for i in range(2)]
    for i, milli in enumerate((500, 500, 300, 1000)):
        manifests.append({"apiVersion": "v1", "kind": "Pod",
                          "metadata": {"name": f"p{i}", "annotations": {"kubesched.io/gpu-milli": str(milli)}},
                          "spec": {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "1"}}}]}})
    (tmp_path / "cluster.yaml").write_text(yaml.safe_dump_all(manifests))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
        "profiles": [{"schedulerName": "default-scheduler", "plugins": {
            "multiPoint": {"disabled": [{"name": "*"}]},
            "filter": {"enabled": [{"name": "NodeResourcesFit"}, {"name": "NodeAffinity"}]},
            "score": {"enabled": [{"name": "FGDScore"}]}}}]}))
    out = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["simulate", "-f", str(tmp_path / "cluster.yaml"), "--config",
                                       str(tmp_path / "config.yaml"), "--output-file", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    placements = json.loads(out.read_text())["placements"]
    assert all(p["node"] for p in placements), placements


# -- scores at the int64 edge -------------------------------------------------------------------

def test_dot_product_score_is_held_at_its_floor_for_huge_quantities():
    """Past the largest spec (128 cores) the score goes below 0; past about 10^9 cores free
    and asked for it would leave int64, which the core's conversion may not: it is held at
    -2^53 there (gpu.md), and the weighted total stays exact."""
    nodes = [node("max", cpu="9223372036854775807m"), node("mega", cpu="1000000"), node("n256", cpu="256"),
             node("n32")]
    snapshot = ClusterSnapshot(nodes, Profile(filters=CORE_FILTERS, weights={"DotProductScore": 3}))

    def scored(cpu):  # (raw score, total) on each feasible node
        e = snapshot.evaluate(snapshot.class_of(pod(cpu=cpu)))
        return [(raw, total) for raw, total, failed in zip(e["raw"]["DotProductScore"], e["total"], e["failed_filter"])
                if failed is None]

    floor = -2**53
    assert scored("9223372036854775807m") == [(floor, 3 * floor)]
    assert scored("1000000") == [(floor, 3 * floor), (-3051757712, 3 * -3051757712)]
    assert scored("256") == [(-7205759403792694, 3 * -7205759403792694), (-781150, 3 * -781150), (-100, -300)]
    assert scored("1") == [(-28147497670965, 3 * -28147497670965), (-2951, 3 * -2951), (99, 297), (99, 297)]
