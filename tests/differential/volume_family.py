"""The `volumes` family of the differential scenarios: StorageClasses (local no-provisioner
and provisioning WaitForFirstConsumer ones, an Immediate one), local, zonal and unrestricted
PVs (host path, local, CSI), claims (bound, unbound, ReadWriteOncePod, missing), a CSIDriver
with CSIStorageCapacity, CSINode limits, and pods that mount the claims, some already bound.
Some scenarios add what NodeVolumeLimits counts besides: AWS EBS volumes as CSI PVs,
in-tree PVs and inline pod volumes (some the same disk), a class of the in-tree
provisioner, CSINode limits for the EBS driver, and VolumeAttachments.

PV sizes are all different (see _volume). Drawn from random streams of its own (seeded from
the scenario's seed), so that the other families generate the same objects with it as
without it (and the scenarios without attachments as before they were added)."""

from __future__ import annotations

import random

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
DRIVER = "csi.example.com"
EBS = "ebs.csi.aws.com"
SIZES = ("1Gi", "2Gi", "5Gi", "10Gi", "20Gi")
MODES = ("ReadWriteOnce", "ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod")


def volume_objects(seed: int, nodes: list[dict]) -> list[dict]:
    """The family's objects for a scenario with these nodes (most scenarios get none)."""
    rng = random.Random(f"volumes/{seed}")
    if rng.random() >= 0.4 or not nodes:
        return []
    names = [n["metadata"]["name"] for n in nodes]
    zones = sorted({n["metadata"]["labels"][ZONE] for n in nodes if ZONE in n["metadata"]["labels"]}) or ["zone-0"]
    objects: list[dict] = [_class("local", "kubernetes.io/no-provisioner", "WaitForFirstConsumer"),
                           _class("fast", "kubernetes.io/no-provisioner", "Immediate")]
    provisioning = _class("csi", DRIVER, "WaitForFirstConsumer")
    if rng.random() < 0.3:
        provisioning["allowedTopologies"] = [{"matchLabelExpressions": [{"key": ZONE, "values": [rng.choice(zones)]}]}]
    objects.append(provisioning)
    if rng.random() < 0.5:
        objects.append({"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": DRIVER},
                        "spec": {"storageCapacity": rng.random() < 0.7,
                                 "preventPodSchedulingIfMissing": rng.random() < 0.3}})
        for name in names:
            if rng.random() < 0.6:
                objects.append({"apiVersion": "storage.k8s.io/v1", "kind": "CSIStorageCapacity",
                                "metadata": {"name": f"capacity-{name}", "namespace": "default"},
                                "storageClassName": "csi", "nodeTopology": {"matchLabels": {HOSTNAME: name}},
                                "capacity": rng.choice(SIZES)})
    for name in names:
        if rng.random() < 0.3:
            objects.append({"apiVersion": "storage.k8s.io/v1", "kind": "CSINode", "metadata": {"name": name},
                            "spec": {"drivers": [{"name": DRIVER, "nodeID": name,
                                                  "allocatable": {"count": rng.randint(0, 3)}}]}})
    volumes = [_volume(rng, i, names, zones) for i in range(rng.randint(0, 2 * len(names) + 2))]
    objects += volumes
    claims = [_claim(rng, i, volumes) for i in range(rng.randint(1, 8))]
    objects += claims
    claim_names = [c["metadata"]["name"] for c in claims] + ["claim-missing"]
    pods = []
    for i in range(rng.randint(1, 8)):
        pod = _pod(rng, i, claim_names)
        if rng.random() < 0.2:
            pod["spec"]["nodeName"] = rng.choice(names)
        pods.append(pod)
    extra = random.Random(f"volumes-attached/{seed}")
    if extra.random() < 0.5:
        objects += _attached(extra, names, objects, volumes, pods)
    rules = random.Random(f"volumes-rules/{seed}")  # drawn last: the draws above stay as they were
    prebound: set[str] = set()
    for volume in volumes:
        _with_upstream_rules(rules, volume, names, claims, prebound)
    return objects + pods


def _with_upstream_rules(rng: random.Random, volume: dict, nodes: list[str], claims: list[dict],
                         prebound: set[str]) -> None:
    """Sometimes what upstream's VolumeBinding decides by rules of its own: a matchFields term
    in a PV's node affinity (CheckNodeAffinity matches labels only), a PV prebound to a claim,
    of its class or another (FindMatchingVolume takes it for that claim in its class only).
    One PV at most is prebound to a claim: among several, upstream takes whichever its cache
    lists first (map order), so the answer would not be one."""
    spec = volume["spec"]
    terms = spec.get("nodeAffinity", {}).get("required", {}).get("nodeSelectorTerms")
    if terms and rng.random() < 0.2:
        terms[0]["matchFields"] = [{"key": "metadata.name", "operator": "In", "values": [rng.choice(nodes)]}]
    if rng.random() < 0.15:
        claim = rng.choice(claims)["metadata"]["name"]
        if claim not in prebound:
            prebound.add(claim)
            spec["claimRef"] = {"namespace": "default", "name": claim}


def _attached(rng: random.Random, nodes: list[str], objects: list[dict], volumes: list[dict],
              pods: list[dict]) -> list[dict]:
    """EBS volumes three ways (CSI PV, in-tree PV, inline), an in-tree class, EBS limits on the
    CSINodes, VolumeAttachments; the new claims mounted by some of the pods."""
    added: list[dict] = [_class("ebs", "kubernetes.io/aws-ebs", "WaitForFirstConsumer")]
    csi_nodes = {o["metadata"]["name"]: o for o in objects if o["kind"] == "CSINode"}
    for name in nodes:
        if rng.random() < 0.5:
            csi_node = csi_nodes.get(name)
            if csi_node is None:
                csi_node = {"apiVersion": "storage.k8s.io/v1", "kind": "CSINode", "metadata": {"name": name},
                            "spec": {"drivers": []}}
                added.append(csi_node)
            driver = {"name": EBS, "nodeID": name}
            if rng.random() < 0.8:
                driver["allocatable"] = {"count": rng.randint(0, 2)}
            csi_node["spec"]["drivers"].append(driver)
    claims = []
    for i in range(rng.randint(1, 4)):
        disk = f"vol-{rng.randint(0, 3)}"
        source = rng.choice(({"csi": {"driver": EBS, "volumeHandle": disk}},
                             {"awsElasticBlockStore": {"volumeID": disk}},
                             {"awsElasticBlockStore": {"volumeID": f"aws://zone-0/{disk}"}}))
        name = f"pv-ebs-{i}"
        added.append({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
                      "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                               "storageClassName": "", "persistentVolumeReclaimPolicy": "Retain", **source}})
        claims.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                       "metadata": {"name": f"claim-ebs-{i}", "namespace": "default",
                                    "annotations": {"pv.kubernetes.io/bind-completed": "yes"}},
                       "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                                "storageClassName": "", "volumeName": name}})
    claims.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                   "metadata": {"name": "claim-ebs-pending", "namespace": "default"},
                   "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                            "storageClassName": "ebs"}})
    added += claims
    ebs_names = [v["metadata"]["name"] for v in added if v["kind"] == "PersistentVolume"]
    pv_names = [v["metadata"]["name"] for v in volumes] + ebs_names
    for i in range(rng.randint(0, 2 * len(nodes))):
        # mostly the EBS PVs (some not CSI: not counted), sometimes any PV, under either driver
        # (or, rarely, an attacher the API server refuses)
        added.append({"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment",
                      "metadata": {"name": f"attachment-{i}"},
                      "spec": {"attacher": rng.choices((EBS, DRIVER, "not_a_driver"), (16, 4, 1))[0],
                               "nodeName": rng.choice(nodes),
                               "source": {"persistentVolumeName": rng.choice(
                                   ebs_names if rng.random() < 0.8 else pv_names)}}})
    for pod in pods:
        volumes_of = pod["spec"]["volumes"]
        if rng.random() < 0.7:
            claim = rng.choice(claims)["metadata"]["name"]
            volumes_of.append({"name": "ebs", "persistentVolumeClaim": {"claimName": claim}})
        if rng.random() < 0.3:
            volumes_of.append({"name": "inline", "awsElasticBlockStore": {"volumeID": f"vol-{rng.randint(0, 3)}"}})
    return added


def _class(name: str, provisioner: str, mode: str) -> dict:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
            "provisioner": provisioner, "volumeBindingMode": mode}


def _volume(rng: random.Random, i: int, nodes: list[str], zones: list[str]) -> dict:
    name = f"pv-{i}"
    # Sizes differ by i MiB: among PVs of one size upstream's matcher takes whichever its
    # cache lists first (map order), kubesched the first by name; no ties, one answer.
    spec: dict = {"capacity": {"storage": f"{int(rng.choice(SIZES)[:-2]) * 1024 + i}Mi"}, "accessModes": [rng.choice(MODES[:3])],
                  "storageClassName": rng.choice(("local", "local", "csi")),
                  "persistentVolumeReclaimPolicy": "Retain"}
    where = rng.choice(("host", "host", "zone", "any"))
    if where == "host":
        spec["local"] = {"path": f"/mnt/disks/{name}"}
    elif rng.random() < 0.5:
        spec["csi"] = {"driver": DRIVER, "volumeHandle": f"handle-{i}"}
    else:
        spec["hostPath"] = {"path": f"/tmp/{name}"}
    if where != "any":
        key, value = (HOSTNAME, rng.choice(nodes)) if where == "host" else (ZONE, rng.choice(zones))
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": key, "operator": "In", "values": [value]}]}]}}
    labels = {ZONE: rng.choice(zones)} if rng.random() < 0.2 else {}
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name, "labels": labels},
            "spec": spec}


def _claim(rng: random.Random, i: int, volumes: list[dict]) -> dict:
    name = f"claim-{i}"
    spec: dict = {"accessModes": [rng.choice(MODES)], "resources": {"requests": {"storage": rng.choice(SIZES[:4])}},
                  "storageClassName": rng.choice(("local", "local", "local", "csi", "fast"))}
    meta: dict = {"name": name, "namespace": "default"}
    if volumes and rng.random() < 0.15:
        volume = rng.choice(volumes)
        spec["volumeName"] = volume["metadata"]["name"]
        spec["storageClassName"] = volume["spec"]["storageClassName"]
        meta["annotations"] = {"pv.kubernetes.io/bind-completed": "yes"}
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": spec}


def _pod(rng: random.Random, i: int, claims: list[str]) -> dict:
    chosen = rng.sample(claims, k=min(len(claims), rng.choice((1, 1, 1, 2))))
    volumes = [{"name": f"data-{k}", "persistentVolumeClaim": {"claimName": c}} for k, c in enumerate(chosen)]
    container = {"name": "app", "image": "registry.k8s.io/pause:3.10",
                 "resources": {"requests": {"cpu": rng.choice(("100m", "250m")), "memory": "64Mi"}}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"with-volumes-{i}", "namespace": "default"},
            "spec": {"containers": [container], "volumes": volumes}}
