"""The profile's Python plugins after the core's, node by node, and the selection over the
combined totals made as the core makes its own: the best total wins, ties are broken by the
engine's seeded stream (the first in node order without a seed). simulate, live and explain
all decide through here, so explain shows the node simulate chooses."""

from __future__ import annotations

from dataclasses import dataclass, field

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


def run_python_plugins(snapshot, pod, evaluation: dict) -> dict[int, PythonVerdict]:
    """The verdicts of the profile's Python plugins on every node the core found feasible;
    a node's filters stop at the first that rejects it, as upstream's do."""
    profile = snapshot.profile
    filters = [(name, load_plugin(name)) for name in profile.python_filters]
    scores = [(name, load_plugin(name), weight) for name, weight in profile.python_scores]
    verdicts = {}
    for i, total in enumerate(evaluation["total"]):
        if evaluation["failed_filter"][i] is not None or not evaluation["examined"][i]:
            continue  # feasibility from the filters, not from the sign of the total
        node = snapshot.nodes[i]
        verdict = verdicts[i] = PythonVerdict(total=total)
        for name, plugin in filters:
            verdict.filters[name] = run_filter(name, plugin, pod, node)
            if verdict.filters[name]:
                break
        else:
            for name, plugin, weight in scores:
                verdict.scores[name] = run_score(name, plugin, pod, node)
                verdict.total += weight * verdict.scores[name]
    return verdicts


def select(snapshot, verdicts: dict[int, PythonVerdict]) -> int:
    """The node with the best total among those no Python filter rejected, -1 when none."""
    passing = [(i, v.total) for i, v in verdicts.items() if v.rejection is None]
    if not passing:
        return -1
    best = max(total for _, total in passing)
    ties = [i for i, total in passing if total == best]
    return ties[snapshot.choose_tie(len(ties))]


def python_rejection(snapshot, pod: Pod, node: int) -> str | None:
    """The first Python filter's reason for rejecting the pod on the node, None if all pass."""
    for name in snapshot.profile.python_filters:
        reason = run_filter(name, load_plugin(name), pod, snapshot.nodes[node])
        if reason:
            return reason
    return None


def decide_with_python_plugins(snapshot, pod: Pod, nominated=()) -> Decision:
    """The core filters and scores; then the profile's Python plugins on the feasible nodes;
    the pod is assumed on the node chosen. `nominated`: (class id, node) of the nominated
    pods the pod yields to, for the core's two passes."""
    class_id = snapshot.class_of(pod)
    evaluation = snapshot.evaluate(class_id, nominated, draw=False)  # select draws, once
    verdicts = run_python_plugins(snapshot, pod, evaluation)
    best = select(snapshot, verdicts)
    if best < 0:
        failure = _failure(snapshot, evaluation, verdicts)
        return Decision(pod, None, -1, snapshot.failure_message(failure), failure)
    snapshot.assume(class_id, best)
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
