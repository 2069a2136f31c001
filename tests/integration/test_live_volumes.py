"""`kubesched run` and kube-scheduler on one control plane (with the controller manager, whose
StatefulSet controller makes the claims and whose PV controller completes the bindings),
each scheduling a StatefulSet on local static PVs of its own nodes (a
`kubernetes.io/no-provisioner` WaitForFirstConsumer class): every claim of a pod that fits is
Bound, every pod on the node of its PV, no PV taken twice, and the replica without a PV gets
the same message from both. A second case provisions the volumes: a small provisioner in
the test creates each PV on the node the scheduler selected on the claim."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from tests.integration.live_fixtures import (  # noqa: F401 (plane_with_both: a fixture)
    KWOK_TOLERATION, RunningScheduler, create_ignoring_conflict, group_node, list_pods, plane_with_both,
    scheduled_condition, write_config)

pytestmark = pytest.mark.integration

NODES = 3
REPLICAS = 4  # one local PV per node: three fit
GROUP = "volume-test-group"  # the label of one scheduler's nodes


def _local_pv(name: str, node: str, storage_class: str) -> dict:
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                     "storageClassName": storage_class, "persistentVolumeReclaimPolicy": "Retain",
                     "local": {"path": "/mnt/disks/vol"},
                     "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                         {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}}}}


def _workload(kube, namespace: str, scheduler: str, group: str, storage_class: str, replicas: int = REPLICAS) -> None:
    kube.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": namespace}})
    kube.request("POST", f"/apis/apps/v1/namespaces/{namespace}/statefulsets", {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
        "spec": {"replicas": replicas, "podManagementPolicy": "Parallel", "serviceName": "web",
                 "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                     "schedulerName": scheduler, "tolerations": [KWOK_TOLERATION],
                     "nodeSelector": {GROUP: group},
                     "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.9",
                                     "resources": {"requests": {"cpu": "100m", "memory": "100Mi"}},
                                     "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}},
                 "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                     "accessModes": ["ReadWriteOnce"], "storageClassName": storage_class,
                     "resources": {"requests": {"storage": "1Gi"}}}}]}})


def _outcome(kube, namespace: str, prefix: str, timeout: float = 300, replicas: int = REPLICAS):
    """Once every pod is decided and the claims of the bound ones are Bound: (pod, node, PV)
    per bound pod with the node its PV is on, and the unschedulable pods' messages."""
    deadline = time.monotonic() + timeout
    while True:
        pods = list_pods(kube, namespace)
        claims = {c["metadata"]["name"]: c
                  for c in kube.request("GET", f"/api/v1/namespaces/{namespace}/persistentvolumeclaims")["items"]}
        bound = [p for p in pods if p["spec"].get("nodeName")]
        unschedulable = [p for p in pods if not p["spec"].get("nodeName")
                         and (scheduled_condition(p) or {}).get("status") == "False"]
        claims_bound = all((claims.get(f"data-{p['metadata']['name']}") or {}).get("status", {}).get("phase")
                           == "Bound" for p in bound)
        if len(pods) == replicas and len(bound) + len(unschedulable) == replicas and claims_bound:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(bound)} bound, {len(unschedulable)} unschedulable of {len(pods)} pods "
                                 f"in {namespace}, claims bound: {claims_bound}, after {timeout}s")
        time.sleep(0.5)
    volumes = {v["metadata"]["name"]: v for v in kube.request("GET", "/api/v1/persistentvolumes")["items"]}
    placed = []
    for p in bound:
        claim = claims[f"data-{p['metadata']['name']}"]
        pv = volumes[claim["spec"]["volumeName"]]
        [term] = pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"]
        [pv_node] = term["matchExpressions"][0]["values"]
        placed.append((p["metadata"]["name"], p["spec"]["nodeName"].removeprefix(prefix),
                       pv["metadata"]["name"].removeprefix(prefix), pv_node.removeprefix(prefix)))
    return sorted(placed), [scheduled_condition(p)["message"] for p in unschedulable]


def test_kubesched_binds_local_volumes_as_kube_scheduler_does(plane_with_both, tmp_path):
    from kubesched.kube import connect

    kube = connect(str(plane_with_both.kubeconfig))
    suffix = uuid.uuid4().hex[:6]
    scheduler = f"kubesched-{suffix}"
    groups = {"up": f"vol-up-{suffix}-", "ks": f"vol-ks-{suffix}-"}
    for group, prefix in groups.items():
        storage_class = f"local-{group}-{suffix}"
        kube.request("POST", "/apis/storage.k8s.io/v1/storageclasses", {
            "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": storage_class},
            "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer"})
        for i in range(NODES):
            kube.request("POST", "/api/v1/nodes", group_node(f"{prefix}{i}", f"{group}-{suffix}", group_label=GROUP))
            kube.request("POST", "/api/v1/persistentvolumes", _local_pv(f"{prefix}pv-{i}", f"{prefix}{i}", storage_class))
    running = RunningScheduler(plane_with_both.kubeconfig, write_config(tmp_path, scheduler), tmp_path / "run.log")
    try:
        _workload(kube, f"up-{suffix}", "default-scheduler", f"up-{suffix}", f"local-up-{suffix}")
        _workload(kube, f"ks-{suffix}", scheduler, f"ks-{suffix}", f"local-ks-{suffix}")
        upstream = _outcome(kube, f"up-{suffix}", groups["up"])
        ours = _outcome(kube, f"ks-{suffix}", groups["ks"])
    finally:
        running.kill()
    for placed, messages in (upstream, ours):
        assert len(placed) == NODES, running.text()[-3000:]
        assert all(node == pv_node for _, node, _, pv_node in placed)  # every pod on its PV's node
        assert len({pv for _, _, pv, _ in placed}) == NODES  # no PV taken twice
        assert len(messages) == REPLICAS - NODES
    assert "didn't find available persistent volumes to bind" in upstream[1][0]
    assert ours[1] == upstream[1], running.text()[-3000:]  # preemption's verdict included


def _provision(kube, provisioner: str, storage_class: str, stop: threading.Event) -> None:
    """What an external provisioner does for WaitForFirstConsumer: a PV for each claim of the
    class once the scheduler selected its node, pre-bound to the claim, on that node."""
    made = set()
    while not stop.wait(0.2):
        for claim in kube.request("GET", "/api/v1/persistentvolumeclaims")["items"]:
            meta, spec = claim["metadata"], claim["spec"]
            node = (meta.get("annotations") or {}).get("volume.kubernetes.io/selected-node")
            if spec.get("storageClassName") != storage_class or not node or meta["uid"] in made:
                continue
            pv = _local_pv(f"pvc-{meta['uid']}", node, storage_class)
            pv["metadata"]["annotations"] = {"pv.kubernetes.io/provisioned-by": provisioner}
            pv["spec"]["claimRef"] = {"kind": "PersistentVolumeClaim", "apiVersion": "v1",
                                      "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"]}
            create_ignoring_conflict(kube, "/api/v1/persistentvolumes", pv)
            made.add(meta["uid"])


def test_kubesched_selects_the_node_of_provisioned_volumes_as_kube_scheduler_does(plane_with_both, tmp_path):
    from kubesched.kube import connect

    kube = connect(str(plane_with_both.kubeconfig))
    suffix = uuid.uuid4().hex[:6]
    scheduler = f"kubesched-{suffix}"
    provisioner = f"provisioner-{suffix}.example.com"
    groups = {"up": f"prov-up-{suffix}-", "ks": f"prov-ks-{suffix}-"}
    stop = threading.Event()
    workers = []
    for group, prefix in groups.items():
        storage_class = f"provisioned-{group}-{suffix}"
        kube.request("POST", "/apis/storage.k8s.io/v1/storageclasses", {
            "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": storage_class},
            "provisioner": provisioner, "volumeBindingMode": "WaitForFirstConsumer"})
        for i in range(NODES):
            kube.request("POST", "/api/v1/nodes", group_node(f"{prefix}{i}", f"{group}-{suffix}", group_label=GROUP))
        workers.append(threading.Thread(target=_provision, args=(kube, provisioner, storage_class, stop), daemon=True))
    for worker in workers:
        worker.start()
    running = RunningScheduler(plane_with_both.kubeconfig, write_config(tmp_path, scheduler), tmp_path / "run.log")
    try:
        _workload(kube, f"up-{suffix}", "default-scheduler", f"up-{suffix}", f"provisioned-up-{suffix}", NODES)
        _workload(kube, f"ks-{suffix}", scheduler, f"ks-{suffix}", f"provisioned-ks-{suffix}", NODES)
        upstream = _outcome(kube, f"up-{suffix}", groups["up"], replicas=NODES)
        ours = _outcome(kube, f"ks-{suffix}", groups["ks"], replicas=NODES)
    finally:
        running.kill()
        stop.set()
    for placed, messages in (upstream, ours):
        assert len(placed) == NODES and messages == [], running.text()[-3000:]
        assert all(node == pv_node for _, node, _, pv_node in placed)  # provisioned on the pod's node
    for namespace in (f"up-{suffix}", f"ks-{suffix}"):
        pods = {p["metadata"]["name"]: p["spec"]["nodeName"] for p in list_pods(kube, namespace)}
        claims = kube.request("GET", f"/api/v1/namespaces/{namespace}/persistentvolumeclaims")["items"]
        assert sorted(c["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] for c in claims) == \
            sorted(pods.values())


def test_a_pod_with_a_missing_claim_gets_kube_schedulers_message(plane_with_both, tmp_path):
    # VolumeBinding's PreFilter rejects it before DynamicResources' PreFilter runs: that
    # plugin's PostFilter fails (`not found`) and ends PostFilter before DefaultPreemption
    from kubesched.kube import connect
    from tests.waiting import wait_for

    kube = connect(str(plane_with_both.kubeconfig))
    suffix = uuid.uuid4().hex[:6]
    scheduler = f"kubesched-{suffix}"
    namespace = f"missing-{suffix}"
    kube.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": namespace}})
    running = RunningScheduler(plane_with_both.kubeconfig, write_config(tmp_path, scheduler), tmp_path / "run.log")
    try:
        for name, scheduler_name in (("upstream", "default-scheduler"), ("ours", scheduler)):
            kube.request("POST", f"/api/v1/namespaces/{namespace}/pods", {
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "spec": {"schedulerName": scheduler_name, "tolerations": [KWOK_TOLERATION],
                         "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.9"}],
                         "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "absent"}}]}})

        def messages():
            found = {p["metadata"]["name"]: (scheduled_condition(p) or {}).get("message")
                     for p in list_pods(kube, namespace)}
            return found if all(found.values()) and len(found) == 2 else None

        found = wait_for(messages, timeout=120, what="both pods' PodScheduled messages", interval=0.5)
    finally:
        running.kill()
    assert found["upstream"].endswith('persistentvolumeclaim "absent" not found. not found'), found
    assert found["ours"] == found["upstream"], running.text()[-3000:]
