"""The core's GPU sharing (src/_core/gpu.cpp) decides as the pure-Python reference
(tests/reference/reference.py with gpu_policies.py), through tests/side_by_side.py, on random
small GPU clusters: for every policy of the FGD paper, ours and mixes of them, each pod's
node and the GPUs it takes there, upstream's message where it fits nowhere, each node's
verdict and each plugin's weighted score as explain evaluates it, and every node's free milli
per GPU and fragmentation after each decision, with pods leaving their GPUs between
decisions. With a seed the engine draws among tied nodes (RandomScore ties them all) and,
under the Random selection, the GPU of a pod sharing one: each draw must be one the
reference may make. GPU pods also go through the default profile's plugins, their failures
among the others'."""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kubesched.framework.profile import Profile
from kubesched.framework.typical_pods import TypicalPod, shape_of, typical_pods
from kubesched.model.gpu import GPU_RESOURCE
from kubesched.model.nodes import parse_node
from kubesched.model.pods import PodParser
from kubesched.model.records import Pod
from kubesched.plugins import CORE_FILTERS
from tests.reference.gpu_policies import GPU_PLUGINS
from tests.resources import resources
from tests.side_by_side import (Cluster, EngineSide, assert_same_evaluation, assert_same_gpu_nodes,
                                assert_same_queue, sides)

from .strategies import HUGE, scenarios as default_scenarios

MODELS = ("A", "B", "C")
PLUGINS = "tests.python_test_plugins"
PYTHON_PLUGINS = (((), ()), ((f"{PLUGINS}:HashedFilter",), ((f"{PLUGINS}:HashedScore", 2),)))  # (filters, scores)
SELECTIONS = ("", "Best", "Worst", "FGD", "FGDCapacity", "Random")
INSUFFICIENT_GPUS = f"Insufficient {GPU_RESOURCE}"


def huge_cpu(most: int):
    """Milli-CPU of any magnitude up to `most`, half the time within a factor 2^20 of it:
    past 2^53, and a node's free CPU times a pod's past DotProductScore's floor (about
    10^9 cores each)."""
    top = most.bit_length()
    bits = st.one_of(st.integers(1, top), st.integers(top - 20, top))
    return bits.flatmap(lambda n: st.integers(2**(n - 1), min(2**n, most)))


@st.composite
def gpu_nodes(draw, huge=False):
    count = draw(st.integers(1, 6))
    nodes = []
    for i in range(count):
        gpus = draw(st.sampled_from((0, 1, 2, 4, 8)))
        cpu = draw(huge_cpu(HUGE) if huge else st.integers(2, 64).map(lambda c: c * 1000))
        allocatable = {"cpu": f"{cpu}m", "memory": f"{draw(st.integers(4, 256))}Gi",
                       "pods": str(draw(st.integers(2, 12)))}
        labels = {}
        if gpus:
            allocatable[GPU_RESOURCE] = str(gpus)
            labels["kubesched.io/gpu-model"] = draw(st.sampled_from(MODELS))
        nodes.append(parse_node({"metadata": {"name": f"node-{i}", "labels": labels},
                                 "status": {"allocatable": allocatable}}))
    return nodes


@st.composite
def gpu_annotations(draw) -> tuple[dict, int]:
    """A GPU request as annotations, or whole GPUs as the extended resource (its count, else 0)."""
    annotations, whole = {}, 0
    kind = draw(st.sampled_from(("none", "share", "share", "whole", "extended")))
    if kind == "share":
        annotations["kubesched.io/gpu-milli"] = str(draw(st.sampled_from((100, 250, 300, 470, 500, 650, 810, 999))))
    elif kind == "whole":
        annotations["kubesched.io/gpu-count"] = str(draw(st.sampled_from((1, 1, 2, 4, 8))))
    elif kind == "extended":
        whole = draw(st.sampled_from((1, 2)))
    if kind != "none" and draw(st.booleans()):
        annotations["kubesched.io/gpu-models"] = "|".join(draw(st.lists(st.sampled_from(MODELS), min_size=1,
                                                                         max_size=2, unique=True)))
    return annotations, whole


@st.composite
def gpu_pods(draw, prefix="pod", max_size=24, huge=False):
    """`huge`: CPU requests up to a quarter of the largest node's, so that bound ones sum in int64."""
    parser = PodParser()
    pods = []
    ordinary = st.sampled_from((250, 500, 1000, 2000, 4000, 8000, 16000, 30000))
    cpu = st.one_of(ordinary, huge_cpu(HUGE // 4)) if huge else ordinary
    for i in range(draw(st.integers(1, max_size))):
        requests = {"cpu": f"{draw(cpu)}m",
                    "memory": f"{draw(st.sampled_from((1, 2, 8, 32)))}Gi"}
        annotations, whole = draw(gpu_annotations())
        if whole:
            requests[GPU_RESOURCE] = str(whole)
        container = {"name": "c", "image": "x", "resources": resources(requests)}
        pods.append(parser.parse({"metadata": {"name": f"{prefix}-{i}", "annotations": annotations},
                                  "spec": {"containers": [container]}}))
    return pods


def gpu_weights():
    return st.one_of(st.sampled_from(GPU_PLUGINS).map(lambda name: {name: 1}),
                     st.lists(st.sampled_from(GPU_PLUGINS), min_size=1, max_size=3, unique=True).flatmap(
                         lambda chosen: st.fixed_dictionaries({name: st.integers(1, 5) for name in chosen})))


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


@dataclass
class GpuScenario:
    cluster: Cluster
    pending: list[Pod]
    profile: Profile
    seed: int | None


def bound_allowed(profile: Profile, seed: int | None) -> bool:
    """Bound pods' GPUs are chosen without a draw (tests/side_by_side.py)."""
    return seed is None or profile.gpu_select() != "Random"


@st.composite
def scenarios(draw, weights=gpu_weights(), seeds=st.one_of(st.none(), st.integers(0, 2**31))):
    huge = draw(st.integers(0, 3)) == 0  # CPU quantities up to the int64 edge
    nodes = draw(gpu_nodes(huge))
    pending = draw(gpu_pods(huge=huge))
    profile = Profile(filters=CORE_FILTERS, weights=draw(weights), gpu_selection=draw(st.sampled_from(SELECTIONS)))
    seed = draw(seeds)
    bound = []
    if bound_allowed(profile, seed) and draw(st.booleans()):
        bound = [replace(pod, node_name=draw(st.sampled_from(nodes)).name)
                 for pod in draw(gpu_pods(prefix="bound", max_size=4, huge=huge))]
    cluster = Cluster(nodes, bound, typical_pods=tuple(draw(typical_lists(pending))))
    return GpuScenario(cluster, pending, profile, seed)


def decide_side_by_side(scenario: GpuScenario, leaving: list[int]) -> None:
    """The engine decides the queue in runs (as `simulate`), a twin evaluates each pod first
    (as `explain`) then assumes it on the node and GPUs the queue chose; between runs a placed
    pod may leave its node and GPUs (`leaving`: odd at step i, before pod i)."""
    seed = scenario.seed
    seeded = seed is not None
    engine, reference = sides(scenario.cluster, scenario.profile, seed)
    explainer = EngineSide(scenario.cluster, scenario.profile, seed)
    placed = []
    runs, run = [], []
    for step, pod in enumerate(scenario.pending):
        if run and step < len(leaving) and leaving[step] % 2:
            runs.append((run, leaving[step]))
            run = []
        run.append(pod)
    runs.append((run, 0))
    for run, leaves in runs:
        for pod, decided in zip(run, engine.decide_queue(run)):
            context = (pod.key, seed)
            evaluation = explainer.evaluate(pod)
            want, want_evaluation = reference.decide(pod, follow=decided.node, follow_gpus=decided.gpus)
            if len(want.best) > 1:
                event("tie among the best nodes" + (" (seeded)" if seeded else ""))
            if INSUFFICIENT_GPUS in want.message:
                event("the GPUs fit nowhere")
            assert_same_evaluation(evaluation, want_evaluation, seeded, context)
            assert_same_queue([decided], [want], seeded, context)
            if decided.node is not None:
                explainer.assume(pod, decided.node, decided.gpus)
                placed.append((pod, decided.node, decided.gpus))
            assert_same_gpu_nodes(explainer.gpu_nodes(), reference.gpu_nodes(), context)
        assert_same_gpu_nodes(engine.gpu_nodes(), reference.gpu_nodes(), "after the run")
        if leaves and placed:
            event("a pod leaves its GPUs")
            gone, node, gpus = placed.pop(leaves % len(placed))
            engine.forget(gone, node, gpus)
            explainer.forget(gone, node, gpus)
            reference.forget(gone, node)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.lists(st.integers(0, 1000), max_size=12))
def test_gpu_policies_decide_as_the_reference(scenario, leaving):
    decide_side_by_side(scenario, leaving)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(weights=st.just({name: 1 for name in GPU_PLUGINS})))
def test_every_gpu_score_matches_the_reference(scenario):
    """Every GPU plugin at weight 1: each one's score on each feasible node is its raw
    score (BestFitScore's min-max normalised)."""
    decide_side_by_side(scenario, [])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(weights=st.just({"RandomScore": 1}), seeds=st.integers(0, 2**31)))
def test_random_policy_draws_only_feasible_nodes_and_gpus(scenario):
    """RandomScore alone, seeded: every feasible node ties, and the Random selection (the
    heaviest plugin's, unless another is asked for) draws the GPU of a pod sharing one."""
    decide_side_by_side(scenario, [])


# -- GPU pods among the default profile's plugins ----------------------------------------------

@st.composite
def mixed_scenarios(draw):
    """A default-profile scenario (strategies.py) whose nodes have GPUs and whose pending pods
    ask for them, decided by its profile plus GPU scores (and sometimes Python plugins)."""
    scenario = draw(default_scenarios(changes=False))
    nodes = []
    for node in scenario.nodes:
        gpus = draw(st.sampled_from((0, 0, 1, 2, 4)))
        if gpus:
            node = replace(node, allocatable={**node.allocatable, GPU_RESOURCE: gpus},
                           labels={**node.labels, "kubesched.io/gpu-model": draw(st.sampled_from(MODELS))})
        nodes.append(node)
    pending = []
    for pod in scenario.pending:
        annotations, whole = draw(gpu_annotations())
        spec = replace(pod.spec, requests={**pod.spec.requests, GPU_RESOURCE: whole}) if whole else pod.spec
        pending.append(replace(pod, spec=spec, raw={"metadata": {"annotations": annotations}}))
    base = replace(scenario.profiles[0], preemption=None)
    filters, scores = draw(st.sampled_from(PYTHON_PLUGINS))
    profile = replace(base, weights={**base.weights, **draw(gpu_weights())},
                      gpu_selection=draw(st.sampled_from(SELECTIONS)), python_filters=filters, python_scores=scores)
    cluster = Cluster(nodes, scenario.bound, scenario.objects, tuple(draw(typical_lists(pending))))
    return GpuScenario(cluster, pending, profile, scenario.seed)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed_scenarios())
def test_gpu_pods_among_the_default_plugins_decide_as_the_reference(scenario):
    """Also: the engine's reason histogram words upstream's message where a pod fits nowhere."""
    seed = scenario.seed
    seeded = seed is not None
    engine, reference = sides(scenario.cluster, scenario.profile, seed)
    explainer = EngineSide(scenario.cluster, scenario.profile, seed)
    for pod in scenario.pending:
        context = (pod.key, seed)
        evaluation = explainer.evaluate(pod)
        [decided] = engine.decide_queue([pod])
        want, want_evaluation = reference.decide(pod, follow=decided.node, follow_gpus=decided.gpus)
        if INSUFFICIENT_GPUS in want.message and "," in want.message:
            event("the GPUs fit nowhere, among other failures")
        assert_same_evaluation(evaluation, want_evaluation, seeded, context)
        assert_same_queue([decided], [want], seeded, context)
        if decided.node is None:
            assert decided.worded_failure == decided.message, decided.pod
        else:
            explainer.assume(pod, decided.node, decided.gpus)
    assert_same_gpu_nodes(engine.gpu_nodes(), reference.gpu_nodes())
