"""A heterogeneous workload: every pod differs (random requests, node selectors,
tolerations, spread constraints and anti-affinity), so that no two pods share a class and
the per-class caches cannot help. Seeded: the same manifests every run."""

from __future__ import annotations

import random

from tests.perf import HOSTNAME, ZONE, perf_node, perf_pod

ZONES = 3
APPS = 40


def heterogeneous_nodes(count: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    nodes = []
    for i in range(count):
        node = perf_node(i, cpu=str(rng.choice((4, 8, 16))), memory=f"{rng.choice((16, 32, 64))}Gi", zones=ZONES)
        node["metadata"]["labels"]["disk"] = rng.choice(("ssd", "hdd"))
        if rng.random() < 0.1:
            node["spec"] = {"taints": [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]}
        nodes.append(node)
    return nodes


def heterogeneous_pods(count: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed + 1)
    pods = []
    for i in range(count):
        app = f"app-{rng.randrange(APPS)}"
        spec: dict = {}
        if rng.random() < 0.3:
            spec["nodeSelector"] = {"disk": "ssd"}
        if rng.random() < 0.3:
            spec["tolerations"] = [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}]
        if rng.random() < 0.6:
            spec["topologySpreadConstraints"] = [{
                "maxSkew": rng.randint(1, 5), "topologyKey": rng.choice((ZONE, HOSTNAME)),
                "whenUnsatisfiable": rng.choice(("DoNotSchedule", "ScheduleAnyway")),
                "labelSelector": {"matchLabels": {"app": app}}}]
        if rng.random() < 0.2:
            spec["affinity"] = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": rng.randint(1, 100), "podAffinityTerm": {
                    "labelSelector": {"matchLabels": {"app": app}}, "topologyKey": HOSTNAME}}]}}
        pods.append(perf_pod(i, prefix="mixed", cpu=f"{rng.randint(50, 1000)}m", memory=f"{rng.randint(100, 2000)}Mi",
                             labels={"app": app}, extra_spec=spec))
    return pods
