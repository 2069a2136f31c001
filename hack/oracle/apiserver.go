package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	core "k8s.io/kubernetes/pkg/apis/core"
	policy "k8s.io/kubernetes/pkg/apis/policy"
	schedulingapiv1 "k8s.io/kubernetes/pkg/apis/scheduling/v1"
	appsreplicaset "k8s.io/kubernetes/pkg/registry/apps/replicaset"
	appsstatefulset "k8s.io/kubernetes/pkg/registry/apps/statefulset"
	corenamespace "k8s.io/kubernetes/pkg/registry/core/namespace"
	corenode "k8s.io/kubernetes/pkg/registry/core/node"
	corepod "k8s.io/kubernetes/pkg/registry/core/pod"
	corerc "k8s.io/kubernetes/pkg/registry/core/replicationcontroller"
	coreservice "k8s.io/kubernetes/pkg/registry/core/service"
	noderuntimeclass "k8s.io/kubernetes/pkg/registry/node/runtimeclass"
	policypdb "k8s.io/kubernetes/pkg/registry/policy/poddisruptionbudget"
	schedulingpriorityclass "k8s.io/kubernetes/pkg/registry/scheduling/priorityclass"
	"k8s.io/kubernetes/plugin/pkg/admission/defaulttolerationseconds"
	"k8s.io/kubernetes/plugin/pkg/admission/priority"
	"k8s.io/kubernetes/plugin/pkg/admission/runtimeclass"

	// The API groups' types, defaults and conversions, as the API server registers them.
	_ "k8s.io/kubernetes/pkg/apis/apps/install"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	_ "k8s.io/kubernetes/pkg/apis/node/install"
	_ "k8s.io/kubernetes/pkg/apis/policy/install"
	_ "k8s.io/kubernetes/pkg/apis/scheduling/install"
)

// kind is one object kind a scenario may hold: its REST resource and the registry strategy
// the API server creates it with. Kinds are created in the order of this list, so that what
// admission looks up (namespaces, priority and runtime classes) exists before the pods.
type kind struct {
	gvk      schema.GroupVersionKind
	resource string
	strategy rest.RESTCreateStrategy
}

var kinds = []kind{
	{schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, "namespaces", corenamespace.Strategy},
	{schema.GroupVersionKind{Group: "scheduling.k8s.io", Version: "v1", Kind: "PriorityClass"}, "priorityclasses", schedulingpriorityclass.Strategy},
	{schema.GroupVersionKind{Group: "node.k8s.io", Version: "v1", Kind: "RuntimeClass"}, "runtimeclasses", noderuntimeclass.Strategy},
	{schema.GroupVersionKind{Version: "v1", Kind: "Node"}, "nodes", corenode.Strategy},
	{schema.GroupVersionKind{Version: "v1", Kind: "Service"}, "services", coreservice.Strategy},
	{schema.GroupVersionKind{Version: "v1", Kind: "ReplicationController"}, "replicationcontrollers", corerc.Strategy},
	{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "ReplicaSet"}, "replicasets", appsreplicaset.Strategy},
	{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "StatefulSet"}, "statefulsets", appsstatefulset.Strategy},
	{schema.GroupVersionKind{Version: "v1", Kind: "Pod"}, "pods", corepod.Strategy},
	{schema.GroupVersionKind{Group: "policy", Version: "v1", Kind: "PodDisruptionBudget"}, "poddisruptionbudgets", policypdb.Strategy},
}

func (k kind) groupResource() schema.GroupResource {
	return schema.GroupResource{Group: k.gvk.Group, Resource: k.resource}
}

// rejection is an object the API server would refuse, with the error it would answer.
type rejection struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Error     string `json:"error"`
}

// apiServer creates objects as kube-apiserver does: decoding applies the v1 defaults,
// then mutating admission, the registry strategy's PrepareForCreate and validation, then
// validating admission. Admission plugins are the API server's own (Priority,
// DefaultTolerationSeconds, RuntimeClass), reading the classes created before.
type apiServer struct {
	ctx        context.Context
	store      *fake.Clientset // what admission's clients and listers see
	listers    informers.SharedInformerFactory
	priority   *priority.Plugin
	tolerances *defaulttolerationseconds.Plugin
	runtime    *runtimeclass.RuntimeClass
	created    map[string]bool // kind/namespace/name already created
	stored     []runtime.Object
	allocated  int // cluster IPs and node ports handed out
}

func newAPIServer(ctx context.Context) (*apiServer, error) {
	store := fake.NewSimpleClientset()
	listers := informers.NewSharedInformerFactory(store, 0)
	s := &apiServer{ctx: ctx, store: store, listers: listers, created: map[string]bool{},
		priority: priority.NewPlugin(), tolerances: defaulttolerationseconds.NewDefaultTolerationSeconds(),
		runtime: runtimeclass.NewRuntimeClass()}
	draNamespaces.NamespaceInterface = store.CoreV1().Namespaces()
	s.priority.SetExternalKubeClientSet(store)
	s.priority.SetExternalKubeInformerFactory(listers)
	s.runtime.SetExternalKubeClientSet(store)
	s.runtime.SetExternalKubeInformerFactory(listers)
	s.tolerances.InspectFeatureGates(utilfeature.DefaultFeatureGate)
	for _, plugin := range []admission.InitializationValidator{s.priority, s.tolerances, s.runtime} {
		if err := plugin.ValidateInitialization(); err != nil {
			return nil, err
		}
	}
	// The API server creates the system priority classes when it starts.
	for _, pc := range schedulingapiv1.SystemPriorityClasses() {
		s.record(priorityClassKind(), pc.DeepCopy())
	}
	return s, nil
}

func priorityClassKind() kind { return kinds[1] }

// record records a created object where admission and the scheduler will find it.
func (s *apiServer) record(k kind, obj runtime.Object) {
	accessor, _ := meta.Accessor(obj)
	s.created[createdKey(k, accessor.GetNamespace(), accessor.GetName())] = true
	s.stored = append(s.stored, obj)
	_ = s.store.Tracker().Add(obj)
	switch k.gvk.Kind {
	case "PriorityClass":
		_ = s.listers.Scheduling().V1().PriorityClasses().Informer().GetIndexer().Add(obj)
	case "RuntimeClass":
		_ = s.listers.Node().V1().RuntimeClasses().Informer().GetIndexer().Add(obj)
	}
}

func createdKey(k kind, namespace, name string) string {
	return k.gvk.Kind + "/" + namespace + "/" + name
}

// create runs one decoded (internal, defaulted) object through the API server's create path
// and stores the v1 result; the error is the API server's answer when it refuses.
func (s *apiServer) create(k kind, obj runtime.Object) error {
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	namespace, name := accessor.GetNamespace(), accessor.GetName()
	if k.strategy.NamespaceScoped() && namespace == "" {
		namespace = metav1.NamespaceDefault // what kubectl and client-go send for a namespaced object
		accessor.SetNamespace(namespace)
	}
	if s.created[createdKey(k, namespace, name)] {
		return apierrors.NewAlreadyExists(k.groupResource(), name)
	}
	ctx := genericapirequest.WithNamespace(s.ctx, namespace)
	ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true, Verb: "create", APIPrefix: "api", APIGroup: k.gvk.Group,
		APIVersion: k.gvk.Version, Namespace: namespace, Resource: k.resource, Name: name})
	fillSystemFields(k, accessor)

	var kept *core.PodStatus
	if pod, ok := obj.(*core.Pod); ok && pod.Spec.NodeName != "" {
		// A bound pod is cluster state: its status is the kubelet's, not the create's.
		kept = pod.Status.DeepCopy()
	}
	if service, ok := obj.(*core.Service); ok {
		s.allocate(service)
	}
	var keptBudget *policy.PodDisruptionBudgetStatus
	if budget, ok := obj.(*policy.PodDisruptionBudget); ok {
		// A budget's status is the disruption controller's, which preemption reads.
		keptBudget = budget.Status.DeepCopy()
	}
	attributes := admission.NewAttributesRecord(obj, nil, k.gvk, namespace, name,
		k.gvk.GroupVersion().WithResource(k.resource), "", admission.Create, &metav1.CreateOptions{},
		false, &user.DefaultInfo{Name: "kubesched-oracle"})
	objects := admission.NewObjectInterfacesFromScheme(legacyscheme.Scheme)
	for _, plugin := range []admission.MutationInterface{s.priority, s.tolerances, s.runtime} {
		if plugin.Handles(admission.Create) {
			if err := plugin.Admit(ctx, attributes, objects); err != nil {
				return err
			}
		}
	}
	restore := keepControllerStatus(obj)
	if err := rest.BeforeCreate(k.strategy, ctx, obj); err != nil {
		return err
	}
	restore()
	for _, plugin := range []admission.ValidationInterface{s.runtime, s.priority} {
		if err := plugin.Validate(ctx, attributes, objects); err != nil {
			return err
		}
	}
	if kept != nil {
		obj.(*core.Pod).Status = *kept
	}
	if keptBudget != nil {
		obj.(*policy.PodDisruptionBudget).Status = *keptBudget
	}
	external, err := legacyscheme.Scheme.ConvertToVersion(obj, k.gvk.GroupVersion())
	if err != nil {
		return err
	}
	settleVolume(external)
	s.record(k, external)
	return nil
}

// fillSystemFields does what the API server's FillObjectMetaSystemFields does, except that a
// creation time given in the scenario is kept (it orders the queue) and the UID is derived
// from the object's name, so that the same scenario gives the same run.
func fillSystemFields(k kind, accessor metav1.Object) {
	if created := accessor.GetCreationTimestamp(); created.IsZero() {
		accessor.SetCreationTimestamp(metav1.NewTime(time.Unix(0, 0).UTC()))
	}
	if accessor.GetUID() == "" {
		sum := sha256.Sum256([]byte(createdKey(k, accessor.GetNamespace(), accessor.GetName())))
		accessor.SetUID(types.UID(fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])))
	}
}

// allocate stands in for the service registry's IP and port allocators, which run before
// validation: a cluster IP for every service that asks for one, a node port for every port
// of a NodePort or LoadBalancer service that has none.
func (s *apiServer) allocate(service *core.Service) {
	if service.Spec.Type == core.ServiceTypeExternalName {
		return
	}
	if service.Spec.ClusterIP == "" && len(service.Spec.ClusterIPs) == 0 {
		s.allocated++
		ip := fmt.Sprintf("10.96.%d.%d", s.allocated/250, s.allocated%250+1)
		service.Spec.ClusterIP = ip
		service.Spec.ClusterIPs = []string{ip}
	}
	if len(service.Spec.IPFamilies) == 0 && service.Spec.ClusterIP != core.ClusterIPNone {
		service.Spec.IPFamilies = []core.IPFamily{core.IPv4Protocol}
	}
	if service.Spec.IPFamilyPolicy == nil && service.Spec.ClusterIP != core.ClusterIPNone {
		single := core.IPFamilyPolicySingleStack
		service.Spec.IPFamilyPolicy = &single
	}
	if service.Spec.Type == core.ServiceTypeNodePort || service.Spec.Type == core.ServiceTypeLoadBalancer {
		for i := range service.Spec.Ports {
			if service.Spec.Ports[i].NodePort == 0 {
				s.allocated++
				service.Spec.Ports[i].NodePort = int32(30000 + s.allocated%2768) // the default range
			}
		}
	}
}
