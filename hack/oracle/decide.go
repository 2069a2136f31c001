package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	fwk "k8s.io/kube-scheduler/framework"
	"k8s.io/kubernetes/pkg/scheduler"
	"k8s.io/kubernetes/pkg/scheduler/framework"
)

type filterVerdict struct {
	Plugin  string   `json:"plugin"`
	Code    string   `json:"code"`
	Reasons []string `json:"reasons"`
}

type nodeVerdict struct {
	Node   string           `json:"node"`
	Filter *filterVerdict   `json:"filter"`
	Scores map[string]int64 `json:"scores"` // null for a node that did not pass the filters
}

type podDecision struct {
	Pod     string           `json:"pod"`
	Node    *string          `json:"node"`
	Message *string          `json:"message"`
	Nodes   []nodeVerdict    `json:"nodes"`
	Total   map[string]int64 `json:"total"`
	// Gated names the PreEnqueue plugin that keeps the pod out of the scheduling queue (e.g.
	// SchedulingGates); such a pod is never tried, so it has no node verdicts.
	Gated *string `json:"gated,omitempty"`
	// Claims: for a placed pod with resource claims, the devices each claim was allocated.
	Claims []claimAllocation `json:"claims,omitempty"`
	// With preemption (preemption.go): the node DefaultPreemption nominated, the pods it
	// evicted there, and every candidate its dry run found.
	NominatedNode *string               `json:"nominatedNode,omitempty"`
	Preempted     []string              `json:"preempted,omitempty"`
	Candidates    []preemptionCandidate `json:"candidates,omitempty"`
	// DynamicResources' PostFilter deallocated a claim and the pod was decided again (postfilter_dra.go).
	Deallocated *deallocation `json:"deallocated,omitempty"`
}

// decide runs one scheduling cycle's algorithm for pod, as schedulePod does (PreFilter,
// Filter on every node, PreScore and Score on the feasible ones), except that every node is
// tried in input order, every feasible node is scored even when it is the only one, ties go
// to the first node, and no PostFilter (preemption) runs. The chosen node is assumed in the
// scheduler cache so that the next pod sees the pod there.
func (s *inMemoryScheduler) decide(ctx context.Context, nodes []string, pod *v1.Pod) (podDecision, error) {
	decision := podDecision{Pod: pod.Namespace + "/" + pod.Name, Nodes: []nodeVerdict{}, Total: map[string]int64{}}
	schedFramework, ok := s.sched.Profiles[pod.Spec.SchedulerName]
	if !ok {
		message := fmt.Sprintf("no profile for scheduler name %q: kube-scheduler leaves the pod alone", pod.Spec.SchedulerName)
		decision.Message = &message
		return decision, nil
	}
	for _, plugin := range schedFramework.PreEnqueuePlugins() {
		if status := plugin.PreEnqueue(ctx, pod); !status.IsSuccess() {
			name, message := plugin.Name(), status.Message()
			decision.Gated, decision.Message = &name, &message
			return decision, nil
		}
	}

	if len(nodes) == 0 { // schedulePod's first check: no plugin runs, PostFilter neither
		message := scheduler.ErrNoNodesAvailable.Error()
		decision.Message = &message
		return decision, nil
	}
	state := framework.NewCycleState()
	filtered, err := s.filter(ctx, schedFramework, state, pod, nodes)
	var scores map[string]fwk.NodePluginScores
	if err == nil && len(filtered.feasible) > 0 {
		scores, err = score(ctx, schedFramework, state, pod, filtered.feasible)
	}
	if cycle := (cycleError{}); errors.As(err, &cycle) {
		message := "error: " + cycle.Error()
		decision.Message = &message
		return decision, nil
	} else if err != nil {
		return decision, err
	}

	for _, name := range nodes {
		verdict := nodeVerdict{Node: name}
		if nodeScores, ok := scores[name]; ok {
			verdict.Scores = map[string]int64{}
			for _, pluginScore := range nodeScores.Scores {
				verdict.Scores[pluginScore.Name] = pluginScore.Score
			}
			decision.Total[name] = nodeScores.TotalScore
			if decision.Node == nil || nodeScores.TotalScore > decision.Total[*decision.Node] {
				chosen := name
				decision.Node = &chosen
			}
		} else {
			verdict.Filter = verdictOf(filtered.diagnosis.NodeToStatus.Get(name), filtered.preFilterPlugins)
		}
		decision.Nodes = append(decision.Nodes, verdict)
	}
	if decision.Node == nil {
		fitError := &framework.FitError{Pod: pod, NumAllNodes: s.snapshot.NumNodesInPlacement(), Diagnosis: filtered.diagnosis}
		if done, err := s.deallocateAndRetry(ctx, schedFramework, state, pod, nodes, fitError, &decision); done || err != nil {
			return decision, err // postfilter_dra.go
		}
		if s.preemption != nil {
			return decision, s.postFilter(ctx, schedFramework, state, pod, nodes, fitError, &decision)
		}
		message := fitError.Error()
		decision.Message = &message
		return decision, nil
	}
	if err := s.assume(ctx, pod, *decision.Node); err != nil {
		return decision, err
	}
	if err := reserve(ctx, schedFramework, state, pod, *decision.Node); err != nil {
		return decision, err
	}
	decision.Claims, err = s.preBindClaims(ctx, schedFramework, state, pod, *decision.Node)
	return decision, err
}

// filtering is what PreFilter and Filter found: the feasible nodes in input order, and
// the statuses of the others as kube-scheduler's Diagnosis holds them.
type filtering struct {
	feasible  []fwk.NodeInfo
	diagnosis framework.Diagnosis
	// The plugins whose PreFilter node sets left nodes out (the diagnosis's own set also
	// gathers the plugins that rejected nodes in Filter).
	preFilterPlugins sets.Set[string]
}

// filter runs PreFilter, then Filter on every node in input order that PreFilter's node
// set (if any) keeps, recording statuses as findNodesThatFitPod does.
func (s *inMemoryScheduler) filter(ctx context.Context, schedFramework framework.Framework, state fwk.CycleState,
	pod *v1.Pod, nodes []string) (filtering, error) {
	result := filtering{diagnosis: framework.Diagnosis{NodeToStatus: framework.NewDefaultNodeToStatus()}}
	preFilterResult, status, unschedulablePlugins := schedFramework.RunPreFilterPlugins(ctx, state, pod)
	result.preFilterPlugins = unschedulablePlugins.Clone()
	result.diagnosis.UnschedulablePlugins = unschedulablePlugins
	if !status.IsSuccess() {
		if !status.IsRejected() {
			return result, cycleError{status.AsError()}
		}
		result.diagnosis.NodeToStatus.SetAbsentNodesStatus(status)
		result.diagnosis.PreFilterMsg = status.Message()
		result.diagnosis.AddPluginStatus(status)
		return result, nil
	}
	if !preFilterResult.AllNodes() {
		result.diagnosis.NodeToStatus.SetAbsentNodesStatus(fwk.NewStatus(fwk.UnschedulableAndUnresolvable,
			fmt.Sprintf("node(s) didn't satisfy plugin(s) %v", sets.List(result.preFilterPlugins))))
	}
	for _, name := range nodes {
		if !preFilterResult.AllNodes() && !preFilterResult.NodeNames.Has(name) {
			continue
		}
		nodeInfo, err := s.snapshot.Get(name)
		if err != nil {
			return result, err
		}
		status := schedFramework.RunFilterPluginsWithNominatedPods(ctx, state, pod, nodeInfo)
		switch {
		case status.IsSuccess():
			result.feasible = append(result.feasible, nodeInfo)
		case status.Code() == fwk.Error:
			return result, cycleError{status.AsError()}
		default:
			result.diagnosis.NodeToStatus.Set(name, status)
			result.diagnosis.AddPluginStatus(status)
		}
	}
	return result, nil
}

// score runs PreScore and Score over the feasible nodes: each node's weighted plugin
// scores and total, by node name.
func score(ctx context.Context, schedFramework framework.Framework, state fwk.CycleState,
	pod *v1.Pod, feasible []fwk.NodeInfo) (map[string]fwk.NodePluginScores, error) {
	if status := schedFramework.RunPreScorePlugins(ctx, state, pod, feasible); !status.IsSuccess() {
		return nil, cycleError{status.AsError()}
	}
	nodeScores, status := schedFramework.RunScorePlugins(ctx, state, pod, feasible)
	if !status.IsSuccess() {
		return nil, cycleError{status.AsError()}
	}
	byNode := make(map[string]fwk.NodePluginScores, len(nodeScores))
	for _, nodeScore := range nodeScores {
		byNode[nodeScore.Name] = nodeScore
	}
	return byNode, nil
}

// assume puts the pod on its node in the scheduler cache, as the scheduling cycle's
// assume step does, and refreshes the snapshot for the next pod.
func (s *inMemoryScheduler) assume(ctx context.Context, pod *v1.Pod, node string) error {
	assumed := pod.DeepCopy()
	assumed.Spec.NodeName = node
	if err := s.sched.Cache.AssumePod(loggerFrom(ctx), assumed); err != nil {
		return fmt.Errorf("assuming pod %s/%s on %s: %w", pod.Namespace, pod.Name, node, err)
	}
	s.assumed = append(s.assumed, assumed)
	return s.refresh(ctx)
}

// verdictOf is a rejected node's status as the output shows it. A status the framework made
// itself (a PreFilter node set) names no plugin; the plugins that caused it stand in.
func verdictOf(status *fwk.Status, preFilterPlugins sets.Set[string]) *filterVerdict {
	plugin := status.Plugin()
	if plugin == "" {
		plugin = strings.Join(sets.List(preFilterPlugins), ",")
	}
	reasons := status.Reasons()
	if reasons == nil {
		reasons = []string{}
	}
	return &filterVerdict{Plugin: plugin, Code: status.Code().String(), Reasons: reasons}
}

// cycleError is a scheduling cycle that ended in an error rather than a verdict (a plugin
// failed): kube-scheduler would retry the pod; the decision records the error and the pod
// stays unplaced.
type cycleError struct{ err error }

func (e cycleError) Error() string { return e.err.Error() }
