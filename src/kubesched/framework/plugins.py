"""Upstream's plugin names, the extension points each implements, and the default profile."""

from __future__ import annotations

# name -> extension points (upstream's camelCase keys of `profiles[].plugins`)
EXTENSION_POINTS: dict[str, frozenset[str]] = {
    "PrioritySort": frozenset({"queueSort"}),
    "SchedulingGates": frozenset({"preEnqueue"}),
    "NodeUnschedulable": frozenset({"filter"}),
    "NodeName": frozenset({"filter"}),
    "TaintToleration": frozenset({"filter", "preScore", "score"}),
    "NodeAffinity": frozenset({"preFilter", "filter", "preScore", "score"}),
    "NodePorts": frozenset({"preFilter", "filter"}),
    "NodeResourcesFit": frozenset({"preFilter", "filter", "preScore", "score"}),
    "VolumeRestrictions": frozenset({"preFilter", "filter"}),
    "NodeVolumeLimits": frozenset({"preFilter", "filter"}),
    "VolumeBinding": frozenset({"preFilter", "filter", "reserve", "preBind", "score"}),
    "VolumeZone": frozenset({"preFilter", "filter"}),
    "PodTopologySpread": frozenset({"preFilter", "filter", "preScore", "score"}),
    "InterPodAffinity": frozenset({"preFilter", "filter", "preScore", "score"}),
    "DefaultPreemption": frozenset({"postFilter"}),
    "NodeResourcesBalancedAllocation": frozenset({"preScore", "score"}),
    "ImageLocality": frozenset({"score"}),
    "DynamicResources": frozenset({"preEnqueue", "preFilter", "filter", "postFilter", "score", "reserve",
                                   "preBind"}),
    "NodeDeclaredFeatures": frozenset({"preFilter", "filter"}),
    "DefaultBinder": frozenset({"bind"}),
    # GPU sharing (kubesched.model.gpu): the placement policies of the FGD paper, score plugins.
    "RandomScore": frozenset({"score"}),
    "DotProductScore": frozenset({"score"}),
    "GpuClusteringScore": frozenset({"score"}),
    "GpuPackingScore": frozenset({"score"}),
    "BestFitScore": frozenset({"score"}),
    "FGDScore": frozenset({"score"}),
    "FGDCapacityScore": frozenset({"score"}),  # ours: FGD with capacity-aware fragmentation
}

# SchedulingGates' PreEnqueue message for a pod with gates (upstream's pod condition reason text).
GATED_MESSAGE = "Scheduling is blocked due to non-empty scheduling gates"

ALL_POINTS = ("preEnqueue", "queueSort", "preFilter", "filter", "postFilter", "preScore", "score",
              "reserve", "permit", "preBind", "bind", "postBind")

# Upstream's default profile, in order, with score weights (multiPoint).
DEFAULT_PLUGINS: tuple[tuple[str, int], ...] = (
    ("SchedulingGates", 0),
    ("PrioritySort", 0),
    ("NodeName", 0),
    ("NodeUnschedulable", 0),
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodePorts", 0),
    ("NodeResourcesFit", 1),
    ("VolumeRestrictions", 0),
    ("NodeVolumeLimits", 0),
    ("VolumeBinding", 0),
    ("VolumeZone", 0),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("DynamicResources", 2),  # DRA is GA: inserted before DefaultPreemption
    ("DefaultPreemption", 0),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
    ("DefaultBinder", 0),
    ("NodeDeclaredFeatures", 0),  # GA in v1.37, appended to the default profile
)

# What the core executes; the other known plugins concern volumes, devices, preemption or
# binding and decide nothing for the pods kubesched simulates.
CORE_FILTERS = ("NodeName", "NodeUnschedulable", "TaintToleration", "NodeAffinity", "NodePorts",
                "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity",
                "DynamicResources",  # its verdicts come from kubesched.dra, per pod class
                "VolumeRestrictions", "NodeVolumeLimits", "VolumeBinding", "VolumeZone")  # volumes.hpp
# PreFilter plugins whose result the core carries per pod class (a node-name set).
CORE_PREFILTERS = ("NodeAffinity",)
CORE_SCORES = ("TaintToleration", "NodeAffinity", "NodeResourcesFit", "NodeResourcesBalancedAllocation",
               "PodTopologySpread", "InterPodAffinity", "ImageLocality", "DynamicResources", "VolumeBinding")
# GPU sharing's score plugins (kubesched.model.gpu), executed by the core too; off by default.
GPU_SCORES = ("RandomScore", "DotProductScore", "GpuClusteringScore", "GpuPackingScore", "BestFitScore", "FGDScore",
              "FGDCapacityScore")
