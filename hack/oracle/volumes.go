package main

import (
	"context"
	"fmt"
	"slices"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fwk "k8s.io/kube-scheduler/framework"
	corepv "k8s.io/kubernetes/pkg/registry/core/persistentvolume"
	corepvc "k8s.io/kubernetes/pkg/registry/core/persistentvolumeclaim"
	storagecsidriver "k8s.io/kubernetes/pkg/registry/storage/csidriver"
	storagecsinode "k8s.io/kubernetes/pkg/registry/storage/csinode"
	storagecapacity "k8s.io/kubernetes/pkg/registry/storage/csistoragecapacity"
	storageclass "k8s.io/kubernetes/pkg/registry/storage/storageclass"
	storagevolumeattachment "k8s.io/kubernetes/pkg/registry/storage/volumeattachment"
	"k8s.io/kubernetes/pkg/scheduler/framework"

	_ "k8s.io/kubernetes/pkg/apis/storage/install"
)

// The volume plugins' objects (VolumeAttachments for NodeVolumeLimits): created after the
// nodes and before the pods, so that the scheduler's informers hold every PV, claim and
// class when the first pod is decided.
func init() {
	storage := []kind{
		{schema.GroupVersionKind{Group: "storage.k8s.io", Version: "v1", Kind: "StorageClass"}, "storageclasses", storageclass.Strategy},
		{schema.GroupVersionKind{Group: "storage.k8s.io", Version: "v1", Kind: "CSIDriver"}, "csidrivers", storagecsidriver.Strategy},
		{schema.GroupVersionKind{Group: "storage.k8s.io", Version: "v1", Kind: "CSINode"}, "csinodes", storagecsinode.Strategy},
		{schema.GroupVersionKind{Group: "storage.k8s.io", Version: "v1", Kind: "CSIStorageCapacity"}, "csistoragecapacities", storagecapacity.Strategy},
		{schema.GroupVersionKind{Version: "v1", Kind: "PersistentVolume"}, "persistentvolumes", corepv.Strategy},
		{schema.GroupVersionKind{Version: "v1", Kind: "PersistentVolumeClaim"}, "persistentvolumeclaims", corepvc.Strategy},
		{schema.GroupVersionKind{Group: "storage.k8s.io", Version: "v1", Kind: "VolumeAttachment"}, "volumeattachments", storagevolumeattachment.Strategy},
	}
	at := slices.IndexFunc(kinds, func(k kind) bool { return k.gvk.Kind == "Pod" })
	if at < 0 {
		panic("the pods' kind is missing")
	}
	kinds = slices.Insert(kinds, at, storage...)
}

// settleVolume is what the PV controller does first with a new PV: the create leaves it
// Pending; with nothing to bind yet it becomes Available.
func settleVolume(obj runtime.Object) {
	if pv, ok := obj.(*v1.PersistentVolume); ok && pv.Status.Phase == v1.VolumePending {
		pv.Status.Phase = v1.VolumeAvailable
	}
}

// reservation is one decided pod's Reserve, undone by forgetAssumed.
type reservation struct {
	framework framework.Framework
	state     fwk.CycleState
	pod       *v1.Pod
	node      string
}

var reservations []reservation

// reserve runs the Reserve plugins for the chosen node, as the scheduling cycle does after
// assuming the pod: VolumeBinding assumes the PVs it matched (claimRef) and the claims it
// provisions (selected-node) in its caches, so that the next pod cannot take them again.
func reserve(ctx context.Context, schedFramework framework.Framework, state fwk.CycleState, pod *v1.Pod, node string) error {
	if status := schedFramework.RunReservePluginsReserve(ctx, state, pod, node); !status.IsSuccess() {
		return fmt.Errorf("reserving pod %s/%s on %s: %w", pod.Namespace, pod.Name, node, status.AsError())
	}
	reservations = append(reservations, reservation{schedFramework, state, pod, node})
	return nil
}

// unreserveAll undoes every Reserve, newest first.
func unreserveAll(ctx context.Context) {
	for i := len(reservations) - 1; i >= 0; i-- {
		r := reservations[i]
		r.framework.RunReservePluginsUnreserve(ctx, r.state, r.pod, r.node)
	}
	reservations = nil
}
