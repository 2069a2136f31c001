"""Shared devices (consumable capacity) and DeviceTaintRules through the CLI: the shares
each placement gets, explain's free count, and bad objects as one line, exit 2."""

import json

from click.testing import CliRunner

from kubesched.cli import main

CLUSTER = """\
apiVersion: v1
kind: Node
metadata: {name: node-0}
status: {allocatable: {cpu: "8", memory: 32Gi, pods: "110"}}
---
apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata: {name: vgpu}
spec: {selectors: [{cel: {expression: 'device.driver == "gpu.example.com"'}}]}
---
apiVersion: resource.k8s.io/v1
kind: ResourceSlice
metadata: {name: node-0-gpus}
spec:
  driver: gpu.example.com
  pool: {name: node-0, generation: 1, resourceSliceCount: 1}
  nodeName: node-0
  devices:
  - name: gpu-0
    allowMultipleAllocations: SHARED
    capacity:
      memory: {value: 40Gi, requestPolicy: {default: 10Gi, validRange: {min: 10Gi, step: 10Gi, max: 40Gi}}}
  - name: gpu-1
    allowMultipleAllocations: true
    capacity: {memory: {value: 40Gi}}
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata: {name: small, namespace: default}
spec: {spec: {devices: {requests: [{name: gpu, exactly: {deviceClassName: vgpu, capacity: {requests: {memory: 15Gi}}}}]}}}
"""
POD = """\
---
apiVersion: v1
kind: Pod
metadata: {{name: p{i}, namespace: default}}
spec: {{containers: [{{name: c, image: x}}], resourceClaims: [{{name: gpu, resourceClaimTemplateName: small}}]}}
"""
RULE = """\
---
apiVersion: resource.k8s.io/v1
kind: DeviceTaintRule
metadata: {name: gpu-1-broken}
spec: {deviceSelector: {device: gpu-1}, taint: {key: example.com/broken, effect: NoSchedule}}
"""


def _write(tmp_path, shared="true", pods=5, more=""):
    path = tmp_path / "cluster.yaml"
    path.write_text(CLUSTER.replace("SHARED", shared) + "".join(POD.format(i=i) for i in range(pods)) + more)
    return str(path)


def _devices(output):
    return [(p["pod"], [(d["device"], d.get("consumedCapacity"), bool(d.get("shareID")))
                        for c in p.get("claims") or [] for d in c["devices"]]) for p in json.loads(output)["placements"]]


def test_pods_share_devices_until_the_capacity_is_used(tmp_path):
    result = CliRunner().invoke(main, ["simulate", "-f", _write(tmp_path), "-o", "json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    twenty, fifteen = {"memory": "20Gi"}, {"memory": "15Gi"}  # the range rounds 15Gi up to 20Gi
    assert _devices(result.output) == [
        ("default/p0", [("gpu-0", twenty, True)]), ("default/p1", [("gpu-0", twenty, True)]),
        ("default/p2", [("gpu-1", fifteen, True)]), ("default/p3", [("gpu-1", fifteen, True)]),
        ("default/p4", [])]


def test_a_taint_rule_keeps_pods_off_the_device(tmp_path):
    result = CliRunner().invoke(main, ["simulate", "-f", _write(tmp_path, more=RULE), "-o", "json"],
                                catch_exceptions=False)
    assert [devices for _, devices in _devices(result.output)] == [
        [("gpu-0", {"memory": "20Gi"}, True)], [("gpu-0", {"memory": "20Gi"}, True)], [], [], []]
    explained = CliRunner().invoke(main, ["explain", "-f", _write(tmp_path, more=RULE), "--pod", "default/p4",
                                          "-o", "json"])
    assert "cannot allocate all claims" in explained.output


def test_a_policy_without_sharing_is_one_line_exit_2(tmp_path):
    path = _write(tmp_path, shared="false")
    result = CliRunner().invoke(main, ["simulate", "-f", path])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.endswith(f"{path}: ResourceSlice node-0-gpus: spec.devices[0].capacity[memory].requestPolicy: "
                         "Forbidden: allowMultipleAllocations must be true")


FAILED_CLAIM = """\
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {name: prepared, namespace: default}
spec: {devices: {requests: [{name: gpu, exactly: {deviceClassName: vgpu}}]}}
status:
  allocation:
    devices:
      results:
      - {request: gpu, driver: gpu.example.com, pool: node-0, device: gpu-1,
         bindingConditions: [IsPrepared], bindingFailureConditions: [PrepareFailed]}
    allocationTimestamp: "2026-01-01T00:00:00Z"
  devices:
  - driver: gpu.example.com
    pool: node-0
    device: gpu-1
    conditions: [{type: PrepareFailed, status: "STATUS", reason: Failed, message: "", lastTransitionTime: "2026-01-01T00:00:00Z"}]
---
apiVersion: v1
kind: Pod
metadata: {name: waiting, namespace: default}
spec: {containers: [{name: c, image: x}], resourceClaims: [{name: gpu, resourceClaimName: prepared}]}
"""


def test_a_claim_whose_binding_failed_is_available_nowhere(tmp_path):
    failed = CliRunner().invoke(main, ["simulate", "-f", _write(tmp_path, pods=0, more=FAILED_CLAIM.replace(
        "STATUS", "True")), "-o", "json"], catch_exceptions=False)
    [placement] = json.loads(failed.output)["placements"]
    # upstream's "bound-claim-with-failed-binding": DynamicResources' PostFilter deallocates
    # the claim, and the pod's next attempt allocates it afresh
    assert placement["deallocated"] == {"claim": "default/prepared", "message": (
        "0/1 nodes are available: 1 resourceclaim not available on the node. deallocation of ResourceClaim "
        "completed, preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.")}
    assert placement["node"] == "node-0"
    ready = FAILED_CLAIM.replace("STATUS", "False").replace("type: PrepareFailed", "type: IsPrepared").replace(
        '"False"', '"True"')
    placed = CliRunner().invoke(main, ["simulate", "-f", _write(tmp_path, pods=0, more=ready), "-o", "json"],
                                catch_exceptions=False)
    assert json.loads(placed.output)["placements"][0]["node"] == "node-0"


def test_without_dynamic_resources_at_post_filter_nothing_is_deallocated(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"
                      "profiles:\n- plugins: {postFilter: {disabled: [{name: DynamicResources}]}}\n")
    failed = CliRunner().invoke(main, ["simulate", "-f", _write(tmp_path, pods=0, more=FAILED_CLAIM.replace(
        "STATUS", "True")), "--config", str(config), "-o", "json"], catch_exceptions=False)
    [placement] = json.loads(failed.output)["placements"]
    assert "deallocated" not in placement and placement["node"] is None
    assert placement["message"] == ("0/1 nodes are available: 1 resourceclaim not available on the node. "
                                    "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.")
