"""The objects the plugins read as they are (Services, ReplicaSets, StatefulSets,
ReplicationControllers, Deployments, PodDisruptionBudgets): checked once when read, where
the file is known, so that a selector that is a string fails here, naming the file, the
object and the field, and not later deep inside a plugin.
"""

from __future__ import annotations

from kubesched.errors import InputError
from kubesched.model.fields import describe, mapping, string, string_map
from kubesched.model.manifests import Manifest
from kubesched.model.selectors import parse_label_selector
from kubesched.model.validation import dns_label, dns_subdomain, labels

_MAP_SELECTORS = ("Service", "ReplicationController")  # selector: {key: value}
API_VERSIONS = {"Pod": "v1", "Node": "v1", "Namespace": "v1", "Service": "v1", "ReplicationController": "v1",
                "Deployment": "apps/v1", "ReplicaSet": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
                "Job": "batch/v1", "PriorityClass": "scheduling.k8s.io/v1", "PodDisruptionBudget": "policy/v1"}


def check_api_version(manifest: Manifest) -> None:
    """An object that names an apiVersion names its kind's (extensions/v1beta1 is long gone);
    items of a typed list may leave it out."""
    expected = API_VERSIONS.get(manifest.kind)
    version = manifest.obj.get("apiVersion")
    if expected and version is not None and version != expected:
        raise InputError(f"expected {expected!r} for a {manifest.kind}, got {version!r}", file=manifest.file or None,
                         obj=label(manifest), field="apiVersion")


def identity(manifest: Manifest) -> tuple[str, str, str]:
    """(kind, namespace, name) as far as it can be read, for messages and duplicates."""
    meta = manifest.obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    namespace, name = meta.get("namespace"), meta.get("name")
    return (manifest.kind, namespace if isinstance(namespace, str) and namespace else "default",
            name if isinstance(name, str) else "")


def label(manifest: Manifest) -> str:
    kind, namespace, name = identity(manifest)
    if kind in ("Node", "Namespace", "PriorityClass"):
        return f"{kind} {name or '(' + (manifest.place or 'no name') + ')'}"
    return f"{kind} {namespace}/{name}" if name else f"{kind} ({manifest.place or 'no name'})"


def check_object(manifest: Manifest) -> None:
    """Metadata and the fields the plugins read of one of the objects kept as is."""
    obj, kind = manifest.obj, manifest.kind
    try:
        meta = mapping(obj.get("metadata"), "metadata")
        name = string(meta.get("name"), "metadata.name")
        if not name:
            raise InputError(f"a {kind} needs a name", field="metadata.name")
        dns_subdomain(name, "metadata.name")
        dns_label(string(meta.get("namespace"), "metadata.namespace") or "default", "metadata.namespace")
        labels(string_map(meta.get("labels"), "metadata.labels"), "metadata.labels")
        spec = mapping(obj.get("spec"), "spec")
        if kind in _MAP_SELECTORS:
            labels(string_map(spec.get("selector"), "spec.selector"), "spec.selector")
        elif kind == "PodDisruptionBudget":
            _check_budget(spec)
        elif spec.get("selector") is not None:
            parse_label_selector(spec["selector"], "spec.selector")
    except InputError as e:
        raise e.located(file=manifest.file or None, obj=label(manifest)) from None


def _check_budget(spec: dict) -> None:
    if spec.get("selector") is not None:
        parse_label_selector(spec["selector"], "spec.selector")
    given = [key for key in ("minAvailable", "maxUnavailable") if spec.get(key) is not None]
    if len(given) > 1:
        raise InputError("minAvailable and maxUnavailable cannot both be set", field="spec.maxUnavailable")
    for key in given:
        value = spec[key]
        path = f"spec.{key}"
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise InputError(f"expected an integer or a percentage, got {describe(value)}", field=path)
        if isinstance(value, int) and value < 0:
            raise InputError("must not be negative", field=path)
        if isinstance(value, str) and not (value.endswith("%") and value[:-1].isdigit()
                                           and int(value[:-1]) <= 100):
            raise InputError(f"expected a percentage like '50%' (0-100), got {value!r}", field=path)
