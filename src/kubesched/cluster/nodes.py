"""Fake nodes for kwok: created Ready, concurrently, through the API; then watched until
every one is seen Ready."""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import orjson

from kubesched.kube import ApiError, Kube

KWOK_ANNOTATION = "kwok.x-k8s.io/node"
NOT_READY_TAINT = "node.kubernetes.io/not-ready"
KWOK_TAINT = {"key": "kwok.x-k8s.io/node", "value": "fake", "effect": "NoSchedule"}
NODE_NAME_PREFIX = "kwok-node-"
NODE_LABELS = {"type": "kwok"}
NODES_PATH = "/api/v1/nodes"
SELECTOR = "type=kwok"
CREATE_WORKERS = 16
_QUANTITY = re.compile(r"^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$")


class NodeError(Exception):
    """The apiserver refused a node, or the nodes did not become Ready in time."""


_TAINT = re.compile(r"^([^=:\s]+)(?:=([^:\s]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$")


@dataclass(frozen=True)
class NodeShape:
    cpu: str = "4"
    memory: str = "32Gi"
    pods: int = 110
    zones: int = 3
    taints: tuple[dict, ...] = ()  # none: pods schedule without tolerations


def parse_taints(text: str) -> tuple[dict, ...]:
    """`kwok` (kwok's own fake-node taint) or kubectl's `key[=value]:Effect`, comma-separated."""
    taints = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if part == "kwok":
            taints.append(KWOK_TAINT)
            continue
        match = _TAINT.match(part)
        if not match:
            raise ValueError(f"{part!r} is not a taint: kwok, or key[=value]:NoSchedule|PreferNoSchedule|NoExecute")
        key, value, effect = match.groups()
        taints.append({"key": key, **({"value": value} if value else {}), "effect": effect})
    return tuple(taints)


def is_quantity(text: str) -> bool:
    """Whether `text` is a well-formed, non-negative Kubernetes quantity (e.g. 4, 500m, 32Gi)."""
    return bool(_QUANTITY.match(text))


def node_name(index: int) -> str:
    return f"{NODE_NAME_PREFIX}{index}"


def node_manifest(index: int, shape: NodeShape, now: str | None = None) -> dict:
    name = node_name(index)
    now = now or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    resources = {"cpu": shape.cpu, "memory": shape.memory, "pods": str(shape.pods)}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "topology.kubernetes.io/zone": f"zone-{index % shape.zones}",
                **NODE_LABELS,
            },
            "annotations": {KWOK_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {"taints": list(shape.taints)},
        # Nodes, unlike most objects, keep the status they are created with: born Ready,
        # they cost kwok no first patch each, and the controller manager no not-ready
        # taint to add and remove. kwok keeps them Ready from then on (leases, heartbeats).
        "status": {
            "capacity": resources,
            "allocatable": resources,
            "conditions": _conditions(now),
            "addresses": [{"type": "Hostname", "address": name}],
            "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux",
                         "kubeletVersion": "kwok", "containerRuntimeVersion": "kwok",
                         "kernelVersion": "kwok", "kubeProxyVersion": "kwok", "osImage": "kwok",
                         "machineID": "", "systemUUID": "", "bootID": ""},
            "phase": "Running",
        },
    }


def _conditions(now: str) -> list[dict]:
    healthy = {"Ready": ("True", "KubeletReady", "kubelet is posting ready status"),
               "MemoryPressure": ("False", "KubeletHasSufficientMemory", ""),
               "DiskPressure": ("False", "KubeletHasNoDiskPressure", ""),
               "PIDPressure": ("False", "KubeletHasSufficientPID", ""),
               "NetworkUnavailable": ("False", "RouteCreated", "")}
    return [{"type": kind, "status": status, "reason": reason, "message": message,
             "lastHeartbeatTime": now, "lastTransitionTime": now}
            for kind, (status, reason, message) in healthy.items()]


def create_nodes(client: Kube, count: int, shape: NodeShape) -> None:
    """Create nodes 0..count-1; ones that already exist are left as they are."""
    def create(index: int) -> None:
        try:
            client.request("POST", NODES_PATH, node_manifest(index, shape))
        except ApiError as error:
            if error.status != 409:
                raise NodeError(f"creating node {node_name(index)}: HTTP {error}") from None

    with ThreadPoolExecutor(max_workers=CREATE_WORKERS) as pool:
        for _ in pool.map(create, range(count)):
            pass


def wait_until_ready(client: Kube, count: int, timeout: float,
                     still_running: Callable[[], bool] = lambda: True) -> None:
    """Wait until `count` fake nodes are Ready: list once, then follow a watch (listing
    5000 nodes again and again would cost more than kwok's work it waits for)."""
    deadline = time.monotonic() + timeout
    ready: set[str] = set()
    version = None
    while True:
        if version is None:  # first time, or the watch fell too far behind: list afresh
            try:
                body = client.request("GET", NODES_PATH, query={"labelSelector": SELECTOR})
            except ApiError as error:
                raise NodeError(f"listing nodes: HTTP {error}") from None
            ready = {node["metadata"]["name"] for node in body["items"] if _is_ready(node)}
            version = body["metadata"]["resourceVersion"]
        if len(ready) >= count:
            return
        if not still_running():
            raise NodeError(f"exited while {count - len(ready)} of {count} nodes were not Ready")
        if time.monotonic() > deadline:
            raise NodeError(f"only {len(ready)} of {count} nodes became Ready "
                            f"within {timeout:.0f}s")
        # The server ends each watch after a few seconds, so the checks above run again.
        for event in _watch(client, {"labelSelector": SELECTOR, "watch": "1",
                                     "resourceVersion": version, "timeoutSeconds": "5"}):
            node = event["object"]
            if event["type"] == "ERROR":  # 410 Gone: our resourceVersion was compacted
                version = None
                break
            version = node["metadata"]["resourceVersion"]
            name = node["metadata"]["name"]
            if event["type"] != "DELETED" and _is_ready(node):
                ready.add(name)
            else:
                ready.discard(name)
            if len(ready) >= count:
                return


def _watch(client: Kube, query: dict) -> Iterator[dict]:
    response = client.stream(NODES_PATH, query, timeout=30)
    try:
        for line in response:
            if line.strip():
                yield orjson.loads(line)
    finally:  # the stream may be left unread: close it rather than reuse it
        response.close()
        response.release_conn()


def _is_ready(node: dict) -> bool:
    """Ready, and free of the not-ready taint that the controller manager puts on a node
    it has seen not Ready."""
    ready = any(condition["type"] == "Ready" and condition["status"] == "True"
                for condition in node.get("status", {}).get("conditions", []))
    tainted = any(taint["key"] == NOT_READY_TAINT for taint in node["spec"].get("taints", []))
    return ready and not tainted
