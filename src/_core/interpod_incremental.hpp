// Incremental inter-pod state for one pod class whose inter-pod terms (its own and those
// existing pods carry towards it) all use one topology key. Every inter-pod verdict and
// score of such a class is a function of the node's domain, so the nodes are grouped by
// domain (the hostname key: one node per group) and the state keeps, persistently:
//   - per (term, domain) the pod counts, moved by the nodes whose pods changed;
//   - per group a selection tree over the node-local totals of its members;
//   - per group the inter-pod verdict and score offset, and the min/max the inter-pod
//     scores are normalised by, kept by counts of the values;
//   - a tree over the groups: the best group total and its number of ties.
// A placement costs O(log N) plus the work of the groups whose verdict or offset moved;
// only a change of a global quantity (a spread minimum, a normalisation bound, the number
// of scored domains) touches every group. Picking the k-th best node in node order across
// tied groups keeps upstream's (and the full evaluation's) tie order.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "interpod.hpp"
#include "profile.hpp"
#include "select_tree.hpp"

namespace kubesched {

class IncrementalInterPod {
 public:
  // Builds the state from scratch; false when the class is outside what this handles
  // (several topology keys, a score normalised over the feasible nodes that varies, a
  // hostname label shared by nodes), and then the engine evaluates the class afresh.
  bool build(const InterPodInputs& in, const std::array<bool, kScoreCount>& skipped);
  // The pods (or node-local state) of `changed` nodes moved since the last build or sync.
  void sync(const InterPodInputs& in, const std::vector<int32_t>& changed);

  int64_t best() const { return top_.best(); }
  int64_t ties() const { return top_.ties(); }
  // The k-th (0-based, in node order) of the nodes holding the best total.
  int32_t pick(int64_t k) const;
  int64_t feasible_count() const { return feasible_count_; }

 private:
  enum Kind : uint8_t { kAffinity, kAnti, kExistingAnti, kHardSpread, kAffinityScore, kSoftSpread };
  struct Component {
    Kind kind = kAnti;
    int32_t source = -1;   // matcher id, or carried term id when `carried`
    bool carried = false;
    int64_t weight = 0;    // kAffinityScore
    int64_t max_skew = 1;  // spreading
    int64_t self = 0;      // kHardSpread: the pod matches its own selector
    int64_t min_domains = 1;
    std::vector<uint8_t> eligible;      // per node; empty: every node counts
    std::vector<int32_t> contribution;  // per node: what it adds to its group's count
    std::vector<int64_t> count;         // per group
    // kHardSpread: the domains holding an eligible node, and their counts' multiset.
    std::vector<uint8_t> present;
    int64_t present_domains = 0;
    std::map<int64_t, int32_t> present_counts;
    int64_t global_min = 0;
  };

  const std::vector<int32_t>& per_node(const InterPodInputs& in, const Component& c) const;
  int32_t contribution(const InterPodInputs& in, const Component& c, int32_t node) const;
  void add_count(Component& c, int32_t group, int64_t delta);
  int64_t hard_spread_min(const Component& c) const;
  void refresh_local(const InterPodInputs& in, int32_t node);
  bool verdict(int32_t group) const;
  int64_t affinity_raw(int32_t group) const;
  int64_t spread_raw(int32_t group) const;
  bool spread_ignored(int32_t group) const { return require_all_ && keyless_[static_cast<size_t>(group)]; }
  int64_t group_best(int32_t group) const;
  int64_t group_ties(int32_t group) const;
  int64_t offset(int32_t group) const;
  void mark(int32_t group);
  void update_group(int32_t group);
  void update_spread_raw(int32_t group);
  bool refresh_bounds();
  void set_top(int32_t group);
  void assign_top();

  bool hostname_mode_ = false;
  int32_t groups_ = 0;
  std::vector<int32_t> group_of_;                 // per node
  std::vector<std::vector<int32_t>> members_;     // per group, in node order (not in hostname mode)
  std::vector<uint8_t> keyless_;                  // per group: its nodes lack the key
  std::vector<SelectTree> group_trees_;           // per group over its members (not in hostname mode)
  std::vector<Component> components_;

  // Node-local half: the filters up to NodeResourcesFit and the weighted sum of the scores
  // that do not depend on other nodes (those normalised over the feasible nodes are
  // constant here, so their normalised value is too).
  std::array<int64_t, kScoreCount> weights_{};
  std::array<bool, kScoreCount> local_plugin_{};
  std::array<int64_t, kScoreCount> constant_scaled_{};
  std::array<bool, kScoreCount> constant_plugin_{};
  std::vector<uint8_t> local_ok_;
  std::vector<int64_t> local_total_;
  std::vector<int64_t> feasible_members_;  // per group: members passing the node-local filters

  bool affinity_self_ = false;
  bool affinity_any_ = false;
  int64_t affinity_total_ = 0;
  bool affinity_score_ = false;  // InterPodAffinity scores the pod
  bool spread_score_ = false;    // PodTopologySpread scores the pod
  bool require_all_ = true;      // nodes without the key are ignored by the spread score

  std::vector<uint8_t> ok_, scored_, in_spread_set_;
  std::vector<int64_t> affinity_raw_, spread_raw_;
  std::map<int64_t, int32_t> affinity_values_, spread_values_;  // over scored groups
  int64_t scored_unignored_ = 0;  // the spread score's domain count (its weight's input)
  int64_t weight_size_ = -1;
  double spread_weight_ = 0;
  int64_t affinity_lo_ = 0, affinity_hi_ = 0, spread_lo_ = 0, spread_hi_ = 0;
  int64_t feasible_count_ = 0;
  std::vector<int64_t> counted_members_;  // per group: its share of feasible_count_
  SelectTree top_;

  std::vector<uint8_t> dirty_;
  std::vector<int32_t> dirty_list_;
  std::vector<int64_t> top_totals_, top_ties_;
};

}  // namespace kubesched
