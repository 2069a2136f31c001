"""The engine and the pure-Python reference behind the same calls, as rapidfuzz runs its
Python and C++ implementations through one test helper: each side is built from the same
cluster, profile and seed, and answers with the same records.

- `decide_queue(pods)`: a `Decided` per pod, in order, each pod assumed where it lands;
- `evaluate(pod)`: an `Evaluation` (explain's question) without placing the pod: each node's
  first failing filter and, on a feasible node, its total and each score plugin's weighted
  score (after normalisation, as explain reports it; 0 where the plugin skipped the pod);
- `fit(pod, cap)`: how many copies of the pod fit one after another, per node (plan fit's);
- `forget(pod, node, gpus)`: a placed pod leaves its node and the GPUs it took;
- `gpu_nodes()`: each node's free milli per GPU and fragmentation amount.

GPU sharing (kubesched.model.gpu): a `Decided` names the GPUs the pod took, and the cluster
carries FGD's typical pods (simulate computes its own from the pods it reads).

A profile may name Python plugins (engine/python_plugins.py, e.g. tests/python_test_plugins.py):
the engine decides through them as simulate does, and the reference calls the same plugin
objects after its own filters and scores.

The reference breaks ties at the first best node; a seeded engine draws among them. The
reference side then follows the engine's draw where it is one of the tied best nodes
(`follow`), and `Decided.best` tells the caller which nodes tied. A seeded engine under the
Random GPU selection draws the GPU of a pod sharing one; the reference takes the engine's
GPUs where they are one of those it may draw (`decide`'s `follow_gpus`), its own otherwise. The bound
pods' GPUs are given (`ReferenceSide`'s `bound_gpus`) or chosen without a draw, so a seeded
cluster under that selection has no bound GPU pods without given GPUs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from kubesched.engine.cluster import ClusterSnapshot
from kubesched.engine.python_plugins import decide_with_python_plugins, run_python_plugins, select
from kubesched.framework.cluster_objects import ClusterObjects
from kubesched.framework.profile import Profile
from kubesched.framework.python_plugins import load_plugin
from kubesched.framework.typical_pods import TypicalPod
from kubesched.model.cluster import ClusterInput
from kubesched.model.gpu import indices_of, mask_of
from kubesched.model.records import Node, Pod
from tests.reference.reference import ReferenceScheduler


@dataclass(frozen=True)
class Cluster:
    nodes: list[Node]
    bound: list[Pod]
    objects: ClusterObjects = field(default_factory=ClusterObjects)
    typical_pods: tuple[TypicalPod, ...] = ()  # FGD's

    def as_input(self, pending: list[Pod]) -> ClusterInput:
        """The cluster as `simulate`, `explain` and `plan fit` read it from files."""
        o = self.objects
        return ClusterInput(nodes=list(self.nodes), bound_pods=list(self.bound), pending_pods=list(pending),
                            namespaces=o.namespaces, services=o.services, replica_sets=o.replica_sets,
                            stateful_sets=o.stateful_sets, replication_controllers=o.replication_controllers,
                            deployments=o.deployments)


@dataclass(frozen=True)
class Decided:
    pod: str  # namespace/name
    node: str | None
    message: str = ""  # upstream's FitError wording when it fits nowhere
    best: tuple[str, ...] = ()  # the reference only: the tied best nodes
    volumes: tuple = ()  # the reference only: (claim, PV or None: provisioned, capacity) it bound
    worded_failure: str = ""  # the engine only: the message its reason histogram (Decision.failure) words
    gpus: tuple[int, ...] = ()  # the GPUs it took on its node


@dataclass(frozen=True)
class Verdict:
    failed_filter: str | None  # None: feasible
    reasons: tuple[str, ...]
    total: int | None  # the feasible nodes' total score
    scores: dict[str, int] | None = None  # a feasible node's weighted score per plugin of the profile


@dataclass(frozen=True)
class Evaluation:
    nodes: dict[str, Verdict]  # the engine: the nodes examined (percentageOfNodesToScore may stop early)
    selected: str | None
    best: tuple[str, ...] = ()  # the reference only

    @property
    def totals(self) -> dict[str, int]:
        return {name: v.total for name, v in self.nodes.items() if v.total is not None}

    @property
    def scores(self) -> dict[str, dict[str, int] | None]:
        """The feasible nodes' weighted scores per plugin."""
        return {name: v.scores for name, v in self.nodes.items() if v.total is not None}


class EngineSide:
    def __init__(self, cluster: Cluster, profile: Profile, seed: int | None = None):
        self.snapshot = ClusterSnapshot(cluster.nodes, profile, seed=seed, objects=cluster.objects)
        if cluster.typical_pods:
            self.snapshot.set_gpu_typical(list(cluster.typical_pods))
        self.snapshot.add_bound(cluster.bound)

    @classmethod
    def around(cls, snapshot: ClusterSnapshot) -> EngineSide:
        """The engine side of a snapshot built elsewhere (the live cache's, changed in place)."""
        side = cls.__new__(cls)
        side.snapshot = snapshot
        return side

    def decide_queue(self, pods: list[Pod]) -> list[Decided]:
        s = self.snapshot
        if s.profile.python_filters or s.profile.python_scores:
            decisions = [decide_with_python_plugins(s, pod) for pod in pods]
        else:
            decisions = s.decide_queue(pods)
        return [self._decided(d) for d in decisions]

    def decide(self, pod: Pod, nominated=()) -> Decided:
        """Decide one pod, assumed where it lands; `nominated`: (class id, node index) of the
        pods nominated to nodes it yields to (the live nominator's `yield_to`)."""
        return self._decided(self.snapshot.decide(pod, list(nominated) if nominated else None))

    def _decided(self, d) -> Decided:
        worded = self.snapshot.failure_message(d.failure) if d.node is None else ""
        return Decided(d.pod.key, d.node, d.message, worded_failure=worded, gpus=indices_of(d.gpus))

    def evaluate(self, pod: Pod, nominated=()) -> Evaluation:
        """With Python plugins as explain reports them: a node one rejects fails that plugin
        with its reason; their weighted scores are among the plugins' and in the total.
        `nominated`: as decide's."""
        s = self.snapshot
        python = bool(s.profile.python_filters or s.profile.python_scores)
        e, verdicts = run_python_plugins(s, pod, list(nominated)) if python \
            else (s.evaluate(s.class_of(pod), list(nominated)), {})
        nodes = {}
        for i, name in enumerate(s.node_names):
            if not e["examined"][i]:
                continue
            failed, reasons = e["failed_filter"][i], tuple(e["reasons"][i])
            verdict = verdicts.get(i)
            if verdict is not None and verdict.rejection:
                failed, reasons = next((n, (r,)) for n, r in verdict.filters.items() if r)
            feasible = failed is None
            total = (verdict.total if verdict is not None else e["total"][i]) if feasible else None
            scores = {**self._weighted(e, i), **self._python_weighted(verdict)} if feasible else None
            nodes[name] = Verdict(failed, reasons, total, scores)
        selected = select(s, verdicts) if python else e["selected"]
        return Evaluation(nodes, s.node_names[selected] if selected >= 0 else None)

    def _python_weighted(self, verdict) -> dict[str, int]:
        weights = dict(self.snapshot.profile.python_scores)
        return {name: weights[name] * score for name, score in verdict.scores.items()} if verdict is not None else {}

    def assume(self, pod: Pod, node: str, gpus: tuple[int, ...] = ()) -> None:
        """The pod counts on the node (placed there by another decider), on these GPUs."""
        s = self.snapshot
        if gpus:
            s.assume_on_gpus(s.class_of(pod), s.node_index[node], mask_of(gpus))
        else:
            s.assume(s.class_of(pod), s.node_index[node])

    def _weighted(self, e: dict, node: int) -> dict[str, int]:
        """The node's weighted score per plugin, as explain reports them."""
        return {plugin: weight * e["normalized"][plugin][node]
                for plugin, weight in self.snapshot.profile.weights.items() if weight and plugin in e["raw"]}

    def fit(self, pod: Pod, cap: int) -> dict[str, int]:
        placed = Counter(self.snapshot.place_copies(self.snapshot.class_of(pod), cap))
        placed.pop(None, None)
        return dict(placed)

    def forget(self, pod: Pod, node: str, gpus: tuple[int, ...]) -> None:
        s = self.snapshot
        s.forget_on_gpus(s.class_of(pod), s.node_index[node], mask_of(gpus))

    def gpu_nodes(self) -> dict[str, tuple[list[int], float]]:
        engine = self.snapshot._engine
        return {name: (engine.gpu_free(i), engine.gpu_frag(i)) for i, name in enumerate(self.snapshot.node_names)}


class ReferenceSide:
    def __init__(self, cluster: Cluster, profile: Profile, seed: int | None = None,
                 bound_gpus: dict[str, int] | None = None):
        """`bound_gpus`: the GPUs (bit masks, by uid) bound pods hold, as a live cache records
        them; the others get the GPUs the reference picks."""
        paths = [*profile.python_filters, *(name for name, _ in profile.python_scores)]
        held = {uid: indices_of(mask) for uid, mask in (bound_gpus or {}).items() if mask}
        self.reference = ReferenceScheduler(cluster.nodes, profile, cluster.bound, cluster.objects,
                                            {path: load_plugin(path) for path in paths}, cluster.typical_pods, held)
        self.seeded = seed is not None

    def decide_queue(self, pods: list[Pod], follow: list[str | None] | None = None) -> list[Decided]:
        """`follow`: the node a seeded engine drew for each pod, taken where it tied best."""
        result = []
        for i, pod in enumerate(pods):
            choice = follow[i] if follow is not None and self.seeded else None
            d = self.reference.decide(pod, choice=choice)
            result.append(Decided(pod.key, d.node, d.message, tuple(d.best), gpus=d.gpus))
        return result

    def evaluate(self, pod: Pod, follow: str | None = None) -> Evaluation:
        """Every node's first failing filter, the totals of the feasible nodes examined
        (moving the sampling start as the engine's evaluation does); `follow`: the node a
        seeded engine selected, taken where it tied best."""
        verdicts = self._verdicts(pod)
        return self._evaluation(verdicts, self.reference.evaluate(pod), follow)

    def decide(self, pod: Pod, follow: str | None = None, nominated=(), follow_gpus: tuple[int, ...] | None = None
               ) -> tuple[Decided, Evaluation]:
        """Decide one pod (placing it), and how it was evaluated before; `nominated`: (pod,
        node name) of the pods nominated to nodes (those of its priority or above it yields to)."""
        verdicts = self._verdicts(pod, nominated)
        d = self.reference.decide(pod, choice=follow if self.seeded else None, nominated=nominated,
                                  drawn_gpus=follow_gpus if self.seeded else None)
        decided = Decided(pod.key, d.node, d.message, tuple(d.best), tuple(d.volumes), gpus=d.gpus)
        return decided, self._evaluation(verdicts, d, follow)

    def _verdicts(self, pod: Pod, nominated=()) -> dict[str, tuple[str | None, tuple[str, ...]]]:
        result = {}
        for state in self.reference.states:
            failed, reasons = self.reference.failure_with_nominated(pod, state, nominated)
            result[state.node.name] = (failed, tuple(reasons))
        return result

    def _evaluation(self, verdicts: dict, d, follow: str | None) -> Evaluation:
        nodes = {name: Verdict(failed, reasons, d.totals.get(name), d.scores.get(name))
                 for name, (failed, reasons) in verdicts.items()}
        selected = follow if self.seeded and follow in d.best else (d.best[0] if d.best else None)
        return Evaluation(nodes, selected, tuple(d.best))

    def fit(self, pod: Pod, cap: int) -> dict[str, int]:
        """Copies decided one by one until one fits nowhere (or `cap` of them fit)."""
        placed: Counter = Counter()
        for count in range(cap):
            node = self.reference.decide(replace(pod, name=f"{pod.name}-{count}")).node
            if node is None:
                break
            placed[node] += 1
        return dict(placed)

    def forget(self, pod: Pod, node: str) -> None:
        self.reference.forget(pod, node)

    def gpu_nodes(self) -> dict[str, tuple[list[int], float]]:
        return {s.node.name: (list(s.gpu_free), self.reference.frag(s)) for s in self.reference.states}


def sides(cluster: Cluster, profile: Profile, seed: int | None = None) -> tuple[EngineSide, ReferenceSide]:
    return EngineSide(cluster, profile, seed), ReferenceSide(cluster, profile, seed)


def assert_same_queue(got: list[Decided], want: list[Decided], seeded: bool, context=()) -> None:
    """The engine's decisions against the reference's (which followed the engine's draws):
    the same node, one of the tied best when seeded, the first of them when not; the same
    message where the pod fits nowhere; the same GPUs where it lands."""
    assert [d.pod for d in got] == [d.pod for d in want]
    for g, w in zip(got, want):
        if w.node is None:
            assert g.node is None, (g.pod, context)
            assert g.message == w.message, (g.pod, context)
        else:
            assert g.node in w.best, (g.pod, w.best, context)
            if not seeded:
                assert g.node == w.best[0], (g.pod, w.best, context)
            assert g.gpus == w.gpus, ("GPUs taken", g.pod, g.node, context)


def assert_same_evaluation(got: Evaluation, want: Evaluation, seeded: bool, context=()) -> None:
    """The engine's evaluation against the reference's: each node the engine examined fails
    the same filter for the same reasons, the feasible ones have the same totals and the same
    weighted score from each plugin, and the selected node is the reference's (one of its
    tied best when seeded)."""
    for name, verdict in got.nodes.items():
        assert (verdict.failed_filter, verdict.reasons) == (want.nodes[name].failed_filter, want.nodes[name].reasons), \
            (name, context)
    for name, scores in got.scores.items():  # before the totals: which plugin differs
        assert scores == want.nodes[name].scores, ("per-plugin scores", name, context)
    assert got.totals == want.totals, context
    if want.selected is None:
        assert got.selected is None, context
    else:
        assert got.selected in want.best, (got.selected, want.best, context)
        if not seeded:
            assert got.selected == want.best[0], context


def assert_same_gpu_nodes(got: dict, want: dict, context=()) -> None:
    """Every node's free milli per GPU and fragmentation amount (to the last bit)."""
    for name, (free, frag) in got.items():
        assert free == want[name][0], ("free GPU milli", name, context)
        assert frag == want[name][1], ("fragmentation", name, context)
