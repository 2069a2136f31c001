"""DefaultPreemption in the live loop: what upstream's PostFilter and failure handler do with a
pod that fits no node, on top of the decision itself (kubesched.preemption).

- The decision sees the cluster as the cache counts it (every placed pod a potential victim,
  the terminating ones marked; kubesched.live.victim_table), the PodDisruptionBudgets as the
  watch shows them, and the pods nominated but not bound yet.
- A nomination: the pod's nominatedNodeName is set with its PodScheduled=False condition
  (one status patch, by the reporter), the nominator holds its room at once, and the
  victims are evicted asynchronously (kubesched.live.eviction); the pod is not decided again
  until the eviction calls are done and the watch shows its victims terminating (so that it
  never preempts them twice: upstream's PreEnqueue watches the last victim alike), then
  waits for them to go (their deletions move the unschedulable pods).
- Preemption cannot help: the nomination is cleared. Not eligible (preemptionPolicy Never,
  or victims still terminating on the nominated node): the nomination stays. No nodes at
  all: no PostFilter runs, and the nomination is cleared (`clear`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from kubesched.live.eviction import Evictor, terminating
from kubesched.live.informer import object_key
from kubesched.live.metrics import Metrics
from kubesched.live.nominator import Nominator
from kubesched.live.victim_table import VictimTable
from kubesched.logs import V, KObj, kv
from kubesched.model.records import Pod
from kubesched.preemption import preempt, preemption_args

log = logging.getLogger("kubesched.live")

KEEP = object()  # the pod's nominatedNodeName stays as it is


@dataclass
class PostFilterOutcome:
    message: str                  # "preemption: …", appended to the FitError's message
    nominate: object = KEEP       # the node to nominate; "" clears the nomination; KEEP
    victims: list[Pod] = field(default_factory=list)
    status: dict | None = None    # {"nominatedNodeName": …} when the pod's status must change


class LivePreemption:
    def __init__(self, evictor: Evictor, metrics: Metrics, placed: Callable[[str], object | None]):
        """`placed(uid)`: the cache's record of a pod on a node (its `pod.raw` as last
        seen), None when it is gone."""
        self.evictor = evictor
        self.metrics = metrics
        self.placed = placed
        self._victims: dict[str, list[str]] = {}  # preemptor uid → victims the watch shows alive
        self.nominator = Nominator()
        self.pdbs: dict[str, dict] = {}  # namespace/name → PodDisruptionBudget as served
        self.victims = VictimTable()
        self._parked: set[str] = set()  # preemptors held back while their evictions run

    # -- what the watches tell -----------------------------------------------------------

    def set_pdb(self, event_type: str, obj: dict) -> None:
        key = object_key(obj)
        if event_type == "DELETED":
            self.pdbs.pop(key, None)
        else:
            self.pdbs[key] = obj

    def pending_seen(self, uid: str, pod: Pod) -> None:
        """A pending pod of ours, as the watch shows it now."""
        self.nominator.status_seen(uid, pod, (pod.raw or {}).get("status"))

    def pending_status(self, uid: str, pod: Pod, status: dict | None) -> None:
        """Only the status of a pending pod of ours changed: `pod` is its record as queued."""
        self.nominator.status_seen(uid, pod, status)

    def unnominate(self, uid: str) -> None:
        """The pod is bound or assumed: no nomination any more (the API server clears the
        field when it binds)."""
        self.nominator.remove(uid)

    def gone(self, uid: str) -> None:
        """The pod was deleted."""
        self.nominator.remove(uid)
        self._parked.discard(uid)
        self._victims.pop(uid, None)

    def finished(self, uid: str, ok: bool) -> bool:
        """The preemptor's eviction calls are done; True if it must be tried again now:
        they failed (no deletion may come to move it), or it was held back meanwhile and
        may go now."""
        if not ok:
            self._victims.pop(uid, None)
            self._parked.discard(uid)
            return True
        if uid in self._parked and not self._victims_alive(uid):
            self._parked.discard(uid)
            return True
        return False

    def _victims_alive(self, uid: str) -> bool:
        """Whether some victim of the pod's preemption is still shown neither terminating
        nor gone."""
        alive = [v for v in self._victims.get(uid, ()) if (placed := self.placed(v)) is not None
                 and not terminating(placed.pod.raw)]
        if alive:
            self._victims[uid] = alive
        else:
            self._victims.pop(uid, None)
        return bool(alive)

    # -- a decision ----------------------------------------------------------------------

    def may_decide(self, uid: str) -> bool:
        """False while the pod's own preemption calls are under way (upstream's PreEnqueue):
        the pod waits until `finished` says."""
        if self.evictor.running(uid) or (uid in self._victims and self._victims_alive(uid)):
            self._parked.add(uid)
            return False
        return True

    def yield_to(self, snapshot, pod: Pod, uid: str) -> list[tuple[int, int]]:
        """The nominated pods `pod` must yield to, for the core's two passes."""
        return self.nominator.yield_to(snapshot, pod, uid)

    def on_nominated_node(self, snapshot, uid: str, class_id: int, passes=None, nominated=()) -> int:
        """Upstream tries a nominated pod's node first, and takes it if the pod passes the
        filters there (no scoring against the others): the node's index, the pod assumed
        on it; -1 when the pod has no nomination or does not fit there now. `passes(index)`:
        the filters outside the core (Python plugins, extenders); `nominated`: yield_to's answer."""
        node = self.nominator.node_of(uid)
        index = snapshot.node_index.get(node) if node else None
        if index is None:
            return -1
        if not snapshot.feasible_with_nominated(class_id, index, nominated) or (passes is not None
                                                                           and not passes(index)):
            return -1
        snapshot.assume(class_id, index)
        return index

    def clear(self, uid: str, pod: Pod) -> dict | None:
        """Upstream's clearNominatedNode: the pod's nomination goes; the status change to
        write with its condition, if it had one."""
        current = self.nominator.node_of(uid) or _status_nominated_node(pod)
        self.nominator.remove(uid)
        return {"nominatedNodeName": None} if current else None

    @staticmethod
    def enabled(profile) -> bool:
        return preemption_args(profile) is not None

    def post_filter(self, snapshot, uid: str, pod: Pod, profile, placed, class_id: int | None = None,
                    decide=preempt) -> PostFilterOutcome:
        """DefaultPreemption for `pod`, which fit no node of `snapshot`; `placed`: the
        cache's pods on nodes (uid → Placed). Starts the evictions of a nomination.
        `class_id`: the pod's class when not its plain one (a pod with claims); `decide`:
        preempt, or what stands for it (a profile with Python filters)."""
        self.metrics.preemption_attempts.inc()
        # The nominator knows the nomination as we last wrote it, which the watch may not
        # have shown yet.
        current = self.nominator.node_of(uid) or _status_nominated_node(pod)
        pod = _with_nominated_node(pod, current)
        nominated = [(n.pod, n.node) for n in self.nominator.pods.values() if n.uid != uid]
        try:
            table = self.victims.current(snapshot, placed, list(self.pdbs.values()))
            result = decide(snapshot, pod, table, args=preemption_args(profile), nominated=nominated,
                            class_id=class_id)
        except Exception as error:  # a PostFilter error: the pod stays as it is and is retried
            log.exception("preemption failed for pod %s", pod.key)
            return PostFilterOutcome(f"preemption: {error}")
        if result.nominated_node is None:
            log.log(V(5), "Pod is not eligible for preemption or it cannot help",
                    extra=kv(pod=KObj(pod.namespace, pod.name), reason=result.message))
            if not result.eligible:
                return PostFilterOutcome(result.message)
            return PostFilterOutcome(result.message, "", status=self.clear(uid, pod))
        node = result.nominated_node
        self.metrics.preemption_victims.observe(len(result.victims))
        log.log(V(2), "the target node for the preemption is determined",
                extra=kv(node=node, pod=KObj(pod.namespace, pod.name)))
        # Pods of lower priority nominated there may not fit any more: their nominations are
        # cleared with the evictions (none when every victim is terminating already: as
        # upstream's asynchronous preemption, which then starts nothing).
        lower = [n for n in self.nominator.on_node(node) if n.pod.priority < pod.priority]
        if self.evictor.start(pod, node, result.victims, [n.pod for n in lower]):
            self._victims[uid] = [v.uid for v in result.victims if not terminating(v.raw)]
            for nominated_pod in lower:
                self.nominator.remove(nominated_pod.uid)
        self.nominator.nominate(uid, pod, node)
        return PostFilterOutcome(result.message, node, list(result.victims),
                                 status={"nominatedNodeName": node} if current != node else None)

    def close(self) -> None:
        self.evictor.close()


def _status_nominated_node(pod: Pod) -> str:
    status = (pod.raw or {}).get("status")
    return (status.get("nominatedNodeName") or "") if isinstance(status, dict) else ""


def _with_nominated_node(pod: Pod, node: str) -> Pod:
    raw = pod.raw or {}
    status = raw.get("status") if isinstance(raw.get("status"), dict) else {}
    if (status.get("nominatedNodeName") or "") == node:
        return pod
    return replace(pod, raw={**raw, "status": {**status, "nominatedNodeName": node or None}})
