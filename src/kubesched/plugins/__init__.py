"""Upstream's plugins as kubesched knows them, one module each; the tables a profile and a
configuration are read with are derived here from their declarations (plugin.Plugin).
tests/unit/test_plugin_tables.py checks them against the C++ core's enums, default weights
and reason texts."""

from __future__ import annotations

from kubesched.plugins import (default_binder, default_preemption, dynamic_resources, gpu_scores, image_locality,
                               inter_pod_affinity, node_affinity, node_declared_features, node_name, node_ports,
                               node_resources_balanced_allocation, node_resources_fit, node_unschedulable,
                               node_volume_limits, pod_topology_spread, priority_sort, scheduling_gates,
                               taint_toleration, volume_binding, volume_restrictions, volume_zone)
from kubesched.plugins.plugin import ALL_POINTS, Plugin, Reason, ReasonKind

# Upstream's default profile in its order (multiPoint), then the plugins outside it.
PLUGINS: tuple[Plugin, ...] = (
    scheduling_gates.PLUGIN,
    priority_sort.PLUGIN,
    node_name.PLUGIN,
    node_unschedulable.PLUGIN,
    taint_toleration.PLUGIN,
    node_affinity.PLUGIN,
    node_ports.PLUGIN,
    node_resources_fit.PLUGIN,
    volume_restrictions.PLUGIN,
    node_volume_limits.PLUGIN,
    volume_binding.PLUGIN,
    volume_zone.PLUGIN,
    pod_topology_spread.PLUGIN,
    inter_pod_affinity.PLUGIN,
    dynamic_resources.PLUGIN,
    default_preemption.PLUGIN,
    node_resources_balanced_allocation.PLUGIN,
    image_locality.PLUGIN,
    default_binder.PLUGIN,
    node_declared_features.PLUGIN,
    *gpu_scores.PLUGINS,
)
BY_NAME: dict[str, Plugin] = {plugin.name: plugin for plugin in PLUGINS}
BY_ARGS_KIND: dict[str, Plugin] = {plugin.args_kind: plugin for plugin in PLUGINS if plugin.args_fields}

EXTENSION_POINTS: dict[str, frozenset[str]] = {plugin.name: plugin.points for plugin in PLUGINS}
DEFAULT_PLUGINS: tuple[tuple[str, int], ...] = tuple(
    (plugin.name, plugin.default_weight) for plugin in PLUGINS if plugin.default_weight is not None)

# What the core executes, in its enums' order; the other known plugins concern preemption,
# binding or the queue, or decide nothing for the pods kubesched simulates.
CORE_FILTERS: tuple[str, ...] = tuple(
    p.name for p in sorted((p for p in PLUGINS if p.core_filter is not None), key=lambda p: p.core_filter))
CORE_PREFILTERS: tuple[str, ...] = tuple(p.name for p in PLUGINS if p.core_prefilter)
_SCORED = sorted((p for p in PLUGINS if p.core_score is not None), key=lambda p: p.core_score)
GPU_SCORES: tuple[str, ...] = tuple(p.name for p in gpu_scores.PLUGINS)
CORE_SCORES: tuple[str, ...] = tuple(p.name for p in _SCORED if p.name not in GPU_SCORES)
# The default profile's score weights (a weight 0 there means 1); the GPU scores are off.
DEFAULT_WEIGHTS: dict[str, int] = {p.name: p.default_weight or 1 for p in PLUGINS
                                   if p.core_score is not None and p.default_weight is not None}

# Reasons the framework words, not a plugin: nodes outside a PreFilter plugin's node set.
FRAMEWORK_REASONS = (Reason(ReasonKind.PREFILTER_NODES, None, "node(s) didn't satisfy plugin(s) [{plugins}]",
                            unresolvable=True),)
REASONS: tuple[Reason, ...] = (*(reason for plugin in PLUGINS for reason in plugin.reasons), *FRAMEWORK_REASONS)

__all__ = ["ALL_POINTS", "BY_ARGS_KIND", "BY_NAME", "CORE_FILTERS", "CORE_PREFILTERS", "CORE_SCORES", "DEFAULT_PLUGINS",
           "DEFAULT_WEIGHTS", "EXTENSION_POINTS", "FRAMEWORK_REASONS", "GPU_SCORES", "PLUGINS", "Plugin", "REASONS",
           "Reason", "ReasonKind"]
