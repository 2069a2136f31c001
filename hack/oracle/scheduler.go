package main

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/events"
	"k8s.io/kubernetes/pkg/scheduler"
	"k8s.io/kubernetes/pkg/scheduler/apis/config"
	internalcache "k8s.io/kubernetes/pkg/scheduler/backend/cache"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/defaultpreemption"
)

// inMemoryScheduler is kube-scheduler as cmd/kube-scheduler builds it (scheduler.New with
// the configuration's profiles), over a fake clientset holding the cluster's objects. Its
// informers fill the scheduler cache; the decisions run its frameworks directly.
type inMemoryScheduler struct {
	sched    *scheduler.Scheduler
	client   *fake.Clientset // the API the plugins write to (DRA's PreBind)
	snapshot *internalcache.Snapshot
	assumed  []*v1.Pod // pods placed by decide, in the cache as assumed
	// DefaultPreemption per profile when the scenario asks for PostFilter (preemption.go).
	preemption map[string]*defaultpreemption.DefaultPreemption
	// Set while a pod is decided again after DynamicResources' PostFilter (postfilter_dra.go).
	retryingDeallocated bool
}

func newInMemoryScheduler(ctx context.Context, cfg *config.KubeSchedulerConfiguration, objects []runtime.Object) (*inMemoryScheduler, error) {
	versionedClaims(objects)
	client := fake.NewSimpleClientset(objects...)
	bumpClaimVersions(client)
	informerFactory := scheduler.NewInformerFactory(client, 0, nil)
	snapshot := internalcache.NewEmptySnapshot()
	recorders := func(string) events.EventRecorderLogger { return &events.FakeRecorder{} } // events go nowhere
	sched, err := scheduler.New(ctx, client, informerFactory, nil, recorders,
		scheduler.WithComponentConfigVersion(cfg.TypeMeta.APIVersion),
		scheduler.WithProfiles(cfg.Profiles...),
		scheduler.WithPercentageOfNodesToScore(cfg.PercentageOfNodesToScore),
		scheduler.WithPodMaxBackoffSeconds(cfg.PodMaxBackoffSeconds),
		scheduler.WithPodInitialBackoffSeconds(cfg.PodInitialBackoffSeconds),
		scheduler.WithParallelism(cfg.Parallelism),
		scheduler.WithNodeInfoSnapshot(snapshot),
	)
	if err != nil {
		// What kube-scheduler would refuse to start with: plugins or args the config names.
		return nil, inputErrorf("config: %v", err)
	}
	informerFactory.Start(ctx.Done())
	for informer, synced := range informerFactory.WaitForCacheSync(ctx.Done()) {
		if !synced {
			return nil, fmt.Errorf("informer for %v did not sync", informer)
		}
	}
	if err := sched.WaitForHandlersSync(ctx); err != nil {
		return nil, fmt.Errorf("waiting for the scheduler's event handlers: %w", err)
	}
	s := &inMemoryScheduler{sched: sched, snapshot: snapshot, client: client}
	return s, s.refresh(ctx)
}

// refresh brings the snapshot the plugins read up to date with the cache.
func (s *inMemoryScheduler) refresh(ctx context.Context) error {
	return s.sched.Cache.UpdateSnapshot(loggerFrom(ctx), s.snapshot)
}

// forgetAssumed takes the placed pods out of the cache again, for a repeated run.
func (s *inMemoryScheduler) forgetAssumed(ctx context.Context) error {
	unreserveAll(ctx)
	for _, pod := range s.assumed {
		if err := s.sched.Cache.ForgetPod(loggerFrom(ctx), pod); err != nil {
			return err
		}
	}
	s.assumed = nil
	return s.refresh(ctx)
}
