package main

// What the controllers do with a preemption victim's ResourceClaims once it is gone, so that
// the next pods see its devices as a cluster would: the resourceclaim controller drops the
// pod from status.reservedFor and clears the allocation of a claim no one uses any more
// (one with the scheduler's finalizer); a claim the pod owns (made from a template) is then
// deleted, by that controller or the garbage collector.

import (
	"context"
	"slices"
	"time"

	v1 "k8s.io/api/core/v1"
	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/dynamic-resource-allocation/structured"
	"k8s.io/kubernetes/pkg/scheduler/framework"
)

// releaseVictimClaims releases the claims of the evicted pods and waits until the
// scheduler's claim tracker no longer lists the devices it freed.
func (s *inMemoryScheduler) releaseVictimClaims(ctx context.Context, handle framework.Framework, victims []*v1.Pod) error {
	var freed []structured.DeviceID
	for _, victim := range victims {
		claims, err := s.client.ResourceV1().ResourceClaims(victim.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		for i := range claims.Items {
			claim := claims.Items[i].DeepCopy()
			remaining := slices.DeleteFunc(slices.Clone(claim.Status.ReservedFor), func(r resourcev1.ResourceClaimConsumerReference) bool {
				return r.Resource == "pods" && r.Name == victim.Name && (r.UID == "" || victim.UID == "" || r.UID == victim.UID)
			})
			if len(remaining) == len(claim.Status.ReservedFor) {
				continue
			}
			claim.Status.ReservedFor = remaining
			if len(remaining) == 0 && claim.Status.Allocation != nil && slices.Contains(claim.Finalizers, resourcev1.Finalizer) {
				for _, result := range claim.Status.Allocation.Devices.Results {
					freed = append(freed, structured.MakeDeviceID(result.Driver, result.Pool, result.Device))
				}
				claim.Status.Allocation = nil
			}
			if _, err := s.client.ResourceV1().ResourceClaims(claim.Namespace).UpdateStatus(ctx, claim, metav1.UpdateOptions{}); err != nil {
				return err
			}
			if len(remaining) == 0 && ownedBy(claim, victim) {
				if err := s.client.ResourceV1().ResourceClaims(claim.Namespace).Delete(ctx, claim.Name, metav1.DeleteOptions{}); err != nil {
					return err
				}
			}
		}
	}
	if len(freed) == 0 {
		return nil
	}
	return wait.PollUntilContextTimeout(ctx, time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		allocated, err := handle.SharedDRAManager().ResourceClaims().ListAllAllocatedDevices()
		if err != nil {
			return false, nil // a concurrent modification: look again
		}
		for _, device := range freed {
			if allocated.Has(device) {
				return false, nil
			}
		}
		return true, nil
	})
}

func ownedBy(claim *resourcev1.ResourceClaim, pod *v1.Pod) bool {
	owner := metav1.GetControllerOf(claim)
	return owner != nil && owner.Kind == "Pod" && owner.Name == pod.Name && (pod.UID == "" || owner.UID == pod.UID)
}
