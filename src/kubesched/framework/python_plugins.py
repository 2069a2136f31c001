"""User plugins written in Python, named in a profile by import path (`package.module:Class`).

A plugin class is instantiated without arguments and implements either or both of:

    def filter(self, pod: Pod, node: Node) -> str | None   # None: fits; else the reason
    def score(self, pod: Pod, node: Node) -> int           # 0..100, higher is better

They run after the core's plugins, pod by pod and node by node in Python, so a profile that
uses one is decided at Python speed (thousands of node checks per second, not millions).

Naming a plugin imports its module, which runs that module's code: a configuration that
names Python plugins is code, to be trusted as such. What is named must be a class with a
`filter` or `score` method; anything else (`os:system`) is refused before it is called.
A plugin that raises, or returns what the protocol does not allow, stops the run with an
error naming it, the pod and the node.
"""

from __future__ import annotations

import importlib
import inspect
from functools import cache

from kubesched.errors import InputError

MIN_SCORE, MAX_SCORE = 0, 100  # upstream's framework.MinNodeScore, MaxNodeScore


def is_import_path(name: str) -> bool:
    return ":" in name


@cache
def load_plugin(path: str, field: str = ""):
    module_name, _, class_name = path.partition(":")
    try:
        module = importlib.import_module(module_name)
        cls = getattr(module, class_name)
    except Exception as error:  # an import error is the user's to fix: name it
        raise InputError(f"cannot load Python plugin {path!r}: {type(error).__name__}: {error}", field=field) from None
    if not inspect.isclass(cls):
        raise InputError(f"Python plugin {path!r} is not a class (a plugin is a class with a filter or a score "
                         "method)", field=field)
    if not (callable(getattr(cls, "filter", None)) or callable(getattr(cls, "score", None))):
        raise InputError(f"Python plugin {path!r} has neither a filter nor a score method", field=field)
    try:
        return cls()
    except (Exception, SystemExit) as error:
        raise InputError(f"cannot create Python plugin {path!r}: {type(error).__name__}: {error}",
                         field=field) from None


def run_filter(path: str, plugin, pod, node) -> str | None:
    """The plugin's verdict: None when the node fits, else a non-empty reason."""
    reason = _call(path, "filter", plugin, pod, node)
    if reason is not None and not (isinstance(reason, str) and reason):
        raise InputError(f"Python plugin {path!r}: filter returned {type(reason).__name__} for pod {pod.key} on "
                         f"node {node.name}; expected None or a reason (a non-empty string)")
    return reason


def run_score(path: str, plugin, pod, node) -> int:
    score = _call(path, "score", plugin, pod, node)
    if isinstance(score, bool) or not isinstance(score, int):
        raise InputError(f"Python plugin {path!r}: score returned {type(score).__name__!r} for pod {pod.key} on "
                         f"node {node.name}; expected an integer from {MIN_SCORE} to {MAX_SCORE}")
    if not MIN_SCORE <= score <= MAX_SCORE:  # upstream's RunScorePlugins error, for this pod and node
        raise InputError(f'plugin "{path}" returns an invalid score {score}, it should in the range of '
                         f"[{MIN_SCORE}, {MAX_SCORE}] after normalizing (pod {pod.key}, node {node.name})")
    return score


def _call(path: str, method: str, plugin, pod, node):
    try:
        return getattr(plugin, method)(pod, node)
    except (Exception, SystemExit) as error:
        raise InputError(f"Python plugin {path!r}: {method} failed for pod {pod.key} on node {node.name}: "
                         f"{type(error).__name__}: {error}") from None
