#include "interpod_incremental.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "filters.hpp"
#include "parallel.hpp"
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

// The component's domain of the node: a domain of its key, the node itself for the
// hostname key, -1 when the node lacks the key.
int32_t IncrementalInterPod::domain_of(const Component& c, int32_t node) const {
  const auto n = static_cast<size_t>(node);
  const int32_t d = cells_[static_cast<size_t>(cell_of_[n])].domain[static_cast<size_t>(c.slot)];
  if (d < 0) return -1;
  return c.host >= 0 ? node : d;
}

int32_t IncrementalInterPod::contribution(const InterPodInputs& in, const Component& c, int32_t node) const {
  const auto n = static_cast<size_t>(node);
  if (domain_of(c, node) < 0) return 0;
  if (!c.eligible.empty() && !c.eligible[n]) return 0;
  return per_node(in, c)[n];
}

void IncrementalInterPod::add_count(Component& c, int32_t domain, int64_t delta) {
  c.total += delta;
  if (domain < 0) return;
  int64_t& count = c.count[static_cast<size_t>(domain)];
  if (c.kind == kHardSpread && c.present[static_cast<size_t>(domain)]) {
    remove_value(c.present_counts, count);
    add_value(c.present_counts, count + delta);
  }
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
  auto use = [&](int32_t key, Kind kind, int32_t source, bool carried) -> Component& {
    Component c;
    c.kind = kind;
    c.source = source;
    c.carried = carried;
    c.key = key;
    components_.push_back(std::move(c));
    return components_.back();
  };

  affinity_self_ = false;
  const auto& carried = in.terms.carried();
  if (profile.filters[kInterPodAffinityFilter]) {
    // Every term counts the pods matching all terms, by its own key.
    for (const auto& term : pod.affinity_required) use(term.key, kAffinity, pod.affinity_all, false);
    if (!pod.affinity_required.empty()) affinity_self_ = in.terms.matches(pod.affinity_all, in.class_id, in.classes);
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
  if (components_.empty()) return false;

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

  // The keys, and per component its domains; hostname-keyed ones count per node.
  hostname_key_ = s.strings.find("kubernetes.io/hostname");
  keys_.clear();
  host_components_.clear();
  for (size_t i = 0; i < components_.size(); ++i) {
    Component& c = components_[i];
    auto found = std::find(keys_.begin(), keys_.end(), c.key);
    c.slot = static_cast<int32_t>(found - keys_.begin());
    if (found == keys_.end()) keys_.push_back(c.key);
    c.host = -1;
    c.domains = &in.domains.get(s, c.key);
    if (c.key == hostname_key_) {
      for (const auto& m : c.domains->members)
        if (m.size() != 1) return false;
      c.host = static_cast<int32_t>(host_components_.size());
      host_components_.push_back(i);
    }
  }

  if (!build_cells(in)) return false;
  const auto nodes = static_cast<size_t>(count);
  cells_of_domain_.assign(keys_.size(), {});
  for (size_t k = 0; k < keys_.size(); ++k) {
    if (keys_[k] == hostname_key_) continue;
    cells_of_domain_[k].assign(static_cast<size_t>(in.domains.get(s, keys_[k]).count()), {});
  }
  for (size_t cell = 0; cell < cells_.size(); ++cell) {
    Cell& c = cells_[cell];
    for (size_t k = 0; k < keys_.size(); ++k)
      if (keys_[k] != hostname_key_ && c.domain[k] >= 0)
        cells_of_domain_[k][static_cast<size_t>(c.domain[k])].push_back(static_cast<int32_t>(cell));
    c.ignored = false;
    if (require_all_)
      for (const auto& comp : components_)
        if (comp.kind == kSoftSpread && c.domain[static_cast<size_t>(comp.slot)] < 0) c.ignored = true;
  }
  auto has_keys_of = [&](int32_t node, Kind kind) {
    const Cell& cell = cells_[static_cast<size_t>(cell_of_[static_cast<size_t>(node)])];
    for (const auto& comp : components_)
      if (comp.kind == kind && cell.domain[static_cast<size_t>(comp.slot)] < 0) return false;
    return true;
  };

  size_t hard_index = 0, soft_index = 0;
  for (auto& c : components_) {
    c.eligible.clear();
    const SpreadConstraint* constraint = nullptr;
    if (c.kind == kHardSpread) constraint = hard[hard_index++];
    if (c.kind == kSoftSpread) constraint = soft[soft_index++];
    // Spreading counts only eligible nodes; the hostname score counts every node's pods.
    if (constraint && !(c.kind == kSoftSpread && c.host >= 0)) {
      c.eligible.assign(nodes, 0);
      for (int32_t n = 0; n < count; ++n) {
        const bool keys = c.kind == kHardSpread ? has_keys_of(n, kHardSpread)
                                                : domain_of(c, n) >= 0 && (!require_all_ || has_keys_of(n, kSoftSpread));
        c.eligible[static_cast<size_t>(n)] = keys && included(s, pod, *constraint, n);
      }
    }
    const size_t domain_count = c.host >= 0 ? nodes : static_cast<size_t>(c.domains->count());
    c.contribution.assign(nodes, 0);
    c.count.assign(domain_count, 0);
    c.total = 0;
    if (c.kind == kHardSpread) c.present.assign(domain_count, 0);
    const auto& pods = per_node(in, c);
    for (int32_t n = 0; n < count; ++n) {  // contribution(), with the domain looked up once
      const auto i = static_cast<size_t>(n);
      const int32_t d = domain_of(c, n);
      if (d < 0) continue;
      if (c.kind == kHardSpread && c.eligible[i]) c.present[static_cast<size_t>(d)] = 1;
      if (!c.eligible.empty() && !c.eligible[i]) continue;
      const int32_t v = pods[i];
      c.contribution[i] = v;
      c.count[static_cast<size_t>(d)] += v;
      c.total += v;
    }
    if (c.kind == kHardSpread) {
      c.present_domains = 0;
      c.present_counts.clear();
      for (size_t d = 0; d < domain_count; ++d) {
        if (!c.present[d]) continue;
        ++c.present_domains;
        add_value(c.present_counts, c.count[d]);
      }
      c.global_min = hard_spread_min(c);
    }
    if (c.kind == kSoftSpread && c.host < 0) c.scored_in.assign(domain_count + 1, 0);
    c.scored_domains = 0;
    c.weight_size = -1;
  }
  affinity_any_ = false;
  for (const auto& c : components_)
    if (c.kind == kAffinity && c.total > 0) affinity_any_ = true;

  local_ok_.assign(nodes, 0);
  local_total_.assign(nodes, kInfeasible);
  auto refresh = [&](size_t begin, size_t end) {
    for (size_t n = begin; n < end; ++n) refresh_local(in, static_cast<int32_t>(n));
  };
  if (scores_thread_safe(profile)) for_blocks(nodes, refresh);
  else refresh(0, nodes);

  buckets_.clear();
  bucket_of_.assign(nodes, -1);
  affinity_values_.clear();
  spread_values_.clear();
  scored_unignored_ = 0;
  feasible_count_ = 0;
  dirty_list_.clear();
  building_ = true;
  for (int32_t n = 0; n < count; ++n) {  // attach() without the trees, filled once below
    const int32_t id = bucket_for(n);
    Bucket& b = buckets_[static_cast<size_t>(id)];
    bucket_of_[static_cast<size_t>(n)] = id;
    ++b.members;
    b.feasible += local_ok_[static_cast<size_t>(n)];
    mark(id);
  }
  std::vector<int64_t> totals;
  for (size_t id = 0; id < buckets_.size(); ++id) {
    const auto& members = cells_[static_cast<size_t>(buckets_[id].cell)].members;
    totals.assign(members.size(), kInfeasible);
    for (size_t position = 0; position < members.size(); ++position) {
      const auto m = static_cast<size_t>(members[position]);
      if (bucket_of_[m] == static_cast<int32_t>(id)) totals[position] = local_total_[m];
    }
    buckets_[id].tree.assign(totals);
  }
  building_ = false;
  for (int32_t b : dirty_list_) update_bucket(b);
  refresh_weights();
  for (int32_t b : dirty_list_) update_spread_raw(b);
  for (int32_t b : dirty_list_) buckets_[static_cast<size_t>(b)].dirty = false;
  dirty_list_.clear();
  refresh_bounds();
  assign_top();
  return true;
}

void IncrementalInterPod::refresh_local(const InterPodInputs& in, int32_t node) {
  const auto n = static_cast<size_t>(node);
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
}

// Cells: the nodes alike under every key, numbered by their domains' mixed-radix code
// (hostname: with it or not); false when the codes would not fit a table of a few entries
// per node.
bool IncrementalInterPod::build_cells(const InterPodInputs& in) {
  const Snapshot& s = in.snapshot;
  const auto nodes = static_cast<size_t>(s.node_count());
  std::vector<const Domains*> domains(keys_.size());
  std::vector<size_t> stride(keys_.size());
  size_t codes = 1;
  for (size_t k = 0; k < keys_.size(); ++k) {
    domains[k] = &in.domains.get(s, keys_[k]);
    stride[k] = codes;
    const size_t radix = keys_[k] == hostname_key_ ? 2 : static_cast<size_t>(domains[k]->count()) + 1;
    if (codes > (4 * nodes + 64) / radix) return false;
    codes *= radix;
  }
  std::vector<int32_t> cell_of_code(codes, -1);
  cells_.clear();
  cell_of_.assign(nodes, -1);
  position_.assign(nodes, 0);
  for (size_t n = 0; n < nodes; ++n) {
    size_t code = 0;
    for (size_t k = 0; k < keys_.size(); ++k) {
      const int32_t d = domains[k]->of_node[n];
      code += stride[k] * static_cast<size_t>(keys_[k] == hostname_key_ ? (d < 0 ? 0 : 1) : d + 1);
    }
    int32_t& id = cell_of_code[code];
    if (id < 0) {
      id = static_cast<int32_t>(cells_.size());
      cells_.emplace_back();
      auto& domain = cells_.back().domain;
      for (size_t k = 0; k < keys_.size(); ++k) {
        const int32_t d = domains[k]->of_node[n];
        domain.push_back(keys_[k] == hostname_key_ ? (d < 0 ? -1 : 0) : d);
      }
    }
    Cell& cell = cells_[static_cast<size_t>(id)];
    cell_of_[n] = id;
    position_[n] = static_cast<int32_t>(cell.members.size());
    cell.members.push_back(static_cast<int32_t>(n));
  }
  return true;
}

// The bucket of the node's cell and hostname counts, made when there is none.
int32_t IncrementalInterPod::bucket_for(int32_t node) {
  const auto n = static_cast<size_t>(node);
  Cell& cell = cells_[static_cast<size_t>(cell_of_[n])];
  if (host_components_.empty() && !cell.buckets.empty()) return cell.buckets.front();
  host_values_.clear();
  for (size_t i : host_components_) host_values_.push_back(components_[i].contribution[n]);
  for (int32_t id : cell.buckets)
    if (buckets_[static_cast<size_t>(id)].host == host_values_) return id;
  int32_t id;
  if (!cell.spare.empty()) {
    id = cell.spare.back();
    cell.spare.pop_back();
  } else {
    id = static_cast<int32_t>(buckets_.size());
    buckets_.emplace_back();
    if (!building_) buckets_.back().tree.assign(std::vector<int64_t>(cell.members.size(), kInfeasible));
  }
  Bucket& b = buckets_[static_cast<size_t>(id)];
  b.cell = cell_of_[n];
  b.host = host_values_;
  b.live = true;
  b.members = b.feasible = b.counted = 0;
  b.ok = b.scored = b.in_spread_set = false;
  b.affinity_raw = b.spread_raw = 0;
  cell.buckets.push_back(id);
  return id;
}

void IncrementalInterPod::attach(int32_t node) {
  const auto n = static_cast<size_t>(node);
  const int32_t id = bucket_for(node);
  Bucket& b = buckets_[static_cast<size_t>(id)];
  bucket_of_[n] = id;
  ++b.members;
  b.feasible += local_ok_[n];
  b.tree.set(static_cast<size_t>(position_[n]), local_total_[n]);
  mark(id);
}

void IncrementalInterPod::detach(int32_t node) {
  const auto n = static_cast<size_t>(node);
  const int32_t id = bucket_of_[n];
  Bucket& b = buckets_[static_cast<size_t>(id)];
  --b.members;
  b.feasible -= local_ok_[n];
  b.tree.set(static_cast<size_t>(position_[n]), kInfeasible);
  mark(id);
}

int64_t IncrementalInterPod::value(const Bucket& b, const Component& c) const {
  if (c.host >= 0) return b.host[static_cast<size_t>(c.host)];
  const int32_t d = cells_[static_cast<size_t>(b.cell)].domain[static_cast<size_t>(c.slot)];
  return d < 0 ? 0 : c.count[static_cast<size_t>(d)];
}

bool IncrementalInterPod::keyless(const Bucket& b, const Component& c) const {
  return cells_[static_cast<size_t>(b.cell)].domain[static_cast<size_t>(c.slot)] < 0;
}

bool IncrementalInterPod::verdict(const Bucket& b) const {
  for (const auto& c : components_) {
    switch (c.kind) {
      case kAffinity:
        if (keyless(b, c) || (value(b, c) <= 0 && (affinity_any_ || !affinity_self_))) return false;
        break;
      case kAnti:
      case kExistingAnti:
        if (value(b, c) > 0) return false;
        break;
      case kHardSpread:
        if (keyless(b, c) || value(b, c) + c.self - c.global_min > c.max_skew) return false;
        break;
      default: break;
    }
  }
  return true;
}

int64_t IncrementalInterPod::affinity_raw(const Bucket& b) const {
  int64_t score = 0;
  for (const auto& c : components_)
    if (c.kind == kAffinityScore) score += c.weight * value(b, c);
  return score;
}

// In the order of the pod's constraints, as upstream sums them.
int64_t IncrementalInterPod::spread_raw(const Bucket& b) const {
  if (spread_ignored(b)) return 0;
  double score = 0;
  for (const auto& c : components_)
    if (c.kind == kSoftSpread && !keyless(b, c))
      score += static_cast<double>(value(b, c)) * c.spread_weight + static_cast<double>(c.max_skew - 1);
  return std::llround(score);
}

// The bucket's inter-pod scores, normalised as upstream's NormalizeScore does over the
// feasible nodes, and weighted.
int64_t IncrementalInterPod::offset(const Bucket& b) const {
  int64_t total = 0;
  if (affinity_score_) {
    const int64_t spread = affinity_hi_ - affinity_lo_;
    const int64_t s = b.affinity_raw;
    const int64_t scaled =
        spread > 0 ? static_cast<int64_t>(100.0 * (static_cast<double>(s - affinity_lo_) / static_cast<double>(spread))) : 0;
    total += weights_[kInterPodAffinityScore] * scaled;
  }
  if (spread_score_) {
    int64_t scaled = 0;
    if (!spread_ignored(b)) {
      const int64_t s = b.spread_raw;
      scaled = spread_hi_ == 0 ? 100 : 100 * (spread_hi_ + spread_lo_ - s) / spread_hi_;
    }
    total += weights_[kPodTopologySpreadScore] * scaled;
  }
  return total;
}

void IncrementalInterPod::mark(int32_t bucket) {
  Bucket& b = buckets_[static_cast<size_t>(bucket)];
  if (b.dirty) return;
  b.dirty = true;
  dirty_list_.push_back(bucket);
}

void IncrementalInterPod::mark_domain(const Component& c, int32_t domain) {
  if (domain < 0 || c.host >= 0) return;
  for (int32_t cell : cells_of_domain_[static_cast<size_t>(c.slot)][static_cast<size_t>(domain)])
    for (int32_t b : cells_[static_cast<size_t>(cell)].buckets) mark(b);
}

void IncrementalInterPod::mark_all() {
  for (const auto& cell : cells_)
    for (int32_t b : cell.buckets) mark(b);
}

// The scored unignored nodes of the bucket in each spread domain: added (sign 1) or taken
// back (-1).
void IncrementalInterPod::count_soft_domains(const Bucket& b, int64_t sign) {
  if (b.counted == 0 || spread_ignored(b)) return;
  scored_unignored_ += sign * b.counted;
  const Cell& cell = cells_[static_cast<size_t>(b.cell)];
  for (auto& c : components_) {
    if (c.kind != kSoftSpread || c.host >= 0) continue;
    const int32_t d = cell.domain[static_cast<size_t>(c.slot)];
    int64_t& in_domain = c.scored_in[d < 0 ? c.scored_in.size() - 1 : static_cast<size_t>(d)];
    const bool had = in_domain > 0;
    in_domain += sign * b.counted;
    c.scored_domains += static_cast<int64_t>(in_domain > 0) - static_cast<int64_t>(had);
  }
}

// The bucket's verdict, whether its nodes are scored, and its InterPodAffinity raw score,
// with the counts and value sets that depend on them.
void IncrementalInterPod::update_bucket(int32_t bucket) {
  Bucket& b = buckets_[static_cast<size_t>(bucket)];
  const bool was_scored = b.scored;
  count_soft_domains(b, -1);
  feasible_count_ -= b.counted;
  b.ok = b.members > 0 && verdict(b);
  b.scored = b.ok && b.feasible > 0;
  b.counted = b.scored ? b.feasible : 0;
  feasible_count_ += b.counted;
  count_soft_domains(b, 1);
  if (affinity_score_) {
    const int64_t raw = affinity_raw(b);
    if (was_scored) remove_value(affinity_values_, b.affinity_raw);
    if (b.scored) add_value(affinity_values_, raw);
    b.affinity_raw = raw;
  }
}

void IncrementalInterPod::update_spread_raw(int32_t bucket) {
  if (!spread_score_) return;
  Bucket& b = buckets_[static_cast<size_t>(bucket)];
  if (b.in_spread_set) remove_value(spread_values_, b.spread_raw);
  b.spread_raw = spread_raw(b);
  b.in_spread_set = b.scored && !spread_ignored(b);
  if (b.in_spread_set) add_value(spread_values_, b.spread_raw);
}

// Each spread constraint's weight from its number of scored domains; true when one moved.
bool IncrementalInterPod::refresh_weights() {
  if (!spread_score_) return false;
  bool moved = false;
  for (auto& c : components_) {
    if (c.kind != kSoftSpread) continue;
    const int64_t size = c.host >= 0 ? scored_unignored_ : c.scored_domains;
    if (size == c.weight_size) continue;
    c.weight_size = size;
    c.spread_weight = std::log(static_cast<double>(size + 2));
    moved = true;
  }
  return moved;
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

void IncrementalInterPod::set_top(int32_t bucket) {
  const Bucket& b = buckets_[static_cast<size_t>(bucket)];
  const int64_t total = b.live && b.scored ? b.tree.best() + offset(b) : kInfeasible;
  top_.set(static_cast<size_t>(bucket), total, b.tree.ties());
}

void IncrementalInterPod::assign_top() {
  top_capacity_ = buckets_.size();
  top_totals_.assign(top_capacity_, kInfeasible);
  top_ties_.assign(top_capacity_, 0);
  for (size_t i = 0; i < top_capacity_; ++i) {
    const Bucket& b = buckets_[i];
    if (b.live && b.scored) top_totals_[i] = b.tree.best() + offset(b);
    top_ties_[i] = b.tree.ties();
  }
  top_.assign(top_totals_, top_ties_);
}

// An emptied bucket goes back to its cell's spares (its tree is all kInfeasible again).
void IncrementalInterPod::release(int32_t bucket) {
  Bucket& b = buckets_[static_cast<size_t>(bucket)];
  Cell& cell = cells_[static_cast<size_t>(b.cell)];
  cell.buckets.erase(std::find(cell.buckets.begin(), cell.buckets.end(), bucket));
  cell.spare.push_back(bucket);
  b.live = false;
  if (static_cast<size_t>(bucket) < top_capacity_) top_.set(static_cast<size_t>(bucket), kInfeasible, 0);
}

void IncrementalInterPod::sync(const InterPodInputs& in, const std::vector<int32_t>& changed) {
  for (int32_t node : changed) {
    const auto n = static_cast<size_t>(node);
    detach(node);
    refresh_local(in, node);
    for (auto& c : components_) {
      const int32_t v = contribution(in, c, node);
      if (v == c.contribution[n]) continue;
      const int32_t d = domain_of(c, node);
      add_count(c, d, v - c.contribution[n]);
      c.contribution[n] = v;
      mark_domain(c, d);
    }
    attach(node);
  }
  // Global quantities: the first pod of an affinity group, the spread minimums.
  bool global = false;
  bool any = false;
  for (const auto& c : components_)
    if (c.kind == kAffinity && c.total > 0) any = true;
  if (affinity_any_ != any) {
    affinity_any_ = any;
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
  if (global) mark_all();
  for (int32_t b : dirty_list_) update_bucket(b);
  bool all = buckets_.size() > top_capacity_;
  if (refresh_weights()) {
    for (const auto& cell : cells_)
      for (int32_t b : cell.buckets) update_spread_raw(b);
    all = true;
  } else {
    for (int32_t b : dirty_list_) update_spread_raw(b);
  }
  if (refresh_bounds()) all = true;
  for (int32_t b : dirty_list_)
    if (buckets_[static_cast<size_t>(b)].members == 0) release(b);
  if (all) {
    assign_top();
  } else {
    for (int32_t b : dirty_list_)
      if (buckets_[static_cast<size_t>(b)].live) set_top(b);
  }
  for (int32_t b : dirty_list_) buckets_[static_cast<size_t>(b)].dirty = false;
  dirty_list_.clear();
}

int32_t IncrementalInterPod::pick(int64_t k) const {
  top_.best_leaves(tied_);
  if (tied_.empty()) return -1;
  auto node_of = [&](int32_t b, int64_t j) {
    const Bucket& bucket = buckets_[static_cast<size_t>(b)];
    return cells_[static_cast<size_t>(bucket.cell)].members[static_cast<size_t>(bucket.tree.pick(j))];
  };
  if (tied_.size() == 1) return node_of(tied_[0], k);
  if (k == 0) {
    int32_t first = std::numeric_limits<int32_t>::max();
    for (int32_t b : tied_) first = std::min(first, node_of(b, 0));
    return first;
  }
  // The k-th in node order across the tied buckets: the smallest x with more than k tied
  // nodes below it, less one.
  auto below = [&](int32_t x) {
    int64_t total = 0;
    for (int32_t b : tied_) {
      const Bucket& bucket = buckets_[static_cast<size_t>(b)];
      const auto& m = cells_[static_cast<size_t>(bucket.cell)].members;
      const auto position = static_cast<size_t>(std::lower_bound(m.begin(), m.end(), x) - m.begin());
      total += bucket.tree.ties_before(position);
    }
    return total;
  };
  int32_t lo = 1, hi = static_cast<int32_t>(cell_of_.size());
  while (lo < hi) {
    const int32_t mid = lo + (hi - lo) / 2;
    if (below(mid) > k) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1;
}

}  // namespace kubesched
