"""The objects besides nodes and pods that plugins read, as one record."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kubesched.model.storage import StorageObjects


@dataclass
class ClusterObjects:
    """The objects besides nodes and pods that plugins read."""

    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    services: list[dict] = field(default_factory=list)
    replication_controllers: list[dict] = field(default_factory=list)
    replica_sets: list[dict] = field(default_factory=list)
    stateful_sets: list[dict] = field(default_factory=list)
    deployments: list[dict] = field(default_factory=list)
    # The volume plugins' objects; None: not read (the live cache does not watch them yet),
    # and then the volume plugins judge no pod.
    storage: StorageObjects | None = field(default_factory=StorageObjects)
    claim_references: Counter = field(default_factory=Counter)  # "ns/claim" -> pods naming it

    @classmethod
    def of(cls, cluster: "ClusterInput") -> "ClusterObjects":
        return cls(namespaces=cluster.namespaces, services=cluster.services,
                   replication_controllers=cluster.replication_controllers,
                   replica_sets=cluster.replica_sets, stateful_sets=cluster.stateful_sets,
                   deployments=cluster.deployments, storage=cluster.storage,
                   claim_references=claim_references([*cluster.bound_pods, *cluster.pending_pods]))


def claim_references(pods) -> Counter:
    counts: Counter = Counter()
    for pod in pods:
        for volume in pod.spec.volumes:
            if volume.claim or volume.ephemeral is not None:
                counts[f"{pod.namespace}/{volume.claim_name(pod.name)}"] += 1
    return counts
