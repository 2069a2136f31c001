package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	core "k8s.io/kubernetes/pkg/apis/core"
)

// cluster is what the API server holds after the scenario's objects were created.
type cluster struct {
	objects  []runtime.Object // v1 objects the scheduler's informers list
	nodes    []string         // accepted nodes, in input order
	pending  []*v1.Pod        // unbound pods, in queue order
	rejected []rejection
}

type decoded struct {
	index int
	meta  typeMeta
	obj   runtime.Object
}

// createObjects sends the scenario's objects through the API server's create path, kind by
// kind (namespaces and classes before what refers to them), in input order within a kind.
func createObjects(ctx context.Context, raws []json.RawMessage) (*cluster, error) {
	server, err := newAPIServer(ctx)
	if err != nil {
		return nil, err
	}
	result := &cluster{}
	byKind := make([][]decoded, len(kinds))
	for i, raw := range raws {
		var tm typeMeta
		if err := json.Unmarshal(raw, &tm); err != nil {
			return nil, inputErrorf("objects[%d]: not a Kubernetes object: %v", i, err)
		}
		k, ok := kindOf(tm)
		if !ok {
			return nil, inputErrorf("objects[%d] (%s %s): field kind: %s of apiVersion %q is not a kind the oracle knows (v1 Node, Pod, Namespace, Service, ReplicationController; apps/v1 ReplicaSet, StatefulSet; scheduling.k8s.io/v1 PriorityClass; node.k8s.io/v1 RuntimeClass; policy/v1 PodDisruptionBudget)",
				i, tm.Kind, objectName(tm), tm.Kind, tm.APIVersion)
		}
		obj, _, err := legacyscheme.Codecs.UniversalDecoder().Decode(raw, nil, nil)
		if err != nil {
			// The API server answers a body it cannot decode with 400 Bad Request.
			result.rejected = append(result.rejected, rejectionOf(k, tm, fmt.Errorf(
				"%s in version %q cannot be handled as a %s: %v", tm.Kind, k.gvk.Version, tm.Kind, err)))
			continue
		}
		byKind[kindIndex(k)] = append(byKind[kindIndex(k)], decoded{i, tm, obj})
	}
	for i, k := range kinds {
		if k.gvk.Kind == "PriorityClass" {
			// Every namespace an object lives in exists in a real cluster; create the missing
			// ones bare, as `kubectl create namespace` would, so that nothing is refused for it.
			for _, name := range missingNamespaces(byKind) {
				if err := server.create(kinds[0], &core.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
					return nil, fmt.Errorf("creating namespace %s: %w", name, err)
				}
			}
		}
		for _, d := range byKind[i] {
			if err := server.create(k, d.obj); err != nil {
				result.rejected = append(result.rejected, rejectionOf(k, d.meta, err))
			}
		}
	}
	for _, obj := range server.stored {
		switch o := obj.(type) {
		case *v1.Node:
			result.nodes = append(result.nodes, o.Name)
		case *v1.Pod:
			if o.Status.Phase == v1.PodSucceeded || o.Status.Phase == v1.PodFailed {
				continue // the scheduler's pod informer selects these away
			}
			if o.Spec.NodeName == "" {
				result.pending = append(result.pending, o)
			}
		}
		result.objects = append(result.objects, obj)
	}
	sortQueue(result.pending)
	return result, nil
}

func kindOf(tm typeMeta) (kind, bool) {
	for _, k := range kinds {
		if k.gvk.Kind == tm.Kind && k.gvk.GroupVersion().String() == tm.APIVersion {
			return k, true
		}
	}
	return kind{}, false
}

func kindIndex(k kind) int {
	for i := range kinds {
		if kinds[i].gvk == k.gvk {
			return i
		}
	}
	panic("unknown kind " + k.gvk.String())
}

func objectName(tm typeMeta) string {
	if tm.Metadata.Namespace != "" {
		return tm.Metadata.Namespace + "/" + tm.Metadata.Name
	}
	return tm.Metadata.Name
}

func rejectionOf(k kind, tm typeMeta, err error) rejection {
	namespace := tm.Metadata.Namespace
	if namespace == "" && k.strategy.NamespaceScoped() {
		namespace = metav1.NamespaceDefault
	}
	return rejection{Kind: tm.Kind, Namespace: namespace, Name: tm.Metadata.Name, Error: err.Error()}
}

// missingNamespaces are the namespaces objects live in (default when unset) that the
// scenario does not create, sorted.
func missingNamespaces(byKind [][]decoded) []string {
	given := map[string]bool{}
	for _, d := range byKind[0] {
		given[d.meta.Metadata.Name] = true
	}
	missing := map[string]bool{}
	for i, k := range kinds {
		if !k.strategy.NamespaceScoped() {
			continue
		}
		for _, d := range byKind[i] {
			accessor, err := meta.Accessor(d.obj)
			if err != nil {
				continue
			}
			namespace := accessor.GetNamespace()
			if namespace == "" {
				namespace = metav1.NamespaceDefault
			}
			if !given[namespace] {
				missing[namespace] = true
			}
		}
	}
	names := make([]string, 0, len(missing))
	for name := range missing {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// sortQueue orders pending pods as the contract's queue does: priority descending, then
// creation time, then input order (a stable sort).
func sortQueue(pods []*v1.Pod) {
	sort.SliceStable(pods, func(i, j int) bool {
		pi, pj := podPriority(pods[i]), podPriority(pods[j])
		if pi != pj {
			return pi > pj
		}
		return pods[i].CreationTimestamp.Before(&pods[j].CreationTimestamp)
	})
}

func podPriority(pod *v1.Pod) int32 {
	if pod.Spec.Priority != nil {
		return *pod.Spec.Priority
	}
	return 0
}
