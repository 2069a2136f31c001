package main

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	v1 "k8s.io/api/core/v1"
	resourcev1 "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/dynamic-resource-allocation/resourceclaim"
	"k8s.io/dynamic-resource-allocation/structured"
	fwk "k8s.io/kube-scheduler/framework"
	core "k8s.io/kubernetes/pkg/apis/core"
	resource "k8s.io/kubernetes/pkg/apis/resource"
	"k8s.io/kubernetes/pkg/registry/resource/deviceclass"
	"k8s.io/kubernetes/pkg/registry/resource/devicetaintrule"
	"k8s.io/kubernetes/pkg/registry/resource/resourceclaimtemplate"
	"k8s.io/kubernetes/pkg/registry/resource/resourceslice"
	"k8s.io/kubernetes/pkg/scheduler/framework"

	resourceclaimregistry "k8s.io/kubernetes/pkg/registry/resource/resourceclaim"

	_ "k8s.io/kubernetes/pkg/apis/resource/install"
)

// Dynamic Resource Allocation (resource.k8s.io/v1, GA, on by the v1.37 default feature
// gates): the oracle creates DeviceClasses, ResourceSlices, ResourceClaimTemplates and
// ResourceClaims as the API server does, so that the DynamicResources plugin sees them.
//
// Two things the API server does not do on create are kept from the scenario, because a
// controller writes them through the status subresource right after: a ResourceClaim's
// status (an allocation made earlier, its reservations) and a pending pod's
// status.resourceClaimStatuses (the resourceclaim controller's names for its template
// claims).

// draNamespaces is the API server's namespace client, which the claim strategies consult
// (admin access needs a labelled namespace); newAPIServer sets it.
var draNamespaces = &namespaceClient{}

type namespaceClient struct {
	corev1client.NamespaceInterface
}

// The DRA kinds come after the pods (nothing they hold is checked against a pod), classes
// before the claims that name them.
func init() {
	kinds = append(kinds,
		kind{schema.GroupVersionKind{Group: "resource.k8s.io", Version: "v1", Kind: "DeviceClass"}, "deviceclasses", deviceclass.Strategy},
		kind{schema.GroupVersionKind{Group: "resource.k8s.io", Version: "v1", Kind: "ResourceSlice"}, "resourceslices", resourceslice.Strategy},
		kind{schema.GroupVersionKind{Group: "resource.k8s.io", Version: "v1", Kind: "ResourceClaimTemplate"}, "resourceclaimtemplates",
			resourceclaimtemplate.NewStrategy(draNamespaces)},
		kind{schema.GroupVersionKind{Group: "resource.k8s.io", Version: "v1", Kind: "ResourceClaim"}, "resourceclaims",
			resourceclaimregistry.NewStrategy(draNamespaces, nil)},
		// DRADeviceTaintRules (GA in v1.37): the scheduler's slice tracker adds their taints.
		kind{schema.GroupVersionKind{Group: "resource.k8s.io", Version: "v1", Kind: "DeviceTaintRule"}, "devicetaintrules",
			devicetaintrule.Strategy},
	)
}

// keepControllerStatus saves what a controller writes after create (see above) and
// returns the function that puts it back once the create strategy has reset the status.
func keepControllerStatus(obj runtime.Object) func() {
	switch o := obj.(type) {
	case *resource.ResourceClaim:
		kept := o.Status.DeepCopy()
		return func() { o.Status = *kept }
	case *core.Pod:
		if o.Spec.NodeName != "" || len(o.Status.ResourceClaimStatuses) == 0 {
			return func() {}
		}
		kept := append([]core.PodResourceClaimStatus(nil), o.Status.ResourceClaimStatuses...)
		return func() { o.Status.ResourceClaimStatuses = kept }
	}
	return func() {}
}

type deviceAllocation struct {
	Request string `json:"request"`
	Driver  string `json:"driver"`
	Pool    string `json:"pool"`
	Device  string `json:"device"`
	// Consumable capacity: a device that allows multiple allocations gets a share (its
	// shareID is random, so only its presence is reported) and the capacity consumed, in
	// thousandths.
	Shared           bool             `json:"shared,omitempty"`
	ConsumedCapacity map[string]int64 `json:"consumedCapacity,omitempty"`
}

func newDeviceAllocation(r resourcev1.DeviceRequestAllocationResult) deviceAllocation {
	d := deviceAllocation{Request: r.Request, Driver: r.Driver, Pool: r.Pool, Device: r.Device, Shared: r.ShareID != nil}
	for name, amount := range r.ConsumedCapacity {
		if d.ConsumedCapacity == nil {
			d.ConsumedCapacity = map[string]int64{}
		}
		d.ConsumedCapacity[string(name)] = amount.MilliValue()
	}
	return d
}

type claimAllocation struct {
	Claim   string             `json:"claim"`
	Devices []deviceAllocation `json:"devices"`
}

// preBindClaims runs the PreBind plugins for a placed pod with resource claims, after
// Reserve (decide), as the binding cycle does: DynamicResources allocated in Reserve and
// writes status.allocation and status.reservedFor in PreBind. It returns the devices each
// claim got, read back from the API.
func (s *inMemoryScheduler) preBindClaims(ctx context.Context, schedFramework framework.Framework,
	state fwk.CycleState, pod *v1.Pod, node string) ([]claimAllocation, error) {
	if len(pod.Spec.ResourceClaims) == 0 {
		return nil, nil
	}
	assumed := pod.DeepCopy()
	assumed.Spec.NodeName = node
	if status := schedFramework.RunPreBindPlugins(ctx, state, assumed, node); !status.IsSuccess() {
		return nil, fmt.Errorf("prebind for pod %s/%s on %s: %w", pod.Namespace, pod.Name, node, status.AsError())
	}
	claims := []claimAllocation{}
	for _, podClaim := range pod.Spec.ResourceClaims {
		name, _, err := resourceclaim.Name(pod, &podClaim)
		if err != nil || name == nil {
			continue
		}
		claim, err := s.client.ResourceV1().ResourceClaims(pod.Namespace).Get(ctx, *name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		entry := claimAllocation{Claim: pod.Namespace + "/" + *name, Devices: []deviceAllocation{}}
		if claim.Status.Allocation != nil {
			for _, r := range claim.Status.Allocation.Devices.Results {
				entry.Devices = append(entry.Devices, newDeviceAllocation(r))
			}
		}
		claims = append(claims, entry)
	}
	return claims, waitForAllocations(ctx, schedFramework, claims)
}

// waitForAllocations waits until the scheduler's claim tracker lists the devices just
// allocated: PreBind's status update reaches it through the informer, asynchronously, and
// the next pod must see them taken (as kube-scheduler's next cycle would, a moment later).
func waitForAllocations(ctx context.Context, schedFramework framework.Framework, claims []claimAllocation) error {
	return wait.PollUntilContextTimeout(ctx, time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		allocated, err := schedFramework.SharedDRAManager().ResourceClaims().ListAllAllocatedDevices()
		if err != nil {
			return false, nil // a concurrent modification: look again
		}
		var state *structured.AllocatedState
		for _, claim := range claims {
			for _, d := range claim.Devices {
				id := structured.MakeDeviceID(d.Driver, d.Pool, d.Device)
				if !d.Shared {
					if !allocated.Has(id) {
						return false, nil
					}
					continue
				}
				if state == nil { // shares of a device are listed apart
					if state, err = schedFramework.SharedDRAManager().ResourceClaims().GatherAllocatedState(); err != nil {
						return false, nil
					}
				}
				if !structured.IsDeviceAllocated(id, state) {
					return false, nil
				}
			}
		}
		return true, nil
	})
}

// versionedClaims gives the ResourceClaims a resourceVersion and makes the fake API bump
// it on every update, as the API server does: the scheduler's assume cache takes a claim's
// update (PreBind's status.allocation) only when its version is newer.
func versionedClaims(objects []runtime.Object) {
	for _, obj := range objects {
		if claim, ok := obj.(*resourcev1.ResourceClaim); ok && claim.ResourceVersion == "" {
			claim.ResourceVersion = "1"
		}
	}
}

func bumpClaimVersions(client *fake.Clientset) {
	var version atomic.Int64
	version.Store(1)
	client.PrependReactor("update", "resourceclaims", func(action clienttesting.Action) (bool, runtime.Object, error) {
		if update, ok := action.(clienttesting.UpdateAction); ok {
			if accessor, err := meta.Accessor(update.GetObject()); err == nil {
				accessor.SetResourceVersion(strconv.FormatInt(version.Add(1), 10))
			}
		}
		return false, nil, nil // the tracker stores it
	})
}
