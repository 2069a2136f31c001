"""One pod's placement as simulate and plan report it (their JSON entry)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(slots=True)  # made per pod decided
class Placement:
    pod: str
    node: str | None
    message: str = ""
    claims: list[dict] | None = None  # a pod with resource claims: each claim's devices (kubesched.dra)
    volumes: list | None = None  # the claims a placement binds: {"claim", "volume" or "provisionedOn"}
    # DefaultPreemption: the node the pod was nominated to and the pods it evicted there;
    # on an earlier placement of an evicted pod, the pod that preempted it.
    nominated_node: str | None = None
    preempted: Sequence[str] = ()  # a list when set; the shared empty tuple keeps most placements small
    evicted_by: str | None = None
    # DynamicResources' PostFilter deallocated this claim: {"claim", "message" of that attempt}
    deallocated: dict | None = None

    def to_json(self) -> dict:
        entry = {"pod": self.pod, "node": self.node, "message": self.message}
        if self.claims is not None:
            entry["claims"] = self.claims
        if self.volumes is not None:
            entry["volumes"] = self.volumes
        if self.nominated_node is not None:
            entry["nominatedNode"] = self.nominated_node
            entry["preempted"] = list(self.preempted)
        if self.evicted_by is not None:
            entry["evictedBy"] = self.evicted_by
        if self.deallocated is not None:
            entry["deallocated"] = self.deallocated
        return entry
