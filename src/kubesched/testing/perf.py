"""scheduler_perf-style clusters and pods as plain manifests (dicts), for benchmarks and tests.

The node template is upstream's: 4 CPU, 32Gi, 110 pods; pods request 100m / 500Mi."""

from __future__ import annotations


def perf_node(i: int, *, cpu: str = "4", memory: str = "32Gi", pods: int = 110, zones: int = 0) -> dict:
    labels = {"kubernetes.io/hostname": f"node-{i}"}
    if zones:
        labels["topology.kubernetes.io/zone"] = f"zone-{i % zones}"
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": f"node-{i}", "labels": labels},
        "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": str(pods)},
                   "capacity": {"cpu": cpu, "memory": memory, "pods": str(pods)}},
    }


def perf_pod(i: int, *, prefix: str = "pod", cpu: str = "100m", memory: str = "500Mi",
             labels: dict | None = None, extra_spec: dict | None = None) -> dict:
    spec = {"containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.10",
                            "resources": {"requests": {"cpu": cpu, "memory": memory}}}]}
    spec.update(extra_spec or {})
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"{prefix}-{i}", "namespace": "default", "labels": dict(labels or {})},
            "spec": spec}


def as_list(items: list[dict]) -> dict:
    return {"apiVersion": "v1", "kind": "List", "items": items}
