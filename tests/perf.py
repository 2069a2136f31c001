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


def _term(color: str, key: str) -> dict:
    return {"labelSelector": {"matchLabels": {"color": color}}, "topologyKey": key,
            "namespaces": ["sched-0", "sched-1"]}


HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"

# Pod templates after upstream scheduler_perf's config/templates (labels and spec extras).
POD_TEMPLATES: dict[str, tuple[dict, dict]] = {
    "default": ({}, {}),
    "node-affinity": ({}, {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": ZONE, "operator": "In",
                                                     "values": ["zone1", "zone2"]}]}]}}}}),
    "pod-anti-affinity": ({"color": "green"}, {"affinity": {"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [_term("green", HOSTNAME)]}}}),
    "pod-affinity": ({"color": "blue"}, {"affinity": {"podAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [_term("blue", ZONE)]}}}),
    "preferred-pod-affinity": ({"color": "red"}, {"affinity": {"podAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 1, "podAffinityTerm": _term("red", HOSTNAME)}]}}}),
    "preferred-pod-anti-affinity": ({"color": "yellow"}, {"affinity": {"podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 1, "podAffinityTerm": _term("yellow", HOSTNAME)}]}}}),
    # No constraints of its own: a Service selects the pods (DEFAULT_CONSTRAINTS_SERVICE), so
    # PodTopologySpread's system defaults apply (zone and hostname, ScheduleAnyway).
    "default-constraints": ({"app": "web"}, {}),
    "topology-spreading": ({"color": "blue"}, {"topologySpreadConstraints": [
        {"maxSkew": 5, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule",
         "labelSelector": {"matchLabels": {"color": "blue"}}}]}),
    "preferred-topology-spreading": ({"color": "blue"}, {"topologySpreadConstraints": [
        {"maxSkew": 5, "topologyKey": ZONE, "whenUnsatisfiable": "ScheduleAnyway",
         "labelSelector": {"matchLabels": {"color": "blue"}}}]}),
}


DEFAULT_CONSTRAINTS_SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
                               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}


def workload_pods(template: str, count: int, *, prefix: str, namespace: str = "default") -> list[dict]:
    labels, extra = POD_TEMPLATES[template]
    pods = [perf_pod(i, prefix=prefix, labels=labels, extra_spec=extra) for i in range(count)]
    for pod in pods:
        pod["metadata"]["namespace"] = namespace
    return pods


def load_workload(path, scale: float = 1.0) -> dict:
    """A bench/workloads/*.yaml file expanded into manifests: `nodes`, `init_pods`,
    `measure_pods` (lists of dicts), plus `name` and `upstream_floor`. `scale` shrinks
    every count (for quick runs)."""
    import yaml

    with open(path, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)

    def scaled(count: int) -> int:
        return max(1, int(count * scale))

    node_spec = spec["nodes"]
    nodes = []
    for i in range(scaled(node_spec["count"])):
        node = perf_node(i, zones=node_spec.get("zones", 0))
        node["metadata"]["labels"].update(node_spec.get("labels") or {})
        nodes.append(node)
    init_pods = []
    for k, group in enumerate(spec.get("initPods") or ()):
        init_pods += workload_pods(group["template"], scaled(group["count"]), prefix=f"init-{k}",
                                   namespace=group.get("namespace", "default"))
    measure = spec["measurePods"]
    measure_pods = workload_pods(measure["template"], scaled(measure["count"]), prefix="measure",
                                 namespace=measure.get("namespace", "default"))
    services = [DEFAULT_CONSTRAINTS_SERVICE] if measure["template"] == "default-constraints" else []
    return {"name": spec["name"], "upstream_floor": spec.get("upstreamFloor"), "nodes": nodes,
            "init_pods": init_pods, "measure_pods": measure_pods, "services": services}
