"""Pod manifests into `Pod` records, with the spec read once per distinct spec.

Many pods share a spec (the replicas of one template), so the parser interns specs: the
key is the spec serialised with sorted keys, minus `nodeName` (which binds a pod, it does
not describe it); equal keys give the same `PodSpecInfo` object. Only metadata is read
per pod. Specs that differ only in `affinity` share the rest of their record.
"""

from __future__ import annotations

from dataclasses import replace

import orjson

from kubesched.errors import InputError
from kubesched.model.fields import describe, is_string_map, mapping, sequence, string, string_map, timestamp, wrong_type
from kubesched.model.names import name_suffix
from kubesched.model.pod_spec import parse_affinity, parse_pod_spec
from kubesched.model.records import Pod, PodSpecInfo
from kubesched.model.validation import DNS_SUBDOMAIN_MAX, DNS_SUBDOMAIN_RE, dns_label, dns_subdomain
from kubesched.model.validation import labels as check_labels

# Built into every cluster (the Priority admission plugin creates them).
SYSTEM_PRIORITY_CLASSES = {"system-cluster-critical": 2_000_000_000, "system-node-critical": 2_000_001_000}
GLOBAL_DEFAULT = ""  # key of the globalDefault PriorityClass's value in priority_classes

_KEY_OPTIONS = orjson.OPT_SORT_KEYS


class PodParser:
    def __init__(self, priority_classes: dict[str, int] | None = None,
                 preemption_policies: dict[str, str] | None = None,
                 runtime_classes: dict[str, dict] | None = None):
        """`priority_classes`: PriorityClass name → value, with the globalDefault class's
        value under "". `preemption_policies`: name → the class's preemptionPolicy.
        `runtime_classes`: RuntimeClass name → object, to admit pods as the API server does
        (None: pods come admitted, from a live API server)."""
        self.runtime_classes = runtime_classes
        self.priority_classes = {**SYSTEM_PRIORITY_CLASSES, **(priority_classes or {})}
        self.preemption_policies = dict(preemption_policies or {})
        self._default_priority = self.priority_classes.get(GLOBAL_DEFAULT, 0)
        self._specs: dict[bytes, PodSpecInfo] = {}
        self._generated = 0
        # The replicas of a workload share one spec object: the last one read is known by
        # identity, without serialising it again (the reference keeps its id from reuse).
        self._last_spec: dict | None = None
        self._last_info: PodSpecInfo | None = None
        self._namespaces: set[str] = set()  # valid namespace names seen

    def parse(self, obj: dict, *, file: str = "", index: int = 0) -> Pod:
        if not isinstance(obj, dict):
            raise InputError(f"expected a Pod (a map), got {describe(obj)}", file=file or None, obj="Pod")
        meta = obj.get("metadata")
        namespace = meta.get("namespace") if isinstance(meta, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        if not (type(name) is str and name and (namespace is None or type(namespace) is str)):
            name, namespace = self._identity(meta, file)
        namespace = namespace or "default"
        try:
            dns_subdomain(name, "metadata.name")
            if namespace not in self._namespaces:
                dns_label(namespace, "metadata.namespace")
                if len(self._namespaces) < 10_000:
                    self._namespaces.add(namespace)
            labels = meta.get("labels")
            if labels is None:
                labels = {}
            elif not is_string_map(labels):
                string_map(labels, "metadata.labels")  # raises, naming the culprit
            check_labels(labels, "metadata.labels")
            spec = obj.get("spec")
            if type(spec) is not dict:
                spec = mapping(spec, "spec")
            node_name = spec.get("nodeName") or ""
            if type(node_name) is not str:
                raise wrong_type("a string", node_name, "spec.nodeName")
            if spec is self._last_spec:
                info = self._last_info
            else:
                keyed = {k: v for k, v in spec.items() if k != "nodeName"} if "nodeName" in spec else spec
                key = _spec_key(keyed)
                info = self._specs.get(key) or self._parse(keyed, key)  # spec_info(), inlined: the hot path
                if keyed is spec and key is not None:
                    self._last_spec, self._last_info = spec, info
            priority = info.priority
            if priority is None:
                class_name = info.priority_class_name
                priority = self.priority_classes[class_name] if class_name else self._default_priority
            created = meta.get("creationTimestamp")
            if created:
                created = timestamp(created, "metadata.creationTimestamp")
            uid = meta.get("uid") or ""
            if type(uid) is not str:
                raise wrong_type("a string", uid, "metadata.uid")
            references = meta.get("ownerReferences")
            owner_kind, owner_name = _controller(references) if references else ("", "")
            return Pod(namespace, name, labels, info, node_name, priority, created or "", index, uid,
                       owner_kind, owner_name, file, obj)
        except InputError as e:
            raise e.located(file=file or None, obj=f"Pod {namespace}/{name}") from None

    def renamed(self, like: Pod, obj: dict, *, file: str = "") -> Pod:
        """The pod of `obj`, whose manifest is `like`'s but for metadata.name
        (kubesched.model.json_lists): only the name is left to check."""
        name = obj["metadata"]["name"]
        if len(name) > DNS_SUBDOMAIN_MAX or DNS_SUBDOMAIN_RE.fullmatch(name) is None:  # dns_subdomain, inlined
            try:
                dns_subdomain(name, "metadata.name")
            except InputError as e:
                raise e.located(file=file or None, obj=f"Pod {like.namespace}/{name}") from None
        return like.renamed(name, obj, source=file)

    def spec_info(self, spec: dict) -> PodSpecInfo:
        """The interned record for a pod spec; InputError fields start at `spec.`."""
        keyed = {k: v for k, v in spec.items() if k != "nodeName"} if "nodeName" in spec else spec
        key = _spec_key(keyed)
        return self._specs.get(key) or self._parse(keyed, key)

    def _parse(self, spec: dict, key: bytes | None) -> PodSpecInfo:
        affinity = spec.get("affinity")
        if affinity is None or key is None:
            info = parse_pod_spec(spec, class_priorities=self.priority_classes,
                                  class_preemption=self.preemption_policies,
                                  runtime_classes=self.runtime_classes)
        else:
            # Specs that differ only in their affinity (a DaemonSet's pods, each pinned to its
            # node) share the record of the rest, and only the affinity is read again.
            rest = {k: v for k, v in spec.items() if k != "affinity"}
            rest_key = _spec_key(rest)
            base = self._specs.get(rest_key) or self._parse(rest, rest_key)
            info = replace(base, **parse_affinity(affinity))
        if key is not None:
            self._specs[key] = info
        return info

    @property
    def distinct_specs(self) -> int:
        return len(self._specs)

    def _identity(self, meta: object, file: str) -> tuple[str, str | None]:
        """Name and namespace when the quick read failed: a generateName, or a clear error."""
        try:
            meta = mapping(meta, "metadata")
            namespace = string(meta.get("namespace"), "metadata.namespace") or "default"
            name = string(meta.get("name"), "metadata.name")
            if not name:
                prefix = string(meta.get("generateName"), "metadata.generateName")
                if not prefix:
                    raise InputError("a pod needs a name (or a generateName)", field="metadata.name")
                self._generated += 1
                name = prefix + name_suffix(prefix, self._generated)
            return name, namespace
        except InputError as e:
            raise e.located(file=file or None, obj="Pod") from None


def _spec_key(spec: dict, dumps=orjson.dumps) -> bytes | None:
    try:
        return dumps(spec, option=_KEY_OPTIONS, default=str)
    except (orjson.JSONEncodeError, TypeError):
        return None  # e.g. a non-string map key: parse (and likely refuse) without caching


def _controller(references: object) -> tuple[str, str]:
    """Kind and name of the controller ownerReference, if any."""
    if references is None:
        return "", ""
    if type(references) is list and len(references) == 1 and type(references[0]) is dict:
        ref = references[0]  # the usual single controller reference, read without the checks' paths
        kind, name = ref.get("kind"), ref.get("name")
        if ref.get("controller") is True and type(kind) is str and type(name) is str:
            return kind, name
    for i, ref in enumerate(sequence(references, "metadata.ownerReferences")):
        path = f"metadata.ownerReferences[{i}]"
        ref = mapping(ref, path)
        if ref.get("controller") is True:
            return string(ref.get("kind"), f"{path}.kind"), string(ref.get("name"), f"{path}.name")
    return "", ""
