package main

import (
	"reflect"
	"testing"
)

// Devices are taken in pool and slice order, one pod after the other: an allocated claim
// holds n1's gpu-0, so the first pod gets n1's gpu-1, the second n2's gpu-0 (n1 has no
// device left), and the third none.
func TestDevicesTakenInOrder(t *testing.T) {
	out := decideScenario(t, "dra-devices-taken-in-order")
	first, second, third := podNamed(t, out, "default/first"), podNamed(t, out, "default/second"), podNamed(t, out, "default/third")
	expectNode(t, first, "n1")
	expectNode(t, second, "n2")
	want := []claimAllocation{{Claim: "default/c1", Devices: []deviceAllocation{{Request: "gpu", Driver: "gpu.example.com", Pool: "n1", Device: "gpu-1"}}}}
	if !reflect.DeepEqual(first.Claims, want) {
		t.Errorf("first: claims %+v, want %+v", first.Claims, want)
	}
	if verdict := nodeNamed(t, second, "n1").Filter; verdict == nil || verdict.Plugin != "DynamicResources" ||
		!reflect.DeepEqual(verdict.Reasons, []string{"cannot allocate all claims"}) {
		t.Errorf("second on n1: %+v, want DynamicResources: cannot allocate all claims", verdict)
	}
	expectMessage(t, third, "0/2 nodes are available: 2 cannot allocate all claims.")
}

// Consumable capacity and DeviceTaintRules: a rule taints gpu-0, so the claims share gpu-1,
// each consuming its 15Gi rounded up to the policy's 10Gi steps, until its 40Gi are used.
func TestSharedDeviceAndTaintRule(t *testing.T) {
	out := decideScenario(t, "dra-shared-device")
	share := func(claim string) []claimAllocation {
		return []claimAllocation{{Claim: claim, Devices: []deviceAllocation{{Request: "gpu", Driver: "gpu.example.com",
			Pool: "n1", Device: "gpu-1", Shared: true, ConsumedCapacity: map[string]int64{"memory": 20 << 30 * 1000}}}}}
	}
	for pod, claim := range map[string]string{"default/first": "default/c1", "default/second": "default/c2"} {
		decision := podNamed(t, out, pod)
		expectNode(t, decision, "n1")
		if !reflect.DeepEqual(decision.Claims, share(claim)) {
			t.Errorf("%s: claims %+v, want %+v", pod, decision.Claims, share(claim))
		}
	}
	expectMessage(t, podNamed(t, out, "default/third"), "0/1 nodes are available: 1 cannot allocate all claims.")
}
