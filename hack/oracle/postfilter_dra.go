package main

// DynamicResources' own PostFilter, which kube-scheduler v1.37 runs before DefaultPreemption
// in every profile with the plugin: an allocated claim of the pod that Filter found unusable
// and that no other pod reserves is deallocated through the API. The claim's change queues
// the pod again at once, so the oracle decides it a second time (without this PostFilter,
// as kubesched's offline does); the decision is that attempt's, with the claim and the first
// attempt's message.

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/dynamic-resource-allocation/structured"
	fwk "k8s.io/kube-scheduler/framework"
	"k8s.io/kubernetes/pkg/scheduler/framework"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/dynamicresources"
)

// deallocation is the claim DynamicResources' PostFilter deallocated and the message of the
// attempt that did it.
type deallocation struct {
	Claim   string `json:"claim"`
	Message string `json:"message"`
}

// deallocateAndRetry runs DynamicResources' PostFilter for a pod that fits nowhere; when it
// deallocates a claim (and DefaultPreemption, if it runs, nominates no node) the pod is
// decided again. done: the decision is complete.
func (s *inMemoryScheduler) deallocateAndRetry(ctx context.Context, handle framework.Framework, state fwk.CycleState,
	pod *v1.Pod, nodes []string, fitError *framework.FitError, decision *podDecision) (bool, error) {
	if !postFilterRuns(handle, dynamicresources.Name) {
		return false, nil
	}
	var plugin fwk.PostFilterPlugin
	for _, enqueue := range handle.PreEnqueuePlugins() { // the profile's own instance (one per profile)
		if candidate, ok := enqueue.(fwk.PostFilterPlugin); ok && enqueue.Name() == dynamicresources.Name {
			plugin = candidate
		}
	}
	if plugin == nil {
		return false, nil
	}
	// Without its cycle state (an earlier PreFilter rejected the pod before DynamicResources'
	// PreFilter ran) the plugin's PostFilter fails, and upstream's framework ends PostFilter
	// with that error: no DefaultPreemption.
	_, stateErr := state.Read(fwk.StateKey(dynamicresources.Name))
	if s.retryingDeallocated && stateErr == nil {
		return false, nil
	}
	before, err := s.client.ResourceV1().ResourceClaims(pod.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, err
	}
	_, status := plugin.PostFilter(ctx, state, pod, fitError.Diagnosis.NodeToStatus)
	if status.Code() == fwk.Error {
		if stateErr == nil {
			return false, fmt.Errorf("DynamicResources PostFilter for %s/%s: %w", pod.Namespace, pod.Name, status.AsError())
		}
		fitError.Diagnosis.PostFilterMsg = status.Message()
		message := fitError.Error()
		decision.Message = &message
		return true, nil
	}
	if status.Message() != "deallocation of ResourceClaim completed" {
		return false, nil
	}
	var freed []structured.DeviceID
	claimName := ""
	for _, claim := range before.Items {
		now, err := s.client.ResourceV1().ResourceClaims(claim.Namespace).Get(ctx, claim.Name, metav1.GetOptions{})
		if err != nil || claim.Status.Allocation == nil || now.Status.Allocation != nil {
			continue
		}
		claimName = claim.Namespace + "/" + claim.Name
		for _, result := range claim.Status.Allocation.Devices.Results {
			freed = append(freed, structured.MakeDeviceID(result.Driver, result.Pool, result.Device))
		}
	}
	postFilterMessage := status.Message()
	if plugin := s.preemption[pod.Spec.SchedulerName]; plugin != nil {
		message, best, _, err := s.preempt(ctx, plugin, state, pod, fitError.Diagnosis.NodeToStatus)
		if err != nil {
			return false, err
		}
		if best != nil {
			return false, nil // DefaultPreemption's nomination and retry (postFilter) go on
		}
		postFilterMessage += ", preemption: " + message
	}
	fitError.Diagnosis.PostFilterMsg = postFilterMessage
	first := fitError.Error()
	if err := s.waitFreed(ctx, handle, freed); err != nil {
		return false, err
	}
	s.retryingDeallocated = true
	again, err := s.decide(ctx, nodes, pod)
	s.retryingDeallocated = false
	if err != nil {
		return false, fmt.Errorf("deciding %s/%s again after DynamicResources' PostFilter: %w", pod.Namespace, pod.Name, err)
	}
	*decision = again // the next attempt's verdicts, as kubesched's explain shows them
	decision.Deallocated = &deallocation{Claim: claimName, Message: first}
	return true, nil
}

// waitFreed waits until the scheduler's claim tracker no longer lists the devices.
func (s *inMemoryScheduler) waitFreed(ctx context.Context, handle framework.Framework, freed []structured.DeviceID) error {
	err := wait.PollUntilContextTimeout(ctx, time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		allocated, err := handle.SharedDRAManager().ResourceClaims().ListAllAllocatedDevices()
		if err != nil {
			return false, nil
		}
		for _, device := range freed {
			if allocated.Has(device) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the deallocated claim's devices: %w", err)
	}
	return nil
}
