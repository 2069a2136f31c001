// The decision engine: filter -> score -> select over a Snapshot, and a whole queue of pods
// placed in one call. Per pod class it keeps the last evaluation and a selection tree. For a
// class no inter-pod rule touches, it brings them up to date from a log of the nodes that
// changed since, so the next pod of the class costs O(changed nodes * log N); a class with
// inter-pod rules is evaluated afresh after every change (its domain counts move).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

#include "filters.hpp"
#include "interpod.hpp"
#include "interpod_incremental.hpp"
#include "pod_class.hpp"
#include "profile.hpp"
#include "scores.hpp"
#include "select_tree.hpp"
#include "snapshot.hpp"
#include "terms.hpp"
#include "topology.hpp"

namespace kubesched {

using Histogram = std::vector<std::pair<int32_t, int32_t>>;  // (reason, nodes), sorted by reason

// Everything `explain` shows for one pod: per node, the filters' verdict and every score.
struct Evaluation {
  std::vector<int32_t> failed_filter;  // -1 when the node passes every filter (or was not examined)
  std::vector<Reasons> reasons;
  std::array<std::vector<int64_t>, kScoreCount> raw;
  std::array<std::vector<int64_t>, kScoreCount> normalized;
  std::vector<int64_t> total;  // -1 for infeasible nodes
  std::array<bool, kScoreCount> skipped{};
  std::vector<uint8_t> examined;  // nodes looked at (all unless percentageOfNodesToScore samples)
  std::vector<int32_t> order;  // the nodes looked at, in that order (from the rotating start when sampled)
  int32_t feasible = 0;
  int32_t selected = -1;
};

class Engine {
 public:
  Snapshot snapshot;

  const Profile& profile() const { return profile_; }
  void set_profile(Profile profile);
  void set_seed(int64_t seed);  // >= 0: random choice among ties; < 0: first in node order
  // Where the next sampled search starts (upstream's nextStartNodeIndex): the scheduler's, not
  // the snapshot's, so a snapshot built anew for the same scheduler takes it over.
  int32_t next_start_node() const { return next_start_node_; }
  void set_next_start_node(int32_t start) { next_start_node_ = start < 0 ? 0 : start; }
  // Which of `ties` equally best nodes to take, as the engine's own selection does: uniform
  // from the seeded stream, or the first without a seed (for selections made outside, e.g.
  // with Python plugins' scores).
  int64_t choose_tie(int64_t ties) {
    return random_ties_ && ties > 1 ? std::uniform_int_distribution<int64_t>(0, ties - 1)(rng_) : 0;
  }

  int32_t add_node(std::string_view name);
  int32_t add_matcher(const Matcher& matcher);
  int32_t add_class(PodClass pod_class);
  const PodClass& pod_class(int32_t id) const { return classes_.at(static_cast<size_t>(id)); }
  int32_t class_count() const { return static_cast<int32_t>(classes_.size()); }

  // A pod of the class is on the node (bound, or assumed by a decision) / has left it.
  // A GPU pod takes GPUs chosen by the profile's gpu_select (see last_gpu_mask()).
  void assume(int32_t class_id, int32_t node);
  void forget(int32_t class_id, int32_t node);
  // A GPU pod already on given GPUs (a bound pod's recorded indices, as a bit mask).
  void assume_on_gpus(int32_t class_id, int32_t node, uint64_t mask);
  // A GPU pod leaves exactly the GPUs of `mask` (forget gives back those of the last pod of
  // the class on the node, which is another pod's when two of one class share a node).
  void forget_on_gpus(int32_t class_id, int32_t node, uint64_t mask);
  // The GPUs the last assumed pod took (0: none), and those of each pod of the last queue.
  uint64_t last_gpu_mask() const { return last_gpu_mask_; }
  const std::vector<uint64_t>& queue_gpu_masks() const { return queue_gpu_masks_; }
  // Something other than pods changed on a node (labels, taints, allocatable).
  void node_changed(int32_t node);

  // Decide one pod and assume it on the chosen node; -1 when nothing fits, and then
  // `last_failure()` holds the reasons.
  int32_t schedule(int32_t class_id);
  // The same for a queue; failures' histograms are kept, in order, in `failures()`.
  void schedule_queue(const int32_t* class_ids, int64_t count, int32_t* chosen);

  const Histogram& last_failure() const { return last_failure_; }
  // Of the last schedule(): the nodes the filters looked at and those that passed them
  // (upstream's evaluatedNodes and feasibleNodes).
  int32_t last_evaluated() const { return last_evaluated_; }
  int32_t last_feasible() const { return last_feasible_; }
  const std::vector<Histogram>& failures() const { return failures_; }
  void clear_failures() { failures_.clear(); }

  // Filter and score the nodes for a pod of the class without placing it. `draw`: the
  // selected node is drawn among the tied best as schedule() draws (seeded); else the first
  // of them, the stream untouched (for a caller that selects after scoring further).
  Evaluation evaluate(int32_t class_id, bool draw = true);
  // Whether a pod of the class passes every enabled filter on one node now (what
  // `evaluate` says of that node, without looking at the others).
  bool feasible_on(int32_t class_id, int32_t node);
  // feasible_on for every node (1 where it passes), with no sampling, draw or caching.
  std::vector<uint8_t> feasible_nodes(int32_t class_id);

  // Preemption's what-if (preemption.cpp): a pod of the class leaves (returns the GPUs it
  // held) or joins the node without being logged as a change; the caller undoes every step
  // and restores the node's rows before any other decision.
  uint64_t trial_leave(int32_t class_id, int32_t node);
  void trial_join(int32_t class_id, int32_t node, uint64_t gpus);
  // The filter that rejects a pod of the class on the node as it is now (-1: none).
  int32_t trial_failing_filter(int32_t class_id, int32_t node, Reasons* reasons);
  void trial_begin() { trial_context_valid_ = false; }
  // For preemption's cached node-local verdicts: whether an inter-pod rule touches the
  // class; the change log's clock and the nodes logged since an earlier reading of it
  // (false when the log no longer reaches back that far).
  bool inter_pod_rules_touch(int32_t class_id) { return touched_by_inter_pod_rules(class_id); }
  size_t change_clock() const { return log_base_ + change_log_.size(); }
  bool changed_since(size_t clock, std::vector<int32_t>& nodes) const {
    if (clock < log_base_ || clock > change_clock()) return false;
    nodes.assign(change_log_.begin() + static_cast<std::ptrdiff_t>(clock - log_base_), change_log_.end());
    return true;
  }
  // schedule_queue that stops at the first pod fitting nowhere, so that preemption can run
  // on the state that pod saw; returns how many pods were decided (the failed one included).
  int64_t schedule_until_failure(const int32_t* class_ids, int64_t count, int32_t* chosen);
  // schedule_until_failure leaves the failing pod's reasons to be counted when first asked
  // for (a preemption that nominates a node never needs them); this counts them, and
  // throws when the snapshot changed since the failure.
  void resolve_deferred_failure();

  // Upstream's RunFilterPluginsWithNominatedPods (nominated.cpp): `nominated` are the
  // (class, node) of the pods nominated to nodes that the pod must yield to. A node passes
  // only if the filters pass there with that node's nominated pods added and again without
  // them; scores are taken without them. Decides and assumes as schedule() does.
  int32_t schedule_with_nominated(int32_t class_id, const std::vector<std::pair<int32_t, int32_t>>& nominated);
  // evaluate() under the same rule: for the decisions that filter or score further outside
  // the core (claims' class, extenders, Python plugins). The nodes `excluded` fail a filter
  // outside the core (failed_filter kFilterCount, no reasons) where every core filter passes:
  // none of them is scored or counts in a normalisation, as upstream scores only the nodes
  // every filter passed, and a sampled search goes on past them.
  Evaluation evaluate_with_nominated(int32_t class_id, const std::vector<std::pair<int32_t, int32_t>>& nominated,
                                     const std::vector<int32_t>& excluded, bool draw = true);
  // feasible_on under the same rule (the pod's own nominated node, tried first).
  bool feasible_with_nominated(int32_t class_id, int32_t node,
                               const std::vector<std::pair<int32_t, int32_t>>& nominated);

 private:
  struct ClassState {
    uint64_t generation = ~0ULL;
    size_t synced = 0;
    size_t carried_seen = 0;
    bool inter_pod = false;
    std::vector<uint8_t> feasible;
    std::array<std::vector<int64_t>, kScoreCount> raw;
    std::array<int64_t, kScoreCount> max_raw{};
    std::array<int64_t, kScoreCount> at_max{};
    std::array<int64_t, kScoreCount> min_raw{};  // min-max normalised plugins only
    std::array<int64_t, kScoreCount> at_min{};
    int64_t feasible_count = 0;
    std::vector<int64_t> total;
    SelectTree tree;
    uint64_t last_used = 0;
    bool diagnosed = false;
    Histogram diagnosis;
    // Classes touched by inter-pod rules: the two halves of feasibility, and the domain
    // counts of the last decision.
    std::vector<uint8_t> local_ok, inter_pod_ok;
    FilterContext filter_context;
    // Classes whose inter-pod terms share one topology key: kept up to date per placement.
    std::unique_ptr<IncrementalInterPod> incremental;
  };

  InterPodInputs inputs(int32_t class_id) { return {snapshot, profile_, terms_, domains_, classes_, class_id}; }
  bool touched_by_inter_pod_rules(int32_t class_id);
  int32_t failing_filter(int32_t class_id, int32_t node, const FilterContext* context, Reasons* reasons);
  // Nodes rejected by the pass with nominated pods (nominated.cpp): the filter and reasons
  // failing_filter answers for them while a decision with nominated pods runs.
  struct Veto {
    int32_t filter;
    Reasons reasons;
  };
  const std::unordered_map<int32_t, Veto>* vetoes_ = nullptr;
  // Per node, whether a filter outside the core rejects the pod (evaluate_with_nominated's
  // `excluded`); failing_filter answers kFilterCount for those where the core's pass.
  const std::vector<uint8_t>* excluded_ = nullptr;
  std::unordered_map<int32_t, Veto> nominated_vetoes(int32_t class_id,
                                                     const std::vector<std::pair<int32_t, int32_t>>& nominated,
                                                     int32_t only_node);
  // One filter+score pass over `nodes` (all when empty): fills feasibility, raw and normalized.
  void pass(int32_t class_id, bool inter_pod, const std::vector<int32_t>& nodes, Evaluation& out, bool with_reasons);

  ClassState& state_for(int32_t class_id);
  void rebuild(ClassState& state, int32_t class_id);
  void refresh_node(ClassState& state, int32_t class_id, int32_t node, bool& renormalize);
  void rebuild_inter_pod(ClassState& state, int32_t class_id);
  void sync_inter_pod(ClassState& state, int32_t class_id, size_t from, size_t to);
  void refresh_local(ClassState& state, int32_t class_id, int32_t node);
  void score_inter_pod(ClassState& state, int32_t class_id);
  void renormalize(ClassState& state);
  int64_t total_of(const ClassState& state, int32_t node) const;
  void basic_raw_scores(int32_t class_id, int32_t node, std::array<std::vector<int64_t>, kScoreCount>& raw) const;
  int32_t pick(const SelectTree& tree);
  int32_t pick(const IncrementalInterPod& incremental);
  void sync_incremental(ClassState& state, int32_t class_id, size_t from, size_t to);
  Histogram diagnose(int32_t class_id);
  int32_t schedule_sampled(int32_t class_id);
  int32_t nodes_to_find() const;
  int32_t nodes_to_find(int32_t all) const;  // upstream's numFeasibleNodesToFind for `all` nodes
  void log_change(int32_t node);
  void log_volume_changes(const std::vector<int32_t>& nodes);  // VolumeState::place/remove's answer
  void add_to_node(int32_t class_id, int32_t node);  // the bookkeeping every placement shares
  void leave(int32_t class_id, int32_t node, uint64_t mask, bool exact);

  Profile profile_;
  std::vector<PodClass> classes_;
  std::vector<std::array<bool, kScoreCount>> skipped_;  // per class: PreScore said Skip
  TermRegistry terms_;
  DomainCache domains_;
  std::unordered_map<int32_t, std::unique_ptr<ClassState>> states_;
  std::vector<int32_t> change_log_;
  size_t log_base_ = 0;  // change_log_[0] is entry number log_base_
  uint64_t use_clock_ = 0;
  bool random_ties_ = false;
  std::mt19937_64 rng_{0};
  int32_t next_start_node_ = 0;
  Histogram last_failure_;
  int32_t last_evaluated_ = 0;
  int32_t last_feasible_ = 0;
  std::vector<Histogram> failures_;
  uint64_t last_gpu_mask_ = 0;
  std::vector<uint64_t> queue_gpu_masks_;
  FilterContext trial_context_;  // of trial_failing_filter, until a trial move
  int32_t trial_context_class_ = -1;
  bool trial_context_valid_ = false;
  bool defer_diagnosis_ = false;  // of schedule_until_failure (preemption.cpp)
  int32_t deferred_class_ = -1;
  size_t deferred_clock_ = 0;
  uint64_t deferred_generation_ = 0;
  int32_t defer_failure(int32_t class_id);  // returns -1
  std::vector<uint8_t> seen_;  // reused per sync: nodes already taken from the change log
  std::vector<int32_t> changed_;
  std::array<std::vector<int64_t>, kScoreCount> scaled_;  // reused by score_inter_pod
};

}  // namespace kubesched
