"""Unschedulable pods grouped by what rejected them: (plugin, reason) with counts.

A FitError message (`0/5 nodes are available: 1 node(s) had untolerated taint(s), 4
Insufficient memory.`) lists each reason with the number of nodes it rejected; a pod counts
once under every reason its message names.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

# Upstream's reason wordings and the filter plugin that reports each (by prefix).
_PLUGIN_OF = (
    ("node(s) were unschedulable", "NodeUnschedulable"),
    ("node(s) didn't match the requested node name", "NodeName"),
    ("node(s) had untolerated taint", "TaintToleration"),
    ("node(s) didn't match Pod's node affinity/selector", "NodeAffinity"),
    ("node(s) didn't match scheduler-enforced node affinity", "NodeAffinity"),
    ("node(s) didn't have free ports", "NodePorts"),
    ("Too many pods", "NodeResourcesFit"),
    ("Insufficient ", "NodeResourcesFit"),
    ("node(s) didn't match pod topology spread constraints", "PodTopologySpread"),
    ("node(s) didn't match pod affinity rules", "InterPodAffinity"),
    ("node(s) didn't match pod anti-affinity rules", "InterPodAffinity"),
    ("node(s) didn't satisfy existing pods anti-affinity rules", "InterPodAffinity"),
    ("Scheduling is blocked due to non-empty scheduling gates", "SchedulingGates"),
    ("node(s) had no available disk", "VolumeRestrictions"),
    ("node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod", "VolumeRestrictions"),
    ("node(s) exceed max volume count", "NodeVolumeLimits"),
    ("node(s) didn't match PersistentVolume's node affinity", "VolumeBinding"),
    ("node(s) didn't find available persistent volumes to bind", "VolumeBinding"),
    ("node(s) did not have enough free storage", "VolumeBinding"),
    ("node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)", "VolumeBinding"),
    ("node(s) had no available volume zone", "VolumeZone"),
)
_FIT_ERROR = re.compile(r"^0/\d+ [^:]*are available:\s*(.*?)\.?$")  # nodes, or node templates and existing nodes
_PART = re.compile(r"(?:^|, )(\d+) (.+?)(?=, \d+ |$)")


def plugin_of(reason: str) -> str:
    """The filter plugin that reports this reason; `-` for one it does not know (a Python plugin's)."""
    return next((plugin for prefix, plugin in _PLUGIN_OF if reason.startswith(prefix)), "-")


def reasons_in(message: str) -> list[tuple[str, int]]:
    """(reason, nodes it rejected) for a FitError message; the whole message for any other."""
    message = message.split(" preemption: ", 1)[0]  # DefaultPreemption's part says why it could not help
    match = _FIT_ERROR.match(message)
    if not match:
        return [(message, 0)]
    parts = [(reason, int(count)) for count, reason in _PART.findall(match.group(1))]
    return parts or [(message, 0)]


def group(messages: Iterable[str]) -> list[dict]:
    """One row per (plugin, reason): how many pods it rejected, most first."""
    pods: Counter = Counter()
    for message in messages:
        for reason, _ in reasons_in(message):
            pods[(plugin_of(reason), reason)] += 1
    return [{"plugin": plugin, "reason": reason, "pods": count}
            for (plugin, reason), count in sorted(pods.items(), key=lambda kv: (-kv[1], kv[0]))]
