"""RuntimeClasses (node.k8s.io/v1) and what the RuntimeClass admission plugin does to a pod
that names one: its `overhead.podFixed` becomes the pod's `spec.overhead`, its
`scheduling.nodeSelector` is merged into the pod's (a conflicting value rejects the pod) and
its `scheduling.tolerations` are added. A pod with an overhead but no RuntimeClass that
defines one is rejected, as the API server does."""

from __future__ import annotations

from collections.abc import Iterable

from kubesched.errors import InputError
from kubesched.model.fields import check_keys, mapping, sequence, string, string_map
from kubesched.model.manifests import Manifest
from kubesched.model.pod_resources import resource_list

_FIELDS = frozenset({"apiVersion", "kind", "metadata", "handler", "overhead", "scheduling"})


def parse_runtime_classes(manifests: Iterable[Manifest]) -> dict[str, dict]:
    """RuntimeClass name → the object, its overhead and scheduling fields checked."""
    classes: dict[str, dict] = {}
    for manifest in manifests:
        name = "?"
        try:
            obj = manifest.obj
            check_keys(obj, _FIELDS, "")
            name = string(mapping(obj.get("metadata"), "metadata").get("name"), "metadata.name")
            if not name:
                raise InputError("a RuntimeClass needs a name", field="metadata.name")
            if name in classes:
                raise InputError("duplicate RuntimeClass", field="metadata.name")
            if not string(obj.get("handler"), "handler"):
                raise InputError("Required value", field="handler")
            overhead = mapping(obj.get("overhead"), "overhead")
            check_keys(overhead, {"podFixed"}, "overhead")
            resource_list(overhead.get("podFixed"), "overhead.podFixed")
            scheduling = mapping(obj.get("scheduling"), "scheduling")
            check_keys(scheduling, {"nodeSelector", "tolerations"}, "scheduling")
            string_map(scheduling.get("nodeSelector"), "scheduling.nodeSelector")
            sequence(scheduling.get("tolerations"), "scheduling.tolerations")
        except InputError as e:
            raise e.located(file=manifest.file or None, obj=f"RuntimeClass {name}") from None
        classes[name] = obj
    return classes


def admit(spec: dict, classes: dict[str, dict]) -> dict:
    """The pod spec as the RuntimeClass admission plugin leaves it."""
    class_name = string(spec.get("runtimeClassName"), "spec.runtimeClassName")
    runtime_class = None
    if class_name:
        runtime_class = classes.get(class_name)
        if runtime_class is None:
            raise InputError(f"pod rejected: RuntimeClass {class_name!r} not found in the input",
                             field="spec.runtimeClassName")
    pod_fixed = ((runtime_class or {}).get("overhead") or {}).get("podFixed")
    if pod_fixed is None:
        if spec.get("overhead") is not None:
            raise InputError("pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead",
                             field="spec.overhead")
        admitted = spec
    else:
        overhead = spec.get("overhead")
        if overhead and resource_list(overhead, "spec.overhead") != resource_list(pod_fixed, "overhead.podFixed"):
            raise InputError("pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead",
                             field="spec.overhead")
        admitted = {**spec, "overhead": pod_fixed}
    scheduling = (runtime_class or {}).get("scheduling") or {}
    return _with_scheduling(admitted, scheduling) if scheduling else admitted


def _with_scheduling(spec: dict, scheduling: dict) -> dict:
    selector = dict(string_map(spec.get("nodeSelector"), "spec.nodeSelector"))
    for key, value in (scheduling.get("nodeSelector") or {}).items():
        if selector.get(key, value) != value:
            raise InputError(f"conflict: runtimeClass.scheduling.nodeSelector[{key}] = {value}; "
                             f"pod.spec.nodeSelector[{key}] = {selector[key]}", field=f"spec.nodeSelector[{key}]")
        selector[key] = value
    tolerations = [*sequence(spec.get("tolerations"), "spec.tolerations"), *(scheduling.get("tolerations") or ())]
    return {**spec, "nodeSelector": selector, "tolerations": tolerations}
