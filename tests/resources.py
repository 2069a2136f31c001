"""Container resources as the API server accepts them, for the tests' pod builders."""

from __future__ import annotations

from kubesched.model.pod_resources import overcommit_allowed


def resources(requests: dict, limits: dict | None = None) -> dict:
    """`requests` (and `limits`), with a limit equal to the request for every resource that
    cannot be overcommitted (extended resources, huge pages) and has none."""
    limits = dict(limits or {})
    for name, value in requests.items():
        if not overcommit_allowed(name):
            limits.setdefault(name, value)
    return {"requests": dict(requests), **({"limits": limits} if limits else {})}
