"""The preemption family: scenarios that ask the oracle to run DefaultPreemption's
PostFilter (`"preemption": true`). A pure function of the seed, like scenarios.py: nodes
filled with low- and mid-priority pods (each with its own status.startTime, so that no two
candidates tie on every criterion and upstream's random last tie-break never decides),
PodDisruptionBudgets with a status (preemption reads disruptionsAllowed and
disruptedPods), and pending pods of higher priority — some that may not preempt
(preemptionPolicy: Never), some with anti-affinity to, affinity to or spreading over the
pods they would evict, some too big for any node. Some scenarios add volumes (a random stream of their own, so
that the rest is the same with them as without): ReadWriteOncePod claims, claims on CSI
PVs under CSINode attach limits and GCE disks, mounted by running pods and wanted by
pending ones, so that the dry run must free a victim's claim, disk or attachment."""

from __future__ import annotations

import random

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
APPS = ("web", "db", "cache")
CLASSES = (("low", 10), ("mid", 100), ("high", 1000), ("top", 5000))
DRIVER = "ebs.csi.aws.com"
NEVER = "high-never"  # preemptionPolicy comes from the class (admission refuses a pod that differs)


def generate_preemption(seed: int) -> dict:
    rng = random.Random(f"preemption-{seed}")
    objects: list[dict] = [{"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                            "metadata": {"name": name}, "value": value} for name, value in CLASSES]
    objects.append({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": NEVER},
                    "value": 1000, "preemptionPolicy": "Never"})
    nodes = [_node(rng, i) for i in range(rng.randint(1, 10))]
    objects += nodes
    names = [n["metadata"]["name"] for n in nodes]
    bound = []
    for i in range(rng.randint(len(names), 4 * len(names))):
        bound.append(_pod(rng, f"run-{i}", rng.choice(("low", "low", "mid")), rng.choice(names),
                          start=f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z"))
    objects += bound
    objects += [_budget(rng, i, bound) for i in range(rng.randint(0, 2))]
    pending = [_pod(rng, f"pod-{i}", rng.choice(("mid", "high", "high", "top")), None)
               for i in range(rng.randint(1, 6))]
    objects += pending
    objects += _volumes(seed, names, bound, pending)
    return {"objects": objects, "config": None, "preemption": True}


def _volumes(seed: int, names: list[str], bound: list[dict], pending: list[dict]) -> list[dict]:
    """The storage objects, and volumes added to the pods' specs. No two running pods share a
    ReadWriteOncePod claim (an input only a broken cluster has)."""
    rng = random.Random(f"preemption-volumes-{seed}")
    if rng.random() >= 0.5:
        return []
    objects: list[dict] = [{"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "csi"},
                            "provisioner": DRIVER, "volumeBindingMode": "Immediate"}]
    for name in names:
        if rng.random() < 0.6:
            objects.append({"apiVersion": "storage.k8s.io/v1", "kind": "CSINode", "metadata": {"name": name},
                            "spec": {"drivers": [{"name": DRIVER, "nodeID": name,
                                                  "allocatable": {"count": rng.randint(1, 3)}}]}})
    claims = []
    for i in range(rng.randint(1, 4)):
        mode = rng.choice(("ReadWriteOncePod", "ReadWriteOncePod", "ReadWriteOnce"))
        source = {"csi": {"driver": DRIVER, "volumeHandle": f"handle-{i}"}} if rng.random() < 0.6 else \
            {"hostPath": {"path": f"/tmp/pv-{i}"}}
        objects.append({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": f"pv-{i}"},
                        "spec": {"capacity": {"storage": f"{i + 1}Gi"}, "accessModes": [mode],
                                 "storageClassName": "csi", "persistentVolumeReclaimPolicy": "Retain",
                                 "claimRef": {"namespace": "default", "name": f"claim-{i}"}, **source}})
        objects.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                        "metadata": {"name": f"claim-{i}", "namespace": "default",
                                     "annotations": {"pv.kubernetes.io/bind-completed": "yes"}},
                        "spec": {"accessModes": [mode], "resources": {"requests": {"storage": f"{i + 1}Gi"}},
                                 "storageClassName": "csi", "volumeName": f"pv-{i}"}})
        claims.append((f"claim-{i}", mode))
    held: set[str] = set()
    for pod in [*bound, *pending]:
        running = "nodeName" in pod["spec"]
        draw = rng.random()
        if draw < 0.45:
            claim, mode = rng.choice(claims)
            if running and mode == "ReadWriteOncePod" and claim in held:
                continue
            if running:
                held.add(claim)
            volume = {"persistentVolumeClaim": {"claimName": claim}}
        elif draw < 0.65:
            volume = {"gcePersistentDisk": {"pdName": rng.choice(("disk-a", "disk-b")),
                                            "readOnly": rng.random() < 0.2}}
        else:
            continue
        pod["spec"]["volumes"] = [{"name": "data", **volume}]
    return objects


def _node(rng: random.Random, i: int) -> dict:
    name = f"node-{i}"
    spec: dict = {}
    if rng.random() < 0.15:
        spec["taints"] = [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {HOSTNAME: name, ZONE: f"zone-{i % 2}"}},
            "spec": spec,
            "status": {"allocatable": {"cpu": rng.choice(("2", "4")), "memory": rng.choice(("4Gi", "8Gi")),
                                       "pods": str(rng.randint(3, 8))}}}


def _pod(rng: random.Random, name: str, priority_class: str, node: str | None, start: str | None = None) -> dict:
    app = rng.choice(APPS)
    requests = {"cpu": rng.choice(("100m", "500m", "1", "1500m", "3")), "memory": rng.choice(("256Mi", "1Gi", "3Gi"))}
    spec: dict = {"priorityClassName": priority_class,
                  "containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10",
                                  "resources": {"requests": requests}}]}
    if node is not None:
        spec["nodeName"] = node
    elif rng.random() < 0.15:
        spec["priorityClassName"] = NEVER
    if node is None and rng.random() < 0.2:
        spec["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": rng.choice(APPS)}}, "topologyKey": HOSTNAME}]}}
    elif node is None and rng.random() < 0.1:  # required affinity that a victim may be the one to satisfy
        spec["affinity"] = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": rng.choice(APPS)}}, "topologyKey": ZONE}]}}
    if node is None and rng.random() < 0.15:
        spec["topologySpreadConstraints"] = [{"maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule",
                                              "labelSelector": {"matchLabels": {"app": app}}}]
    if rng.random() < 0.1:
        spec["tolerations"] = [{"key": "dedicated", "operator": "Exists"}]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default",
                                                          "labels": {"app": app}}, "spec": spec}
    if start is not None:
        pod["status"] = {"phase": "Running", "startTime": start}
    return pod


def _budget(rng: random.Random, i: int, bound: list[dict]) -> dict:
    status: dict = {"disruptionsAllowed": rng.randint(0, 2), "currentHealthy": 0, "desiredHealthy": 0,
                    "expectedPods": 0, "observedGeneration": 1}
    if bound and rng.random() < 0.3:
        status["disruptedPods"] = {rng.choice(bound)["metadata"]["name"]: "2026-01-01T00:00:00Z"}
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": f"budget-{i}", "namespace": "default"},
            "spec": {"selector": {"matchLabels": {"app": rng.choice(APPS)}}, "minAvailable": 1},
            "status": status}
