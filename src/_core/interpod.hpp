// InterPodAffinity and PodTopologySpread: per-domain pod counts for one incoming pod class,
// computed once per decision from the registry's per-node counts (upstream's PreFilter and
// PreScore), then read per node by the filters and scores.
#pragma once

#include <cstdint>
#include <vector>

#include "filters.hpp"
#include "pod_class.hpp"
#include "profile.hpp"
#include "snapshot.hpp"
#include "terms.hpp"
#include "topology.hpp"

namespace kubesched {

struct DomainCounts {
  const Domains* domains = nullptr;
  std::vector<int64_t> count;  // per domain
  int64_t at(int32_t node) const {
    const int32_t d = domains->of_node[static_cast<size_t>(node)];
    return d < 0 ? 0 : count[static_cast<size_t>(d)];
  }
};

struct HardSpread {
  DomainCounts counts;         // over eligible nodes
  int64_t global_min = 0;
  int64_t self = 0;            // 1 when the pod matches its own selector
  int64_t max_skew = 1;
};

struct SoftSpread {
  const Domains* domains = nullptr;
  bool hostname = false;
  int32_t matcher = -1;
  int64_t max_skew = 1;
  double weight = 0;
  std::vector<int64_t> count;   // per domain (+1 slot: nodes without the key, value "")
  std::vector<uint8_t> candidate;  // domains of scored nodes
};

struct WeightedCounts {
  DomainCounts counts;
  int64_t weight = 0;
};

struct FilterContext {
  bool affinity = false;              // the pod has required affinity terms
  std::vector<int32_t> affinity_keys;
  std::vector<DomainCounts> affinity_counts;
  bool affinity_any = false;          // some pod on a node with the key matches every term
  bool affinity_self = false;         // the pod matches all its own terms
  std::vector<DomainCounts> anti;
  std::vector<DomainCounts> existing_anti;
  std::vector<HardSpread> spread;
  std::vector<int32_t> spread_keys;

  // The domain partitions the verdicts depend on: a pod landing on node n can change the
  // verdict only of nodes sharing one of these domains with n, unless `global()` moves.
  std::vector<const Domains*> partitions() const;
  // What every node's verdict depends on at once.
  std::vector<int64_t> global() const;
};

struct ScoreContext {
  bool affinity_skip = true;
  std::vector<WeightedCounts> affinity;
  bool spread_skip = true;
  std::vector<SoftSpread> spread;
  std::vector<uint8_t> spread_ignored;  // per node
};

// What the engine lends the inter-pod code for one decision.
struct InterPodInputs {
  const Snapshot& snapshot;
  const Profile& profile;
  TermRegistry& terms;
  DomainCache& domains;
  const std::vector<PodClass>& classes;
  int32_t class_id;
};

FilterContext build_filter_context(const InterPodInputs& in);
// Returns the failing filter (kPodTopologySpreadFilter / kInterPodAffinityFilter) or -1.
int32_t inter_pod_filters(const InterPodInputs& in, const FilterContext& ctx, int32_t node, Reasons* reasons);

ScoreContext build_score_context(const InterPodInputs& in, const std::vector<int32_t>& feasible);
int64_t inter_pod_affinity_score(const ScoreContext& ctx, int32_t node);
int64_t spread_score(const ScoreContext& ctx, int32_t node, const TermRegistry& terms);
// Upstream's NormalizeScore of both plugins over the scored nodes, in place.
void normalize_inter_pod_affinity(std::vector<int64_t>& scores, const std::vector<int32_t>& nodes);
void normalize_spread(const ScoreContext& ctx, std::vector<int64_t>& scores, const std::vector<int32_t>& nodes);

}  // namespace kubesched
