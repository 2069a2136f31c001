// The pods counted on nodes as preemption reads them (potential victims), kept resident in
// the core and updated pod by pod, so that a preemption passes only the preemptor. For a
// preemptor whose filters are node-local, it also keeps each node's dry-run verdict until
// the node changes (preemption_local.cpp).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "candidate_tree.hpp"
#include "filters.hpp"
#include "profile.hpp"

namespace kubesched {

struct PreemptionPod {  // a pod counted on a node: a potential victim
  int32_t class_id = -1;
  int32_t node = -1;             // -1 once it left
  int32_t priority = 0;
  int64_t start_time = 0;        // nanoseconds since the epoch; INT64_MAX when unknown
  std::vector<int32_t> budgets;  // the PodDisruptionBudgets its eviction charges, in order
};

struct PreemptionCandidate {
  int32_t node = -1;
  std::vector<int32_t> victims;  // rows of the table, most important first
  int32_t pdb_violations = 0;
  // What pickOneNodeForPreemption compares (summarize() in preemption.cpp): the highest
  // victim priority, the sum of the victims' priorities each shifted by 2^31, and the
  // earliest start among the highest-priority victims.
  int32_t top_priority = 0;
  int64_t priority_sum = 0;
  int64_t earliest_top_start = 0;

  CandidateScore score() const {
    return {pdb_violations, top_priority, priority_sum, static_cast<int64_t>(victims.size()), earliest_top_start};
  }
};

// One node's dry run for the cached preemptor (its kind is kept in VerdictCache::kinds).
struct NodeVerdict {
  enum Kind : uint8_t { kUnknown = 0, kNotPotential, kRejected, kCandidate };
  uint8_t kind = kUnknown;  // as decided
  PreemptionCandidate candidate;  // kCandidate
  Reasons reasons;                // kRejected
};

// The verdicts hold for one preemptor (class and priority), one set of budgets and one
// profile; a node's is dropped when the engine logs a change there or the table's pods on
// it change, all of them when anything else a filter reads changes (the generation).
struct VerdictCache {
  bool valid = false;
  std::vector<int32_t> stale;  // the nodes whose kind is kUnknown
  int32_t class_id = -1;
  int32_t priority = 0;
  uint64_t generation = 0;
  size_t clock = 0;  // the engine's change clock when last brought up to date
  std::vector<int32_t> budgets_allowed;
  std::array<bool, kFilterCount> filters{};
  std::vector<NodeVerdict> nodes;
  std::vector<uint8_t> kinds;  // nodes[n].kind, packed for the scans
  int32_t potential_count = 0;  // nodes whose decided kind is kRejected or kCandidate
  CandidateTree tree;  // the decided kinds and candidates, for the walk (candidate_tree.hpp)
};

struct VictimTable {
  std::vector<PreemptionPod> pods;            // by row, in the order they were counted
  std::vector<std::vector<int32_t>> on_node;  // rows per node, in that order
  VerdictCache cache;

  int32_t add(PreemptionPod pod) {
    const auto row = static_cast<int32_t>(pods.size());
    const int32_t node = pod.node;
    pods.push_back(std::move(pod));
    if (node >= 0) {
      if (static_cast<size_t>(node) >= on_node.size()) on_node.resize(static_cast<size_t>(node) + 1);
      on_node[static_cast<size_t>(node)].push_back(row);
      forget_verdict(node);
    }
    return row;
  }

  void remove(int32_t row) {
    PreemptionPod& pod = pods[static_cast<size_t>(row)];
    if (pod.node < 0) return;
    auto& rows = on_node[static_cast<size_t>(pod.node)];
    rows.erase(std::find(rows.begin(), rows.end(), row));
    forget_verdict(pod.node);
    pod.node = -1;
  }

  const std::vector<int32_t>& rows_on(int32_t node) const {
    static const std::vector<int32_t> none;
    return static_cast<size_t>(node) < on_node.size() ? on_node[static_cast<size_t>(node)] : none;
  }

 private:
  void forget_verdict(int32_t node) {
    if (static_cast<size_t>(node) >= cache.kinds.size()) return;
    uint8_t& kind = cache.kinds[static_cast<size_t>(node)];
    if (kind == NodeVerdict::kUnknown) return;  // already listed
    kind = NodeVerdict::kUnknown;
    cache.stale.push_back(node);
  }
};

}  // namespace kubesched
