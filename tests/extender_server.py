"""A small HTTP scheduler extender for the tests, and a fixture that starts them."""

from __future__ import annotations

import pytest

from tests.json_server import JsonServer


class Extender(JsonServer):
    """Rejects the nodes in `reject` (those in `unresolvable` as unresolvable), scores by
    `scores`, answers `status`; records every call as (verb, args). Its URL ends in `prefix`."""

    def __init__(self, reject=None, unresolvable=None, scores=None, status=200, prefix=""):
        self.reject, self.unresolvable = reject or {}, unresolvable or {}
        self.scores, self.status = scores or {}, status
        self.calls = []
        super().__init__(self._answer)
        self.url += prefix

    def _answer(self, method, path, headers, args):
        verb = path.rsplit("/", 1)[1]
        self.calls.append((verb, args))
        names = args.get("nodenames") or [n["metadata"]["name"] for n in (args.get("nodes") or {}).get("items", [])]
        if verb == "filter":
            kept = [n for n in names if n not in self.reject and n not in self.unresolvable]
            body = {"failedNodes": {n: m for n, m in self.reject.items() if n in names},
                    "failedAndUnresolvableNodes": {n: m for n, m in self.unresolvable.items() if n in names}}
            if "nodenames" in args:
                body["nodenames"] = kept
            else:
                body["nodes"] = {"items": [{"metadata": {"name": n}} for n in kept]}
        elif verb == "prioritize":
            body = [{"host": n, "score": self.scores.get(n, 0)} for n in names]
        else:
            body = {}
        return self.status, body


def extender_servers(**defaults):
    """A fixture function: `start(**kwargs)` starts an Extender (kwargs over `defaults`);
    every one started is closed afterwards."""
    @pytest.fixture
    def servers():
        started = []

        def start(**kwargs):
            started.append(Extender(**{**defaults, **kwargs}))
            return started[-1]
        yield start
        for server in started:
            server.close()
    return servers
