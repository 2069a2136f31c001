package main

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
)

// The hand-made scenarios in testdata/, with what kube-scheduler answers on them: the
// reason strings are the plugins' own (e.g. tainttoleration's "node(s) had untolerated
// taint(s)"), the messages FitError's format ("0/N nodes are available: ...", reasons
// counted and sorted).

func decideScenario(t *testing.T, name string) output {
	t.Helper()
	klog.SetLogger(logr.Discard())
	ctx := klog.NewContext(context.Background(), logr.Discard())
	result, err := run(ctx, "testdata/"+name+".json", 1, false)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return result.(output)
}

func podNamed(t *testing.T, out output, key string) podDecision {
	t.Helper()
	for _, p := range out.Pods {
		if p.Pod == key {
			return p
		}
	}
	t.Fatalf("no decision for pod %s in %+v", key, out.Pods)
	return podDecision{}
}

func nodeNamed(t *testing.T, p podDecision, name string) nodeVerdict {
	t.Helper()
	for _, n := range p.Nodes {
		if n.Node == name {
			return n
		}
	}
	t.Fatalf("pod %s: no verdict for node %s", p.Pod, name)
	return nodeVerdict{}
}

func expectNode(t *testing.T, p podDecision, want string) {
	t.Helper()
	if p.Node == nil || *p.Node != want {
		t.Errorf("pod %s: node %v, want %s (message %v)", p.Pod, deref(p.Node), want, deref(p.Message))
	}
}

func expectMessage(t *testing.T, p podDecision, want string) {
	t.Helper()
	if p.Node != nil {
		t.Errorf("pod %s: placed on %s, want unschedulable", p.Pod, *p.Node)
	}
	if deref(p.Message) != want {
		t.Errorf("pod %s: message\n  %q\nwant\n  %q", p.Pod, deref(p.Message), want)
	}
}

func expectFilter(t *testing.T, p podDecision, node, plugin string, reasons ...string) {
	t.Helper()
	verdict := nodeNamed(t, p, node)
	if verdict.Filter == nil {
		t.Errorf("pod %s, node %s: feasible, want rejected by %s", p.Pod, node, plugin)
		return
	}
	if verdict.Filter.Plugin != plugin || !reflect.DeepEqual(verdict.Filter.Reasons, reasons) {
		t.Errorf("pod %s, node %s: %s %q, want %s %q", p.Pod, node, verdict.Filter.Plugin,
			verdict.Filter.Reasons, plugin, reasons)
	}
	if verdict.Scores != nil {
		t.Errorf("pod %s, node %s: a rejected node has scores %v", p.Pod, node, verdict.Scores)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestResourcesFitOneNodeAndAssumedPodCounts(t *testing.T) {
	out := decideScenario(t, "resources-fit")
	first, second := podNamed(t, out, "default/p1"), podNamed(t, out, "default/p2")
	for _, p := range []podDecision{first, second} {
		expectNode(t, p, "n3")
		expectFilter(t, p, "n1", "NodeResourcesFit", "Insufficient cpu")
		expectFilter(t, p, "n2", "NodeResourcesFit", "Insufficient cpu")
	}
	// LeastAllocated on n3 (8 CPU, 8Gi) for 3 CPU and 1Gi: (62 + 87) / 2.
	if got := nodeNamed(t, first, "n3").Scores["NodeResourcesFit"]; got != 74 {
		t.Errorf("p1 on n3: NodeResourcesFit %d, want 74", got)
	}
	// p2 sees p1 assumed on n3: less is free, so the least-allocated score drops.
	if before, after := nodeNamed(t, first, "n3").Scores["NodeResourcesFit"], nodeNamed(t, second, "n3").Scores["NodeResourcesFit"]; after >= before {
		t.Errorf("p2 on n3: NodeResourcesFit %d, want below p1's %d", after, before)
	}
	if first.Total["n3"] == 0 || len(first.Total) != 1 {
		t.Errorf("p1: totals %v, want n3's alone", first.Total)
	}
}

func TestUntoleratedTaintAndUnschedulableNode(t *testing.T) {
	p := podNamed(t, decideScenario(t, "taint-and-unschedulable"), "default/p1")
	expectMessage(t, p, "0/2 nodes are available: 1 node(s) had untolerated taint(s), 1 node(s) were unschedulable.")
	expectFilter(t, p, "n1", "TaintToleration", "node(s) had untolerated taint(s)")
	expectFilter(t, p, "n2", "NodeUnschedulable", "node(s) were unschedulable")
}

func TestMatchFieldsNodeNameRestrictsNodesAtPreFilter(t *testing.T) {
	p := podNamed(t, decideScenario(t, "matchfields-node-name"), "default/p1")
	expectNode(t, p, "n2")
	expectFilter(t, p, "n1", "NodeAffinity", "node(s) didn't satisfy plugin(s) [NodeAffinity]")
	expectFilter(t, p, "n3", "NodeAffinity", "node(s) didn't satisfy plugin(s) [NodeAffinity]")

	// In the node set the filters run; the nodes outside it still name NodeAffinity alone.
	p = podNamed(t, decideScenario(t, "matchfields-tainted-node"), "default/p1")
	expectMessage(t, p, "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't satisfy plugin(s) [NodeAffinity].")
	expectFilter(t, p, "n1", "NodeAffinity", "node(s) didn't satisfy plugin(s) [NodeAffinity]")
	expectFilter(t, p, "n2", "TaintToleration", "node(s) had untolerated taint(s)")

	p = podNamed(t, decideScenario(t, "matchfields-no-node"), "default/p1")
	expectMessage(t, p, "0/2 nodes are available: 2 node(s) didn't satisfy plugin(s) [NodeAffinity].")
}

func TestHostNetworkContainerPortConflictsWithBoundPod(t *testing.T) {
	p := podNamed(t, decideScenario(t, "host-network-port"), "default/web2")
	expectNode(t, p, "n2")
	expectFilter(t, p, "n1", "NodePorts", "node(s) didn't have free ports for the requested pod ports")
}

func TestNoFitMessageCountsReasons(t *testing.T) {
	p := podNamed(t, decideScenario(t, "no-fit-message"), "default/big")
	expectMessage(t, p, "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu.")
}

func TestAPIServerRefusesAndPriorityOrdersTheQueue(t *testing.T) {
	out := decideScenario(t, "rejected-and-priority")
	errors := map[string]string{}
	for _, r := range out.Rejected {
		errors[r.Kind+" "+r.Namespace+"/"+r.Name] = r.Error
	}
	if got := errors["Pod default/bad"]; !strings.HasPrefix(got, `Pod "bad" is invalid: spec.containers[0].name: Invalid value: "Bad_Name"`) {
		t.Errorf("pod bad: rejected with %q", got)
	}
	if got := errors["Pod default/nopc"]; got != `pods "nopc" is forbidden: no PriorityClass with name nope was found` {
		t.Errorf("pod nopc: rejected with %q", got)
	}
	if len(out.Rejected) != 2 {
		t.Errorf("rejected %v, want bad and nopc", out.Rejected)
	}
	var order []string
	for _, p := range out.Pods {
		order = append(order, p.Pod)
	}
	if want := []string{"kube-system/crit", "default/hi", "default/low"}; !reflect.DeepEqual(order, want) {
		t.Errorf("queue order %v, want %v (system-node-critical, then PriorityClass high, then 0)", order, want)
	}
}

func TestSchedulingGatesKeepThePodOutOfTheQueue(t *testing.T) {
	out := decideScenario(t, "scheduling-gates")
	gated := podNamed(t, out, "default/gated")
	if gated.Gated == nil || *gated.Gated != "SchedulingGates" || gated.Node != nil || len(gated.Nodes) != 0 {
		t.Errorf("gated pod: %+v", gated)
	}
	expectNode(t, podNamed(t, out, "default/free"), "n1")
}

func TestRuntimeClassAddsOverheadAndNodeSelector(t *testing.T) {
	p := podNamed(t, decideScenario(t, "runtimeclass-overhead"), "default/sandboxed")
	expectMessage(t, p, "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector.")
}

func TestDefaultTolerationSecondsToleratesNotReady(t *testing.T) {
	p := podNamed(t, decideScenario(t, "default-toleration-seconds"), "default/p")
	expectNode(t, p, "n1")
	expectFilter(t, p, "n2", "TaintToleration", "node(s) had untolerated taint(s)")
}

// DefaultPreemption on testdata/preemption.json: the victim whose eviction violates no
// PodDisruptionBudget goes (node-2 over node-1), the tainted node is no candidate, a pod
// with preemptionPolicy Never and a pod too big for any node keep upstream's PostFilter
// messages.
func TestPreemption(t *testing.T) {
	out := decideScenario(t, "preemption")
	critical := podNamed(t, out, "default/critical")
	expectNode(t, critical, "node-2")
	if deref(critical.NominatedNode) != "node-2" || !reflect.DeepEqual(critical.Preempted, []string{"default/plain"}) {
		t.Errorf("critical: nominated %v, preempted %v; want node-2, [default/plain]", deref(critical.NominatedNode), critical.Preempted)
	}
	want := []preemptionCandidate{
		{Node: "node-1", Victims: []string{"default/guarded"}, NumPDBViolations: 1},
		{Node: "node-2", Victims: []string{"default/plain"}, NumPDBViolations: 0},
	}
	if !reflect.DeepEqual(critical.Candidates, want) {
		t.Errorf("critical: candidates %+v, want %+v", critical.Candidates, want)
	}
	expectMessage(t, podNamed(t, out, "default/patient"), "0/3 nodes are available: 1 node(s) had untolerated taint(s), "+
		"2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.")
	expectMessage(t, podNamed(t, out, "default/huge"), "0/3 nodes are available: 1 node(s) had untolerated taint(s), "+
		"2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
}

// A PreFilter rejection before DynamicResources' PreFilter ran: the plugin's PostFilter finds
// no cycle state and its error ends PostFilter, before DefaultPreemption; a Filter rejection
// still gets DefaultPreemption's message.
func TestPreFilterRejectionEndsPostFilterAtDynamicResources(t *testing.T) {
	out := decideScenario(t, "prefilter-rejected-post-filter")
	expectMessage(t, podNamed(t, out, "default/missing-claim"),
		`0/1 nodes are available: persistentvolumeclaim "missing" not found. not found`)
	expectMessage(t, podNamed(t, out, "default/terms-conflict"), "0/1 nodes are available: pod affinity terms conflict. not found")
	expectMessage(t, podNamed(t, out, "default/too-big"),
		"0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.")
}

