"""kubesched's decisions on a scenario, in the oracle's shape (see differential-format in the
issue): through the Python API that `simulate` and `explain` use, not the CLI.

The objects go to a temporary directory as one JSON `List` (input order kept), the config
(if any) beside it. `simulate` gives the placements and messages in decision order;
`explain`, once per pending pod, the per-node filter verdicts and weighted scores. Where
`simulate` would decide the pending pods as batches (read from a List of their own; the
`replicas` family makes such scenarios), the placements are that path's. Besides
the oracle's fields each pod carries what `explain` selected (`explainNode`,
`explainMessage`) so the comparison can check that the two commands agree.

Objects the API server would refuse (`rejected`, from the oracle) are left out of the
scenario that is decided; each is then offered to `read_cluster` on its own beside the
valid objects, and `acceptedInvalid` lists those kubesched takes without an error.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace

from kubesched.cli.options import load_profiles
from kubesched.errors import InputError
from kubesched.model.cluster import read_cluster
from kubesched.model.quantity import parse_quantity, to_milli
from kubesched.sim.explain import explain
from kubesched.engine.queue_order import queue_order
from kubesched.sim.batched import simulate_batched
from kubesched.sim.simulate import simulate


def object_key(obj: dict) -> tuple[str, str, str]:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    namespace = meta.get("namespace") or ""
    if obj.get("kind") in ("Pod", "Service", "ReplicaSet", "StatefulSet", "ReplicationController") and not namespace:
        namespace = "default"
    return obj.get("kind", ""), namespace, meta.get("name", "")


def rejected_keys(rejected: list[dict]) -> set[tuple[str, str, str]]:
    return {(r["kind"], r.get("namespace") or ("default" if r["kind"] == "Pod" else ""), r["name"])
            for r in rejected}


def run_ours(scenario: dict, rejected: list[dict] = ()) -> dict:
    """Decide `scenario` without the objects listed in `rejected` (the oracle's list)."""
    refused = rejected_keys(list(rejected))
    valid = [o for o in scenario["objects"] if object_key(o) not in refused]
    invalid = [o for o in scenario["objects"] if object_key(o) in refused]
    with tempfile.TemporaryDirectory(prefix="kubesched-differential-") as workdir:
        config = None
        if scenario.get("config") is not None:
            config = os.path.join(workdir, "config.json")
            with open(config, "w") as handle:
                json.dump(scenario["config"], handle)
        try:
            profiles = load_profiles(config)
            if not scenario.get("preemption"):  # the oracle runs PostFilter only when asked to
                profiles = {name: replace(p, preemption=None) for name, p in profiles.items()}
            cluster = _read(workdir, valid)
        except InputError as e:
            return {"error": str(e), "pods": [], "acceptedInvalid": []}
        try:
            batched = simulate_batched(_read_batched(workdir, valid), profiles, None)
            result = {"pods": _decide(cluster, profiles, bool(scenario.get("preemption")), batched),
                      "acceptedInvalid": [], "batched": batched is not None}
        except Exception as e:  # a crash is a divergence like any other, reported by the comparison
            return {"crash": f"{type(e).__name__}: {e}", "pods": [], "acceptedInvalid": []}
        for obj in invalid:
            try:
                _read(workdir, [*valid, obj])
            except InputError:
                continue
            kind, namespace, name = object_key(obj)
            result["acceptedInvalid"].append({"kind": kind, "namespace": namespace, "name": name})
    return result


def _read(workdir: str, objects: list[dict]):
    path = os.path.join(workdir, "objects.json")
    with open(path, "w") as handle:
        json.dump({"apiVersion": "v1", "kind": "List", "items": objects}, handle)
    return read_cluster([path], warn=lambda message: None)


def _read_batched(workdir: str, objects: list[dict]):
    """As simulate reads its files: the pending pods in a List of their own (batched reading
    takes Lists of pods and objects that add none), the other objects in another."""
    lists: dict[bool, list[dict]] = {False: [], True: []}
    for obj in objects:
        lists[obj.get("kind") == "Pod" and not obj.get("spec", {}).get("nodeName")].append(obj)
    paths = []
    for name, items in (("other.json", lists[False]), ("pending.json", lists[True])):
        paths.append(os.path.join(workdir, name))
        with open(paths[-1], "w") as handle:
            json.dump({"apiVersion": "v1", "kind": "List", "items": items}, handle)
    return read_cluster(paths, warn=lambda message: None, batched=True)


def _device(result: dict) -> dict:
    """A device result in the oracle's shape: request, driver, pool, device; for a share of
    a device, `shared` and the consumed capacity in thousandths."""
    device = {k: result[k] for k in ("request", "driver", "pool", "device")}
    if result.get("shareID"):
        device["shared"] = True
    if result.get("consumedCapacity"):
        device["consumedCapacity"] = {name: to_milli(parse_quantity(amount))
                                      for name, amount in result["consumedCapacity"].items()}
    return device


def _decide(cluster, profiles, preemption: bool, batched) -> list[dict]:
    """`batched`: simulate_batched's answer, whose placements are taken where it gives one."""
    # The oracle evicts and does not recreate: evicted pods are reported, not decided again.
    placements = (batched or simulate(cluster, profiles, preempted="report")).placements
    decided = {p.key for p in queue_order(cluster.pending_pods)}
    pods = []
    for placement in placements:
        entry = {"pod": placement.pod, "node": placement.node, "message": placement.message or None}
        if placement.claims is not None:  # the oracle's shape: request, driver, pool, device
            entry["claims"] = [{"claim": c["claim"], "devices": [_device(d) for d in c["devices"]]}
                               for c in placement.claims]
        if placement.deallocated is not None:  # DynamicResources' PostFilter, then the pod decided again
            entry["deallocated"] = placement.deallocated
        if placement.pod in decided:
            entry.update(_explained(explain(cluster, profiles, placement.pod)))
        if preemption:
            entry.update(_preempted(placement, entry.pop("preemption", None)))
        else:
            entry.pop("preemption", None)
        pods.append(entry)
    return pods


def _preempted(placement, report: dict | None) -> dict:
    """The oracle's preemption fields: the nomination, the evictions, explain's candidates."""
    found = {}
    if placement.nominated_node is not None:
        found["nominatedNode"] = placement.nominated_node
        found["preempted"] = list(placement.preempted)
    candidates = sorted(({"node": c["node"], "victims": c["victims"], "pdbViolations": c["pdbViolations"]}
                         for c in (report or {}).get("candidates", [])), key=lambda c: c["node"])
    if candidates:
        found["candidates"] = candidates
    return found


def _explained(report: dict) -> dict:
    nodes = []
    total = {}
    for node in report["nodes"]:
        entry = {"node": node["node"], "filter": _failed_filter(node), "scores": {}}
        if node["feasible"]:
            entry["scores"] = {plugin: s["weighted"] for plugin, s in node.get("scores", {}).items()}
            total[node["node"]] = node["total"]
        nodes.append(entry)
    preemption = report.get("preemption")
    if preemption and preemption["nominatedNode"]:  # explain's answer is the nomination
        return {"nodes": nodes, "total": total, "explainNode": preemption["nominatedNode"], "explainMessage": None,
                "preemption": preemption}
    return {"nodes": nodes, "total": total, "explainNode": report["selectedNode"],
            "explainMessage": report.get("message"), "preemption": preemption}


def _failed_filter(node: dict) -> dict | None:
    if node["feasible"]:
        return None
    for plugin, verdict in node["filters"].items():
        if verdict["status"] == "Unschedulable":
            return {"plugin": plugin, "reasons": list(verdict.get("reasons", []))}
    return {"plugin": None, "reasons": []}  # not examined, and no filter says why
