"""Unschedulable pods grouped by what rejected them: (plugin, reason) with counts.

A FitError message (`0/5 nodes are available: 1 node(s) had untolerated taint(s), 4
Insufficient memory.`) lists each reason with the number of nodes it rejected; a pod counts
once under every reason its message names.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from kubesched.plugins import PLUGINS
from kubesched.plugins.scheduling_gates import GATED_MESSAGE


def _pattern(text: str) -> re.Pattern:
    """A declared reason's text as a prefix pattern, its template's fields matching anything."""
    return re.compile(".+".join(re.escape(part) for part in re.split(r"\{\w+\}", text)))


# Upstream's reason wordings (as each plugin declares them) and the plugin that reports each.
_PLUGIN_OF = (*((_pattern(reason.text), plugin.name) for plugin in PLUGINS for reason in plugin.reasons),
              (_pattern(GATED_MESSAGE), "SchedulingGates"))
_FIT_ERROR = re.compile(r"^0/\d+ [^:]*are available:\s*(.*?)\.?$")  # nodes, or node templates and existing nodes
_PART = re.compile(r"(?:^|, )(\d+) (.+?)(?=, \d+ |$)")


def plugin_of(reason: str) -> str:
    """The filter plugin that reports this reason; `-` for one it does not know (a Python plugin's)."""
    return next((plugin for pattern, plugin in _PLUGIN_OF if pattern.match(reason)), "-")


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
