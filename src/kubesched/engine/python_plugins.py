"""The profile's Python plugins after the core's, node by node, and the selection over the
combined totals made as the core makes its own: the best total wins, ties are broken by the
engine's seeded stream (the first in node order without a seed). simulate, live and explain
all decide through here, so explain shows the node simulate chooses."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubesched._core import EXCLUDED
from kubesched.engine.decision import Decision
from kubesched.framework.python_plugins import load_plugin, run_filter, run_score
from kubesched.model.records import Pod


@dataclass(slots=True)
class PythonVerdict:
    """One node the core found feasible, as the Python plugins see it."""

    filters: dict[str, str | None] = field(default_factory=dict)  # the filters run: name -> reason (None: fits)
    scores: dict[str, int] = field(default_factory=dict)  # name -> score, when no filter rejected
    total: int = 0  # the core's total plus the weighted Python scores

    @property
    def rejection(self) -> str | None:
        return next((reason for reason in self.filters.values() if reason), None)


def run_python_plugins(snapshot, pod, nominated=()) -> tuple[dict, dict[int, PythonVerdict]]:
    """The core's evaluation of the pod and the Python plugins' verdicts on every node it
    examined where the core's filters pass. The Python filters run after the core's, as
    upstream's out-of-tree filters after the in-tree ones, and stop at the first that
    rejects, on the nodes the core's search looks at; a node one rejects is left out of the
    core's scoring (evaluated again without it, from the same start), so every normalisation
    is over the nodes all filters passed, as upstream's, and a sampled search goes on past it.
    Such a node's failed filter is None in the evaluation (the core's passed): its verdict
    says which Python filter rejected it. Nothing is drawn: `select` draws, once."""
    profile = snapshot.profile
    class_id = snapshot.class_of(pod)
    filters = [(name, load_plugin(name)) for name in profile.python_filters]
    ran: dict[int, dict[str, str | None]] = {}  # a Python filter's verdict depends on the pod and the node only
    rejected: list[int] = []
    start = snapshot.sampling_start
    while True:  # until every node the core's filters pass among those looked at has the Python filters' verdict
        evaluation = snapshot.evaluate(class_id, nominated, draw=False, excluded=rejected)
        unjudged = [i for i in evaluation["order"] if evaluation["failed_filter"][i] is None and i not in ran] \
            if filters else []
        for i in unjudged:
            ran[i] = _filter_verdicts(filters, pod, snapshot.nodes[i])
        newly = [i for i in unjudged if any(ran[i].values())]
        if not newly:
            break
        rejected += newly  # evaluated again from the same start, without them
        snapshot.sampling_start = start
    scores = [(name, load_plugin(name), weight) for name, weight in profile.python_scores]
    verdicts = {}  # in the order the core looked at the nodes, whose first tied node select takes
    for i in evaluation["order"]:
        failed = evaluation["failed_filter"][i]
        if failed == EXCLUDED:
            evaluation["failed_filter"][i] = None
            verdicts[i] = PythonVerdict(filters=ran[i])
        elif failed is None:
            verdict = verdicts[i] = PythonVerdict(filters=ran.get(i, {}), total=evaluation["total"][i])
            for name, plugin, weight in scores:
                verdict.scores[name] = run_score(name, plugin, pod, snapshot.nodes[i])
                verdict.total += weight * verdict.scores[name]
    return evaluation, verdicts


def _filter_verdicts(filters, pod: Pod, node) -> dict[str, str | None]:
    """name -> reason (None: fits) of the filters run on the node, up to the first rejection."""
    verdicts = {}
    for name, plugin in filters:
        verdicts[name] = run_filter(name, plugin, pod, node)
        if verdicts[name]:
            break
    return verdicts


def select(snapshot, verdicts: dict[int, PythonVerdict]) -> int:
    """The node with the best total among those no Python filter rejected, -1 when none;
    of tied nodes the first looked at (from the rotating start when sampled), or --seed's draw."""
    passing = [(i, v.total) for i, v in verdicts.items() if v.rejection is None]
    if not passing:
        return -1
    best = max(total for _, total in passing)
    ties = [i for i, total in passing if total == best]
    return ties[snapshot.choose_tie(len(ties))]


def python_rejection(snapshot, pod: Pod, node: int) -> str | None:
    """The first Python filter's reason for rejecting the pod on the node, None if all pass."""
    filters = [(name, load_plugin(name)) for name in snapshot.profile.python_filters]
    return next(filter(None, _filter_verdicts(filters, pod, snapshot.nodes[node]).values()), None)


def decide_with_python_plugins(snapshot, pod: Pod, nominated=()) -> Decision:
    """The core's filters, the profile's Python filters, the core's scores and the Python
    scores (run_python_plugins), then the selection; the pod is assumed on the node chosen.
    `nominated`: (class id, node) of the nominated pods the pod yields to, for the core's
    two passes."""
    evaluation, verdicts = run_python_plugins(snapshot, pod, nominated)
    best = select(snapshot, verdicts)
    if best < 0:
        failure = _failure(snapshot, evaluation, verdicts)
        return Decision(pod, None, -1, snapshot.failure_message(failure), failure)
    snapshot.assume(snapshot.class_of(pod), best)
    return Decision(pod, snapshot.node_names[best], best, gpus=snapshot.last_gpu_mask)


def _failure(snapshot, evaluation: dict, verdicts: dict[int, PythonVerdict]) -> list[tuple[int, int]]:
    """The (reason code, nodes) histogram of a pod nothing was left for: the core's reasons
    and the Python filters' rejections."""
    counts: dict[int, int] = {}
    for codes in evaluation["reason_codes"]:
        for code in codes:
            counts[code] = counts.get(code, 0) + 1
    for verdict in verdicts.values():
        if verdict.rejection:
            code = snapshot.python_reason(verdict.rejection)
            counts[code] = counts.get(code, 0) + 1
    return list(counts.items())
