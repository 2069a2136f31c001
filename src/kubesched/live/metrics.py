"""Prometheus metrics under upstream's names, with the process collector (process_cpu_seconds_total,
process_resident_memory_bytes, process_open_fds, ...) as Go's client registers it, and no
`_created` series (Go's client has none)."""

from __future__ import annotations

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

prometheus_client.disable_created_metrics()

# upstream's buckets: exponential from 1 ms
ATTEMPT_BUCKETS = tuple(0.001 * 2 ** i for i in range(15))
SLI_BUCKETS = tuple(0.01 * 2 ** i for i in range(20))
VICTIM_BUCKETS = tuple(2.0 ** i for i in range(7))  # 1 … 64


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)
        self.attempts = Counter(
            "scheduler_schedule_attempts", "Number of attempts to schedule pods, by the result "
            "(scheduled, unschedulable, error) and the profile.", ["result", "profile"],
            registry=r)
        self.attempt_duration = Histogram(
            "scheduler_scheduling_attempt_duration_seconds", "Scheduling attempt latency in "
            "seconds (scheduling algorithm + binding).", ["result", "profile"],
            buckets=ATTEMPT_BUCKETS, registry=r)
        self.algorithm_duration = Histogram(
            "scheduler_scheduling_algorithm_duration_seconds", "Scheduling algorithm latency "
            "in seconds.", buckets=ATTEMPT_BUCKETS, registry=r)
        self.binding_duration = Histogram(
            "scheduler_binding_duration_seconds", "Binding latency in seconds.",
            ["result"], buckets=ATTEMPT_BUCKETS, registry=r)
        self.pending = Gauge("scheduler_pending_pods", "Number of pending pods, by the queue "
                             "type.", ["queue"], registry=r)
        self.sli = Histogram(
            "scheduler_pod_scheduling_sli_duration_seconds", "E2e latency for a pod being "
            "scheduled, from the time the pod enters the scheduling queue until it is bound.",
            ["attempts"], buckets=SLI_BUCKETS, registry=r)
        self.preemption_attempts = Counter(
            "scheduler_preemption_attempts", "Total preemption attempts in the cluster till now",
            registry=r)
        self.preemption_victims = Histogram(
            "scheduler_preemption_victims", "Number of selected preemption victims for preemption "
            "initiated by a single pod", buckets=VICTIM_BUCKETS, registry=r)
        self.leader = Gauge("leader_election_master_status", "1 while this replica leads.",
                            ["name"], registry=r)

    def set_pending(self, counts: dict[str, int]) -> None:
        for queue, count in counts.items():
            self.pending.labels(queue).set(count)

    def render(self) -> tuple[bytes, str]:
        """The exposition and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
