"""A small HTTP scheduler extender for the tests, and a fixture that starts them."""

from __future__ import annotations

import pytest

from tests.json_server import JsonServer

GO_NAMES = {"failedNodes": "FailedNodes", "failedAndUnresolvableNodes": "FailedAndUnresolvableNodes",
            "nodenames": "NodeNames", "nodes": "Nodes"}


class Extender(JsonServer):
    """Rejects the nodes in `reject` (those in `unresolvable` as unresolvable), scores by
    `scores`, answers `status`; records every call as (verb, args). Its URL ends in `prefix`.
    Its preempt verb answers the candidates it was sent, without the nodes in `drop`, with
    the victims of `victims` (node → UIDs) where given, or answers `preempt_status`."""

    def __init__(self, reject=None, unresolvable=None, scores=None, status=200, prefix="", drop=(),
                 victims=None, preempt_status=200, go_names=False):
        self.reject, self.unresolvable = reject or {}, unresolvable or {}
        self.scores, self.status = scores or {}, status
        self.drop, self.victims, self.preempt_status = set(drop), victims or {}, preempt_status
        self.calls = []
        self.sent = []  # (verb, args) as received
        self.go_names = go_names  # answer as a Go extender writes: untagged field names
        super().__init__(self._answer)
        self.url += prefix

    def _answer(self, method, path, headers, args):
        verb = path.rsplit("/", 1)[1]
        self.sent.append((verb, args))
        if verb == "preempt":
            self.calls.append((verb, args))
            return self.preempt_status, {"NodeNameToMetaVictims": self._preempt(args)}
        # Go's encoding/json matches field names regardless of case, as this one does: the
        # schedulers send ExtenderArgs' untagged names ("Pod", "NodeNames"); recorded lowercase
        args = {key.lower(): value for key, value in args.items()}
        self.calls.append((verb, args))
        names = args.get("nodenames") or [n["metadata"]["name"] for n in (args.get("nodes") or {}).get("items", [])]
        if verb == "filter":
            kept = [n for n in names if n not in self.reject and n not in self.unresolvable]
            body = {"failedNodes": {n: m for n, m in self.reject.items() if n in names},
                    "failedAndUnresolvableNodes": {n: m for n, m in self.unresolvable.items() if n in names}}
            if args.get("nodenames") is not None:
                body["nodenames"] = kept
            else:
                body["nodes"] = {"items": [{"metadata": {"name": n}} for n in kept]}
            if self.go_names:
                body = {GO_NAMES[key]: value for key, value in body.items()}
        elif verb == "prioritize":
            body = [{"host": n, "score": self.scores.get(n, 0)} for n in names]
            if self.go_names:
                body = [{"Host": e["host"], "Score": e["score"]} for e in body]
        else:
            body = {}
        return self.status, body

    def _preempt(self, args):
        if args["NodeNameToMetaVictims"] is not None:
            sent = {node: ([p["UID"] for p in v["Pods"]], v["NumPDBViolations"])
                    for node, v in args["NodeNameToMetaVictims"].items()}
        else:
            sent = {node: ([p["metadata"]["uid"] for p in v["Pods"]], v["NumPDBViolations"])
                    for node, v in args["NodeNameToVictims"].items()}
        return {node: {"Pods": [{"UID": uid} for uid in self.victims.get(node, uids)], "NumPDBViolations": violations}
                for node, (uids, violations) in sent.items() if node not in self.drop}


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
