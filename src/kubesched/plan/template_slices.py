"""The ResourceSlices of node templates: a slice in the template file whose `spec.nodeName`
names a template is that template's. Each node added from the template publishes a copy,
as its driver would: `nodeName` the new node's name, the slice named `<node>-<slice>`, and
pools of its own (a pool named after the template takes the node's name, any other pool is
`<node>/<pool>`), so that nodes never share a pool."""

from __future__ import annotations

from dataclasses import replace

from kubesched.errors import InputError
from kubesched.model.dra_objects import _located, parse_slice
from kubesched.model.dra_records import ResourceSlice
from kubesched.model.manifests import Manifest


def read_template_slices(manifests: list[Manifest], template_names: set[str]) -> dict[str, list[ResourceSlice]]:
    """Template name -> its slices, in file order."""
    by_template: dict[str, list[ResourceSlice]] = {}
    seen: set[str] = set()
    for manifest in manifests:
        read: list[ResourceSlice] = []
        _located(manifest, lambda: read.append(_template_slice(parse_slice(manifest.obj), template_names, seen)))
        by_template.setdefault(read[0].node_name, []).append(read[0])
    return by_template


def _template_slice(s: ResourceSlice, template_names: set[str], seen: set[str]) -> ResourceSlice:
    if not s.node_name:
        raise InputError("a node template's ResourceSlice must name its template in spec.nodeName "
                         "(slices for node selectors or all nodes belong in the cluster input)", field="spec.nodeName")
    if s.node_name not in template_names:
        raise InputError(f"no node template is named {s.node_name!r}", field="spec.nodeName")
    if s.name in seen:
        raise InputError("two ResourceSlices of the node templates have this name", field="metadata.name")
    seen.add(s.name)
    return s


def slices_for_node(template_name: str, slices: tuple[ResourceSlice, ...], node_name: str) -> list[ResourceSlice]:
    return [replace(s, name=f"{node_name}-{s.name}", node_name=node_name,
                    pool=node_name if s.pool == template_name else f"{node_name}/{s.pool}") for s in slices]
