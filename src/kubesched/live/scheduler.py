"""The live scheduling loop.

Informer threads only decode JSON and post events to an inbox; one loop thread owns the
cache, the snapshot and the queue. Before each decision the loop applies every event
waiting, so a decision sees all that was known when it started. A decided pod is assumed
on its node at once and its binding is posted by the binder while the loop goes on.

GPU pods (kubesched.model.gpu): the GPUs the engine chose are kept in the cache and recorded on the
pod by its Binding (annotation `kubesched.io/gpu-indices`). When a profile measures
fragmentation (FGDScore), the typical pods come from every pod the scheduler knows."""

from __future__ import annotations

import logging
import queue as inbox_queue
import threading
import time
from dataclasses import dataclass, replace
from functools import partial

from kubesched.errors import InputError
from kubesched.extenders.decide import decide as decide_with_extenders, interested, passes_on_node
from kubesched.extenders.preempt import preempt_with_extenders
from kubesched.plugins.scheduling_gates import GATED_MESSAGE
from kubesched.framework.profile import Profile
from kubesched.framework.typical_pods import uses_typical_pods
from kubesched.live import binder as binding
from kubesched.live.binder import Binder, Outcome, prebind_failure
from kubesched.live.cache import Cache
from kubesched.live.dra import PATHS as DRA_PATHS, LiveDra, schedule_with_claims
from kubesched.live.dra import release as release_claims
from kubesched.live.eviction import Evictor
from kubesched.kube import Kube
from kubesched.live.gpu_workload import GpuWorkload
from kubesched.live.informer import Informer, object_key
from kubesched.live.metrics import Metrics
from kubesched.live.preemption import LivePreemption
from kubesched.model.gpu import GPU_INDICES_ANNOTATION, gpu_request, indices_annotation
from kubesched.preemption import preempt
from kubesched.engine.fit_error import NO_NODES_AVAILABLE
from kubesched.engine.python_plugins import decide_with_python_plugins, python_rejection
from kubesched.preemption.python_filters import preempt_with_python_filters
from kubesched.live.queue import QueuedPod, SchedulingQueue
from kubesched.live.status import Reporter
from kubesched.live.volume_binding import PATHS as VOLUME_PATHS, LiveVolumes, placed_claims
from kubesched.logs import V, KObj, kv
from kubesched.model.cluster import _priority_classes as priority_classes
from kubesched.model.manifests import Manifest
from kubesched.model.pods import PodParser
from kubesched.model.records import Pod

log = logging.getLogger("kubesched.live")

# Terminal pods hold no resources; the watch reports them DELETED when they finish.
ACTIVE_PODS = "status.phase!=Succeeded,status.phase!=Failed"

WORKLOADS = {
    "services": "/api/v1/services",
    "replicationcontrollers": "/api/v1/replicationcontrollers",
    "replicasets": "/apis/apps/v1/replicasets",
    "statefulsets": "/apis/apps/v1/statefulsets",
    "deployments": "/apis/apps/v1/deployments",
}


@dataclass
class Options:
    bind_workers: int = 32
    pod_initial_backoff: float = 1.0   # podInitialBackoffSeconds
    pod_max_backoff: float = 10.0      # podMaxBackoffSeconds
    drain_timeout: float = 7.0  # SIGTERM: how long in-flight bindings may take
    extenders: tuple = ()              # extenders.client.HttpExtender, in calling order
    seed: int | None = None


class Scheduler:
    def __init__(self, kube: Kube, profiles: dict[str, Profile], *, metrics: Metrics | None = None,
                 options: Options | None = None, leader=None):
        self.kube = kube
        self.profiles = profiles
        self.options = options or Options()
        self.metrics = metrics or Metrics()
        self.leader = leader
        self.stop = threading.Event()  # stop taking pods
        self.inbox: inbox_queue.SimpleQueue = inbox_queue.SimpleQueue()
        self.queue = SchedulingQueue(initial_backoff=self.options.pod_initial_backoff,
                                     max_backoff=self.options.pod_max_backoff)
        self.cache = Cache(next(iter(profiles.values())), self.options.seed)
        # FGD's typical pods, kept only when some profile needs them.
        self.gpu_workload = GpuWorkload() if any(map(uses_typical_pods, profiles.values())) else None
        self.parser = PodParser()
        self.reporter = Reporter(kube, busy=self._busy)
        self.binder = Binder(kube, lambda outcome: self.inbox.put(("bound", outcome)),
                             self.options.bind_workers, may_bind=self._may_bind)
        self.informers: list[Informer] = []
        self.bound = 0  # pods this scheduler bound
        self._specs: dict[str, tuple] = {}  # uid → what of a pending pod matters, to skip noise
        self._reported_invalid: dict[str, tuple] = {}  # uid → the spec reported invalid
        self._unparsed: dict[str, dict] = {}  # uid → a pod not read: read again when PriorityClasses change
        self._in_flight: dict[str, QueuedPod] = {}  # uid → pods assumed, binding posted
        self._priority_classes: dict[str, dict] = {}
        self.dra = LiveDra(kube)  # resource.k8s.io objects (kubesched.live.dra)
        self.volumes = LiveVolumes(kube, self.cache)  # storage objects (kubesched.live.volume_binding)
        self.preemption = LivePreemption(Evictor(kube, self.reporter.events, lambda uid, ok: self.inbox.put(
            ("preempted", uid, ok))), self.metrics, self.cache.placed.get)

    # -- lifecycle -----------------------------------------------------------------------

    def start_informers(self) -> None:
        def post(kind):
            return lambda event_type, obj: self.inbox.put((kind, event_type, obj))

        specs = [("/apis/scheduling.k8s.io/v1/priorityclasses", "priorityclass", ""),
                 ("/api/v1/namespaces", "namespace", ""),
                 ("/apis/policy/v1/poddisruptionbudgets", "pdb", ""),
                 *((path, kind, "") for kind, path in WORKLOADS.items()),
                 *((path, f"dra:{kind}", "") for kind, path in DRA_PATHS.items()),
                 *((path, f"volume:{kind}", "") for kind, path in VOLUME_PATHS.items()),
                 ("/api/v1/nodes", "node", ""),
                 ("/api/v1/pods", "pod", ACTIVE_PODS)]
        for path, kind, selector in specs:
            self.informers.append(Informer(self.kube, path, post(kind), field_selector=selector,
                                           stop=self.stop).start())
            if kind == "priorityclass":
                # Pods are read with the PriorityClasses they name: those come first in the inbox.
                while not self.informers[-1].synced.wait(0.1) and not self.stop.is_set():
                    pass

    def synced(self) -> bool:
        return bool(self.informers) and all(i.synced.is_set() for i in self.informers)

    def run(self) -> None:
        """Schedule until `stop` is set; then finish the bindings in flight."""
        if not self.informers:
            self.start_informers()
        while not self.synced() and not self.stop.is_set():
            self._apply_waiting(timeout=0.1)
        log.info("informers synced: %d nodes, %d pods placed, %d pending",
                 len(self.cache.nodes), len(self.cache.placed), len(self.queue.pods))
        last_metrics = 0.0
        try:
            while not self.stop.is_set():
                self._apply_waiting(timeout=0)
                now = time.monotonic()
                if now - last_metrics > 1.0:
                    self.metrics.set_pending(self.queue.counts())
                    last_metrics = now
                if not self._may_bind():
                    self._apply_waiting(timeout=0.1)
                    continue
                entry = self.queue.pop()
                if entry is None:
                    wait = self.queue.next_ready_in()
                    self._apply_waiting(timeout=min(1.0, wait) if wait is not None else 1.0)
                    continue
                self._schedule(entry)
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        self.stop.set()
        if not self.binder.drain(self.options.drain_timeout):
            log.warning("some bindings did not finish in %.0fs", self.options.drain_timeout)
        self.preemption.close()
        self.reporter.close(timeout=1.0)

    def _busy(self) -> bool:
        """Bindings in flight or pods ready: events wait (read from the events thread)."""
        return bool(self.binder.in_flight() or self.queue.counts()["active"])

    def _may_bind(self) -> bool:
        return self.leader is None or self.leader.is_leader()

    # -- one decision --------------------------------------------------------------------

    def _schedule(self, entry: QueuedPod) -> None:
        pod = entry.pod
        if not self.preemption.may_decide(entry.uid):
            self.queue.park(entry)
            return
        profile = self.profiles[pod.spec.scheduler_name]
        started = time.monotonic()
        snapshot = self.cache.snapshot_for(profile)
        claims = "DynamicResources" in profile.filters and self.dra.has_claims(pod)
        extenders = interested(self.options.extenders, pod.raw or {}) if self.options.extenders else ()
        nominated = self.preemption.yield_to(snapshot, pod, entry.uid)  # for the core's two passes
        if self.gpu_workload is not None and uses_typical_pods(profile):
            self.gpu_workload.apply(snapshot)
        if claims:
            schedule_with_claims(self, entry, snapshot, started, nominated)
            return
        if not snapshot.node_count:
            self.no_nodes(entry, started)
            return
        class_id = snapshot.class_of(pod)
        binder = None
        decision = None
        decided_by_core = None
        if extenders and (node := self.preemption.on_nominated_node(  # tried first, the extenders' filters too
                snapshot, entry.uid, class_id, lambda index: passes_on_node(
                    extenders, pod.raw or {}, snapshot.node_names[index], self.cache.node_objects),
                nominated)) >= 0:
            failure, counts = None, (1, 1)
            binder = next((extender for extender in extenders if extender.config.bind_verb), None)
        elif extenders:
            decision = decide_with_extenders(snapshot, pod, pod.raw or {}, extenders, self.cache.node_objects,
                                             nominated=nominated)
            if decision.error is not None:
                self._extender_error(entry, decision.error, time.monotonic() - started)
                return
            node, failure, counts, binder = decision.index, decision.message, decision.counts, decision.extenders.binder
        elif profile.python_filters or profile.python_scores:
            node = self.preemption.on_nominated_node(  # tried first, as upstream (preemption/python_filters.py)
                snapshot, entry.uid, class_id, lambda index: python_rejection(snapshot, pod, index) is None,
                nominated)
            failure, counts = None, (1, 1)
            if node < 0:
                decided_by_python = decide_with_python_plugins(snapshot, pod, nominated)  # assumes, as schedule does
                node, failure = decided_by_python.index, decided_by_python.message
                counts = None
        elif (node := self.preemption.on_nominated_node(snapshot, entry.uid, class_id, nominated=nominated)) >= 0:
            failure, counts = None, (1, 1)  # assumed on its nominated node, tried first as upstream
        else:  # the pod is assumed on the node chosen
            decided_by_core = snapshot.decide(pod, nominated, class_id)
            node, failure, counts = decided_by_core.index, None, decided_by_core.counts
        decided = time.monotonic()
        self.metrics.algorithm_duration.observe(decided - started)
        if node < 0:
            message = failure or decided_by_core.message
            preempted = None
            python = bool(profile.python_filters or profile.python_scores) and not extenders
            if ((failure is None or python or decision is not None) and self.preemption.enabled(profile)
                    and not snapshot.post_filter_ends(class_id)):
                decide = preempt_with_python_filters if python else preempt
                if decision is not None:  # extenders/preempt.py
                    decide = partial(preempt_with_extenders, extenders=self.options.extenders, decision=decision)
                preempted = self.preemption.post_filter(snapshot, entry.uid, pod, profile, self.cache.placed,
                                                        decide=decide)
                if preempted.message:
                    message = f"{message} {preempted.message}"
            log.log(V(2), "Unable to schedule pod; no fit; waiting",
                    extra=kv(pod=KObj(pod.namespace, pod.name), err=message))
            self.report_unschedulable(entry, message, decided - started, preempted and preempted.status)
            return
        node_name = snapshot.node_names[node]
        gpus = snapshot.last_gpu_mask
        prebind = self._reserve_volumes(entry.uid, snapshot, pod, node_name, profile)
        self.cache.assumed(entry.uid, pod, node_name, (class_id, node), gpus)
        self.preemption.unnominate(entry.uid)
        entry.attempt_started = started
        entry.decided_on = counts
        self.queue.done(entry)
        self._in_flight[entry.uid] = entry
        annotations = {GPU_INDICES_ANNOTATION: indices_annotation(gpus)} if gpus else None
        self.binder.submit(entry.uid, pod.namespace, pod.name, node_name, annotations, extender=binder,
                           prebind=prebind)

    def no_nodes(self, entry: QueuedPod, started: float) -> None:
        """Upstream's schedulePod on a cluster without nodes: ErrNoNodesAvailable before any
        plugin (no PostFilter), an Unschedulable condition, the nomination cleared, and the
        pod, which no plugin rejected, retried after its backoff."""
        pod = entry.pod
        seconds = time.monotonic() - started
        self.metrics.algorithm_duration.observe(seconds)
        log.log(V(2), "Unable to schedule pod; no nodes are registered to the cluster; waiting",
                extra=kv(pod=KObj(pod.namespace, pod.name)))
        self.report_unschedulable(entry, NO_NODES_AVAILABLE, seconds, self.preemption.clear(entry.uid, pod),
                                  requeue=self.queue.no_plugin_rejected)

    def report_unschedulable(self, entry: QueuedPod, message: str, seconds: float, status: dict | None = None,
                             requeue=None) -> None:
        """A pod that fit nowhere this attempt (`seconds` long): its metrics, back to the queue
        (`requeue`, the unschedulable pool unless told otherwise), its event, and its condition
        when the message is new (`status`: a status change to write with it)."""
        pod = entry.pod
        name = pod.spec.scheduler_name
        self.metrics.attempts.labels("unschedulable", name).inc()
        self.metrics.attempt_duration.labels("unschedulable", name).observe(seconds)
        report_status = message != entry.message and message != _condition_message(pod)
        (requeue or self.queue.unschedulable)(entry, message)
        self.reporter.failed(pod.namespace, pod.name, entry.uid, message, patch_status=report_status, status=status)

    def _reserve_volumes(self, uid: str, snapshot, pod: Pod, node_name: str, profile: Profile):
        """VolumeBinding's Reserve for the pod just placed; its PreBind for the binder, or None."""
        bindings = self.volumes.reserve(uid, pod, node_name, placed_claims(snapshot, pod))
        if bindings is None:
            return None
        timeout = profile.bind_timeout_seconds

        def prebind() -> str | None:
            error = self.volumes.prebind(bindings, timeout, self.stop)
            return None if error is None else prebind_failure("VolumeBinding", error)
        return prebind

    def _extender_error(self, entry: QueuedPod, error: str, seconds: float) -> None:
        """An extender failed: not a fit problem; the pod is retried after its backoff."""
        pod = entry.pod
        name = pod.spec.scheduler_name
        log.error("Error scheduling pod; retrying", extra=kv(pod=KObj(pod.namespace, pod.name), err=error))
        self.metrics.attempts.labels("error", name).inc()
        self.metrics.attempt_duration.labels("error", name).observe(seconds)
        self.queue.failed(entry)
        self.reporter.failed(pod.namespace, pod.name, entry.uid, error, reason="SchedulerError",
                             patch_status=error != _condition_message(pod))

    def _bound(self, outcome: Outcome) -> None:
        entry = self._in_flight.pop(outcome.uid, None)
        self.metrics.binding_duration.labels(outcome.result).observe(outcome.seconds)
        name = entry.pod.spec.scheduler_name if entry is not None else ""
        self.volumes.finished(outcome.uid, bound=outcome.result == binding.BOUND)
        if outcome.result == binding.BOUND:
            self.bound += 1
            if log.isEnabledFor(V(2)):
                evaluated, feasible = (entry.decided_on if entry is not None and entry.decided_on
                                       else (None, None))
                log.log(V(2), "Successfully bound pod to node", extra=kv(
                    pod=KObj(outcome.namespace, outcome.name), node=outcome.node,
                    evaluatedNodes=evaluated, feasibleNodes=feasible))
            if entry is not None:
                now = time.monotonic()
                self.metrics.attempts.labels("scheduled", name).inc()
                self.metrics.attempt_duration.labels("scheduled", name).observe(
                    now - entry.attempt_started)
                self.metrics.sli.labels(str(min(entry.attempts + 1, 15))).observe(
                    now - entry.added)
            self.reporter.scheduled(outcome.namespace, outcome.name, outcome.uid, outcome.node)
            return
        if self.cache.assumed_node(outcome.uid) == outcome.node:
            self.cache.remove(outcome.uid)
            self.queue.move_all()  # the room it took is free again
        if outcome.result == binding.FAILED and entry is not None and self.dra.has_claims(entry.pod):
            release_claims(self, entry.pod)  # DynamicResources' Unreserve
        if outcome.result == binding.FAILED and entry is not None:
            log.warning("binding %s/%s to %s failed: %s", outcome.namespace, outcome.name,
                        outcome.node, outcome.error)
            self.metrics.attempts.labels("error", name).inc()
            if outcome.stage == "PreBind":
                self.report_error(entry, outcome.error)
            if outcome.uid in self._specs and outcome.uid not in self.cache.placed:
                self.queue.readd(entry)
        # GONE / ALREADY_BOUND: the pod watch tells what became of it.

    def report_error(self, entry, message: str) -> None:
        """A plugin's error (a Filter's, a PreBind's), as handleSchedulingFailure reports an
        Error status: a SchedulerError the pod shows; the caller sends it to backoff."""
        pod = entry.pod
        self.reporter.failed(pod.namespace, pod.name, entry.uid, message, reason="SchedulerError",
                             patch_status=message != _condition_message(pod))

    # -- events --------------------------------------------------------------------------

    def _apply_waiting(self, timeout: float) -> None:
        """Apply every event waiting; if none, wait up to `timeout` for one."""
        get = self.inbox.get_nowait
        try:
            item = self.inbox.get(timeout=timeout) if timeout > 0 else get()
        except inbox_queue.Empty:
            return
        while True:
            try:
                self._apply(item)
            except Exception:  # one bad object must not stop the loop
                log.exception("while handling %s", item[:2])
            try:
                item = get()
            except inbox_queue.Empty:
                return

    def _apply(self, item: tuple) -> None:
        kind = item[0]
        if kind == "pod":
            self._pod(item[1], item[2])
        elif kind == "bound":
            self._bound(item[1])
        elif kind == "node":
            event_type, obj = item[1], item[2]
            name = (obj.get("metadata") or {}).get("name") or ""
            changed = (self.cache.delete_node(name) if event_type == "DELETED"
                       else self.cache.set_node(obj))
            if changed and event_type != "DELETED":
                self.queue.move_all()
        elif kind == "namespace":
            if self.cache.set_namespace(item[2], deleted=item[1] == "DELETED"):
                self.queue.move_all()
        elif kind == "priorityclass":
            self._priority_class(item[1], item[2])
        elif kind.startswith("volume:"):
            self.volumes.event(kind[7:], item[1], item[2])
            self.queue.move_all()
        elif kind.startswith("dra:"):
            self.dra.event(kind[4:], item[1], item[2])
            self.queue.move_all()
        elif kind == "pdb":
            self.preemption.set_pdb(item[1], item[2])
        elif kind == "preempted":
            if self.preemption.finished(item[1], item[2]):
                self.queue.activate(item[1])
        else:
            obj = item[2]
            if self.cache.set_object(kind, object_key(obj), None if item[1] == "DELETED" else obj):
                self.queue.move_all()

    def _priority_class(self, event_type: str, obj: dict) -> None:
        name = (obj.get("metadata") or {}).get("name")
        if event_type == "DELETED":
            self._priority_classes.pop(name, None)
        else:
            self._priority_classes[name] = obj
        try:
            values, policies = priority_classes(
                Manifest(o, "") for o in self._priority_classes.values())
        except InputError as error:
            log.warning("PriorityClasses not applied: %s", error)
            return
        self.parser = PodParser(values, policies)
        for unread in list(self._unparsed.values()):  # e.g. a pod seen before the class it names
            self._pod("MODIFIED", unread)

    def _pod(self, event_type: str, obj: dict) -> None:
        meta = obj.get("metadata") or {}
        uid = meta.get("uid") or object_key(obj)
        spec = obj.get("spec") or {}
        if event_type == "DELETED":
            self.preemption.gone(uid)
            self._specs.pop(uid, None)
            self._reported_invalid.pop(uid, None)
            self._unparsed.pop(uid, None)
            self.queue.delete(uid)
            if self.gpu_workload is not None:
                self.gpu_workload.remove(uid)
            if self.cache.remove(uid) is not None:
                self.queue.move_all()
            return
        node_name = spec.get("nodeName") if isinstance(spec, dict) else None
        if node_name:
            self._specs.pop(uid, None)
            self.queue.delete(uid)
            placed = self.cache.placed.get(uid)
            if placed is not None and _same_bound_pod(placed, obj, node_name):
                placed.pod = replace(placed.pod, raw=obj)  # its status, as preemption reads it
                return
            try:
                pod = self.parser.parse(obj)
                self._gpu_seen(uid, pod)
            except InputError as error:
                log.warning("a bound pod is not counted: %s", error)
                self._unparsed[uid] = obj
                return
            self._unparsed.pop(uid, None)
            self.cache.confirm(uid, pod, node_name)
            self.preemption.unnominate(uid)
            return
        scheduler_name = spec.get("schedulerName", "default-scheduler") \
            if isinstance(spec, dict) else None
        if scheduler_name not in self.profiles or meta.get("deletionTimestamp"):
            return
        if uid in self._in_flight or self.cache.assumed_node(uid):
            return  # assumed, its binding in flight: the pod watch will show it bound
        relevant = (meta.get("labels"), spec, meta.get("ownerReferences"), meta.get("annotations"),
                    (obj.get("status") or {}).get("resourceClaimStatuses"))  # the controller's claim names
        if self._specs.get(uid) == relevant and uid in self.queue:
            self.preemption.pending_status(uid, self.queue.pods[uid].pod, obj.get("status"))
            return  # a status or metadata change: nothing new to decide on
        self._specs[uid] = relevant
        try:
            pod = self.parser.parse(obj)
            self._gpu_seen(uid, pod)
        except InputError as error:
            self._unparsed[uid] = obj
            if self.gpu_workload is not None:
                self.gpu_workload.remove(uid)
            if self._reported_invalid.get(uid) != relevant:
                self._reported_invalid[uid] = relevant
                message = f"invalid pod: {error}"
                self.metrics.attempts.labels("error", scheduler_name).inc()
                self.reporter.failed(meta.get("namespace") or "default", meta.get("name"), uid,
                                     message, reason="SchedulerError",
                                     patch_status=message != _condition_message_raw(obj))
            self.queue.delete(uid)
            return
        self._unparsed.pop(uid, None)
        if pod.spec.scheduling_gates:
            self.queue.delete(uid)
            return
        self.queue.add(uid, pod)
        self.preemption.pending_seen(uid, pod)

    def _gpu_seen(self, uid: str, pod: Pod) -> None:
        """Check the pod's GPU request (annotations the parser does not read): InputError if
        malformed; count its shape in the workload of typical pods."""
        if self.gpu_workload is not None:
            self.gpu_workload.add(uid, pod)
        else:
            gpu_request(pod)


def _same_bound_pod(placed, obj: dict, node_name: str) -> bool:
    """A pod counted as bound on `node_name`, seen again with nothing a decision reads
    changed (the kubelet's status updates): not parsed again."""
    old = placed.pod.raw
    if placed.assumed or placed.node != node_name or old is None or obj.get("spec") != old.get("spec"):
        return False
    meta, old_meta = obj.get("metadata") or {}, old.get("metadata") or {}
    return all(meta.get(key) == old_meta.get(key) for key in _READ_METADATA)


_READ_METADATA = ("name", "namespace", "uid", "labels", "annotations", "ownerReferences", "creationTimestamp")


def _condition_message(pod: Pod) -> str | None:
    return _condition_message_raw(pod.raw) if pod.raw else None


def _condition_message_raw(obj: dict) -> str | None:
    for condition in (obj.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            return condition.get("message")
    return None
