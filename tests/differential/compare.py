"""The first place where kubesched and upstream's own code decide a scenario differently.

`first_divergence(ours, upstream)` walks both results (ours from ours.py, upstream's from
the oracle, one shape) and returns a `Divergence` naming the pod, node, plugin and field
with both values, or None when they agree. The walk goes pod by pod in decision order and,
inside a pod, from the causes to the effects: each node's filter verdict, then each
feasible node's weighted scores and total, then the chosen node and the message. It also
checks that `simulate` and `explain` chose the same node, which the issue requires.

What is not compared, and why:
- the status code of a failing filter (kubesched's explain has none);
- scores when upstream scored no node (one feasible node: upstream skips scoring);
- a plugin missing from one side's scores counts as 0 there (upstream leaves out plugins
  that skip at PreScore; kubesched reports them with 0);
- the order of one filter's reasons: NodeResourcesFit reports extended resources in Go's
  map order, which varies from run to run, so reasons are compared as sorted lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Divergence:
    pod: str | None
    node: str | None
    plugin: str  # a plugin's name, or the stage: Validation, Queue, Decision, simulate/explain
    field: str
    ours: object
    upstream: object
    seed: int | None = None
    scenario_file: str | None = field(default=None)

    @property
    def divergence_class(self) -> str:
        return f"{self.plugin}/{self.field}"

    def __str__(self) -> str:
        where = ", ".join(part for part in (
            f"seed {self.seed}" if self.seed is not None else "",
            f"pod {self.pod}" if self.pod else "", f"node {self.node}" if self.node else "") if part)
        lines = [f"divergence {self.divergence_class}" + (f" ({where})" if where else ""),
                 f"  ours:     {self.ours!r}", f"  upstream: {self.upstream!r}"]
        if self.scenario_file:
            lines.append(f"  scenario: {self.scenario_file} (replay: make conformance SCENARIO={self.scenario_file})")
        return "\n".join(lines)


def first_divergence(ours: dict, upstream: dict, seed: int | None = None) -> Divergence | None:
    found = _first(ours, upstream)
    if found is not None:
        found.seed = seed
    return found


def _first(ours: dict, upstream: dict) -> Divergence | None:
    if "crash" in ours:
        return Divergence(None, None, "kubesched", "crash", ours["crash"], None)
    if "error" in ours:
        return Divergence(None, None, "Validation", f"rejected-valid {_our_field(ours['error'])}", ours["error"],
                          "accepted")
    for obj in ours.get("acceptedInvalid", []):
        error = next((r.get("error") for r in upstream.get("rejected", [])
                      if (r["kind"], r.get("name")) == (obj["kind"], obj["name"])), None)
        return Divergence(f"{obj['namespace']}/{obj['name']}" if obj["namespace"] else obj["name"], None,
                          "Validation", f"accepted-invalid {obj['kind']} {rule(error)}", "accepted", error)
    ours_pods, upstream_pods = ours["pods"], upstream["pods"]
    for i in range(max(len(ours_pods), len(upstream_pods))):
        mine = ours_pods[i] if i < len(ours_pods) else None
        theirs = upstream_pods[i] if i < len(upstream_pods) else None
        if mine is None or theirs is None or mine["pod"] != theirs["pod"]:
            return Divergence(None, None, "Queue", f"pod #{i}", mine and mine["pod"], theirs and theirs["pod"])
        found = _pod(mine, theirs)
        if found is not None:
            return found
    return None


def _pod(mine: dict, theirs: dict) -> Divergence | None:
    pod = theirs["pod"]
    mine_nodes = {n["node"]: n for n in mine.get("nodes", [])}
    if [n["node"] for n in mine.get("nodes", [])] != [n["node"] for n in theirs["nodes"]]:
        return Divergence(pod, None, "Decision", "nodes", list(mine_nodes), [n["node"] for n in theirs["nodes"]])
    for node in theirs["nodes"]:
        found = _filter(pod, mine_nodes[node["node"]], node)
        if found is not None:
            return found
    if theirs.get("total"):
        for node in theirs["nodes"]:
            name = node["node"]
            if name not in theirs["total"]:
                continue
            found = _scores(pod, name, mine_nodes[name].get("scores", {}), node.get("scores") or {})
            if found is not None:
                return found
            if mine["total"].get(name) != theirs["total"][name]:
                return Divergence(pod, name, "Score", "total", mine["total"].get(name), theirs["total"][name])
    for key in ("candidates", "nominatedNode", "preempted"):  # DefaultPreemption, when the oracle ran it
        if mine.get(key) != theirs.get(key):
            return Divergence(pod, None, "DefaultPreemption", key, mine.get(key), theirs.get(key))
    if mine.get("deallocated") != theirs.get("deallocated"):  # DynamicResources' PostFilter
        return Divergence(pod, None, "DynamicResources", "deallocated", mine.get("deallocated"),
                          theirs.get("deallocated"))
    if mine["node"] != theirs["node"]:
        return Divergence(pod, None, "Decision", "node", mine["node"], theirs["node"])
    if mine.get("claims") != theirs.get("claims"):  # the devices DynamicResources allocated
        return Divergence(pod, None, "DynamicResources", "claims", mine.get("claims"), theirs.get("claims"))
    if mine.get("explainNode") != mine["node"]:
        return Divergence(pod, None, "simulate/explain", "selectedNode", mine.get("explainNode"), mine["node"])
    if mine["message"] != theirs["message"]:
        return Divergence(pod, None, "Decision", "message", mine["message"], theirs["message"])
    if mine.get("explainMessage") != mine["message"]:
        return Divergence(pod, None, "simulate/explain", "message", mine.get("explainMessage"), mine["message"])
    return None


def _filter(pod: str, mine: dict, theirs: dict) -> Divergence | None:
    node = theirs["node"]
    a, b = mine["filter"], theirs["filter"]
    if a is None and b is None:
        return None
    if a is None or b is None or a["plugin"] != b["plugin"]:
        plugin = (b or a)["plugin"] or "Filter"
        return Divergence(pod, node, plugin, "filter", a and a["plugin"], b and b["plugin"])
    if sorted(a["reasons"]) != sorted(b["reasons"]):
        return Divergence(pod, node, b["plugin"], "filter reasons", a["reasons"], b["reasons"])
    return None


def _scores(pod: str, node: str, mine: dict, theirs: dict) -> Divergence | None:
    for plugin in sorted(set(mine) | set(theirs)):
        a, b = mine.get(plugin, 0), theirs.get(plugin, 0)
        if a != b:
            return Divergence(pod, node, plugin, "score", a, b)
    return None


def rule(error: str | None) -> str:
    """The field an API server error names, list indices elided (`spec.containers[*].name`),
    or `forbidden` for an admission plugin's refusal: the validation rule's class."""
    _, invalid, rest = (error or "").partition(" is invalid: ")
    if invalid:
        return re.sub(r"\[\d+\]", "[*]", rest.lstrip("[").split(": ")[0])
    return "forbidden" if " is forbidden: " in (error or "") else "?"


def _our_field(error: str) -> str:
    """The field of kubesched's one-line error (`file: Kind ns/name: field: problem`), list
    indices elided."""
    parts = error.split(": ")
    return re.sub(r"\[\d+\]", "[*]", parts[2]) if len(parts) >= 4 else "?"
