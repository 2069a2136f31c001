"""Workload objects expanded into the pods their controllers would create.

- Deployment → its ReplicaSet `<name>-<pod-template-hash>` → `replicas` pods
  `<name>-<hash>-<suffix>` labelled `pod-template-hash`, owned by that ReplicaSet.
- ReplicaSet, ReplicationController → `replicas` pods `<name>-<suffix>`.
- StatefulSet → `<name>-<ordinal>` from `spec.ordinals.start`, labelled with the pod name
  and index as the controller does.
- Job → `parallelism` pods (capped by `completions`; none when suspended).
- DaemonSet → one pod per node the controller targets: the node passes the template's
  nodeSelector and required node affinity, and every NoSchedule/NoExecute taint is
  tolerated by the template's tolerations plus those the controller adds. Each pod gets
  those tolerations and a required node affinity `metadata.name In [node]` in place of
  the template's.

Suffixes are deterministic (see names.py). `replicas` and `parallelism` default to 1.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import orjson

from kubesched.errors import InputError
from kubesched.model.claim_templates import claim_templates, with_claim_volumes
from kubesched.model.fields import boolean, int32, mapping, sequence, string, string_map, timestamp
from kubesched.model.manifests import Manifest
from kubesched.model.objects import check_api_version
from kubesched.model.names import name_suffix, name_suffixes, template_hash
from kubesched.model.pods import PodParser
from kubesched.model.records import Node, PodSpecInfo, Taint, Toleration
from kubesched.model.validation import dns_label, dns_subdomain
from kubesched.model.validation import labels as check_labels
from kubesched.model.selectors import label_selector_matches, node_term_matches, parse_label_selector

WORKLOAD_KINDS = ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController", "Job", "DaemonSet")
_API_VERSIONS = {"Deployment": "apps/v1", "ReplicaSet": "apps/v1", "StatefulSet": "apps/v1",
                 "DaemonSet": "apps/v1", "ReplicationController": "v1", "Job": "batch/v1"}
_REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"

# What the DaemonSet controller adds to every daemon pod (key, effect), Exists operator.
DAEMON_TOLERATIONS = (
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
)
HOST_NETWORK_TOLERATION = ("node.kubernetes.io/network-unavailable", "NoSchedule")


class _Workload:
    """A workload object with its pod template, read and checked once."""

    def __init__(self, kind: str, obj: dict):
        self.kind = kind
        meta = mapping(obj.get("metadata"), "metadata")
        self.name = string(meta.get("name"), "metadata.name")
        self.namespace = string(meta.get("namespace"), "metadata.namespace") or "default"
        self.uid = string(meta.get("uid"), "metadata.uid")
        self.created = timestamp(meta.get("creationTimestamp"), "metadata.creationTimestamp")
        self.spec = mapping(obj.get("spec"), "spec")
        if self.spec.get("template") is None:
            raise InputError(f"a {kind} needs a pod template", field="spec.template")
        self.template = mapping(self.spec["template"], "spec.template")
        template_meta = mapping(self.template.get("metadata"), "spec.template.metadata")
        self.labels = check_labels(string_map(template_meta.get("labels"), "spec.template.metadata.labels"),
                                   "spec.template.metadata.labels")
        self.annotations = string_map(template_meta.get("annotations"), "spec.template.metadata.annotations")
        self.pod_spec = mapping(self.template.get("spec"), "spec.template.spec")

    def owner(self, api_version: str, kind: str, name: str, uid: str = "") -> dict:
        reference = {"apiVersion": api_version, "kind": kind, "name": name,
                     "controller": True, "blockOwnerDeletion": True}
        if uid:
            reference["uid"] = uid
        return reference

    def pod(self, name: str, labels: dict[str, str], owner: dict, spec: dict) -> dict:
        meta = {"name": name, "namespace": self.namespace, "labels": labels, "ownerReferences": [owner]}
        if self.annotations:
            meta["annotations"] = dict(self.annotations)
        if self.created:
            meta["creationTimestamp"] = self.created
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def expand_workload(manifest: Manifest, nodes: list[Node], parser: PodParser | None = None) -> list[dict]:
    """The pod manifests a workload's controller would create. `parser` checks the pod
    template (pass the cluster's, so PriorityClass names resolve); errors name the
    workload and `spec.template.…`."""
    return list(workload_pods(manifest, nodes, parser))


def workload_pods(manifest: Manifest, nodes: list[Node], parser: PodParser | None = None) -> Iterable[dict]:
    """expand_workload's pods, made as they are asked for (the workload checked first): the
    reader of 200,000 replicas can stop between two."""
    obj = manifest.obj
    kind = obj.get("kind")
    if kind not in WORKLOAD_KINDS:
        raise ValueError(f"not a workload kind: {kind}")
    label = f"{kind} {_identity(obj, manifest)}"
    try:
        workload = _Workload(kind, obj)
        if not workload.name:
            raise InputError(f"a {kind} needs a name", field="metadata.name")
        (dns_label if kind == "StatefulSet" else dns_subdomain)(workload.name, "metadata.name")
        dns_label(workload.namespace, "metadata.namespace")
        check_api_version(manifest)
        _check_selector(workload)
        parser = parser or PodParser()
        _template_info(parser, workload.pod_spec)
        if kind == "Deployment":
            return _deployment(workload)
        if kind in ("ReplicaSet", "ReplicationController"):
            return _replicated(workload)
        if kind == "StatefulSet":
            return _stateful_set(workload)
        if kind == "Job":
            return _job(workload)
        return _daemon_set(workload, nodes, parser)
    except InputError as e:
        raise e.located(file=manifest.file or None, obj=label) from None


def deployment_replica_set(manifest: Manifest) -> dict:
    """The ReplicaSet a Deployment runs its pods through, as a manifest: its selector is one
    of those the default topology spreading reads."""
    workload = _Workload("Deployment", manifest.obj)
    pod_hash = _pod_template_hash(workload.template)
    labels = {**workload.labels, "pod-template-hash": pod_hash}
    selector = copy.deepcopy(mapping(workload.spec.get("selector"), "spec.selector"))
    selector["matchLabels"] = {**(selector.get("matchLabels") or {}), "pod-template-hash": pod_hash}
    template = copy.deepcopy(workload.template)
    template["metadata"] = {**(template.get("metadata") or {}), "labels": labels}
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": f"{workload.name}-{pod_hash}", "namespace": workload.namespace,
                     "labels": dict(labels),
                     "ownerReferences": [workload.owner("apps/v1", "Deployment", workload.name, workload.uid)]},
        "spec": {"replicas": _count(workload.spec, "replicas"), "selector": selector, "template": template},
    }


def _identity(obj: dict, manifest: Manifest) -> str:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name = meta.get("name") if isinstance(meta.get("name"), str) and meta.get("name") else None
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else None
    if name is None:
        return f"({manifest.place or 'no name'})"
    return f"{namespace or 'default'}/{name}"


def _count(spec: dict, field: str) -> int:
    value = int32(spec.get(field), f"spec.{field}", 1)
    if value < 0:
        raise InputError("must not be negative", field=f"spec.{field}")
    return value


def _check_selector(workload: _Workload) -> None:
    """The API refuses a workload whose selector does not select its own template."""
    spec, kind = workload.spec, workload.kind
    if kind == "ReplicationController":
        selector = string_map(spec.get("selector"), "spec.selector")
        if selector and any(workload.labels.get(k) != v for k, v in selector.items()):
            raise InputError("selector does not match template labels", field="spec.template.metadata.labels")
        return
    if kind == "Job" and spec.get("selector") is None:
        return  # generated by the API from the Job's uid
    if spec.get("selector") is None:
        raise InputError(f"a {kind} needs a selector", field="spec.selector")
    selector = parse_label_selector(spec["selector"], "spec.selector")
    if not selector.match_labels and not selector.match_expressions:
        raise InputError("an empty selector is invalid: it would select every pod", field="spec.selector")
    if not label_selector_matches(selector, workload.labels):
        raise InputError("selector does not match template labels", field="spec.template.metadata.labels")


def _template_info(parser: PodParser, pod_spec: dict) -> PodSpecInfo:
    try:
        return parser.spec_info(pod_spec)
    except InputError as e:
        field = f"spec.template.{e.field}" if e.field else "spec.template.spec"
        raise InputError(e.problem, field=field) from None


def _pod_template_hash(template: dict) -> str:
    options = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    try:
        text = orjson.dumps(template, option=options, default=str).decode()
    except TypeError:  # e.g. an integer beyond 64 bits somewhere we do not read: any stable text will do
        text = repr(template)
    return template_hash(text)


def _deployment(workload: _Workload) -> Iterable[dict]:
    pod_hash = _pod_template_hash(workload.template)
    owner_name = f"{workload.name}-{pod_hash}"
    owner = workload.owner("apps/v1", "ReplicaSet", owner_name)
    seed = f"{workload.namespace}/{owner_name}"
    return (workload.pod(f"{owner_name}-{suffix}", {**workload.labels, "pod-template-hash": pod_hash},
                         owner, workload.pod_spec)
            for suffix in name_suffixes(seed, _count(workload.spec, "replicas")))


def _replicated(workload: _Workload) -> Iterable[dict]:
    owner = workload.owner(_API_VERSIONS[workload.kind], workload.kind, workload.name, workload.uid)
    seed = f"{workload.kind}/{workload.namespace}/{workload.name}"
    return (workload.pod(f"{workload.name}-{suffix}", dict(workload.labels), owner, workload.pod_spec)
            for suffix in name_suffixes(seed, _count(workload.spec, "replicas")))


def _stateful_set(workload: _Workload) -> list[dict]:
    ordinals = mapping(workload.spec.get("ordinals"), "spec.ordinals")
    start = int32(ordinals.get("start"), "spec.ordinals.start", 0)
    if start < 0:
        raise InputError("must not be negative", field="spec.ordinals.start")
    owner = workload.owner("apps/v1", "StatefulSet", workload.name, workload.uid)
    templates = claim_templates(workload.spec)
    pods = []
    for ordinal in range(start, start + _count(workload.spec, "replicas")):
        name = f"{workload.name}-{ordinal}"
        labels = {**workload.labels, "statefulset.kubernetes.io/pod-name": name,
                  "apps.kubernetes.io/pod-index": str(ordinal)}
        pods.append(workload.pod(name, labels, owner,
                                 with_claim_volumes(workload.pod_spec, templates, workload.name, ordinal)))
    return pods


def _job(workload: _Workload) -> list[dict]:
    spec = workload.spec
    restart = string(workload.pod_spec.get("restartPolicy"), "spec.template.spec.restartPolicy")
    if restart not in ("OnFailure", "Never"):
        raise InputError(f"a Job's pods must have restartPolicy OnFailure or Never, got {restart or 'none'!r} "
                         "(which defaults to Always)", field="spec.template.spec.restartPolicy")
    if boolean(spec.get("suspend"), "spec.suspend"):
        return []
    count = _count(spec, "parallelism")
    completions = int32(spec.get("completions"), "spec.completions")
    if completions is not None:
        if completions < 0:
            raise InputError("must not be negative", field="spec.completions")
        count = min(count, completions)
    indexed = string(spec.get("completionMode"), "spec.completionMode") == "Indexed"
    owner = workload.owner("batch/v1", "Job", workload.name, workload.uid)
    labels = {**workload.labels, "job-name": workload.name, "batch.kubernetes.io/job-name": workload.name}
    if workload.uid:
        labels.update({"controller-uid": workload.uid, "batch.kubernetes.io/controller-uid": workload.uid})
    seed = f"Job/{workload.namespace}/{workload.name}"
    pods = []
    for i, suffix in enumerate(name_suffixes(seed, count)):
        if indexed:
            name = f"{workload.name}-{i}-{suffix}"
            pod_labels = {**labels, "batch.kubernetes.io/job-completion-index": str(i)}
        else:
            name, pod_labels = f"{workload.name}-{suffix}", dict(labels)
        pods.append(workload.pod(name, pod_labels, owner, workload.pod_spec))
    return pods


def _daemon_set(workload: _Workload, nodes: list[Node], parser: PodParser) -> list[dict]:
    spec = dict(workload.pod_spec)
    added = list(DAEMON_TOLERATIONS)
    if boolean(spec.get("hostNetwork"), "spec.template.spec.hostNetwork"):
        added.append(HOST_NETWORK_TOLERATION)
    spec["tolerations"] = _with_daemon_tolerations(spec.get("tolerations"), added)
    info = _template_info(parser, spec)
    only_node = string(spec.get("nodeName"), "spec.template.spec.nodeName")
    owner = workload.owner("apps/v1", "DaemonSet", workload.name, workload.uid)
    seed = f"DaemonSet/{workload.namespace}/{workload.name}"
    pods = []
    for node in nodes:
        if only_node and node.name != only_node:
            continue
        if not _daemon_runs_on(node, info):
            continue
        pod_spec = {**spec, "affinity": _pinned_affinity(spec.get("affinity"), node.name)}
        pods.append(workload.pod(f"{workload.name}-{name_suffix(seed, len(pods))}",
                                 dict(workload.labels), owner, pod_spec))
    return pods


def _with_daemon_tolerations(tolerations: object, added: list[tuple[str, str]]) -> list:
    """The template's tolerations with the controller's added, replacing any with the same
    key and effect (AddOrUpdateTolerationInPodSpec)."""
    items = sequence(tolerations, "spec.template.spec.tolerations")
    replaced = set(added)
    kept = [t for t in items
            if not (isinstance(t, dict) and (t.get("key"), t.get("effect")) in replaced)]
    return kept + [{"key": key, "operator": "Exists", "effect": effect} for key, effect in added]


def _pinned_affinity(affinity: object, node_name: str) -> dict:
    """The template's affinity with the required node affinity replaced by this node's name."""
    result = dict(affinity) if isinstance(affinity, dict) else {}
    node_affinity = dict(result.get("nodeAffinity") or {})
    node_affinity[_REQUIRED] = {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}]}
    result["nodeAffinity"] = node_affinity
    return result


def _tolerates(toleration: Toleration, taint: Taint) -> bool:
    if toleration.effect and toleration.effect != taint.effect:
        return False
    if toleration.key and toleration.key != taint.key:
        return False
    return toleration.operator == "Exists" or toleration.value == taint.value


def _daemon_runs_on(node: Node, info: PodSpecInfo) -> bool:
    labels = node.labels
    if any(labels.get(key) != value for key, value in info.node_selector):
        return False
    terms = info.required_node_terms
    if terms is not None and not any(node_term_matches(t, node.name, labels) for t in terms):
        return False
    return all(any(_tolerates(t, taint) for t in info.tolerations)
               for taint in node.taints if taint.effect in ("NoSchedule", "NoExecute"))
