"""Random scheduling scenarios for the differential test: a pure function of the seed.

`generate(seed)` builds `{"objects": [...], "config": {...} | None}` (the contract shared
with the oracle) from `random.Random(seed)` alone, so a seed names a scenario for good.
Sizes are drawn per seed, most scenarios small (a few nodes and pods, where every plugin's
verdict matters), some up to ~60 nodes and ~80 pods. One small function per object family.

`exclude` leaves families out, to measure agreement on the rest while a known divergence
is being fixed; the test that `make test` runs excludes nothing.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field

from .dra_scenarios import add_dra
from .dra_sharing import add_dra_sharing
from tests.differential.volume_family import volume_objects

# Families that can be left out of generation (see FAMILIES_HELP for what each covers).
FAMILIES_HELP = {
    "balanced": "NodeResourcesBalancedAllocation scores (excluded: the plugin is disabled in the config)",
    "workload-objects": "Namespaces with labels + namespaceSelector, Services/ReplicaSets/StatefulSets/RCs",
    "hostnetwork-ports": "hostNetwork pods whose container ports get their hostPort by defaulting",
    "matchfields": "required node affinity with matchFields metadata.name (NodeAffinity PreFilter node set)",
    "nodeaffinity-filter-disabled": "configs that disable the NodeAffinity filter only",
    "pod-level-resources": "pod-level spec.resources",
    "runtimeclass": "pods whose overhead comes from their RuntimeClass (admission)",
    "gt-lt-non-integer": "node affinity Gt/Lt with a value that is not an integer (valid, never matches)",
    "invalid": "objects the API server rejects",
    "dra": "DeviceClasses, ResourceSlices, ResourceClaims and templates, pods that claim devices (dra_scenarios.py)",
    "volumes": "PVs, claims, StorageClasses, CSI objects and pods mounting claims (volume_family.py)",
    "twins": "copies of pending pods that differ only in their images (and tolerations): one class where the "
             "profile reads neither (engine.pod_class.ClassSigner), drawn last",
    "replicas": "copies of pending pods that differ only in their names, which simulate reads and decides as "
                "batches (kubesched.model.pod_batches, sim/batched.py): drawn last, and in a scenario of their "
                "own per seed (generate_replicas) where they are the only pending pods",
    "no-nodes": "a cluster without nodes, where upstream's schedulePod fails before any plugin runs (its own "
                "scenario for every fifth seed: seed's pending pods alone, generate_without_nodes)",
    "preemption": "priorities, PodDisruptionBudgets and DefaultPreemption (its own scenario per seed, "
                  "preemption_scenarios.py)",
    "preemption-dra": "DefaultPreemption with claimed devices: claim-bearing preemptors, victims holding allocated "
                      "claims (its own scenario per seed, preemption_dra_scenarios.py)",
}
FAMILIES = tuple(FAMILIES_HELP)
# Divergences known when the differential test was written, being fixed in kubesched.
KNOWN_DIVERGENT = ("balanced", "workload-objects", "hostnetwork-ports", "matchfields",
                   "nodeaffinity-filter-disabled", "pod-level-resources")

ZONE = "topology.kubernetes.io/zone"
REGION = "topology.kubernetes.io/region"
HOSTNAME = "kubernetes.io/hostname"
TOPOLOGY_KEYS = (HOSTNAME, ZONE, ZONE, REGION, "rack")
APPS = ("web", "db", "cache", "batch")
NAMESPACES = ("default", "team-a", "team-b")
TEAMS = ("alpha", "beta")
IMAGES = ("nginx", "nginx:1.27", "redis:7", "docker.io/library/busybox:latest", "registry.k8s.io/pause:3.10",
          "quay.io/prometheus/node-exporter:v1.8.0", "gcr.io/example/app@sha256:" + "ab" * 32)
TAINT_KEYS = ("dedicated", "gpu", "spot", "node.kubernetes.io/unschedulable")
EXTENDED = ("example.com/gpu", "example.com/fpga")
TIMES = ("2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "2026-01-01T00:05:00Z", "2026-01-02T10:00:00Z")
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
PRIORITY_CLASSES = (("high", 1000), ("low", 10), ("critical-app", 100000))
RUNTIME_CLASS = "sandboxed"
INT64_MAX = 2**63 - 1


@dataclass
class _Gen:
    rng: random.Random
    exclude: frozenset[str]
    huge: bool = False  # some nodes with quantities near int64's limit
    image_sizes: dict[str, int] = field(default_factory=dict)  # image → its one size in the scenario

    def has(self, family: str) -> bool:
        return family not in self.exclude

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, seq):
        return self.rng.choice(seq)


def generate(seed: int, exclude: frozenset[str] | set[str] = frozenset()) -> dict:
    unknown = set(exclude) - set(FAMILIES)
    if unknown:
        raise ValueError(f"unknown families {sorted(unknown)}; known: {', '.join(FAMILIES)}")
    g = _Gen(random.Random(seed), frozenset(exclude))
    g.huge = g.chance(0.06)
    g.image_sizes = {image: g.pick((1 << 20, 50 << 20, 300 << 20, 2 << 30)) for image in IMAGES}
    node_count, pod_count = _sizes(g)
    objects: list[dict] = []
    objects += [_namespace(g, name) for name in NAMESPACES]
    classes = _priority_classes(g)
    objects += classes
    runtime = g.has("runtimeclass") and g.chance(0.3)
    if runtime:
        objects.append(_runtime_class())
    nodes = [_node(g, i) for i in range(node_count)]
    objects += nodes
    controllers = _controllers(g) if g.has("workload-objects") else []
    objects += controllers
    if g.has("workload-objects"):
        objects += [_service(g, i) for i in range(g.rng.randint(0, 2))]
    names = [n["metadata"]["name"] for n in nodes]
    class_names = [c["metadata"]["name"] for c in classes]
    bound_share = g.pick((0.0, 0.2, 0.5))
    holding_huge: set[str] = set()  # nodes with a bound 6Ei pod: a second would sum past int64
    for i in range(pod_count):
        pod = _pod(g, i, names, class_names, runtime, controllers)
        if g.chance(bound_share):
            node = g.pick(names)
            if _has_huge_request(pod["spec"]):
                if node in holding_huge:
                    objects.append(pod)  # left pending instead
                    continue
                holding_huge.add(node)
            pod["spec"]["nodeName"] = node
        objects.append(pod)
    if g.has("invalid") and g.chance(0.15):
        for k in range(g.rng.randint(1, 2)):
            objects.append(_invalid_pod(g, pod_count + k, names, class_names, runtime, controllers))
    config = _config(g) if g.chance(0.35) or not g.has("balanced") else None
    if g.has("dra"):
        objects = add_dra(seed, objects)  # its own random choices: the rest is unchanged
        objects = add_dra_sharing(seed, objects)  # consumable capacity, with random choices of its own
    if g.has("volumes"):  # after DRA: its pods are its own, they claim no devices
        objects += volume_objects(seed, nodes)
    if g.has("twins"):  # its own random choices: the rest is unchanged
        objects += _twins(random.Random(f"twins-{seed}"), objects)
    if g.has("replicas"):  # its own random choices: the rest is unchanged
        objects += _replicas(random.Random(f"replicas-{seed}"), objects)
    return {"objects": objects, "config": config}


TWIN_SUFFIX = "-twin"


def _twins(rng: random.Random, objects: list[dict]) -> list[dict]:
    """Copies of a few pending pods without claims or volumes, each with other container
    images and, half the time, no tolerations."""
    pending = [obj for obj in objects if _is_pending(obj) and _without_storage(obj)]
    if not pending or rng.random() >= 0.5:
        return []
    twins = []
    for original in rng.sample(pending, min(len(pending), rng.randint(1, 3))):
        twin = copy.deepcopy(original)
        twin["metadata"]["name"] += TWIN_SUFFIX
        for container in twin["spec"]["containers"]:
            container["image"] = rng.choice(IMAGES)
        if rng.random() < 0.5:
            twin["spec"].pop("tolerations", None)
        twins.append(twin)
    return twins


REPLICA_SUFFIX = "-replica-"


def _replicas(rng: random.Random, objects: list[dict]) -> list[dict]:
    """Copies of one or two pending pods without claims or volumes (never batched) under
    other names, as a controller makes them."""
    pending = [obj for obj in objects if _is_pending(obj) and _without_storage(obj)
               and not obj["metadata"]["name"].startswith("invalid-")]
    if not pending or rng.random() >= 0.4:
        return []
    return _copies(rng, rng.sample(pending, min(len(pending), rng.randint(1, 2))), 12)


def _copies(rng: random.Random, originals: list[dict], most: int) -> list[dict]:
    replicas = []
    for original in originals:
        for k in range(rng.randint(2, most)):
            replica = copy.deepcopy(original)
            replica["metadata"]["name"] += f"{REPLICA_SUFFIX}{k}"
            replicas.append(replica)
    return replicas


def generate_replicas(seed: int) -> dict:
    """The `replicas` family's own scenario: seed's cluster (nodes, namespaces, classes,
    workload objects, bound pods) whose only pending pods are copies of one to three of its
    pending pods, so that simulate's batched path decides them wherever they all fit."""
    base = generate(seed, frozenset({"dra", "volumes", "twins", "replicas", "invalid", "preemption",
                                     "preemption-dra"}))
    pending = [obj for obj in base["objects"] if _is_pending(obj)]
    rng = random.Random(f"replica-set-{seed}")
    originals = rng.sample(pending, min(len(pending), rng.randint(1, 3)))
    return {"objects": [obj for obj in base["objects"] if not _is_pending(obj)] + _copies(rng, originals, 25),
            "config": base["config"]}


def generate_without_nodes(seed: int) -> dict | None:
    """The `no-nodes` family's own scenario, for every fifth seed: seed's namespaces, classes
    and pending pods without a node (nor the bound pods, volumes and devices that need one)."""
    if seed % 5:
        return None
    base = generate(seed, frozenset({"dra", "volumes", "invalid", "preemption", "preemption-dra"}))
    return {"objects": [obj for obj in base["objects"] if obj["kind"] != "Node"
                        and (obj["kind"] != "Pod" or _is_pending(obj))], "config": base["config"]}


def _is_pending(obj: dict) -> bool:
    return obj.get("kind") == "Pod" and not obj["spec"].get("nodeName")


def _without_storage(pod: dict) -> bool:
    """A pod that claims no devices and mounts no volumes."""
    return not pod["spec"].get("resourceClaims") and not pod["spec"].get("volumes")


def _sizes(g: _Gen) -> tuple[int, int]:
    size = g.rng.random()
    if size < 0.65:
        return g.rng.randint(1, 6), g.rng.randint(1, 8)
    if size < 0.9:
        return g.rng.randint(5, 20), g.rng.randint(5, 30)
    return g.rng.randint(20, 60), g.rng.randint(20, 80)


def _meta(name: str, namespace: str | None = None, labels: dict | None = None) -> dict:
    meta: dict = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    return meta


# --- cluster-scoped objects -------------------------------------------------------------

def _namespace(g: _Gen, name: str) -> dict:
    labels = {"team": g.pick(TEAMS)} if g.has("workload-objects") and g.chance(0.7) else None
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(name, labels=labels)}


def _priority_classes(g: _Gen) -> list[dict]:
    if not g.chance(0.4):
        return []
    result = []
    default = g.chance(0.3)
    for i, (name, value) in enumerate(PRIORITY_CLASSES[:g.rng.randint(1, 3)]):
        obj = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": _meta(name), "value": value}
        if default and i == 0:
            obj["globalDefault"] = True
        result.append(obj)
    return result


def _runtime_class() -> dict:
    return {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": _meta(RUNTIME_CLASS),
            "handler": "runsc", "overhead": {"podFixed": {"cpu": "250m", "memory": "64Mi"}}}


# --- nodes ------------------------------------------------------------------------------

def _node(g: _Gen, i: int) -> dict:
    name = f"node-{i}"
    labels = {HOSTNAME: name}
    if g.chance(0.9):
        labels[ZONE] = f"zone-{g.rng.randint(0, 2)}"
    if g.chance(0.6):
        labels[REGION] = f"region-{g.rng.randint(0, 1)}"
    if g.chance(0.5):
        labels["rack"] = f"rack-{g.rng.randint(0, 3)}"
    for key, values in (("disk", ("ssd", "hdd")), ("tier", ("a", "b", "c")), ("generation", ("3", "5", "7", "x"))):
        if g.chance(0.5):
            labels[key] = g.pick(values)
    spec: dict = {}
    if g.chance(0.08):
        spec["unschedulable"] = True
    taints = [_taint(g) for _ in range(g.pick((0, 0, 0, 1, 1, 2)))]
    if taints:
        spec["taints"] = list({(t["key"], t["effect"]): t for t in taints}.values())
    allocatable = _allocatable(g)
    status: dict = {"capacity": dict(allocatable), "allocatable": allocatable}
    images = _node_images(g)
    if images:
        status["images"] = images
    return {"apiVersion": "v1", "kind": "Node", "metadata": _meta(name, labels=labels), "spec": spec,
            "status": status}


def _taint(g: _Gen) -> dict:
    taint = {"key": g.pick(TAINT_KEYS), "effect": g.pick(("NoSchedule", "PreferNoSchedule", "PreferNoSchedule",
                                                          "NoExecute"))}
    if g.chance(0.6):
        taint["value"] = g.pick(("true", "infra", "x"))
    return taint


def _allocatable(g: _Gen) -> dict:
    if g.huge and g.chance(0.3):  # near int64 limits: overflow in upstream's integer arithmetic counts too
        return {"cpu": g.pick(("9223372036854775", "4000000000")), "memory": g.pick(("7Ei", str(INT64_MAX))),
                "ephemeral-storage": "7Ei", "pods": "110", EXTENDED[0]: str(INT64_MAX)}
    allocatable = {
        "cpu": g.pick(("2", "4", "8", "3500m", "16", "500m")),
        "memory": g.pick(("4Gi", "8Gi", "16Gi", "32Gi", "7950Mi", "1G")),
        "pods": g.pick(("110", "110", "10", "3", "1")),
    }
    if g.chance(0.7):
        allocatable["ephemeral-storage"] = g.pick(("20Gi", "100Gi", "1Gi"))
    if g.chance(0.25):
        allocatable[g.pick(EXTENDED)] = str(g.rng.randint(0, 8))
    return allocatable


def _node_images(g: _Gen) -> list[dict]:
    """A few of the images, each with its one size in this scenario. (Nodes reporting different
    sizes for one name would make upstream's score depend on the order its cache saw the
    nodes in: it keeps the size of the first.)"""
    if not g.chance(0.5):
        return []
    images = []
    for image in g.rng.sample(IMAGES, g.rng.randint(1, 3)):
        names = [_normalised(image)]
        if image != names[0] and g.chance(0.5):
            names.append(image)
        images.append({"names": names, "sizeBytes": g.image_sizes[image]})
    return images


def _normalised(image: str) -> str:
    """How a container runtime reports an image (docker.io/library/x:latest)."""
    name = image if "/" in image.split(":")[0] and "." in image.split("/")[0] else (
        "docker.io/" + (image if "/" in image else "library/" + image))
    return name if ":" in name.rsplit("/", 1)[-1] or "@" in name else name + ":latest"


# --- controllers and services (system default spreading) ---------------------------------

def _controllers(g: _Gen) -> list[dict]:
    result = []
    for i in range(g.pick((0, 0, 1, 2))):
        kind = g.pick(("ReplicaSet", "StatefulSet", "ReplicationController"))
        app = g.pick(APPS)
        namespace = g.pick(NAMESPACES)
        labels = {"app": app, "owner": f"c{i}"}
        template = {"metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
        if kind == "ReplicationController":
            spec = {"replicas": 0, "selector": labels, "template": template}
            api = "v1"
        else:
            spec = {"replicas": 0, "selector": {"matchLabels": labels}, "template": template}
            api = "apps/v1"
            if kind == "StatefulSet":
                spec["serviceName"] = f"svc-{i}"
        meta = _meta(f"{kind.lower()}-{i}", namespace)
        meta["uid"] = f"00000000-0000-4000-8000-{i:012d}"
        result.append({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec})
    return result


def _service(g: _Gen, i: int) -> dict:
    selector = {"app": g.pick(APPS)}
    if g.chance(0.3):
        selector["tier"] = g.pick(("front", "back"))
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(f"svc-{i}", g.pick(NAMESPACES)),
            "spec": {"selector": selector, "ports": [{"port": 80}]}}


# --- pods -------------------------------------------------------------------------------

def _pod(g: _Gen, i: int, nodes: list[str], classes: list[str], runtime: bool, controllers: list[dict]) -> dict:
    namespace = g.pick(NAMESPACES) if g.chance(0.6) else "default"
    labels = {"app": g.pick(APPS)}
    if g.chance(0.5):
        labels["tier"] = g.pick(("front", "back"))
    if g.chance(0.3):
        labels["version"] = g.pick(("v1", "v2"))
    meta = _meta(f"pod-{i}", namespace, labels)
    if g.chance(0.7):
        meta["creationTimestamp"] = g.pick(TIMES)
    owner = _owner(g, namespace, controllers)
    if owner:
        meta["labels"].update(owner[1])
        meta["ownerReferences"] = [owner[0]]
    spec: dict = {"containers": [_container(g, f"c{k}") for k in range(g.pick((1, 1, 1, 2, 3)))]}
    if g.chance(0.2):
        spec["initContainers"] = [_init_container(g, f"init{k}") for k in range(g.rng.randint(1, 3))]
    _one_huge_request(spec)
    if g.has("pod-level-resources") and g.chance(0.12):
        spec["resources"] = _pod_resources(g)
    if runtime and g.chance(0.4):
        spec["runtimeClassName"] = RUNTIME_CLASS
    if classes and g.chance(0.6):
        spec["priorityClassName"] = g.pick(classes)
    if g.chance(0.15):
        spec["nodeSelector"] = _node_selector(g)
    affinity = _affinity(g, nodes)
    if affinity:
        spec["affinity"] = affinity
    if g.chance(0.3):
        spec["tolerations"] = [_toleration(g) for _ in range(g.rng.randint(1, 3))]
    if g.chance(0.2):
        spec["topologySpreadConstraints"] = _spread_constraints(g, labels)
    _host_ports(g, spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def _owner(g: _Gen, namespace: str, controllers: list[dict]) -> tuple[dict, dict] | None:
    mine = [c for c in controllers if c["metadata"]["namespace"] == namespace]
    if not mine or not g.chance(0.6):
        return None
    c = g.pick(mine)
    ref = {"apiVersion": c["apiVersion"], "kind": c["kind"], "name": c["metadata"]["name"],
           "uid": c["metadata"]["uid"], "controller": True}
    return ref, c["spec"]["template"]["metadata"]["labels"]


def _quantity(g: _Gen, resource: str) -> str:
    if resource == "cpu":
        return g.pick(("100m", "250m", "500m", "1", "2", "0", "1500m", "3"))
    if resource == "memory":
        return g.pick(("64Mi", "128Mi", "512Mi", "1Gi", "2Gi", "0", "300M"))
    if resource == "ephemeral-storage":
        return g.pick(("1Gi", "5Gi", "500Mi"))
    return str(g.rng.randint(1, 3))


def _resources(g: _Gen) -> dict:
    requests: dict = {}
    for resource, p in (("cpu", 0.8), ("memory", 0.75), ("ephemeral-storage", 0.15)):
        if g.chance(p):
            requests[resource] = _quantity(g, resource)
    limits = {}
    if g.chance(0.1):  # extended resources are not overcommitted: limit = request
        extended = g.pick(EXTENDED)
        requests[extended] = limits[extended] = _quantity(g, "extended")
    if g.chance(0.01):
        requests["memory"] = "6Ei"
    if g.chance(0.2):  # limits only: the API copies them into the requests
        limits.update({r: _quantity(g, r) for r in ("cpu", "memory") if r not in requests and g.chance(0.6)})
    result: dict = {}
    if requests:
        result["requests"] = requests
    if limits:
        result["limits"] = limits
    return result


def _has_huge_request(spec: dict) -> bool:
    return any(((c.get("resources") or {}).get("requests") or {}).get("memory") == "6Ei"
               for c in [*spec["containers"], *spec.get("initContainers", ())])


def _one_huge_request(spec: dict) -> None:
    """At most one 6Ei memory request per pod: two would sum past int64, which upstream's
    int64 arithmetic wraps and kubesched refuses as input, naming the pod (README)."""
    seen = False
    for container in [*spec["containers"], *spec.get("initContainers", ())]:
        requests = (container.get("resources") or {}).get("requests") or {}
        if requests.get("memory") == "6Ei":
            if seen:
                requests["memory"] = "6Gi"
            seen = True


def _container(g: _Gen, name: str) -> dict:
    container: dict = {"name": name, "image": g.pick(IMAGES)}
    resources = _resources(g)
    if resources:
        container["resources"] = resources
    return container


def _init_container(g: _Gen, name: str) -> dict:
    container = _container(g, name)
    if g.chance(0.4):
        container["restartPolicy"] = "Always"  # a sidecar
    return container


def _pod_resources(g: _Gen) -> dict:
    """Pod-level requests, large enough to cover most containers' sum (the API requires it)."""
    requests = {}
    if g.chance(0.7):
        requests["cpu"] = g.pick(("4", "6", "10"))
    if g.chance(0.7) or not requests:
        requests["memory"] = g.pick(("4Gi", "8Gi"))
    if g.chance(0.3):
        limits = {"cpu": "12", "memory": "16Gi"}
        return {"limits": limits, "requests": requests} if g.chance(0.5) else {"limits": limits}
    return {"requests": requests}


def _node_selector(g: _Gen) -> dict:
    return dict([g.pick(((ZONE, "zone-1"), ("disk", "ssd"), ("tier", "a"), (REGION, "region-0"),
                         (HOSTNAME, "node-0")))])


def _requirement(g: _Gen, pod: bool = True, required: bool = False) -> dict:
    op = g.pick(OPERATORS)
    if op in ("Gt", "Lt"):
        value = g.pick(("2", "4", "6"))
        if pod and required and g.chance(0.04) and g.has("gt-lt-non-integer"):
            # A pod's required term may say so (the term never matches); a scheduler config
            # may not, and in a preferred term upstream's NodeAffinity PreScore fails on it
            # at every attempt, so kubesched refuses such a pod (README) and none is made.
            value = "a"
        return {"key": "generation", "operator": op, "values": [value]}
    key, values = g.pick(((ZONE, ("zone-0", "zone-1", "zone-2")), ("disk", ("ssd", "hdd")),
                          ("tier", ("a", "b", "c")), (REGION, ("region-0", "region-1")), ("rack", ("rack-0", "rack-2"))))
    if op in ("Exists", "DoesNotExist"):
        return {"key": key, "operator": op}
    return {"key": key, "operator": op, "values": g.rng.sample(values, g.rng.randint(1, 2))}


def _node_term(g: _Gen, nodes: list[str], fields: bool, required: bool = False) -> dict:
    term: dict = {}
    if not fields or g.chance(0.5):
        term["matchExpressions"] = [_requirement(g, required=required) for _ in range(g.rng.randint(1, 2))]
    if fields:
        term["matchFields"] = [{"key": "metadata.name", "operator": g.pick(("In", "In", "NotIn")),
                                "values": [g.pick(nodes)]}]
    return term


def _node_affinity(g: _Gen, nodes: list[str]) -> dict:
    affinity: dict = {}
    if g.chance(0.6):
        fields = g.has("matchfields") and g.chance(0.3)
        terms = [_node_term(g, nodes, fields, required=True) for _ in range(g.pick((1, 1, 2)))]
        affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": terms}
    if g.chance(0.6):
        affinity["preferredDuringSchedulingIgnoredDuringExecution"] = [
            {"weight": g.rng.randint(1, 100), "preference": _node_term(g, nodes, False)}
            for _ in range(g.rng.randint(1, 3))]
    return affinity


def _label_selector(g: _Gen) -> dict:
    if g.chance(0.7):
        return {"matchLabels": {"app": g.pick(APPS)}}
    op = g.pick(("In", "NotIn", "Exists", "DoesNotExist"))
    expression: dict = {"key": g.pick(("app", "tier")), "operator": op}
    if op in ("In", "NotIn"):
        expression["values"] = g.rng.sample(APPS + ("front", "back"), 2)
    return {"matchExpressions": [expression]}


def _pod_affinity_term(g: _Gen) -> dict:
    term = {"labelSelector": _label_selector(g), "topologyKey": g.pick((HOSTNAME, ZONE, ZONE, REGION))}
    if g.chance(0.25):
        term["namespaces"] = g.rng.sample(NAMESPACES, g.rng.randint(1, 2))
    if g.has("workload-objects") and g.chance(0.25):
        term["namespaceSelector"] = g.pick(({}, {"matchLabels": {"team": g.pick(TEAMS)}}))
    return term


def _pod_affinity(g: _Gen) -> dict:
    affinity: dict = {}
    if g.chance(0.5):
        affinity["requiredDuringSchedulingIgnoredDuringExecution"] = [_pod_affinity_term(g)]
    if g.chance(0.6):
        affinity["preferredDuringSchedulingIgnoredDuringExecution"] = [
            {"weight": g.rng.randint(1, 100), "podAffinityTerm": _pod_affinity_term(g)}
            for _ in range(g.rng.randint(1, 2))]
    return affinity


def _affinity(g: _Gen, nodes: list[str]) -> dict:
    affinity = {}
    if g.chance(0.3):
        affinity["nodeAffinity"] = _node_affinity(g, nodes)
    if g.chance(0.15):
        affinity["podAffinity"] = _pod_affinity(g)
    if g.chance(0.2):
        affinity["podAntiAffinity"] = _pod_affinity(g)
    return {k: v for k, v in affinity.items() if v}


def _toleration(g: _Gen) -> dict:
    if g.chance(0.1):
        return {"operator": "Exists"}  # tolerates every taint
    toleration: dict = {"key": g.pick(TAINT_KEYS)}
    if g.chance(0.5):
        toleration["operator"] = "Exists"
    else:
        if g.chance(0.7):
            toleration["operator"] = "Equal"
        toleration["value"] = g.pick(("true", "infra", "x"))
    if g.chance(0.7):
        toleration["effect"] = g.pick(("NoSchedule", "PreferNoSchedule", "NoExecute"))
        if toleration["effect"] == "NoExecute" and g.chance(0.3):
            toleration["tolerationSeconds"] = 300
    return toleration


def _spread_constraint(g: _Gen, labels: dict) -> dict:
    constraint: dict = {"maxSkew": g.pick((1, 1, 2, 3)), "topologyKey": g.pick(TOPOLOGY_KEYS),
                        "whenUnsatisfiable": g.pick(("DoNotSchedule", "ScheduleAnyway"))}
    if g.chance(0.9):
        constraint["labelSelector"] = {"matchLabels": {"app": labels["app"]}} if g.chance(0.7) else _label_selector(g)
    if constraint["whenUnsatisfiable"] == "DoNotSchedule" and g.chance(0.25):
        constraint["minDomains"] = g.rng.randint(1, 4)
    if g.chance(0.2):
        constraint["nodeAffinityPolicy"] = g.pick(("Honor", "Ignore"))
    if g.chance(0.2):
        constraint["nodeTaintsPolicy"] = g.pick(("Honor", "Ignore"))
    if g.chance(0.15) and "version" in labels and "labelSelector" in constraint:
        constraint["matchLabelKeys"] = ["version"]
    return constraint


def _spread_constraints(g: _Gen, labels: dict) -> list[dict]:
    constraints = [_spread_constraint(g, labels) for _ in range(g.pick((1, 1, 2)))]
    unique = {(c["topologyKey"], c["whenUnsatisfiable"]): c for c in constraints}  # the API forbids duplicates
    return list(unique.values())


def _host_ports(g: _Gen, spec: dict) -> None:
    if g.has("hostnetwork-ports") and g.chance(0.08):
        spec["hostNetwork"] = True
        ports = g.rng.sample((80, 8080, 9100), len(spec["containers"]))  # distinct: each becomes a hostPort
        for container, port in zip(spec["containers"], ports):
            if g.chance(0.7):
                container["ports"] = [{"containerPort": port}]
        return
    if not g.chance(0.15):
        return
    seen = set()
    for container in spec["containers"]:
        port = {"containerPort": g.pick((80, 8080, 53)), "hostPort": g.pick((80, 8080, 53, 9100))}
        protocol = g.pick((None, "TCP", "UDP", "SCTP"))
        if protocol:
            port["protocol"] = protocol
        if g.chance(0.3):
            port["hostIP"] = g.pick(("127.0.0.1", "0.0.0.0", "10.0.0.1"))
        keys = {("container", port["containerPort"], protocol or "TCP"),
                ("host", port["hostPort"], protocol or "TCP", port.get("hostIP", ""))}
        if not keys & seen:  # the API forbids duplicate ports in a pod
            seen |= keys
            container["ports"] = [port]


# --- objects the API server refuses -------------------------------------------------------

def _invalid_pod(g: _Gen, i: int, nodes: list[str], classes: list[str], runtime: bool,
                 controllers: list[dict]) -> dict:
    pod = _pod(g, i, nodes, classes, runtime, controllers)
    pod["metadata"]["name"] = f"invalid-{i}"
    container = pod["spec"]["containers"][0]
    mistake = g.rng.randint(0, 6)
    if mistake == 0:
        container["resources"] = {"requests": {"cpu": "-1"}}
    elif mistake == 1:
        container["resources"] = {"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}}
    elif mistake == 2:
        pod["metadata"]["labels"]["app"] = "not a valid value!"
    elif mistake == 3:
        pod["spec"]["tolerations"] = [{"key": "dedicated", "operator": "Exists", "value": "x"}]
    elif mistake == 4:
        pod["spec"]["topologySpreadConstraints"] = [{"maxSkew": 0, "topologyKey": ZONE,
                                                     "whenUnsatisfiable": "DoNotSchedule"}]
    elif mistake == 5:
        pod["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "generation", "operator": "Gt",
                                                         "values": ["1", "2"]}]}]}}}
    else:
        pod["spec"]["priorityClassName"] = "no-such-class"
    return pod


# --- the scheduler's configuration ---------------------------------------------------------

def _config(g: _Gen) -> dict:
    plugins: dict = {}
    disabled: list[dict] = []
    enabled: list[dict] = []
    if not g.has("balanced"):
        disabled.append({"name": "NodeResourcesBalancedAllocation"})
    if g.chance(0.4):
        for name in g.rng.sample(("TaintToleration", "NodeAffinity", "NodeResourcesFit", "PodTopologySpread",
                                  "InterPodAffinity", "ImageLocality", "NodeResourcesBalancedAllocation"),
                                 g.rng.randint(1, 3)):
            if name == "NodeResourcesBalancedAllocation" and not g.has("balanced"):
                continue
            enabled.append({"name": name, "weight": g.rng.randint(1, 10)})
    if g.chance(0.15):
        disabled.append({"name": g.pick(("ImageLocality", "TaintToleration", "InterPodAffinity"))})
    if enabled:
        plugins["multiPoint"] = {"enabled": enabled}
    if disabled:
        plugins["score"] = {"disabled": disabled}
    if g.has("nodeaffinity-filter-disabled") and g.chance(0.1):
        plugins["filter"] = {"disabled": [{"name": "NodeAffinity"}]}
    elif g.chance(0.08):
        plugins["filter"] = {"disabled": [{"name": g.pick(("TaintToleration", "NodePorts", "NodeUnschedulable"))}]}
    plugin_config = [args for args in (_fit_args(g), _balanced_args(g), _interpod_args(g), _spread_args(g),
                                       _node_affinity_args(g)) if args]
    if g.chance(0.15):  # drawn last: the draws before it are what they were without it
        # no DynamicResources PostFilter: nothing deallocated, no `not found` after a PreFilter rejection
        plugins["postFilter"] = {"disabled": [{"name": "DynamicResources"}]}
    profile: dict = {"schedulerName": "default-scheduler"}
    if plugins:
        profile["plugins"] = plugins
    if plugin_config:
        profile["pluginConfig"] = plugin_config
    return {"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
            "profiles": [profile]}


def _plugin_args(name: str, kind: str, args: dict) -> dict:
    return {"name": name, "args": {"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": kind, **args}}


def _weighted_resources(g: _Gen, weighted: bool = True) -> list[dict]:
    names = ["cpu", "memory"] + g.rng.sample(["ephemeral-storage", EXTENDED[0]], g.rng.randint(0, 1))
    return [{"name": n, "weight": g.rng.randint(1, 5) if weighted else 1} for n in names]


def _fit_args(g: _Gen) -> dict | None:
    if not g.chance(0.5):
        return None
    strategy: dict = {"type": g.pick(("LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"))}
    if g.chance(0.6):
        strategy["resources"] = _weighted_resources(g)
    if strategy["type"] == "RequestedToCapacityRatio":
        shape = g.pick(([{"utilization": 0, "score": 0}, {"utilization": 100, "score": 10}],
                        [{"utilization": 0, "score": 10}, {"utilization": 100, "score": 0}],
                        [{"utilization": 0, "score": 2}, {"utilization": 50, "score": 10},
                         {"utilization": 90, "score": 3}]))
        strategy["requestedToCapacityRatio"] = {"shape": shape}
    return _plugin_args("NodeResourcesFit", "NodeResourcesFitArgs", {"scoringStrategy": strategy})


def _balanced_args(g: _Gen) -> dict | None:
    if not g.has("balanced") or not g.chance(0.2):
        return None
    return _plugin_args("NodeResourcesBalancedAllocation", "NodeResourcesBalancedAllocationArgs",
                        {"resources": _weighted_resources(g, weighted=False)})  # upstream allows weight 1 only


def _interpod_args(g: _Gen) -> dict | None:
    if not g.chance(0.25):
        return None
    return _plugin_args("InterPodAffinity", "InterPodAffinityArgs",
                        {"hardPodAffinityWeight": g.rng.randint(0, 100),
                         "ignorePreferredTermsOfExistingPods": g.chance(0.5)})


def _spread_args(g: _Gen) -> dict | None:
    if not g.chance(0.25):
        return None
    if g.chance(0.3):
        return _plugin_args("PodTopologySpread", "PodTopologySpreadArgs", {"defaultingType": "System"})
    constraints = [{"maxSkew": g.rng.randint(1, 3), "topologyKey": key,
                    "whenUnsatisfiable": g.pick(("DoNotSchedule", "ScheduleAnyway"))}
                   for key in g.rng.sample((HOSTNAME, ZONE, REGION), g.rng.randint(0, 2))]
    return _plugin_args("PodTopologySpread", "PodTopologySpreadArgs",
                        {"defaultingType": "List", "defaultConstraints": constraints})


def _node_affinity_args(g: _Gen) -> dict | None:
    if not g.chance(0.15):
        return None
    affinity: dict = {}
    if g.chance(0.6):
        affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
            "nodeSelectorTerms": [{"matchExpressions": [_requirement(g, pod=False)]}]}
    else:
        affinity["preferredDuringSchedulingIgnoredDuringExecution"] = [
            {"weight": g.rng.randint(1, 100), "preference": {"matchExpressions": [_requirement(g, pod=False)]}}]
    return _plugin_args("NodeAffinity", "NodeAffinityArgs", {"addedAffinity": affinity})


# --- what a scenario exercises (to check the seeds cover every family) ---------------------

def features(scenario: dict) -> set[str]:
    """The families (FAMILIES) and finer features a scenario contains. (Namespace labels count
    as workload-objects only through a namespaceSelector that reads them.)"""
    found: set[str] = set()
    for obj in scenario["objects"]:
        kind = obj["kind"]
        if kind in ("Service", "ReplicaSet", "StatefulSet", "ReplicationController"):
            found |= {kind, "workload-objects"}
        elif kind in ("PersistentVolume", "PersistentVolumeClaim", "StorageClass", "CSINode", "CSIDriver",
                      "CSIStorageCapacity", "VolumeAttachment"):
            found |= {kind, "volumes"}
        elif kind == "PriorityClass" and obj.get("globalDefault"):
            found.add("globalDefault")
        elif kind == "Node":
            found |= _node_features(obj)
        elif kind == "Pod":
            found |= _pod_features(obj)
        elif kind in ("DeviceClass", "ResourceSlice", "ResourceClaim", "ResourceClaimTemplate", "DeviceTaintRule"):
            found |= {kind, "dra"}
            shared = [d for d in obj["spec"].get("devices", ()) if d.get("allowMultipleAllocations")] \
                if kind == "ResourceSlice" else []
            if shared:
                found.add("consumable capacity")
    found |= _config_features(scenario.get("config"))
    if not any(obj["kind"] == "Node" for obj in scenario["objects"]):
        found.add("no-nodes")
    if scenario.get("preemption"):
        found.add("preemption")
        if "dra" in found:
            found.add("preemption-dra")
    return found


def _node_features(node: dict) -> set[str]:
    found = {f"taint {t['effect']}" for t in node["spec"].get("taints", [])}
    if node["spec"].get("unschedulable"):
        found.add("unschedulable")
    if node["status"].get("images"):
        found.add("images")
    if node["status"]["allocatable"].get(EXTENDED[0]) == str(INT64_MAX):
        found.add("int64 limits")
    return found


def _pod_features(pod: dict) -> set[str]:
    spec = pod["spec"]
    found = set()
    if pod["metadata"]["name"].startswith("invalid-"):
        found.add("invalid")
    if pod["metadata"]["name"].endswith(TWIN_SUFFIX):
        found.add("twins")
    if REPLICA_SUFFIX in pod["metadata"]["name"]:
        found.add("replicas")
    if "resources" in spec:
        found.add("pod-level-resources")
    if "runtimeClassName" in spec:
        found |= {"runtimeclass", "overhead"}
    if any(c.get("restartPolicy") == "Always" for c in spec.get("initContainers", [])):
        found.add("sidecar")
    ports = [p for c in spec["containers"] for p in c.get("ports", [])]
    if spec.get("hostNetwork"):
        found.add("hostNetwork")
        if any("hostPort" not in p for p in ports):
            found.add("hostnetwork-ports")
    if any("hostIP" in p for p in ports):
        found.add("hostIP")
    for t in spec.get("tolerations", []):
        if not t.get("key") and t.get("operator") == "Exists":
            found.add("toleration Exists empty key")
    for c in spec.get("topologySpreadConstraints", []):
        found |= {name for name in ("minDomains", "matchLabelKeys", "nodeTaintsPolicy", "nodeAffinityPolicy")
                  if name in c}
    affinity = spec.get("affinity", {})
    node_affinity = affinity.get("nodeAffinity", {})
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution", {}).get("nodeSelectorTerms", [])
    preferred = [p["preference"] for p in node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution", [])]
    for term in required + preferred:
        for e in term.get("matchExpressions", []):
            found.add(f"operator {e['operator']}")
            if e["operator"] in ("Gt", "Lt") and e["values"] == ["a"]:
                found.add("gt-lt-non-integer")
    if any("matchFields" in term for term in required):
        found |= {"matchFields", "matchfields"}
    for kind in ("podAffinity", "podAntiAffinity"):
        terms = affinity.get(kind, {})
        all_terms = terms.get("requiredDuringSchedulingIgnoredDuringExecution", []) + [
            w["podAffinityTerm"] for w in terms.get("preferredDuringSchedulingIgnoredDuringExecution", [])]
        if any("namespaceSelector" in t for t in all_terms):
            found |= {"namespaceSelector", "workload-objects"}
    return found


def _config_features(config: dict | None) -> set[str]:
    if config is None:
        return {"balanced"}
    profile = config["profiles"][0]
    plugins = profile.get("plugins", {})
    found = set()
    if {"name": "NodeResourcesBalancedAllocation"} not in plugins.get("score", {}).get("disabled", []):
        found.add("balanced")
    if {"name": "NodeAffinity"} in plugins.get("filter", {}).get("disabled", []):
        found |= {"nodeaffinity-filter-disabled", "NodeAffinity filter disabled"}
    for entry in profile.get("pluginConfig", []):
        args = entry["args"]
        if entry["name"] == "NodeResourcesFit":
            found.add(args["scoringStrategy"]["type"])
        elif entry["name"] == "NodeResourcesBalancedAllocation":
            found.add("BalancedAllocation resources")
        elif entry["name"] == "InterPodAffinity":
            found.add("hardPodAffinityWeight")
        elif entry["name"] == "PodTopologySpread":
            found.add(f"defaultingType {args['defaultingType']}")
        elif entry["name"] == "NodeAffinity":
            found.add("addedAffinity")
    return found
