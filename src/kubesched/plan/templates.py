"""Node templates for `plan nodes`: Node manifests whose copies may be added to the cluster,
each with an optional hourly cost (annotation `kubesched.io/hourly-cost`, a decimal)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from kubesched.errors import InputError
from kubesched.model.manifests import load_manifests
from kubesched.model.nodes import parse_node
from kubesched.model.dra_records import ResourceSlice
from kubesched.model.records import Node
from kubesched.model.storage import parse_csi_node
from kubesched.plan.template_slices import read_template_slices, slices_for_node

COST_ANNOTATION = "kubesched.io/hourly-cost"
COST_UNITS = 1_000_000  # the packing kernel works on integer costs: micro-units of the currency
HOSTNAME_LABEL = "kubernetes.io/hostname"
# Costs add up in int64 micro-units over every node added: 10^9 an hour leaves room for
# millions of nodes.
MAX_COST = Decimal(10**9)


@dataclass
class NodeTemplate:
    node: Node
    cost: Decimal | None  # per hour; None when the template has no cost annotation
    slices: tuple[ResourceSlice, ...] = ()  # published by each node made from it (template_slices.py)
    # The drivers of the CSINode each node made from it has (driver -> allocatable.count,
    # None: no limit); None: no CSINode (no CSI attach limits).
    csi_drivers: dict[str, int | None] | None = None

    @property
    def name(self) -> str:
        return self.node.name

    def instantiate(self, name: str) -> Node:
        """A new node made from the template: its own name and hostname label."""
        labels = {**self.node.labels, HOSTNAME_LABEL: name}
        return replace(self.node, name=name, labels=labels, annotations=dict(self.node.annotations))

    def slices_for(self, node_name: str) -> list[ResourceSlice]:
        """The ResourceSlices a node made from the template publishes."""
        return slices_for_node(self.name, self.slices, node_name)


def read_templates(paths: Iterable[str]) -> list[NodeTemplate]:
    """Every Node in the files is a template, every ResourceSlice one template's devices,
    every CSINode (named as its template) the CSI drivers of the template's nodes. Either
    all templates have a cost or none."""
    templates: list[NodeTemplate] = []
    seen: set[str] = set()
    slice_manifests, csi_manifests = [], []
    for manifest in load_manifests(paths):
        if manifest.kind == "ResourceSlice":
            slice_manifests.append(manifest)
            continue
        if manifest.kind == "CSINode":
            csi_manifests.append(manifest)
            continue
        if manifest.kind != "Node":
            raise InputError(f"a node template must be a Node (or a ResourceSlice or CSINode of one), not a {manifest.kind}", file=manifest.file,
                             obj=manifest.place or None, field="kind")
        node = parse_node(manifest.obj, file=manifest.file)
        if node.name in seen:
            raise InputError("two node templates have this name", file=manifest.file, obj=f"Node {node.name}",
                             field="metadata.name")
        seen.add(node.name)
        if not any(amount > 0 for resource, amount in node.allocatable.items() if resource != "pods"):
            raise InputError("a node template needs allocatable resources", file=manifest.file,
                             obj=f"Node {node.name}", field="status.allocatable")
        if node.allocatable.get("pods", 0) <= 0:
            raise InputError("a node template must take at least one pod", file=manifest.file,
                             obj=f"Node {node.name}", field="status.allocatable.pods")
        templates.append(NodeTemplate(node, _cost(node, manifest.file)))
    if not templates:
        raise InputError("no Node in the node template file(s)", file=", ".join(paths))
    slices = read_template_slices(slice_manifests, seen)
    csi = read_template_csi_nodes(csi_manifests, seen)
    templates = [replace(t, slices=tuple(slices.get(t.name, ())), csi_drivers=csi.get(t.name)) for t in templates]
    with_cost = [t.name for t in templates if t.cost is not None]
    if with_cost and len(with_cost) != len(templates):
        missing = next(t for t in templates if t.cost is None)
        raise InputError(f"give every node template a cost or none (template {with_cost[0]} has one)",
                         file=missing.node.source or None, obj=f"Node {missing.name}",
                         field=f"metadata.annotations[{COST_ANNOTATION}]")
    return templates


def read_template_csi_nodes(manifests, template_names: set[str]) -> dict[str, dict[str, int | None]]:
    """Template name -> the drivers of its CSINode (a CSINode is named as its node)."""
    found: dict[str, dict[str, int | None]] = {}
    for manifest in manifests:
        try:
            name, drivers = parse_csi_node(manifest.obj)
        except InputError as error:
            raise error.located(file=manifest.file, obj=manifest.place or None) from None
        if name not in template_names:
            raise InputError(f"no node template is named {name!r} (a template's CSINode is named as the template)",
                             file=manifest.file, obj=f"CSINode {name}", field="metadata.name")
        if name in found:
            raise InputError("two CSINodes of the node templates have this name", file=manifest.file,
                             obj=f"CSINode {name}", field="metadata.name")
        found[name] = drivers
    return found


def _cost(node: Node, file: str) -> Decimal | None:
    text = node.annotations.get(COST_ANNOTATION)
    if text is None:
        return None
    try:
        cost = Decimal(text.strip())
    except InvalidOperation:
        cost = None
    if cost is None or not cost.is_finite() or cost <= 0:
        raise InputError(f"expected a positive decimal hourly cost, got {text!r}", file=file,
                         obj=f"Node {node.name}", field=f"metadata.annotations[{COST_ANNOTATION}]")
    if cost > MAX_COST:  # compared before any arithmetic: 1e999999999 would take forever to expand
        raise InputError(f"at most {MAX_COST} per hour, got {text!r}", file=file, obj=f"Node {node.name}",
                         field=f"metadata.annotations[{COST_ANNOTATION}]")
    if cost * COST_UNITS != int(cost * COST_UNITS):
        raise InputError(f"at most 6 decimal places, got {text!r}", file=file, obj=f"Node {node.name}",
                         field=f"metadata.annotations[{COST_ANNOTATION}]")
    return cost


def node_names(templates: list[NodeTemplate], taken: Iterable[str]):
    """Names for new nodes: `<template>-<k>`, k counting from 1 per template, skipping names
    that existing nodes use. Returns a function template index -> next name."""
    used = set(taken)
    counters = [0] * len(templates)

    def next_name(index: int) -> str:
        while True:
            counters[index] += 1
            name = f"{templates[index].name}-{counters[index]}"
            if name not in used:
                used.add(name)
                return name

    return next_name
