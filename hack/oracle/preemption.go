package main

// PostFilter for scenarios that ask for it ("preemption": true): upstream's DefaultPreemption
// plugin, built on the profile's framework handle with the profile's DefaultPreemptionArgs,
// runs its own eligibility check, dry run (DryRunPreemption) and node selection
// (SelectCandidate). Actuation is the oracle's: the victims leave the scheduler cache and
// the pod is tried again at once, first on its nominated node, as upstream's next cycle
// does (nothing else is queued before it: the pods after it have no higher priority).

import (
	"context"
	"fmt"
	"sort"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	fwk "k8s.io/kube-scheduler/framework"
	"k8s.io/kubernetes/pkg/scheduler/apis/config"
	"k8s.io/kubernetes/pkg/scheduler/framework"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/defaultpreemption"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/feature"
	"k8s.io/kubernetes/pkg/scheduler/framework/preemption"
)

// preemptionCandidate is one node DefaultPreemption's dry run found, as the output shows it.
type preemptionCandidate struct {
	Node             string   `json:"node"`
	Victims          []string `json:"victims"`
	NumPDBViolations int64    `json:"pdbViolations"`
}

// enablePreemption builds a DefaultPreemption plugin for every profile whose PostFilter
// runs it.
func (s *inMemoryScheduler) enablePreemption(ctx context.Context, cfg *config.KubeSchedulerConfiguration) error {
	s.preemption = map[string]*defaultpreemption.DefaultPreemption{}
	features := feature.NewSchedulerFeaturesFromGates(utilfeature.DefaultFeatureGate)
	for _, profile := range cfg.Profiles {
		handle, ok := s.sched.Profiles[profile.SchedulerName]
		if !ok || !postFilterRuns(handle, defaultpreemption.Name) {
			continue
		}
		args := &config.DefaultPreemptionArgs{MinCandidateNodesPercentage: 10, MinCandidateNodesAbsolute: 100}
		for _, pluginConfig := range profile.PluginConfig {
			if given, ok := pluginConfig.Args.(*config.DefaultPreemptionArgs); ok && pluginConfig.Name == defaultpreemption.Name {
				args = given
			}
		}
		plugin, err := defaultpreemption.New(ctx, args, handle, features)
		if err != nil {
			return inputErrorf("config: DefaultPreemption: %v", err)
		}
		s.preemption[profile.SchedulerName] = plugin
	}
	return nil
}

func postFilterRuns(handle framework.Framework, name string) bool {
	for _, plugin := range handle.ListPlugins().PostFilter.Enabled {
		if plugin.Name == name {
			return true
		}
	}
	return false
}

// postFilter completes the decision of a pod the filters rejected everywhere: the FitError
// with DefaultPreemption's message, or a nomination, the evictions and the retry.
func (s *inMemoryScheduler) postFilter(ctx context.Context, handle framework.Framework, state fwk.CycleState,
	pod *v1.Pod, nodes []string, fitError *framework.FitError, decision *podDecision) error {
	plugin := s.preemption[pod.Spec.SchedulerName]
	if plugin == nil {
		message := fitError.Error()
		decision.Message = &message
		return nil
	}
	message, best, candidates, err := s.preempt(ctx, plugin, state, pod, fitError.Diagnosis.NodeToStatus)
	if err != nil {
		return err
	}
	decision.Candidates = candidates
	fitError.Diagnosis.PostFilterMsg = "preemption: " + message
	if best == nil {
		failed := fitError.Error()
		decision.Message = &failed
		return nil
	}
	nominated := best.Name()
	decision.NominatedNode = &nominated
	decision.Preempted = []string{}
	for _, victim := range best.Victims().Pods {
		if err := s.sched.Cache.RemovePod(loggerFrom(ctx), victim); err != nil {
			return fmt.Errorf("evicting %s/%s: %w", victim.Namespace, victim.Name, err)
		}
		decision.Preempted = append(decision.Preempted, victim.Namespace+"/"+victim.Name)
	}
	if err := s.releaseVictimClaims(ctx, handle, best.Victims().Pods); err != nil { // preemption_dra.go
		return err
	}
	if err := s.refresh(ctx); err != nil {
		return err
	}
	return s.retry(ctx, handle, pod, nominated, nodes, fitError, decision)
}

// preempt is DefaultPreemption's Preempt without the actuation: the PostFilter message
// (without its "preemption: " prefix), the chosen candidate (nil when preemption cannot
// help) and every candidate the dry run found, by node name.
func (s *inMemoryScheduler) preempt(ctx context.Context, plugin *defaultpreemption.DefaultPreemption,
	state fwk.CycleState, pod *v1.Pod, statuses *framework.NodeToStatus) (string, preemption.Candidate, []preemptionCandidate, error) {
	evaluator := plugin.Evaluator
	if ok, message := plugin.PodEligibleToPreemptOthers(ctx, pod, statuses.Get(pod.Status.NominatedNodeName)); !ok {
		return message, nil, nil, nil
	}
	lister := evaluator.Handler.MutableSnapshotSharedLister().NodeInfos()
	allNodes, err := lister.List()
	if err != nil {
		return "", nil, nil, err
	}
	potential, err := statuses.NodesForStatusCode(lister, fwk.Unschedulable)
	if err != nil {
		return "", nil, nil, err
	}
	var candidates []preemption.Candidate
	rejected := framework.NewDefaultNodeToStatus()
	if len(potential) > 0 {
		pdbs, err := evaluator.PdbLister.List(labels.Everything())
		if err != nil {
			return "", nil, nil, err
		}
		_, count := plugin.GetOffsetAndNumCandidates(int32(len(potential)))
		// Upstream starts at a random offset; kubesched's deterministic mode at the first.
		candidates, rejected, err = evaluator.DryRunPreemption(ctx, state, pod, potential, pdbs, 0, count)
		if err != nil && len(candidates) == 0 {
			return "", nil, nil, err
		}
	}
	shown := []preemptionCandidate{}
	for _, candidate := range candidates {
		entry := preemptionCandidate{Node: candidate.Name(), Victims: []string{},
			NumPDBViolations: candidate.Victims().NumPDBViolations}
		for _, victim := range candidate.Victims().Pods {
			entry.Victims = append(entry.Victims, victim.Namespace+"/"+victim.Name)
		}
		shown = append(shown, entry)
	}
	sort.Slice(shown, func(i, j int) bool { return shown[i].Node < shown[j].Node })
	if len(candidates) == 0 {
		fitError := &framework.FitError{Pod: pod, NumAllNodes: len(allNodes), Diagnosis: framework.Diagnosis{NodeToStatus: rejected}}
		fitError.Diagnosis.NodeToStatus.SetAbsentNodesStatus(fwk.NewStatus(fwk.UnschedulableAndUnresolvable, "Preemption is not helpful for scheduling"))
		return fitError.Error(), nil, shown, nil
	}
	best := evaluator.SelectCandidate(ctx, candidates)
	return fmt.Sprintf("found a potential placement for pod on node %v, preempting %d victims", best.Name(),
		len(best.Victims().Pods)), best, shown, nil
}

// retry is the preemptor's next cycle: its nominated node alone first (upstream's
// evaluateNominatedNode), then every node. The verdicts shown stay those of the first cycle.
func (s *inMemoryScheduler) retry(ctx context.Context, handle framework.Framework, pod *v1.Pod, nominated string,
	nodes []string, fitError *framework.FitError, decision *podDecision) error {
	for _, tried := range [][]string{{nominated}, nodes} {
		state := framework.NewCycleState()
		filtered, err := s.filter(ctx, handle, state, pod, tried)
		if err != nil {
			return err
		}
		if len(filtered.feasible) == 0 {
			continue
		}
		chosen := filtered.feasible[0].Node().Name
		if len(filtered.feasible) > 1 {
			scores, err := score(ctx, handle, state, pod, filtered.feasible)
			if err != nil {
				return err
			}
			best := int64(-1)
			for _, name := range tried {
				if nodeScores, ok := scores[name]; ok && nodeScores.TotalScore > best {
					chosen, best = name, nodeScores.TotalScore
				}
			}
		}
		decision.Node = &chosen
		if err := s.assume(ctx, pod, chosen); err != nil {
			return err
		}
		// Reserve and PreBind as decide does: a pod with claims gets its devices.
		if err := reserve(ctx, handle, state, pod, chosen); err != nil {
			return err
		}
		decision.Claims, err = s.preBindClaims(ctx, handle, state, pod, chosen)
		return err
	}
	failed := fitError.Error()
	decision.Message = &failed
	return nil
}
