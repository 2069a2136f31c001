// DefaultPreemption's victim search (upstream's PostFilter): which nodes could take a pod
// that fits nowhere if lower-priority pods left, whom to evict there, and which node to
// pick. Each candidate node is a what-if over the engine's own snapshot: its lower-priority
// pods leave, the full filter set (inter-pod affinity and spreading included) is asked, the
// victims are reprieved one by one, and the node's row and the domain counts are put back
// exactly as they were, so no cached evaluation goes stale.
#pragma once

#include <cstdint>
#include <vector>

#include "engine.hpp"
#include "victim_table.hpp"

namespace kubesched {

struct PreemptionRequest {
  int32_t class_id = -1;  // the preemptor
  int32_t priority = 0;
  std::vector<int32_t> budgets_allowed;  // disruptionsAllowed per budget
  // Pods nominated to nodes and not bound, at the preemptor's priority or above: (class, node).
  std::vector<std::pair<int32_t, int32_t>> nominated;
  int32_t offset = 0;  // the dry run's start among the potential nodes
  int32_t min_candidate_percentage = 10;
  int32_t min_candidate_absolute = 100;
  // false: the outcome lists only the chosen candidate, and the rejected nodes only when none
  // is chosen (all a simulation's flow reads; listing hundreds of candidates per preemptor
  // would cost more than finding them).
  bool all_candidates = true;
};

enum PickCriterion : int32_t {
  kOnlyCandidate = 0,
  kFewestViolations,
  kLowestHighestPriority,
  kSmallestPrioritySum,
  kFewestVictims,
  kLatestStart,
  kFirstOfTied,
};

constexpr int32_t kNoVictimsReason = -1;  // "No preemption victims found for incoming pod"

// Flat, so that an answer costs no allocation per node: candidate i is on
// candidate_nodes[i] with candidate_violations[i] PDB violations and evicts
// victims[victim_start[i], victim_start[i + 1]) (table rows, most important first);
// rejected node j has reasons[reason_start[j], reason_start[j + 1]).
struct PreemptionOutcome {
  std::vector<int32_t> candidate_nodes;  // non-violating first, each in the order examined
  std::vector<int32_t> candidate_violations;
  std::vector<int32_t> victim_start{0};
  std::vector<int32_t> victims;
  std::vector<int32_t> rejected_nodes;  // nodes the dry run rejected, in the order examined
  std::vector<int32_t> reason_start{0};
  std::vector<int32_t> reasons;  // kNoVictimsReason: no victims
  int32_t chosen = -1;           // index into the candidates
  int32_t decided_by = kOnlyCandidate;
  bool all_candidates = true;    // as requested
};

// The pods that may be victims are the table's; its verdict cache serves (and is brought up
// to date for) a node-local preemptor when no nominated pod is involved.
PreemptionOutcome find_preemption(Engine& engine, const PreemptionRequest& request, VictimTable& table);

// The preemptor's next steps once the dry run chose a node (preemption_retry.cpp): the
// chosen victims leave the engine and the table, then the pod is tried again, first on the
// nominated node, yielding to `held` (class, node) as schedule_with_nominated does. Returns
// the node it is assumed on, or -1 (its reasons in the engine's last_failure); -1 without
// any change when nothing was chosen.
int32_t evict_and_retry(Engine& engine, const PreemptionOutcome& outcome, VictimTable& table, int32_t class_id,
                        const std::vector<std::pair<int32_t, int32_t>>& held);

// The node-local dry run (preemption_local.cpp): whether a pod of the request's class is
// one whose filters read only its node's own state (no inter-pod rule touches it, no host
// ports, GPUs, volumes or claims), so that evicting pods only frees resources.
bool node_local_preemptor(Engine& engine, int32_t class_id);
// The table's verdict for every node, recomputed for the nodes that changed.
const std::vector<NodeVerdict>& node_local_verdicts(Engine& engine, const PreemptionRequest& request,
                                                    VictimTable& table);

// Shared by both dry runs (preemption.cpp).
// The filter rejecting the request's pod on the node under upstream's two passes with the
// request's nominated pods (-1: none); also the scheduling cycle's (nominated.cpp).
int32_t fails_with_nominated(Engine& engine, const PreemptionRequest& request, int32_t node, Reasons* reasons);
bool resolvable(const Engine& engine, const PodClass& pod, int32_t node, const Reasons& reasons);
bool more_important(const std::vector<PreemptionPod>& pods, int32_t a, int32_t b);
void summarize(const std::vector<PreemptionPod>& pods, PreemptionCandidate& candidate);
std::vector<uint8_t> violating(const PreemptionRequest& request, const std::vector<PreemptionPod>& pods,
                               const std::vector<int32_t>& victims);

// Upstream's calculateNumCandidates.
int32_t candidates_to_find(int32_t potential, int32_t percentage, int32_t absolute);

}  // namespace kubesched
