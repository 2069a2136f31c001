"""Device binding conditions in `kubesched run` and in kube-scheduler, on one control plane:
each schedules a copy of four pods on nodes of its own. Each node has a plain device; a pool
the group's nodes share has devices with `bindingConditions`, `bindingFailureConditions` and
`bindsToNode`, named so that it would sort first but, having binding conditions, is searched
last. A small test driver sets the devices' conditions in the claims' `status.devices`: True
for one pod's device, the failure condition first (the scheduler must give the device back and
try again) then True for the other's. Both schedulers choose the same nodes and devices, write
the same allocation (binding conditions copied, the node of a bindsToNode device), bind only
once the conditions are True, and retry the pod whose device failed."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest

from tests.integration.live_fixtures import (  # noqa: F401 (plane_with_both: a fixture)
    RunningScheduler, create_pod_retrying, events_for, group_node, list_pods, plane_with_both, pod, write_config)

pytestmark = pytest.mark.integration

API = "/apis/resource.k8s.io/v1"
NODE_CPUS = ("32", "24")  # unequal, so LeastAllocated never ties
PODS = ("plain-0", "plain-1", "ok", "fail-once")
ATTACHED, FAILED = "example.com/attached", "example.com/attach-failed"


def _plain_slice(node: str, driver: str) -> dict:
    return {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice", "metadata": {"name": f"{node}-plain"},
            "spec": {"driver": driver, "nodeName": node, "pool": {"name": node, "generation": 1,
                                                                  "resourceSliceCount": 1},
                     "devices": [{"name": "gpu-0"}]}}


def _attach_slice(group: str, driver: str) -> dict:
    selector = {"nodeSelectorTerms": [{"matchExpressions": [{"key": "dra-test-group", "operator": "In",
                                                             "values": [group]}]}]}
    return {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice", "metadata": {"name": f"a-{group}"},
            "spec": {"driver": driver, "nodeSelector": selector,
                     "pool": {"name": f"a-{group}", "generation": 1, "resourceSliceCount": 1},
                     "devices": [{"name": f"att-{i}", "bindsToNode": True, "bindingConditions": [ATTACHED],
                                  "bindingFailureConditions": [FAILED]} for i in range(2)]}}


class ConditionDriver:
    """Sets the binding conditions of the devices allocated to the namespaces' claims: for the
    claims of pods named "fail-…" the failure condition the first time, True afterwards."""

    def __init__(self, kube, namespaces: list[str]):
        self.kube, self.namespaces = kube, namespaces
        self.allocations: dict[str, int] = {}  # claim uid → allocations seen
        self.unanswered: dict[str, str] = {}  # claim uid → allocationTimestamp of a first allocation left unanswered
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from kubesched.kube import ApiError

        while not self.stop.wait(0.3):
            for namespace in self.namespaces:
                for claim in self.kube.request("GET", f"{API}/namespaces/{namespace}/resourceclaims")["items"]:
                    try:
                        self._answer(claim)
                    except ApiError:
                        pass  # a conflict with the scheduler's write: the next round

    def _answer(self, claim: dict) -> None:
        status = claim.get("status") or {}
        results = [r for r in ((status.get("allocation") or {}).get("devices") or {}).get("results", [])
                   if r.get("bindingConditions")]
        uid = claim["metadata"]["uid"]
        stamp = (status.get("allocation") or {}).get("allocationTimestamp")
        if uid in self.unanswered:
            if not results or stamp == self.unanswered[uid]:
                return  # still the first allocation, or given back and not allocated again yet
            del self.unanswered[uid]
            self.allocations[uid] = 1
        if not results or status.get("devices"):
            return
        owner = next(iter(claim["metadata"].get("ownerReferences") or []), {}).get("name", "")
        first = self.allocations.get(uid, 0) == 0
        if owner.startswith("slow") and first:  # no answer to the first allocation: the binding times out
            self.unanswered[uid] = stamp
            return
        fail = owner.startswith("fail") and first
        kind = FAILED if fail else ATTACHED
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        claim["status"]["devices"] = [{"driver": r["driver"], "pool": r["pool"], "device": r["device"], "conditions": [
            {"type": kind, "status": "True", "reason": "Failed" if fail else "Attached", "message": f"{kind} by test",
             "lastTransitionTime": now}]} for r in results]
        meta = claim["metadata"]
        self.kube.request("PUT", f"{API}/namespaces/{meta['namespace']}/resourceclaims/{meta['name']}/status", claim)
        self.allocations[uid] = self.allocations.get(uid, 0) + 1

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def _workload(kube, namespace: str, scheduler: str, group: str, device_class: str) -> None:
    kube.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": namespace}})
    kube.request("POST", f"{API}/namespaces/{namespace}/resourceclaimtemplates", {
        "apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaimTemplate", "metadata": {"name": "one"},
        "spec": {"spec": {"devices": {"requests": [{"name": "gpu", "exactly": {"deviceClassName": device_class}}]}}}})
    for name in PODS:
        manifest = pod(name, scheduler, cpu="4", nodeSelector={"dra-test-group": group},
                       resourceClaims=[{"name": "gpu", "resourceClaimTemplateName": "one"}])
        create_pod_retrying(kube, namespace, manifest)
        time.sleep(0.3)  # one queue order for both schedulers: creation order


def _outcome(kube, namespace: str, group: str, prefix: str, driver: ConditionDriver, timeout: float = 150) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        pods = list_pods(kube, namespace)
        if sum(bool(p["spec"].get("nodeName")) for p in pods) == len(PODS):
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"not all pods bound in {namespace} after {timeout}s: "
                                 f"{[(p['metadata']['name'], p['spec'].get('nodeName')) for p in pods]}")
        time.sleep(0.5)
    claims = {c["metadata"]["name"]: c for c in
              kube.request("GET", f"{API}/namespaces/{namespace}/resourceclaims")["items"]}
    pending = [e for e in events_for(kube, namespace) if e.get("reason") == "BindingConditionsPending"]
    outcome = {}
    for p in pods:
        node = p["spec"]["nodeName"]
        [status] = p["status"]["resourceClaimStatuses"]
        claim = claims[status["resourceClaimName"]]
        allocation = claim["status"]["allocation"]
        [result] = allocation["devices"]["results"]
        conditions = [c["type"] for d in claim["status"].get("devices", []) for c in d["conditions"]
                      if c["status"] == "True"]
        outcome[p["metadata"]["name"]] = {
            "node": node.removeprefix(prefix), "pool": result["pool"].replace(group, "GROUP").removeprefix(prefix),
            "device": result["device"], "bindingConditions": result.get("bindingConditions"),
            "bindingFailureConditions": result.get("bindingFailureConditions"),
            "nodeSelector": str(allocation["nodeSelector"]).replace(node, "NODE"), "conditionsTrue": conditions,
            "allocations": driver.allocations.get(claim["metadata"]["uid"], 0),
            "pendingEvents": sorted({(e["type"], e["note"].replace(node, "NODE")) for e in pending
                                     if e["regarding"]["name"] == p["metadata"]["name"]})}
    return outcome


def test_kubesched_waits_for_binding_conditions_as_kube_scheduler_does(plane_with_both, tmp_path):
    from kubesched.kube import connect

    kube = connect(str(plane_with_both.kubeconfig))
    suffix = uuid.uuid4().hex[:6]
    driver_name = f"attach-{suffix}.example.com"
    scheduler = f"kubesched-{suffix}"
    groups = {"up": f"drbc-up-{suffix}-", "ks": f"drbc-ks-{suffix}-"}
    for group, prefix in groups.items():
        for i, cpu in enumerate(NODE_CPUS):
            kube.request("POST", "/api/v1/nodes", group_node(f"{prefix}{i}", f"{group}-{suffix}", cpu))
            kube.request("POST", f"{API}/resourceslices", _plain_slice(f"{prefix}{i}", driver_name))
        kube.request("POST", f"{API}/resourceslices", _attach_slice(f"{group}-{suffix}", driver_name))
    kube.request("POST", f"{API}/deviceclasses", {
        "apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass", "metadata": {"name": driver_name},
        "spec": {"selectors": [{"cel": {"expression": f'device.driver == "{driver_name}"'}}]}})
    driver = ConditionDriver(kube, [f"up-{suffix}", f"ks-{suffix}"])
    running = RunningScheduler(plane_with_both.kubeconfig, write_config(tmp_path, scheduler), tmp_path / "run.log",
                               "--v=2")
    try:
        running.wait_synced()  # the pods come one by one, as to kube-scheduler (not listed at once)
        _workload(kube, f"up-{suffix}", "default-scheduler", f"up-{suffix}", driver_name)
        _workload(kube, f"ks-{suffix}", scheduler, f"ks-{suffix}", driver_name)
        upstream = _outcome(kube, f"up-{suffix}", f"up-{suffix}", groups["up"], driver)
        ours = _outcome(kube, f"ks-{suffix}", f"ks-{suffix}", groups["ks"], driver)
    finally:
        running.kill()
        driver.close()
    # the scenario is what it means to be: plain devices first, then the attachable ones
    assert [upstream[p]["device"] for p in PODS[:2]] == ["gpu-0", "gpu-0"], upstream
    assert {upstream[p]["pool"] for p in PODS[2:]} == {"a-GROUP"}
    assert upstream["ok"]["bindingConditions"] == [ATTACHED] and upstream["ok"]["conditionsTrue"] == [ATTACHED]
    assert upstream["fail-once"]["allocations"] == 2 and upstream["fail-once"]["conditionsTrue"] == [ATTACHED]
    assert upstream["ok"]["pendingEvents"] == [("Normal", "waiting for binding conditions for device on node NODE")]
    assert ours == upstream, (json.dumps(ours, indent=1), json.dumps(upstream, indent=1), running.text()[-4000:])


def test_the_binding_fails_at_the_binding_timeout_and_the_pod_is_tried_again(plane_with_both, tmp_path):
    """kubesched only: kube-scheduler's bindingTimeout here is its default, 600 s."""
    from kubesched.kube import connect

    kube = connect(str(plane_with_both.kubeconfig))
    suffix = uuid.uuid4().hex[:6]
    driver_name = f"attach-{suffix}.example.com"
    scheduler = f"kubesched-{suffix}"
    prefix, group = f"drbt-{suffix}-", f"bt-{suffix}"
    kube.request("POST", "/api/v1/nodes", group_node(f"{prefix}0", group, "32"))
    kube.request("POST", f"{API}/resourceslices", _attach_slice(group, driver_name))
    kube.request("POST", f"{API}/deviceclasses", {
        "apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass", "metadata": {"name": driver_name},
        "spec": {"selectors": [{"cel": {"expression": f'device.driver == "{driver_name}"'}}]}})
    config = tmp_path / "scheduler-config.json"
    config.write_text(json.dumps({
        "apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
        "profiles": [{"schedulerName": scheduler, "pluginConfig": [
            {"name": "DynamicResources", "args": {"bindingTimeout": "6s"}}]}]}))  # checked at 0 s and 5 s
    namespace = f"bt-{suffix}"
    driver = ConditionDriver(kube, [namespace])
    running = RunningScheduler(plane_with_both.kubeconfig, config, tmp_path / "run.log", "--v=2")
    try:
        running.wait_synced()
        kube.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                    "metadata": {"name": namespace}})
        kube.request("POST", f"{API}/namespaces/{namespace}/resourceclaimtemplates", {
            "apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaimTemplate", "metadata": {"name": "one"},
            "spec": {"spec": {"devices": {"requests": [{"name": "gpu", "exactly": {"deviceClassName": driver_name}}]}}}})
        create_pod_retrying(kube, namespace, pod("slow", scheduler, nodeSelector={"dra-test-group": group},
                                                 resourceClaims=[{"name": "gpu", "resourceClaimTemplateName": "one"}]))
        deadline = time.monotonic() + 90
        while not [p for p in list_pods(kube, namespace) if p["spec"].get("nodeName")]:
            assert time.monotonic() < deadline, running.text()[-4000:]
            time.sleep(0.5)
    finally:
        running.kill()
        driver.close()
    # which of the two timeouts fires first depends on the machine's load: the poll's deadline, or
    # (a check that comes late) the claim's allocationTimestamp, which has whole seconds only
    assert ("device binding timeout: context deadline exceeded" in running.text()
            or "device binding timeout: claim=" in running.text()), running.text()[-4000:]
    [claim] = kube.request("GET", f"{API}/namespaces/{namespace}/resourceclaims")["items"]
    assert driver.allocations[claim["metadata"]["uid"]] == 2  # given back once, then allocated again
    assert [c["type"] for d in claim["status"]["devices"] for c in d["conditions"]] == [ATTACHED]
