// Incremental inter-pod state for one pod class with inter-pod terms or spread constraints
// (its own and those existing pods carry towards it), on any number of topology keys. Every
// inter-pod verdict and score of such a node is a function of the counts of its domains, so:
//   - the nodes are split into cells, one per combination of their domains under every key
//     but the hostname (for it only whether the node has it);
//   - the nodes of a cell are split into buckets by their own counts of the hostname-keyed
//     terms (most nodes hold a few values, e.g. 0 or 1 matching pod);
//   - per (term, domain) the pod counts are kept persistently, moved by the nodes whose pods
//     changed (the hostname key: per node);
//   - per bucket a selection tree over the node-local totals of its members, its inter-pod
//     verdict and score offset, and the min/max the inter-pod scores are normalised by, kept
//     by counts of the values;
//   - a tree over the buckets: the best bucket total and its number of ties.
// A placement costs O(log N) plus the work of the buckets whose verdict or offset moved;
// only a change of a global quantity (a spread minimum, a normalisation bound, the number
// of scored domains) touches every bucket, never every node. Picking the k-th best node in
// node order across tied buckets keeps upstream's (and the full evaluation's) tie order.
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
  // Builds the state from scratch; false when the class is outside what this handles (a
  // score normalised over the feasible nodes that varies, a hostname label shared by
  // nodes), and then the engine evaluates the class afresh.
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
    int32_t key = -1;
    int32_t slot = -1;     // index of the key among keys_
    int32_t host = -1;     // hostname-keyed: index among a bucket's host values
    int64_t weight = 0;    // kAffinityScore
    int64_t max_skew = 1;  // spreading
    int64_t self = 0;      // kHardSpread: the pod matches its own selector
    int64_t min_domains = 1;
    const Domains* domains = nullptr;   // not hostname-keyed
    std::vector<uint8_t> eligible;      // per node; empty: every node with the key counts
    std::vector<int32_t> contribution;  // per node: what it adds to its domain's count
    std::vector<int64_t> count;         // per domain (hostname-keyed: per node)
    int64_t total = 0;                  // kAffinity: over every domain
    // kHardSpread: the domains holding an eligible node, and their counts' multiset.
    std::vector<uint8_t> present;
    int64_t present_domains = 0;
    std::map<int64_t, int32_t> present_counts;
    int64_t global_min = 0;
    // kSoftSpread not hostname-keyed: scored unignored nodes per domain (+1: keyless), and
    // the number of those domains holding some (the score weight's input).
    std::vector<int64_t> scored_in;
    int64_t scored_domains = 0;
    int64_t weight_size = -1;
    double spread_weight = 0;
  };
  struct Cell {
    std::vector<int32_t> domain;   // per key slot (hostname: 0 or -1 without the label)
    std::vector<int32_t> members;  // in node order
    std::vector<int32_t> buckets;  // live ones
    std::vector<int32_t> spare;    // released ones, their trees all kInfeasible
    bool ignored = false;          // the spread score ignores its nodes
  };
  struct Bucket {
    int32_t cell = -1;
    std::vector<int32_t> host;  // per hostname-keyed component: its count on the members
    SelectTree tree;            // over the cell's members; kInfeasible for the others
    int64_t members = 0;
    int64_t feasible = 0;       // members passing the node-local filters
    bool live = false, ok = false, scored = false, in_spread_set = false, dirty = false;
    int64_t counted = 0;        // its share of feasible_count_
    int64_t affinity_raw = 0, spread_raw = 0;
  };

  const std::vector<int32_t>& per_node(const InterPodInputs& in, const Component& c) const;
  int32_t domain_of(const Component& c, int32_t node) const;
  int32_t contribution(const InterPodInputs& in, const Component& c, int32_t node) const;
  void add_count(Component& c, int32_t domain, int64_t delta);
  int64_t hard_spread_min(const Component& c) const;
  void refresh_local(const InterPodInputs& in, int32_t node);
  int64_t value(const Bucket& b, const Component& c) const;
  bool keyless(const Bucket& b, const Component& c) const;
  bool verdict(const Bucket& b) const;
  int64_t affinity_raw(const Bucket& b) const;
  int64_t spread_raw(const Bucket& b) const;
  bool spread_ignored(const Bucket& b) const { return cells_[static_cast<size_t>(b.cell)].ignored; }
  int64_t offset(const Bucket& b) const;
  int32_t bucket_for(int32_t node);
  bool build_cells(const InterPodInputs& in);
  void attach(int32_t node);
  void detach(int32_t node);
  void mark(int32_t bucket);
  void mark_domain(const Component& c, int32_t domain);
  void mark_all();
  void update_bucket(int32_t bucket);
  void count_soft_domains(const Bucket& b, int64_t sign);
  void update_spread_raw(int32_t bucket);
  bool refresh_weights();
  bool refresh_bounds();
  void set_top(int32_t bucket);
  void assign_top();
  void release(int32_t bucket);

  std::vector<int32_t> keys_;
  int32_t hostname_key_ = -1;
  std::vector<Component> components_;
  std::vector<size_t> host_components_;  // indices of the hostname-keyed ones

  std::vector<Cell> cells_;
  std::vector<std::vector<std::vector<int32_t>>> cells_of_domain_;  // per key slot, per domain
  std::vector<int32_t> cell_of_, position_, bucket_of_;             // per node
  std::vector<Bucket> buckets_;
  bool building_ = false;  // build() fills the bucket trees once, after every node is placed
  std::vector<int32_t> host_values_;  // reused: a node's counts of the hostname-keyed terms

  // Node-local half: the filters up to NodeResourcesFit and the weighted sum of the scores
  // that do not depend on other nodes (those normalised over the feasible nodes are
  // constant here, so their normalised value is too).
  std::array<int64_t, kScoreCount> weights_{};
  std::array<bool, kScoreCount> local_plugin_{};
  std::array<int64_t, kScoreCount> constant_scaled_{};
  std::array<bool, kScoreCount> constant_plugin_{};
  std::vector<uint8_t> local_ok_;
  std::vector<int64_t> local_total_;

  bool affinity_self_ = false;
  bool affinity_any_ = false;
  bool affinity_score_ = false;  // InterPodAffinity scores the pod
  bool spread_score_ = false;    // PodTopologySpread scores the pod
  bool require_all_ = true;      // nodes without every key are ignored by the spread score

  std::map<int64_t, int32_t> affinity_values_, spread_values_;  // over scored buckets
  int64_t scored_unignored_ = 0;  // scored nodes the spread score does not ignore
  int64_t affinity_lo_ = 0, affinity_hi_ = 0, spread_lo_ = 0, spread_hi_ = 0;
  int64_t feasible_count_ = 0;
  SelectTree top_;
  size_t top_capacity_ = 0;

  std::vector<int32_t> dirty_list_;
  std::vector<int64_t> top_totals_, top_ties_;
  mutable std::vector<int32_t> tied_;  // reused by pick
};

}  // namespace kubesched
