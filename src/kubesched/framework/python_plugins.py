"""User plugins written in Python, named in a profile by import path (`package.module:Class`).

A plugin class is instantiated without arguments and implements either or both of:

    def filter(self, pod: Pod, node: Node) -> str | None   # None: fits; else the reason
    def score(self, pod: Pod, node: Node) -> int           # 0..100, higher is better

They run after the core's plugins, pod by pod and node by node in Python, so a profile that
uses one is decided at Python speed (thousands of node checks per second, not millions).
"""

from __future__ import annotations

import importlib
from functools import cache

from kubesched.errors import InputError


def is_import_path(name: str) -> bool:
    return ":" in name


@cache
def load_plugin(path: str, field: str = ""):
    module_name, _, class_name = path.partition(":")
    try:
        module = importlib.import_module(module_name)
        plugin = getattr(module, class_name)()
    except Exception as error:  # an import error is the user's to fix: name it
        raise InputError(f"cannot load Python plugin {path!r}: {error}", field=field) from None
    if not (callable(getattr(plugin, "filter", None)) or callable(getattr(plugin, "score", None))):
        raise InputError(f"Python plugin {path!r} has neither a filter nor a score method", field=field)
    return plugin
