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
	want := []claimAllocation{{Claim: "default/c1", Devices: []deviceAllocation{{"gpu", "gpu.example.com", "n1", "gpu-1"}}}}
	if !reflect.DeepEqual(first.Claims, want) {
		t.Errorf("first: claims %+v, want %+v", first.Claims, want)
	}
	if verdict := nodeNamed(t, second, "n1").Filter; verdict == nil || verdict.Plugin != "DynamicResources" ||
		!reflect.DeepEqual(verdict.Reasons, []string{"cannot allocate all claims"}) {
		t.Errorf("second on n1: %+v, want DynamicResources: cannot allocate all claims", verdict)
	}
	expectMessage(t, third, "0/2 nodes are available: 2 cannot allocate all claims.")
}
