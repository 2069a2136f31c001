"""The typed records the rest of kubesched reads; parsing and validation live beside them.

Quantities are integers in fixed units: cpu in millicores, memory, ephemeral-storage and
hugepages in bytes, pods and extended resources in whole units.
Records that many pods share (a pod template's spec) are interned: identical specs give
the same `PodSpecInfo` object, so the per-spec work happens once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Resources = dict[str, int]


@dataclass(frozen=True, slots=True)
class Requirement:
    """One `matchExpressions` / `matchFields` entry: key, operator and values."""

    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist, Gt, Lt
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A metav1.LabelSelector: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist).

    An empty selector matches everything; a missing selector is None where it is used."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()


@dataclass(frozen=True, slots=True)
class NodeSelectorTerm:
    """One node selector term: expressions and fields ANDed; an empty term matches nothing."""

    match_expressions: tuple[Requirement, ...] = ()
    match_fields: tuple[Requirement, ...] = ()  # only key metadata.name is allowed


@dataclass(frozen=True, slots=True)
class PreferredSchedulingTerm:
    weight: int
    term: NodeSelectorTerm


@dataclass(frozen=True, slots=True)
class Toleration:
    key: str = ""
    operator: str = "Equal"  # Equal or Exists ("" is normalised to Equal)
    value: str = ""
    effect: str = ""  # "" (all), NoSchedule, PreferNoSchedule, NoExecute


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    value: str
    effect: str  # NoSchedule, PreferNoSchedule, NoExecute


@dataclass(frozen=True, slots=True)
class HostPort:
    ip: str  # "" normalised to "0.0.0.0"
    protocol: str  # "" normalised to "TCP"
    port: int


@dataclass(frozen=True, slots=True)
class PodAffinityTerm:
    label_selector: LabelSelector | None
    topology_key: str
    namespaces: tuple[str, ...] = ()
    namespace_selector: LabelSelector | None = None
    match_label_keys: tuple[str, ...] = ()
    mismatch_label_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WeightedPodAffinityTerm:
    weight: int
    term: PodAffinityTerm


@dataclass(frozen=True, slots=True)
class TopologySpreadConstraint:
    max_skew: int
    topology_key: str
    when_unsatisfiable: str  # DoNotSchedule or ScheduleAnyway
    label_selector: LabelSelector | None
    min_domains: int = 1
    node_affinity_policy: str = "Honor"  # Honor or Ignore
    node_taints_policy: str = "Ignore"  # Honor or Ignore
    match_label_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Image:
    names: tuple[str, ...]
    size_bytes: int


@dataclass(frozen=True, slots=True, eq=False)
class PodSpecInfo:
    """What scheduling reads from a pod's spec, computed once per distinct spec."""

    requests: Resources  # for filtering: init/sidecar rules + overhead; missing = 0
    nonzero_cpu: int  # for scoring: a missing cpu request counts as 100m
    nonzero_memory: int  # a missing memory request counts as 200Mi
    # NodeResourcesFit's scorer reads the incoming pod without its pod-level requests
    # (model/pod_resources.py); None: the same as nonzero_cpu / nonzero_memory.
    fit_score_cpu: int | None = None
    fit_score_memory: int | None = None
    host_ports: tuple[HostPort, ...] = ()
    tolerations: tuple[Toleration, ...] = ()
    node_selector: tuple[tuple[str, str], ...] = ()
    required_node_terms: tuple[NodeSelectorTerm, ...] | None = None  # None: no required affinity
    preferred_node_terms: tuple[PreferredSchedulingTerm, ...] = ()
    pod_affinity_required: tuple[PodAffinityTerm, ...] = ()
    pod_affinity_preferred: tuple[WeightedPodAffinityTerm, ...] = ()
    pod_anti_affinity_required: tuple[PodAffinityTerm, ...] = ()
    pod_anti_affinity_preferred: tuple[WeightedPodAffinityTerm, ...] = ()
    topology_spread: tuple[TopologySpreadConstraint, ...] = ()
    images: tuple[str, ...] = ()  # container images, normalised (docker.io/library/x:latest)
    scheduler_name: str = "default-scheduler"
    priority: int | None = None  # spec.priority when set
    priority_class_name: str = ""
    preemption_policy: str = "PreemptLowerPriority"
    scheduling_gates: tuple[str, ...] = ()
    volumes: tuple = ()  # PodVolume records (model/pod_volumes.py)
    # extended resources of `requests` that DynamicResources serves on nodes whose allocatable
    # has none (NodeResourcesFit checks them only where a node lists them: dra/extended.py)
    dra_served: tuple[str, ...] = ()


@dataclass(slots=True, eq=False)
class Pod:
    namespace: str
    name: str
    labels: dict[str, str]
    spec: PodSpecInfo
    node_name: str = ""  # spec.nodeName: bound pods are the cluster's state, not interned
    priority: int = 0  # resolved: spec.priority, else the PriorityClass value, else 0
    creation: str = ""  # metadata.creationTimestamp (RFC 3339), "" if absent
    index: int = 0  # position in the input, the last queue tie-break
    uid: str = ""
    owner_kind: str = ""  # controller ownerReference kind, if any
    owner_name: str = ""
    source: str = ""  # the file it came from
    raw: dict | None = field(default=None, repr=False)  # the manifest, for the live binder

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def renamed(self, name: str, raw: dict, index: int = 0, source: str | None = None) -> Pod:
        """This pod's record for another pod of its manifest but for metadata.name (`raw`)."""
        return Pod(self.namespace, name, self.labels, self.spec, self.node_name, self.priority, self.creation, index,
                   self.uid, self.owner_kind, self.owner_name, self.source if source is None else source, raw)


@dataclass(slots=True, eq=False)
class Node:
    name: str
    labels: dict[str, str]
    allocatable: Resources
    taints: tuple[Taint, ...] = ()
    unschedulable: bool = False
    images: tuple[Image, ...] = ()
    annotations: dict[str, str] = field(default_factory=dict)
    source: str = ""
