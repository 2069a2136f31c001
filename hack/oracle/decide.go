package main

import (
	"context"
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	fwk "k8s.io/kube-scheduler/framework"
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

	state := framework.NewCycleState()
	diagnosis := framework.Diagnosis{NodeToStatus: framework.NewDefaultNodeToStatus()}
	feasible := []fwk.NodeInfo{}
	preFilterResult, status, unschedulablePlugins := schedFramework.RunPreFilterPlugins(ctx, state, pod)
	// The plugins whose node sets left nodes out; the diagnosis adds the filters' to its copy.
	preFilterPlugins := unschedulablePlugins.Clone()
	diagnosis.UnschedulablePlugins = unschedulablePlugins
	if !status.IsSuccess() {
		if !status.IsRejected() {
			return decision, schedulingError(&decision, status.AsError())
		}
		diagnosis.NodeToStatus.SetAbsentNodesStatus(status)
		diagnosis.PreFilterMsg = status.Message()
		diagnosis.AddPluginStatus(status)
	} else {
		if !preFilterResult.AllNodes() {
			diagnosis.NodeToStatus.SetAbsentNodesStatus(fwk.NewStatus(fwk.UnschedulableAndUnresolvable,
				fmt.Sprintf("node(s) didn't satisfy plugin(s) %v", sets.List(preFilterPlugins))))
		}
		for _, name := range nodes {
			if !preFilterResult.AllNodes() && !preFilterResult.NodeNames.Has(name) {
				continue
			}
			nodeInfo, err := s.snapshot.Get(name)
			if err != nil {
				return decision, err
			}
			status := schedFramework.RunFilterPluginsWithNominatedPods(ctx, state, pod, nodeInfo)
			switch {
			case status.IsSuccess():
				feasible = append(feasible, nodeInfo)
			case status.Code() == fwk.Error:
				return decision, schedulingError(&decision, status.AsError())
			default:
				diagnosis.NodeToStatus.Set(name, status)
				diagnosis.AddPluginStatus(status)
			}
		}
	}

	scores := map[string]map[string]int64{}
	if len(feasible) > 0 {
		var err error
		if scores, err = s.score(ctx, schedFramework, state, pod, feasible, &decision); err != nil || decision.Node == nil {
			return decision, err
		}
	} else {
		fitError := &framework.FitError{Pod: pod, NumAllNodes: s.snapshot.NumNodesInPlacement(), Diagnosis: diagnosis}
		message := fitError.Error()
		decision.Message = &message
	}

	for _, name := range nodes {
		verdict := nodeVerdict{Node: name}
		if perPlugin, ok := scores[name]; ok {
			verdict.Scores = perPlugin
		} else {
			verdict.Filter = verdictOf(diagnosis.NodeToStatus.Get(name), preFilterPlugins)
		}
		decision.Nodes = append(decision.Nodes, verdict)
	}
	if decision.Node != nil {
		assumed := pod.DeepCopy()
		assumed.Spec.NodeName = *decision.Node
		if err := s.sched.Cache.AssumePod(loggerFrom(ctx), assumed); err != nil {
			return decision, fmt.Errorf("assuming pod %s on %s: %w", decision.Pod, *decision.Node, err)
		}
		s.assumed = append(s.assumed, assumed)
		if err := s.refresh(ctx); err != nil {
			return decision, err
		}
	}
	return decision, nil
}

// score runs PreScore and Score over the feasible nodes and picks the highest total, the
// first such node in input order on a tie. It returns each node's weighted plugin scores.
func (s *inMemoryScheduler) score(ctx context.Context, schedFramework framework.Framework, state fwk.CycleState,
	pod *v1.Pod, feasible []fwk.NodeInfo, decision *podDecision) (map[string]map[string]int64, error) {
	if status := schedFramework.RunPreScorePlugins(ctx, state, pod, feasible); !status.IsSuccess() {
		return nil, schedulingError(decision, status.AsError())
	}
	nodeScores, status := schedFramework.RunScorePlugins(ctx, state, pod, feasible)
	if !status.IsSuccess() {
		return nil, schedulingError(decision, status.AsError())
	}
	scores := map[string]map[string]int64{}
	var best *fwk.NodePluginScores
	for i := range nodeScores {
		node := &nodeScores[i]
		perPlugin := map[string]int64{}
		for _, score := range node.Scores {
			perPlugin[score.Name] = score.Score
		}
		scores[node.Name] = perPlugin
		decision.Total[node.Name] = node.TotalScore
		if best == nil || node.TotalScore > best.TotalScore {
			best = node
		}
	}
	chosen := best.Name
	decision.Node = &chosen
	return scores, nil
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

// schedulingError is a cycle that ended in an error rather than a verdict: kube-scheduler
// would retry the pod; the decision records the error and the pod stays unplaced.
func schedulingError(decision *podDecision, err error) error {
	message := "error: " + err.Error()
	decision.Message = &message
	return nil
}
