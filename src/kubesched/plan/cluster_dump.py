"""`kubesched snapshot`: a live cluster's nodes, pods and the objects the plugins read, written
as YAML manifests (one `kind: List` file per kind) for offline simulation and planning.

Lists go through the official client with `_preload_content=False` (raw JSON, no model
objects) and pages of `limit` items. `managedFields` are dropped; everything else is kept,
so that `kubesched simulate -f DIR` reads the cluster as the API served it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import orjson
import yaml

from kubesched.errors import InputError
from kubesched.inputs import read_bytes

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class Listed:
    file: str          # file stem in the output directory
    kind: str
    api_version: str
    api: str           # kubernetes.client class
    method: str        # its list method (cluster-scoped or across all namespaces)


KINDS = (
    Listed("nodes", "Node", "v1", "CoreV1Api", "list_node"),
    Listed("namespaces", "Namespace", "v1", "CoreV1Api", "list_namespace"),
    Listed("pods", "Pod", "v1", "CoreV1Api", "list_pod_for_all_namespaces"),
    Listed("services", "Service", "v1", "CoreV1Api", "list_service_for_all_namespaces"),
    Listed("replicationcontrollers", "ReplicationController", "v1", "CoreV1Api",
           "list_replication_controller_for_all_namespaces"),
    Listed("replicasets", "ReplicaSet", "apps/v1", "AppsV1Api", "list_replica_set_for_all_namespaces"),
    Listed("statefulsets", "StatefulSet", "apps/v1", "AppsV1Api", "list_stateful_set_for_all_namespaces"),
    Listed("daemonsets", "DaemonSet", "apps/v1", "AppsV1Api", "list_daemon_set_for_all_namespaces"),
    Listed("priorityclasses", "PriorityClass", "scheduling.k8s.io/v1", "SchedulingV1Api", "list_priority_class"),
    Listed("runtimeclasses", "RuntimeClass", "node.k8s.io/v1", "NodeV1Api", "list_runtime_class"),
    Listed("poddisruptionbudgets", "PodDisruptionBudget", "policy/v1", "PolicyV1Api",
           "list_pod_disruption_budget_for_all_namespaces"),
)


def api_client_from(kubeconfig: str, context: str | None = None):
    from kubernetes import config

    read_bytes(kubeconfig)  # a regular, readable file of bounded size (never a FIFO the loader would block on)
    try:
        return config.new_client_from_config(config_file=kubeconfig, context=context)
    except Exception as e:  # the loader raises ConfigException, ValueError, KeyError, ...
        raise InputError(f"cannot use this kubeconfig: {e}", file=kubeconfig) from None


def dump_cluster(api_client, directory: str, *, page_size: int = 500,
                 warn: Callable[[str], None] = lambda message: None) -> dict[str, int]:
    """Writes DIR/<kind>.yaml for every listed kind; returns the count per kind. A kind that
    the credentials may not list is skipped with a warning."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    os.makedirs(directory, exist_ok=True)
    counts = {}
    for listed in KINDS:
        api = getattr(client, listed.api)(api_client)
        try:
            items = _list_all(getattr(api, listed.method), page_size)
        except ApiException as e:
            if e.status in (401, 403, 404):
                warn(f"cannot list {listed.kind} objects ({e.status} {e.reason}); {listed.file}.yaml not written")
                continue
            raise InputError(f"listing {listed.kind} objects failed: {e.status} {e.reason}") from None
        except (OSError, HTTPError) as e:  # connection refused, DNS, TLS, retries exhausted
            raise InputError(f"cannot reach the API server: {_reason(e)}", file=api_client.configuration.host,
                             field=listed.kind) from None
        for item in items:
            item["apiVersion"] = listed.api_version
            item["kind"] = listed.kind
            (item.get("metadata") or {}).pop("managedFields", None)
        document = {"apiVersion": "v1", "kind": "List", "items": items}
        with open(os.path.join(directory, f"{listed.file}.yaml"), "w", encoding="utf-8") as handle:
            yaml.dump(document, handle, Dumper=_Dumper, sort_keys=False, default_flow_style=False)
        counts[listed.kind] = len(items)
    return counts


def _list_all(method, page_size: int) -> list[dict]:
    items: list[dict] = []
    token = None
    while True:
        kwargs = {"limit": page_size, "_preload_content": False}
        if token:
            kwargs["_continue"] = token
        response = method(**kwargs)
        data = orjson.loads(response.data)
        items.extend(data.get("items") or [])
        token = (data.get("metadata") or {}).get("continue")
        if not token:
            return items


def _reason(error: Exception) -> str:
    """The innermost cause urllib3 wraps ("Connection refused"), not its retry bookkeeping."""
    reason = getattr(error, "reason", None)
    return str(reason if reason is not None else error)
