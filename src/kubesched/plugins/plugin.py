"""What a plugin declares: its name, extension points, place in the default profile, what the
core executes of it, its args and its reason texts."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import IntEnum
from typing import Callable

from kubesched.model.records import PodSpecInfo

# Upstream's extension points (camelCase keys of `profiles[].plugins`), in the framework's order.
ALL_POINTS = ("preEnqueue", "queueSort", "preFilter", "filter", "postFilter", "preScore", "score",
              "reserve", "permit", "preBind", "bind", "postBind")


class ReasonKind(IntEnum):
    """The kind of a packed filter reason (src/_core/reasons.hpp's ReasonKind)."""

    UNSCHEDULABLE = 1
    NODE_NAME = 2
    TAINT = 3
    NODE_AFFINITY = 4
    PORTS = 5
    TOO_MANY_PODS = 6
    INSUFFICIENT = 7
    SPREAD_MISSING_LABEL = 8
    SPREAD = 9
    AFFINITY = 10
    ANTI_AFFINITY = 11
    EXISTING_ANTI = 12
    ENFORCED_AFFINITY = 13
    PREFILTER_NODES = 14
    PREFILTER_REJECTED = 15
    DYNAMIC_RESOURCES = 16
    VOLUME = 17
    CSI_DRIVER_MISSING = 18


@dataclass(frozen=True)
class Reason:
    """Upstream's text for a filter reason the core reports. `payload` None: the text is a
    template the payload fills ({resource}, {driver}, {plugins}). `unresolvable`: upstream's
    status is UnschedulableAndUnresolvable (preemption cannot help), else Unschedulable."""

    kind: ReasonKind
    payload: int | None
    text: str
    unresolvable: bool = False


# (reader, profile, args mapping, field path) -> the profile with the args applied; `reader` is
# framework.config's (fail, mapping, sequence, integer, string, duration), which names the field.
ArgsReader = Callable[[object, object, dict, str], object]


# What a plugin may read of the pod being scheduled (its part of the pod's class signature, as
# upstream's SignPod): the fields of its PodSpecInfo, and of the pod itself its namespace,
# labels, controller ownerReference ("owner") and GPU request ("gpu", from its annotations).
SPEC_READS = frozenset(f.name for f in fields(PodSpecInfo))
POD_READS = frozenset({"namespace", "labels", "owner", "gpu"})


@dataclass(frozen=True)
class Plugin:
    name: str
    points: frozenset[str]
    # multiPoint weight in upstream's default profile (0: none given); None: not in it.
    default_weight: int | None = None
    # The plugin's index in the core's Filter / Score enum (src/_core/profile.hpp) where the
    # core executes it; the Filter index is the diagnosis order (a node's reason is the first
    # filter that rejects it).
    core_filter: int | None = None
    core_score: int | None = None
    core_prefilter: bool = False  # the core carries its PreFilter node set per pod class
    args_fields: frozenset[str] = frozenset()  # of `<name>Args`, beside apiVersion and kind
    read_args: ArgsReader | None = None  # None with args_fields: validated, not used
    reasons: tuple[Reason, ...] = field(default=())
    # What the core's kernels of this plugin read of the pod being scheduled: pods that agree
    # on it are decided alike by this plugin (engine.pod_class.ClassSigner).
    reads: frozenset[str] = frozenset()

    def __post_init__(self):
        unknown = self.points - set(ALL_POINTS)
        assert not unknown, f"{self.name}: unknown extension point(s) {sorted(unknown)}"
        assert self.core_filter is None or "filter" in self.points, self.name
        assert self.core_score is None or "score" in self.points, self.name
        assert not self.core_prefilter or "preFilter" in self.points, self.name
        unreadable = self.reads - SPEC_READS - POD_READS
        assert not unreadable, f"{self.name}: reads unknown pod field(s) {sorted(unreadable)}"

    @property
    def args_kind(self) -> str:
        return f"{self.name}Args"


def points(*names: str) -> frozenset[str]:
    return frozenset(names)


def reads(*names: str) -> frozenset[str]:
    return frozenset(names)
