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

namespace kubesched {

struct PreemptionPod {  // a pod counted on a node: a potential victim
  int32_t class_id = -1;
  int32_t node = -1;
  int32_t priority = 0;
  int64_t start_time = 0;        // nanoseconds since the epoch; INT64_MAX when unknown
  std::vector<int32_t> budgets;  // the PodDisruptionBudgets its eviction charges, in order
};

struct PreemptionRequest {
  int32_t class_id = -1;  // the preemptor
  int32_t priority = 0;
  std::vector<PreemptionPod> pods;       // in each node's order
  std::vector<int32_t> budgets_allowed;  // disruptionsAllowed per budget
  // Pods nominated to nodes and not bound, at the preemptor's priority or above: (class, node).
  std::vector<std::pair<int32_t, int32_t>> nominated;
  int32_t offset = 0;  // the dry run's start among the potential nodes
  int32_t min_candidate_percentage = 10;
  int32_t min_candidate_absolute = 100;
};

struct PreemptionCandidate {
  int32_t node = -1;
  std::vector<int32_t> victims;  // indices into the request's pods, most important first
  int32_t pdb_violations = 0;
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

struct PreemptionOutcome {
  std::vector<PreemptionCandidate> candidates;  // non-violating first, each in the order examined
  std::vector<int32_t> rejected_nodes;          // nodes the dry run rejected, in the order examined
  std::vector<Reasons> rejected_reasons;        // their reasons (kNoVictimsReason: no victims)
  int32_t chosen = -1;                          // index into candidates
  int32_t decided_by = kOnlyCandidate;
};

PreemptionOutcome find_preemption(Engine& engine, const PreemptionRequest& request);

// Upstream's calculateNumCandidates.
int32_t candidates_to_find(int32_t potential, int32_t percentage, int32_t absolute);

}  // namespace kubesched
