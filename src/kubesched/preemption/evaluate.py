"""The entry point: DefaultPreemption for one pod that fits no node, on a ClusterSnapshot."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from kubesched.model.records import Pod
from kubesched.preemption.args import PreemptionArgs
from kubesched.preemption.pdb import PodDisruptionBudget
from kubesched.preemption.result import Preemption
from kubesched.preemption.victims import PodOnNode


def preempt(snapshot, pod: Pod, placed: Iterable[PodOnNode], pdbs: Sequence[PodDisruptionBudget] = (),
            args: PreemptionArgs | None = None, *, nominated: Sequence[tuple[Pod, str]] = (),
            offset: int = 0) -> Preemption:
    """What DefaultPreemption decides for `pod`, which the filters rejected on every node of
    `snapshot` (a ClusterSnapshot holding exactly the pods of `placed`). Changes nothing:
    the caller evicts the victims and nominates the pod.

    `nominated`: pods nominated to a node and not bound yet, as (pod, node name); those at
    the pod's priority or above count against that node. The pod's own nomination is
    `pod.raw["status"]["nominatedNodeName"]`, if any. `offset`: where the dry run starts
    among the potential nodes (upstream draws it at random)."""
    from kubesched.testing.preemption_reference import reference_preempt
    from kubesched.testing.reference import ReferenceScheduler

    placed = list(placed)
    scheduler = ReferenceScheduler(list(snapshot.nodes), snapshot.profile,
                                   [replace(p.pod, node_name=p.node) for p in placed], snapshot.objects)
    result = reference_preempt(
        scheduler, pod, pdbs, args or PreemptionArgs(),
        start_times={p.pod.key: p.start_time for p in placed},
        nominated=nominated, nominated_node=nominated_node_of(pod),
        terminating=frozenset(p.pod.key for p in placed if p.terminating), offset=offset)
    return _with_original_pods(result, {p.pod.key: p.pod for p in placed})


def nominated_node_of(pod: Pod) -> str:
    status = (pod.raw or {}).get("status")
    node = status.get("nominatedNodeName") if isinstance(status, dict) else None
    return node if isinstance(node, str) else ""


def _with_original_pods(result: Preemption, originals: dict[str, Pod]) -> Preemption:
    """The victims as the caller's records (the reference works on copies bound to nodes)."""
    result.victims = [originals.get(p.key, p) for p in result.victims]
    for candidate in result.candidates:
        candidate.victims = [originals.get(p.key, p) for p in candidate.victims]
    return result
