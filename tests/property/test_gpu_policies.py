"""The core's GPU sharing (src/_core/gpu.cpp) against the pure-Python reference
(tests/reference/gpu_policies.py), decision by decision, on random small GPU clusters: for every
policy of the FGD paper and mixes of them, the chosen node, the GPUs taken there, and the
fragmentation of every node afterwards."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubesched.plugins import CORE_FILTERS
from kubesched.framework.profile import Profile
from kubesched.framework.typical_pods import TypicalPod, shape_of, typical_pods
from kubesched.model.gpu import gpu_request, indices_of, mask_of
from kubesched.model.nodes import parse_node
from kubesched.model.pods import PodParser
from kubesched.engine.cluster import ClusterSnapshot
from tests.reference.gpu_policies import GPU_PLUGINS, GpuReference
from tests.resources import resources

MODELS = ("A", "B", "C")


@st.composite
def gpu_nodes(draw):
    count = draw(st.integers(1, 6))
    nodes = []
    for i in range(count):
        gpus = draw(st.sampled_from((0, 1, 2, 4, 8)))
        allocatable = {"cpu": f"{draw(st.integers(2, 64)) * 1000}m", "memory": f"{draw(st.integers(4, 256))}Gi",
                       "pods": str(draw(st.integers(2, 12)))}
        labels = {}
        if gpus:
            allocatable["kubesched.io/gpu"] = str(gpus)
            labels["kubesched.io/gpu-model"] = draw(st.sampled_from(MODELS))
        nodes.append(parse_node({"metadata": {"name": f"node-{i}", "labels": labels},
                                 "status": {"allocatable": allocatable}}))
    return nodes


@st.composite
def gpu_pods(draw):
    parser = PodParser()
    pods = []
    for i in range(draw(st.integers(1, 24))):
        annotations = {}
        requests = {"cpu": f"{draw(st.sampled_from((250, 500, 1000, 2000, 4000, 8000, 16000, 30000)))}m",
                    "memory": f"{draw(st.sampled_from((1, 2, 8, 32)))}Gi"}
        kind = draw(st.sampled_from(("none", "share", "share", "whole", "extended")))
        if kind == "share":
            annotations["kubesched.io/gpu-milli"] = str(draw(st.sampled_from((100, 250, 300, 470, 500, 650, 810, 999))))
        elif kind == "whole":
            annotations["kubesched.io/gpu-count"] = str(draw(st.sampled_from((1, 1, 2, 4, 8))))
        elif kind == "extended":
            requests["kubesched.io/gpu"] = str(draw(st.sampled_from((1, 2))))
        if kind != "none" and draw(st.booleans()):
            annotations["kubesched.io/gpu-models"] = "|".join(draw(st.lists(st.sampled_from(MODELS), min_size=1,
                                                                             max_size=2, unique=True)))
        pods.append(parser.parse({"metadata": {"name": f"pod-{i}", "annotations": annotations},
                                  "spec": {"containers": [{"name": "c", "image": "x", "resources": resources(requests)}]}}))
    return pods


@st.composite
def gpu_profiles(draw):
    if draw(st.booleans()):
        weights = {draw(st.sampled_from(GPU_PLUGINS)): 1}
    else:
        chosen = draw(st.lists(st.sampled_from(GPU_PLUGINS), min_size=1, max_size=3, unique=True))
        weights = {name: draw(st.integers(1, 5)) for name in chosen}
    selection = draw(st.sampled_from(("", "Best", "Worst", "FGD", "FGDCapacity", "Random")))
    return Profile(filters=CORE_FILTERS, weights=weights, gpu_selection=selection)


@st.composite
def typical_lists(draw, pods):
    if draw(st.booleans()):
        return typical_pods(map(shape_of, pods), threshold=draw(st.sampled_from((60, 95, 100))))
    items = draw(st.lists(st.tuples(st.sampled_from((500, 2000, 8000, 16000)),
                                    st.sampled_from((0, 200, 470, 650, 1000)), st.sampled_from((1, 2, 8)),
                                    st.sampled_from(((), ("A",), ("B", "C"))), st.integers(1, 9)),
                          min_size=1, max_size=6))
    total = sum(weight for *_, weight in items)
    return [TypicalPod(cpu, milli, count if milli else 0, models if milli else (), weight / total)
            for cpu, milli, count, models, weight in items if milli < 1000 or count]


@st.composite
def scenarios(draw):
    nodes = draw(gpu_nodes())
    pods = draw(gpu_pods())
    return nodes, pods, draw(gpu_profiles()), draw(typical_lists(pods))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_core_places_like_the_reference(scenario):
    nodes, pods, profile, typical = scenario
    snapshot = ClusterSnapshot(nodes, profile, None)
    snapshot._engine.set_gpu_typical_pods(typical)
    decisions = snapshot.decide_queue(pods)
    reference = GpuReference(nodes, profile, typical)
    for pod, node, mask in zip(pods, (d.index for d in decisions), (d.gpus for d in decisions)):
        expected_node, expected_gpus = reference.decide(pod)
        assert node == expected_node, pod.key
        assert indices_of(mask) == tuple(sorted(expected_gpus)), pod.key
    for i in range(len(nodes)):
        assert snapshot._engine.gpu_free(i) == reference.nodes[i].free
        assert snapshot._engine.gpu_frag(i) == reference.frag(i)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_raw_scores_match_the_reference(scenario):
    """Every GPU plugin's raw score on every feasible node, before each decision."""
    nodes, pods, profile, typical = scenario
    everything = Profile(filters=CORE_FILTERS, weights={name: 1 for name in GPU_PLUGINS},
                         gpu_selection=profile.gpu_select())
    snapshot = ClusterSnapshot(nodes, everything, None)
    snapshot._engine.set_gpu_typical_pods(typical)
    reference = GpuReference(nodes, everything, typical)
    for pod in pods:
        evaluation = snapshot.evaluate(snapshot.class_of(pod))
        for i, node in enumerate(reference.nodes):
            feasible = reference.fits(pod, node)
            assert (evaluation["total"][i] >= 0) == feasible
            if feasible:
                for plugin in GPU_PLUGINS:
                    assert evaluation["raw"][plugin][i] == reference.raw(plugin, pod, node), plugin
        node, gpus = reference.decide(pod)
        assert [d.index for d in snapshot.decide_queue([pod])] == [node]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gpu_nodes(), gpu_pods(), st.integers(0, 2**31))
def test_random_policy_picks_only_feasible_nodes_and_gpus(nodes, pods, seed):
    """With a seed the Random policy draws its node and GPU; each draw must be a legal one."""
    profile = Profile(filters=CORE_FILTERS, weights={"RandomScore": 1})
    snapshot = ClusterSnapshot(nodes, profile, seed)
    decisions = snapshot.decide_queue(pods)
    reference = GpuReference(nodes, profile)
    for pod, node, mask in zip(pods, (d.index for d in decisions), (d.gpus for d in decisions)):
        feasible = [i for i, n in enumerate(reference.nodes) if reference.fits(pod, n)]
        if not feasible:
            assert node == -1
            continue
        assert node in feasible
        gpu = gpu_request(pod)
        gpus = indices_of(mask)
        assert len(gpus) == gpu.count
        assert all(reference.nodes[node].free[g] >= gpu.milli for g in gpus)
        if gpu.count and not gpu.shares:
            assert gpus == reference.gpus_for(pod, reference.nodes[node])
        reference.place(pod, node, gpus)


@settings(max_examples=80)
@given(scenarios(), st.lists(st.integers(0, 1000), max_size=12))
def test_pods_leaving_between_decisions_give_back_their_gpus(scenario, leaving):
    """Pods sharing GPUs leave between decisions (forget_on_gpus with the GPUs they took):
    the next decisions, the GPUs taken, and every node's free GPUs and fragmentation stay
    the reference's."""
    nodes, pods, profile, typical = scenario
    snapshot = ClusterSnapshot(nodes, profile, None)
    snapshot._engine.set_gpu_typical_pods(typical)
    reference = GpuReference(nodes, profile, typical)
    placed = []
    for step, pod in enumerate(pods):
        if step < len(leaving) and leaving[step] % 2 and placed:
            gone, node, gpus = placed.pop(leaving[step] % len(placed))
            snapshot.forget_on_gpus(snapshot.class_of(gone), node, mask_of(gpus))
            reference.remove(gone, node, gpus)
        node = snapshot._engine.schedule(snapshot.class_of(pod))
        expected_node, expected_gpus = reference.decide(pod)
        assert node == expected_node, pod.key
        gpus = indices_of(snapshot.last_gpu_mask) if node >= 0 else ()
        assert gpus == tuple(sorted(expected_gpus)), pod.key
        if node >= 0:
            placed.append((pod, node, gpus))
        for i in range(len(nodes)):
            assert snapshot._engine.gpu_free(i) == reference.nodes[i].free
            assert snapshot._engine.gpu_frag(i) == reference.frag(i)
