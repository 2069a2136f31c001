#include "interpod_incremental.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "filters.hpp"
#include "scores.hpp"

namespace kubesched {

namespace {

// nodeAffinityPolicy / nodeTaintsPolicy: does the node count for this constraint?
bool included(const Snapshot& s, const PodClass& pod, const SpreadConstraint& c, int32_t node) {
  if (c.honor_node_affinity && !pod_node_affinity_matches(s, pod, node)) return false;
  if (c.honor_node_taints && !taint_toleration_passes(s, pod, node, nullptr)) return false;
  return true;
}

void add_value(std::map<int64_t, int32_t>& values, int64_t value) { ++values[value]; }

void remove_value(std::map<int64_t, int32_t>& values, int64_t value) {
  auto found = values.find(value);
  if (--found->second == 0) values.erase(found);
}

}  // namespace

const std::vector<int32_t>& IncrementalInterPod::per_node(const InterPodInputs& in, const Component& c) const {
  return c.carried ? in.terms.carriers_on_nodes(c.source) : in.terms.matching_on_nodes(c.source);
}

int32_t IncrementalInterPod::contribution(const InterPodInputs& in, const Component& c, int32_t node) const {
  const auto n = static_cast<size_t>(node);
  if (keyless_[static_cast<size_t>(group_of_[n])]) return 0;
  if (!c.eligible.empty() && !c.eligible[n]) return 0;
  return per_node(in, c)[n];
}

void IncrementalInterPod::add_count(Component& c, int32_t group, int64_t delta) {
  int64_t& count = c.count[static_cast<size_t>(group)];
  if (c.kind == kHardSpread && c.present[static_cast<size_t>(group)]) {
    remove_value(c.present_counts, count);
    add_value(c.present_counts, count + delta);
  }
  if (c.kind == kAffinity) affinity_total_ += delta;
  count += delta;
}

int64_t IncrementalInterPod::hard_spread_min(const Component& c) const {
  if (c.present_domains < c.min_domains) return 0;
  if (c.present_counts.empty()) return std::numeric_limits<int32_t>::max();
  return c.present_counts.begin()->first;
}

bool IncrementalInterPod::build(const InterPodInputs& in, const std::array<bool, kScoreCount>& skipped) {
  const Snapshot& s = in.snapshot;
  const Profile& profile = in.profile;
  const PodClass& pod = in.classes[static_cast<size_t>(in.class_id)];
  const int32_t count = s.node_count();
  if (count == 0) return false;
  components_.clear();
  int32_t key = -1;
  bool single_key = true;
  auto use = [&](int32_t term_key, Kind kind, int32_t source, bool carried) -> Component& {
    if (key < 0) key = term_key;
    else if (key != term_key) single_key = false;
    Component c;
    c.kind = kind;
    c.source = source;
    c.carried = carried;
    components_.push_back(std::move(c));
    return components_.back();
  };

  affinity_self_ = false;
  const auto& carried = in.terms.carried();
  if (profile.filters[kInterPodAffinityFilter]) {
    if (!pod.affinity_required.empty()) {
      // Every term counts the pods matching all terms: with one key their counts agree.
      for (const auto& term : pod.affinity_required) {
        if (key < 0) key = term.key;
        else if (key != term.key) single_key = false;
      }
      use(pod.affinity_required.front().key, kAffinity, pod.affinity_all, false);
      affinity_self_ = in.terms.matches(pod.affinity_all, in.class_id, in.classes);
    }
    for (const auto& term : pod.anti_required) use(term.key, kAnti, term.matcher, false);
    for (size_t t = 0; t < carried.size(); ++t)
      if (carried[t].kind == kCarriedAnti && in.terms.matches(carried[t].matcher, in.class_id, in.classes))
        use(carried[t].key, kExistingAnti, static_cast<int32_t>(t), true);
  }
  std::vector<const SpreadConstraint*> hard, soft;
  for (const auto& c : pod.spread) (c.hard ? hard : soft).push_back(&c);
  if (profile.filters[kPodTopologySpreadFilter]) {
    for (const auto* c : hard) {
      Component& comp = use(c->key, kHardSpread, c->matcher, false);
      comp.max_skew = c->max_skew;
      comp.min_domains = c->min_domains;
      comp.self = in.terms.matches(c->matcher, in.class_id, in.classes) ? 1 : 0;
    }
  }
  const bool has_preferred = !pod.affinity_preferred.empty() || !pod.anti_preferred.empty();
  affinity_score_ = false;
  if (profile.weights[kInterPodAffinityScore] && !skipped[kInterPodAffinityScore] &&
      !(profile.ignore_preferred_terms_of_existing_pods && !has_preferred)) {
    auto add = [&](int32_t term_key, int32_t source, bool is_carried, int64_t weight) {
      use(term_key, kAffinityScore, source, is_carried).weight = weight;
      affinity_score_ = true;
    };
    for (const auto& t : pod.affinity_preferred) add(t.key, t.matcher, false, t.weight);
    for (const auto& t : pod.anti_preferred) add(t.key, t.matcher, false, -t.weight);
    for (size_t t = 0; t < carried.size(); ++t) {
      const CarriedTerm& ct = carried[t];
      int64_t weight = 0;
      switch (ct.kind) {
        case kCarriedAffinity: weight = profile.hard_pod_affinity_weight; break;
        case kCarriedPreferredAffinity: weight = ct.weight; break;
        case kCarriedPreferredAnti: weight = -ct.weight; break;
        default: continue;
      }
      if (weight == 0 || !in.terms.matches(ct.matcher, in.class_id, in.classes)) continue;
      add(ct.key, static_cast<int32_t>(t), true, weight);
    }
  }
  spread_score_ = profile.weights[kPodTopologySpreadScore] && !skipped[kPodTopologySpreadScore] && !soft.empty();
  if (spread_score_) {
    for (const auto* c : soft) use(c->key, kSoftSpread, c->matcher, false).max_skew = c->max_skew;
  }
  require_all_ = !pod.spread_is_system_default || !profile.spread_system_defaulted;
  if (!single_key || key < 0) return false;

  // The node-local scores: normalised ones must be constant over the nodes to be folded in.
  for (int p = 0; p < kScoreCount; ++p) {
    const auto plugin = static_cast<Score>(p);
    weights_[p] = profile.weights[p];
    local_plugin_[p] = profile.weights[p] != 0 && !skipped[p] && p != kInterPodAffinityScore &&
                       p != kPodTopologySpreadScore;
    constant_plugin_[p] = false;
    if (!local_plugin_[p]) continue;
    if (min_max_normalized(plugin)) return false;
    if (!normalized(plugin)) continue;
    const int64_t first = raw_score(plugin, s, profile, pod, 0);
    for (int32_t n = 1; n < count; ++n)
      if (raw_score(plugin, s, profile, pod, n) != first) return false;
    constant_plugin_[p] = true;
    constant_scaled_[p] = default_normalize(first, std::max<int64_t>(first, 0), reversed(plugin));
  }

  // Groups: the key's domains plus one of the nodes without it; one per node for hostname.
  const Domains& domains = in.domains.get(s, key);
  hostname_mode_ = key == s.strings.find("kubernetes.io/hostname");
  const auto nodes = static_cast<size_t>(count);
  group_of_.assign(nodes, -1);
  if (hostname_mode_) {
    for (const auto& m : domains.members)
      if (m.size() != 1) return false;
    groups_ = count;
    keyless_.assign(nodes, 0);
    for (size_t n = 0; n < nodes; ++n) {
      group_of_[n] = static_cast<int32_t>(n);
      keyless_[n] = domains.of_node[n] < 0;
    }
    members_.clear();
    group_trees_.clear();
  } else {
    groups_ = domains.count() + 1;
    keyless_.assign(static_cast<size_t>(groups_), 0);
    keyless_.back() = 1;
    members_ = domains.members;
    members_.emplace_back();
    for (size_t n = 0; n < nodes; ++n) {
      const int32_t d = domains.of_node[n];
      group_of_[n] = d < 0 ? groups_ - 1 : d;
      if (d < 0) members_.back().push_back(static_cast<int32_t>(n));
    }
    group_trees_.assign(static_cast<size_t>(groups_), SelectTree());
  }
  const auto group_count = static_cast<size_t>(groups_);

  local_ok_.assign(nodes, 0);
  local_total_.assign(nodes, kInfeasible);
  feasible_members_.assign(group_count, 0);
  for (int32_t n = 0; n < count; ++n) refresh_local(in, n);
  if (!hostname_mode_) {
    std::vector<int64_t> totals;
    for (size_t g = 0; g < group_count; ++g) {
      totals.clear();
      for (int32_t n : members_[g]) totals.push_back(local_total_[static_cast<size_t>(n)]);
      group_trees_[g].assign(totals);
    }
  }

  size_t hard_index = 0, soft_index = 0;
  affinity_total_ = 0;
  for (auto& c : components_) {
    c.eligible.clear();
    const SpreadConstraint* constraint = nullptr;
    if (c.kind == kHardSpread) constraint = hard[hard_index++];
    if (c.kind == kSoftSpread) constraint = soft[soft_index++];
    // Spreading counts only eligible nodes; the hostname score counts every node's pods.
    if (constraint && !(c.kind == kSoftSpread && hostname_mode_)) {
      c.eligible.assign(nodes, 0);
      for (int32_t n = 0; n < count; ++n)
        c.eligible[static_cast<size_t>(n)] = !keyless_[static_cast<size_t>(group_of_[static_cast<size_t>(n)])] &&
                                             included(s, pod, *constraint, n);
    }
    c.contribution.assign(nodes, 0);
    c.count.assign(group_count, 0);
    for (int32_t n = 0; n < count; ++n) {
      const int32_t v = contribution(in, c, n);
      c.contribution[static_cast<size_t>(n)] = v;
      c.count[static_cast<size_t>(group_of_[static_cast<size_t>(n)])] += v;
      if (c.kind == kAffinity) affinity_total_ += v;
    }
    if (c.kind == kHardSpread) {
      c.present.assign(group_count, 0);
      for (size_t n = 0; n < nodes; ++n)
        if (c.eligible[n]) c.present[static_cast<size_t>(group_of_[n])] = 1;
      c.present_domains = 0;
      c.present_counts.clear();
      for (size_t g = 0; g < group_count; ++g) {
        if (!c.present[g]) continue;
        ++c.present_domains;
        add_value(c.present_counts, c.count[g]);
      }
      c.global_min = hard_spread_min(c);
    }
  }
  affinity_any_ = affinity_total_ > 0;

  ok_.assign(group_count, 0);
  scored_.assign(group_count, 0);
  in_spread_set_.assign(group_count, 0);
  affinity_raw_.assign(group_count, 0);
  spread_raw_.assign(group_count, 0);
  affinity_values_.clear();
  spread_values_.clear();
  scored_unignored_ = 0;
  feasible_count_ = 0;
  counted_members_.assign(group_count, 0);
  weight_size_ = -1;
  dirty_.assign(group_count, 0);
  dirty_list_.clear();
  for (int32_t g = 0; g < groups_; ++g) update_group(g);
  weight_size_ = scored_unignored_;
  spread_weight_ = std::log(static_cast<double>(weight_size_ + 2));
  for (int32_t g = 0; g < groups_; ++g) update_spread_raw(g);
  refresh_bounds();
  assign_top();
  return true;
}

void IncrementalInterPod::refresh_local(const InterPodInputs& in, int32_t node) {
  const auto n = static_cast<size_t>(node);
  const auto g = static_cast<size_t>(group_of_[n]);
  const bool was_ok = local_ok_[n];
  const PodClass& pod = in.classes[static_cast<size_t>(in.class_id)];
  const bool ok = first_failing_filter(in.snapshot, in.profile, pod, node, nullptr) < 0;
  int64_t total = kInfeasible;
  if (ok) {
    total = 0;
    for (int p = 0; p < kScoreCount; ++p) {
      if (!local_plugin_[p]) continue;
      total += weights_[p] * (constant_plugin_[p] ? constant_scaled_[p]
                                                  : raw_score(static_cast<Score>(p), in.snapshot, in.profile, pod, node));
    }
  }
  local_ok_[n] = ok;
  local_total_[n] = total;
  feasible_members_[g] += static_cast<int64_t>(ok) - static_cast<int64_t>(was_ok);
}

bool IncrementalInterPod::verdict(int32_t group) const {
  const auto g = static_cast<size_t>(group);
  const bool keyless = keyless_[g];
  for (const auto& c : components_) {
    switch (c.kind) {
      case kAffinity:
        if (keyless || (c.count[g] <= 0 && (affinity_any_ || !affinity_self_))) return false;
        break;
      case kAnti:
      case kExistingAnti:
        if (c.count[g] > 0) return false;
        break;
      case kHardSpread:
        if (keyless || c.count[g] + c.self - c.global_min > c.max_skew) return false;
        break;
      default: break;
    }
  }
  return true;
}

int64_t IncrementalInterPod::affinity_raw(int32_t group) const {
  int64_t score = 0;
  for (const auto& c : components_)
    if (c.kind == kAffinityScore) score += c.weight * c.count[static_cast<size_t>(group)];
  return score;
}

int64_t IncrementalInterPod::spread_raw(int32_t group) const {
  if (keyless_[static_cast<size_t>(group)]) return 0;
  double score = 0;
  for (const auto& c : components_)
    if (c.kind == kSoftSpread)
      score += static_cast<double>(c.count[static_cast<size_t>(group)]) * spread_weight_ + static_cast<double>(c.max_skew - 1);
  return std::llround(score);
}

int64_t IncrementalInterPod::group_best(int32_t group) const {
  if (hostname_mode_) return local_total_[static_cast<size_t>(group)];
  return group_trees_[static_cast<size_t>(group)].best();
}

int64_t IncrementalInterPod::group_ties(int32_t group) const {
  if (hostname_mode_) return local_ok_[static_cast<size_t>(group)] ? 1 : 0;
  return group_trees_[static_cast<size_t>(group)].ties();
}

// The group's inter-pod scores, normalised as upstream's NormalizeScore does over the
// feasible nodes, and weighted.
int64_t IncrementalInterPod::offset(int32_t group) const {
  int64_t total = 0;
  if (affinity_score_) {
    const int64_t spread = affinity_hi_ - affinity_lo_;
    const int64_t s = affinity_raw_[static_cast<size_t>(group)];
    const int64_t scaled =
        spread > 0 ? static_cast<int64_t>(100.0 * (static_cast<double>(s - affinity_lo_) / static_cast<double>(spread))) : 0;
    total += weights_[kInterPodAffinityScore] * scaled;
  }
  if (spread_score_) {
    int64_t scaled = 0;
    if (!spread_ignored(group)) {
      const int64_t s = spread_raw_[static_cast<size_t>(group)];
      scaled = spread_hi_ == 0 ? 100 : 100 * (spread_hi_ + spread_lo_ - s) / spread_hi_;
    }
    total += weights_[kPodTopologySpreadScore] * scaled;
  }
  return total;
}

void IncrementalInterPod::mark(int32_t group) {
  if (dirty_[static_cast<size_t>(group)]) return;
  dirty_[static_cast<size_t>(group)] = 1;
  dirty_list_.push_back(group);
}

// The group's verdict, whether its nodes are scored, and its InterPodAffinity raw score,
// with the counts and value sets that depend on them.
void IncrementalInterPod::update_group(int32_t group) {
  const auto g = static_cast<size_t>(group);
  const bool was_scored = scored_[g];
  const int64_t old_raw = affinity_raw_[g];
  ok_[g] = verdict(group);
  const bool scored = ok_[g] && feasible_members_[g] > 0;
  scored_[g] = scored;
  if (was_scored) feasible_count_ -= counted_members_[g];
  if (scored) feasible_count_ += feasible_members_[g];
  counted_members_[g] = scored ? feasible_members_[g] : 0;
  if (affinity_score_) {
    const int64_t raw = affinity_raw(group);
    if (was_scored) remove_value(affinity_values_, old_raw);
    if (scored) add_value(affinity_values_, raw);
    affinity_raw_[g] = raw;
  }
  if (!spread_ignored(group)) scored_unignored_ += static_cast<int64_t>(scored) - static_cast<int64_t>(was_scored);
}

void IncrementalInterPod::update_spread_raw(int32_t group) {
  if (!spread_score_) return;
  const auto g = static_cast<size_t>(group);
  if (in_spread_set_[g]) remove_value(spread_values_, spread_raw_[g]);
  spread_raw_[g] = spread_raw(group);
  in_spread_set_[g] = scored_[g] && !spread_ignored(group);
  if (in_spread_set_[g]) add_value(spread_values_, spread_raw_[g]);
}

// The normalisation bounds from the value sets; true when one moved.
bool IncrementalInterPod::refresh_bounds() {
  bool moved = false;
  if (affinity_score_ && !affinity_values_.empty()) {
    const int64_t lo = affinity_values_.begin()->first, hi = affinity_values_.rbegin()->first;
    moved = moved || lo != affinity_lo_ || hi != affinity_hi_;
    affinity_lo_ = lo;
    affinity_hi_ = hi;
  }
  if (spread_score_) {
    int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
    if (!spread_values_.empty()) {
      lo = spread_values_.begin()->first;
      hi = std::max<int64_t>(0, spread_values_.rbegin()->first);
    }
    moved = moved || lo != spread_lo_ || hi != spread_hi_;
    spread_lo_ = lo;
    spread_hi_ = hi;
  }
  return moved;
}

void IncrementalInterPod::set_top(int32_t group) {
  const auto g = static_cast<size_t>(group);
  const int64_t total = scored_[g] ? group_best(group) + offset(group) : kInfeasible;
  top_.set(g, total, group_ties(group));
}

void IncrementalInterPod::assign_top() {
  const auto group_count = static_cast<size_t>(groups_);
  top_totals_.assign(group_count, kInfeasible);
  top_ties_.assign(group_count, 0);
  for (int32_t g = 0; g < groups_; ++g) {
    const auto i = static_cast<size_t>(g);
    if (scored_[i]) top_totals_[i] = group_best(g) + offset(g);
    top_ties_[i] = group_ties(g);
  }
  top_.assign(top_totals_, top_ties_);
}

void IncrementalInterPod::sync(const InterPodInputs& in, const std::vector<int32_t>& changed) {
  for (int32_t node : changed) {
    const auto n = static_cast<size_t>(node);
    const int32_t group = group_of_[n];
    refresh_local(in, node);
    if (!hostname_mode_) {
      const auto& m = members_[static_cast<size_t>(group)];
      const auto position = static_cast<size_t>(std::lower_bound(m.begin(), m.end(), node) - m.begin());
      group_trees_[static_cast<size_t>(group)].set(position, local_total_[n]);
    }
    for (auto& c : components_) {
      const int32_t v = contribution(in, c, node);
      if (v == c.contribution[n]) continue;
      add_count(c, group, v - c.contribution[n]);
      c.contribution[n] = v;
    }
    mark(group);
  }
  // Global quantities: the first pod of an affinity group, the spread minimums.
  bool global = false;
  if (affinity_any_ != (affinity_total_ > 0)) {
    affinity_any_ = affinity_total_ > 0;
    global = true;
  }
  for (auto& c : components_) {
    if (c.kind != kHardSpread) continue;
    const int64_t minimum = hard_spread_min(c);
    if (minimum != c.global_min) {
      c.global_min = minimum;
      global = true;
    }
  }
  if (global)
    for (int32_t g = 0; g < groups_; ++g) mark(g);
  for (int32_t g : dirty_list_) update_group(g);
  bool all = false;
  if (spread_score_ && scored_unignored_ != weight_size_) {
    weight_size_ = scored_unignored_;
    spread_weight_ = std::log(static_cast<double>(weight_size_ + 2));
    for (int32_t g = 0; g < groups_; ++g) update_spread_raw(g);
    all = true;
  } else {
    for (int32_t g : dirty_list_) update_spread_raw(g);
  }
  if (refresh_bounds()) all = true;
  if (all) {
    assign_top();
  } else {
    for (int32_t g : dirty_list_) set_top(g);
  }
  for (int32_t g : dirty_list_) dirty_[static_cast<size_t>(g)] = 0;
  dirty_list_.clear();
}

int32_t IncrementalInterPod::pick(int64_t k) const {
  if (hostname_mode_) return top_.pick(k);
  std::vector<int32_t> tied;
  top_.best_leaves(tied);
  if (tied.empty()) return -1;
  auto node_of = [&](int32_t g, int64_t j) {
    return members_[static_cast<size_t>(g)][static_cast<size_t>(group_trees_[static_cast<size_t>(g)].pick(j))];
  };
  if (tied.size() == 1) return node_of(tied[0], k);
  if (k == 0) {
    int32_t first = std::numeric_limits<int32_t>::max();
    for (int32_t g : tied) first = std::min(first, node_of(g, 0));
    return first;
  }
  // The k-th in node order across the tied groups: the smallest x with more than k tied
  // nodes below it, less one.
  auto below = [&](int32_t x) {
    int64_t total = 0;
    for (int32_t g : tied) {
      const auto& m = members_[static_cast<size_t>(g)];
      const auto position = static_cast<size_t>(std::lower_bound(m.begin(), m.end(), x) - m.begin());
      total += group_trees_[static_cast<size_t>(g)].ties_before(position);
    }
    return total;
  };
  int32_t lo = 1, hi = static_cast<int32_t>(group_of_.size());
  while (lo < hi) {
    const int32_t mid = lo + (hi - lo) / 2;
    if (below(mid) > k) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1;
}

}  // namespace kubesched
