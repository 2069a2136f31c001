"""A StatefulSet's replicas share one pod class although each has claims of its own.

Replica `web-3` differs from `web-0` in its claim names (`data-web-3`) and in the labels the
controller sets per pod (`statefulset.kubernetes.io/pod-name`, `apps.kubernetes.io/pod-index`).
Neither changes a verdict when the claims ask the same and no selector reads those labels:
the class key then holds the spec without claim names, what each claim asks (its own claims:
class, size, modes, volume mode, selector; any other claim by name), and the labels without
the per-pod ones. The claims a placement binds are told apart again from the pod itself
(VolumeCompiler.resolve).
"""

from __future__ import annotations

import re
from dataclasses import fields
from operator import attrgetter

import orjson

from kubesched.model.records import LabelSelector, Pod, PodSpecInfo

# Set by the StatefulSet controller on each pod, a different value on each.
PER_POD_LABELS = ("statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index")
# A persistentVolumeClaim source's claimName in a serialised spec (the only key of that name).
CLAIM_NAME = re.compile(rb'"claimName":"(?:[^"\\]|\\.)*"')


def selector_keys(selector: LabelSelector | None) -> set[str]:
    if selector is None:
        return set()
    return {key for key, _ in selector.match_labels} | {r.key for r in selector.match_expressions}


def spec_label_keys(spec: PodSpecInfo) -> set[str]:
    """The pod label keys the spec's inter-pod rules read."""
    keys: set[str] = set()
    if not (spec.pod_affinity_required or spec.pod_anti_affinity_required or spec.pod_affinity_preferred
            or spec.pod_anti_affinity_preferred or spec.topology_spread):
        return keys
    terms = [*spec.pod_affinity_required, *spec.pod_anti_affinity_required,
             *(w.term for w in spec.pod_affinity_preferred), *(w.term for w in spec.pod_anti_affinity_preferred)]
    for term in terms:
        keys |= selector_keys(term.label_selector) | set(term.match_label_keys) | set(term.mismatch_label_keys)
    for constraint in spec.topology_spread:
        keys |= selector_keys(constraint.label_selector) | set(constraint.match_label_keys)
    return keys


def object_label_keys(objects) -> set[str]:
    """The pod label keys the Services' and controllers' selectors read (default spreading)."""
    keys: set[str] = set()
    for obj in [*objects.services, *objects.replication_controllers]:
        keys |= set(((obj.get("spec") or {}).get("selector") or {}))
    for obj in [*objects.replica_sets, *objects.stateful_sets, *objects.deployments]:
        selector = (obj.get("spec") or {}).get("selector") or {}
        keys |= set(selector.get("matchLabels") or {})
        keys |= {e.get("key") for e in selector.get("matchExpressions") or () if isinstance(e, dict)}
    return keys


# Every field of a spec record but its volumes (which differ in their claims' names only).
_NOT_VOLUMES = attrgetter(*(f.name for f in fields(PodSpecInfo) if f.name != "volumes"))


def same_but_claim_names(a: PodSpecInfo, b: PodSpecInfo) -> bool:
    return a is b or (_NOT_VOLUMES(a) == _NOT_VOLUMES(b) and len(a.volumes) == len(b.volumes) and all(
        x.name == y.name and x.ephemeral == y.ephemeral and x.disk == y.disk and x.monitors == y.monitors
        and bool(x.claim) == bool(y.claim) for x, y in zip(a.volumes, b.volumes)))


class ReplicaKeys:
    """Class keys under which replicas meet; one per snapshot."""

    def __init__(self, objects):
        self.read_keys = object_label_keys(objects)
        self._specs: dict[int, tuple[PodSpecInfo, int]] = {}  # id(spec) -> (spec, template number)
        self._templates: dict[bytes, int] = {}
        self._noted: dict[int, PodSpecInfo] = {}

    def note(self, spec: PodSpecInfo) -> None:
        """Note the label keys the spec's rules read."""
        if self._noted.get(id(spec)) is not spec:
            self._noted[id(spec)] = spec
            self.read_keys |= spec_label_keys(spec)

    def template(self, pod: Pod) -> int:
        """The number of the pod's spec without claim names (equal specs, equal numbers; the
        spec records are interned, so they compare by identity, and this reads the manifest)."""
        spec = pod.spec
        found = self._specs.get(id(spec))
        if found is not None and found[0] is spec:
            return found[1]
        self.note(spec)
        raw = (pod.raw or {}).get("spec") if isinstance(pod.raw, dict) else None
        if isinstance(raw, dict):
            if "nodeName" in raw:
                raw = {k: v for k, v in raw.items() if k != "nodeName"}
            key = CLAIM_NAME.sub(b'"claimName":""', orjson.dumps(raw, option=orjson.OPT_SORT_KEYS))
        else:  # no manifest (made in code): only its own spec
            key = b"%d" % id(spec)
        number = self._templates.setdefault(key, len(self._templates))
        self._specs[id(spec)] = (spec, number)
        return number

    def follows(self, pod: Pod, last: Pod) -> bool:
        """Whether the pod is decided as `last`, a replica before it (its asks aside): what the
        key holds, compared without building it (the next replica's hot path)."""
        if pod.namespace != last.namespace or pod.owner_kind != last.owner_kind or pod.owner_name != last.owner_name:
            return False
        labels, other = pod.labels, last.labels
        if len(labels) != len(other) or not all(
                other.get(k) == v or (k in PER_POD_LABELS and k in other and k not in self.read_keys)
                for k, v in labels.items()):
            return False
        self.note(pod.spec)
        return same_but_claim_names(pod.spec, last.spec)

    def key(self, pod: Pod, base: tuple, asks: tuple) -> tuple:
        """`base`: the class key's fields besides spec and labels."""
        template = self.template(pod)
        labels = pod.labels
        if any(key in labels and key not in self.read_keys for key in PER_POD_LABELS):
            labels = {k: v for k, v in labels.items() if k not in PER_POD_LABELS or k in self.read_keys}
        return ("replica", template, tuple(sorted(labels.items())), base, asks)
