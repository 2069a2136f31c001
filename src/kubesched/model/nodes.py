"""Node manifests into `Node` records.

Allocatable is what the scheduler fits pods into; when a node gives only `status.capacity`,
the API's defaulting copies it to allocatable, and so do we. A node must say how many
pods it takes (`pods`): a missing count would mean zero pods fit, which is never meant.
"""

from __future__ import annotations

from kubesched.errors import InputError
from kubesched.model.fields import (boolean, check_keys, describe, integer, is_string_map, key_path, mapping, one_of,
                                    sequence, string, string_list, string_map)
from kubesched.model.quantity import resource_amount
from kubesched.model.records import Image, Node, Taint
from kubesched.model.validation import dns_subdomain, label_value, qualified_name
from kubesched.model.validation import labels as check_labels

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_TAINT_KEYS = frozenset({"key", "value", "effect", "timeAdded"})
_IMAGE_KEYS = frozenset({"names", "sizeBytes"})

_allocatable_cache: dict[tuple, dict[str, int]] = {}


def parse_node(obj: dict, *, file: str = "") -> Node:
    if not isinstance(obj, dict):
        raise InputError(f"expected a Node (a map), got {describe(obj)}", file=file or None, obj="Node")
    name = "?"
    try:
        meta, spec, status = obj.get("metadata"), obj.get("spec"), obj.get("status")
        if type(meta) is not dict:
            meta = mapping(meta, "metadata")
        name = meta.get("name")
        if type(name) is not str:
            name = string(name, "metadata.name")
        if not name:
            raise InputError("a node needs a name", field="metadata.name")
        dns_subdomain(name, "metadata.name")
        if type(spec) is not dict:
            spec = mapping(spec, "spec")
        if type(status) is not dict:
            status = mapping(status, "status")
        labels = meta.get("labels")
        if not is_string_map(labels):
            labels = string_map(labels, "metadata.labels")
        check_labels(labels, "metadata.labels")
        annotations = meta.get("annotations")
        if not is_string_map(annotations):
            annotations = string_map(annotations, "metadata.annotations")
        taints = spec.get("taints")
        images = status.get("images")
        return Node(name, labels, _allocatable(status),
                    _taints(taints) if taints else (),
                    boolean(spec.get("unschedulable"), "spec.unschedulable") if "unschedulable" in spec else False,
                    _images(images) if images else (),
                    annotations, file)
    except InputError as e:
        raise e.located(file=file or None, obj=f"Node {name}") from None


def _allocatable(status: dict) -> dict[str, int]:
    path = "status.allocatable"
    resources = status.get("allocatable")
    if resources is None:
        resources, path = status.get("capacity"), "status.capacity"
    resources = mapping(resources, path)
    if not resources:
        raise InputError("a node needs allocatable resources (status.allocatable, or status.capacity)",
                         field="status.allocatable")
    try:
        key = tuple(resources.items())  # nodes of one type share their allocatable
        found = _allocatable_cache.get(key)
    except TypeError:  # an unhashable value: let the slow path report it
        key, found = None, None
    if found is not None:
        return dict(found)
    amounts = {}
    for resource, value in resources.items():
        if not isinstance(resource, str):
            raise InputError(f"resource names must be strings, got {resource!r}", field=path)
        qualified_name(resource, key_path(path, resource), "resource name")
        try:
            amounts[resource] = resource_amount(resource, value)
        except ValueError as e:
            raise InputError(str(e), field=key_path(path, resource)) from None
    if "pods" not in amounts:
        raise InputError("a node needs a pods count (how many pods it can run), e.g. pods: 110",
                         field=f"{path}.pods")
    if key is not None:
        if len(_allocatable_cache) > 10_000:
            _allocatable_cache.clear()
        _allocatable_cache[key] = amounts
    return dict(amounts)


def _taints(value: object) -> tuple[Taint, ...]:
    taints = []
    seen = set()
    for i, obj in enumerate(sequence(value, "spec.taints")):
        path = f"spec.taints[{i}]"
        obj = mapping(obj, path)
        check_keys(obj, _TAINT_KEYS, path)
        key = string(obj.get("key"), f"{path}.key")
        if not key:
            raise InputError("a taint needs a key", field=f"{path}.key")
        qualified_name(key, f"{path}.key", "taint key")
        effect = string(obj.get("effect"), f"{path}.effect")
        one_of(effect, TAINT_EFFECTS, f"{path}.effect")
        if (key, effect) in seen:
            raise InputError(f"duplicate taint {key}:{effect}", field=path)
        seen.add((key, effect))
        value = label_value(string(obj.get("value"), f"{path}.value"), f"{path}.value")
        taints.append(Taint(key, value, effect))
    return tuple(taints)


def _images(value: object) -> tuple[Image, ...]:
    images = []
    for i, obj in enumerate(sequence(value, "status.images")):
        path = f"status.images[{i}]"
        obj = mapping(obj, path)
        check_keys(obj, _IMAGE_KEYS, path)
        names = []
        for image_name in string_list(obj.get("names"), f"{path}.names"):
            if image_name and image_name not in names:
                names.append(image_name)
        size = integer(obj.get("sizeBytes"), f"{path}.sizeBytes", 0)
        if size < 0:
            raise InputError("must not be negative", field=f"{path}.sizeBytes")
        if names:
            images.append(Image(tuple(names), size))
    return tuple(images)
