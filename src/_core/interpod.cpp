#include "interpod.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "reasons.hpp"

namespace kubesched {

namespace {

DomainCounts count_by_domain(const InterPodInputs& in, int32_t key, const std::vector<int32_t>& per_node,
                             const std::vector<uint8_t>* eligible = nullptr) {
  DomainCounts dc;
  dc.domains = &in.domains.get(in.snapshot, key);
  dc.count.assign(static_cast<size_t>(dc.domains->count()), 0);
  const auto& of_node = dc.domains->of_node;
  for (size_t n = 0; n < of_node.size(); ++n) {
    if (of_node[n] < 0 || (eligible && !(*eligible)[n])) continue;
    dc.count[static_cast<size_t>(of_node[n])] += per_node[n];
  }
  return dc;
}

bool any_positive(const DomainCounts& dc) {
  return std::any_of(dc.count.begin(), dc.count.end(), [](int64_t c) { return c > 0; });
}

bool has_keys(const Snapshot& s, int32_t node, const std::vector<int32_t>& keys) {
  return std::all_of(keys.begin(), keys.end(), [&](int32_t key) { return s.label(node, key) >= 0; });
}

// nodeAffinityPolicy / nodeTaintsPolicy: does the node count for this constraint?
bool included(const InterPodInputs& in, const SpreadConstraint& c, int32_t node) {
  const PodClass& pod = in.classes[static_cast<size_t>(in.class_id)];
  if (c.honor_node_affinity && !pod_node_affinity_matches(in.snapshot, pod, node)) return false;
  if (c.honor_node_taints && !taint_toleration_passes(in.snapshot, pod, node, nullptr)) return false;
  return true;
}

}  // namespace

std::vector<const Domains*> FilterContext::partitions() const {
  std::vector<const Domains*> result;
  for (const auto& dc : affinity_counts) result.push_back(dc.domains);
  for (const auto& dc : anti) result.push_back(dc.domains);
  for (const auto& dc : existing_anti) result.push_back(dc.domains);
  for (const auto& hs : spread) result.push_back(hs.counts.domains);
  std::sort(result.begin(), result.end());
  result.erase(std::unique(result.begin(), result.end()), result.end());
  return result;
}

std::vector<int64_t> FilterContext::global() const {
  std::vector<int64_t> result{affinity_any, affinity_self, static_cast<int64_t>(existing_anti.size())};
  for (const auto& hs : spread) result.push_back(hs.global_min);
  return result;
}

FilterContext build_filter_context(const InterPodInputs& in) {
  const PodClass& pod = in.classes[static_cast<size_t>(in.class_id)];
  FilterContext ctx;
  if (!pod.affinity_required.empty()) {
    ctx.affinity = true;
    const auto& matching_all = in.terms.matching_on_nodes(pod.affinity_all);
    for (const auto& term : pod.affinity_required) {
      ctx.affinity_keys.push_back(term.key);
      ctx.affinity_counts.push_back(count_by_domain(in, term.key, matching_all));
      ctx.affinity_any = ctx.affinity_any || any_positive(ctx.affinity_counts.back());
    }
    ctx.affinity_self = in.terms.matches(pod.affinity_all, in.class_id, in.classes);
  }
  for (const auto& term : pod.anti_required)
    ctx.anti.push_back(count_by_domain(in, term.key, in.terms.matching_on_nodes(term.matcher)));
  const auto& carried = in.terms.carried();
  for (size_t t = 0; t < carried.size(); ++t) {
    if (carried[t].kind != kCarriedAnti || !in.terms.matches(carried[t].matcher, in.class_id, in.classes)) continue;
    DomainCounts dc = count_by_domain(in, carried[t].key, in.terms.carriers_on_nodes(static_cast<int32_t>(t)));
    if (any_positive(dc)) ctx.existing_anti.push_back(std::move(dc));
  }

  for (const auto& c : pod.spread)
    if (c.hard) ctx.spread_keys.push_back(c.key);
  if (ctx.spread_keys.empty()) return ctx;
  const int32_t count = in.snapshot.node_count();
  std::vector<uint8_t> has_all(static_cast<size_t>(count));
  for (int32_t n = 0; n < count; ++n) has_all[static_cast<size_t>(n)] = has_keys(in.snapshot, n, ctx.spread_keys);
  std::vector<uint8_t> eligible(static_cast<size_t>(count));
  for (const auto& c : pod.spread) {
    if (!c.hard) continue;
    for (int32_t n = 0; n < count; ++n)
      eligible[static_cast<size_t>(n)] = has_all[static_cast<size_t>(n)] && included(in, c, n);
    HardSpread hs;
    hs.counts = count_by_domain(in, c.key, in.terms.matching_on_nodes(c.matcher), &eligible);
    std::vector<uint8_t> present(hs.counts.count.size(), 0);
    for (int32_t n = 0; n < count; ++n) {
      const int32_t d = hs.counts.domains->of_node[static_cast<size_t>(n)];
      if (d >= 0 && eligible[static_cast<size_t>(n)]) present[static_cast<size_t>(d)] = 1;
    }
    int64_t domains = 0;
    int64_t minimum = std::numeric_limits<int32_t>::max();
    for (size_t d = 0; d < present.size(); ++d) {
      if (!present[d]) continue;
      ++domains;
      minimum = std::min(minimum, hs.counts.count[d]);
    }
    hs.global_min = domains < c.min_domains ? 0 : minimum;
    hs.self = in.terms.matches(c.matcher, in.class_id, in.classes) ? 1 : 0;
    hs.max_skew = c.max_skew;
    ctx.spread.push_back(std::move(hs));
  }
  return ctx;
}

int32_t inter_pod_filters(const InterPodInputs& in, const FilterContext& ctx, int32_t node, Reasons* reasons) {
  const Snapshot& s = in.snapshot;
  if (in.profile.filters[kPodTopologySpreadFilter]) {
    for (size_t i = 0; i < ctx.spread.size(); ++i) {
      if (s.label(node, ctx.spread_keys[i]) < 0) {
        if (reasons) reasons->push_back(make_reason(kReasonSpreadMissingLabel));
        return kPodTopologySpreadFilter;
      }
      const auto& hs = ctx.spread[i];
      if (hs.counts.at(node) + hs.self - hs.global_min > hs.max_skew) {
        if (reasons) reasons->push_back(make_reason(kReasonSpread));
        return kPodTopologySpreadFilter;
      }
    }
  }
  if (!in.profile.filters[kInterPodAffinityFilter]) return -1;
  if (ctx.affinity) {
    bool pods_exist = true;
    bool keys_present = true;
    for (size_t i = 0; i < ctx.affinity_keys.size(); ++i) {
      if (s.label(node, ctx.affinity_keys[i]) < 0) {
        keys_present = false;
        break;
      }
      if (ctx.affinity_counts[i].at(node) <= 0) pods_exist = false;
    }
    const bool first_of_group = !ctx.affinity_any && ctx.affinity_self;
    if (!keys_present || (!pods_exist && !first_of_group)) {
      if (reasons) reasons->push_back(make_reason(kReasonAffinity));
      return kInterPodAffinityFilter;
    }
  }
  for (const auto& dc : ctx.anti) {
    if (dc.at(node) > 0) {
      if (reasons) reasons->push_back(make_reason(kReasonAntiAffinity));
      return kInterPodAffinityFilter;
    }
  }
  for (const auto& dc : ctx.existing_anti) {
    if (dc.at(node) > 0) {
      if (reasons) reasons->push_back(make_reason(kReasonExistingAnti));
      return kInterPodAffinityFilter;
    }
  }
  return -1;
}

ScoreContext build_score_context(const InterPodInputs& in, const std::vector<int32_t>& feasible) {
  const PodClass& pod = in.classes[static_cast<size_t>(in.class_id)];
  const Snapshot& s = in.snapshot;
  ScoreContext ctx;

  const bool has_preferred = !pod.affinity_preferred.empty() || !pod.anti_preferred.empty();
  if (in.profile.weights[kInterPodAffinityScore] && !(in.profile.ignore_preferred_terms_of_existing_pods && !has_preferred)) {
    auto add = [&](int32_t key, const std::vector<int32_t>& per_node, int64_t weight) {
      WeightedCounts wc{count_by_domain(in, key, per_node), weight};
      if (any_positive(wc.counts)) ctx.affinity.push_back(std::move(wc));
    };
    for (const auto& t : pod.affinity_preferred) add(t.key, in.terms.matching_on_nodes(t.matcher), t.weight);
    for (const auto& t : pod.anti_preferred) add(t.key, in.terms.matching_on_nodes(t.matcher), -t.weight);
    const auto& carried = in.terms.carried();
    for (size_t t = 0; t < carried.size(); ++t) {
      const CarriedTerm& ct = carried[t];
      int64_t weight = 0;
      switch (ct.kind) {
        case kCarriedAffinity: weight = in.profile.hard_pod_affinity_weight; break;
        case kCarriedPreferredAffinity: weight = ct.weight; break;
        case kCarriedPreferredAnti: weight = -ct.weight; break;
        default: continue;
      }
      if (weight == 0 || !in.terms.matches(ct.matcher, in.class_id, in.classes)) continue;
      add(ct.key, in.terms.carriers_on_nodes(static_cast<int32_t>(t)), weight);
    }
    ctx.affinity_skip = ctx.affinity.empty();
  }

  std::vector<const SpreadConstraint*> soft;
  for (const auto& c : pod.spread)
    if (!c.hard) soft.push_back(&c);
  if (!in.profile.weights[kPodTopologySpreadScore] || soft.empty() || feasible.empty()) return ctx;
  ctx.spread_skip = false;
  const bool require_all = !pod.spread_is_system_default || !in.profile.spread_system_defaulted;
  const int32_t hostname = s.strings.find("kubernetes.io/hostname");
  std::vector<int32_t> keys;
  for (const auto* c : soft) keys.push_back(c->key);
  const auto count = static_cast<size_t>(s.node_count());
  ctx.spread_ignored.assign(count, 0);
  int64_t ignored = 0;
  if (require_all) {
    for (int32_t n : feasible) {
      if (!has_keys(s, n, keys)) {
        ctx.spread_ignored[static_cast<size_t>(n)] = 1;
        ++ignored;
      }
    }
  }
  for (const auto* c : soft) {
    SoftSpread ss;
    ss.domains = &in.domains.get(s, c->key);
    ss.hostname = c->key == hostname;
    ss.matcher = c->matcher;
    ss.max_skew = c->max_skew;
    const auto missing = static_cast<size_t>(ss.domains->count());
    auto domain_of = [&](size_t n) {
      const int32_t d = ss.domains->of_node[n];
      return d < 0 ? missing : static_cast<size_t>(d);
    };
    int64_t size = static_cast<int64_t>(feasible.size()) - ignored;
    if (!ss.hostname) {
      ss.candidate.assign(missing + 1, 0);
      ss.count.assign(missing + 1, 0);
      size = 0;
      for (int32_t n : feasible) {
        if (ctx.spread_ignored[static_cast<size_t>(n)]) continue;
        uint8_t& seen = ss.candidate[domain_of(static_cast<size_t>(n))];
        if (!seen) ++size;
        seen = 1;
      }
      const auto& per_node = in.terms.matching_on_nodes(c->matcher);
      for (size_t n = 0; n < count; ++n) {
        if (require_all && !has_keys(s, static_cast<int32_t>(n), keys)) continue;
        if (!included(in, *c, static_cast<int32_t>(n))) continue;
        const size_t d = domain_of(n);
        if (ss.candidate[d]) ss.count[d] += per_node[n];
      }
    }
    ss.weight = std::log(static_cast<double>(size + 2));
    ctx.spread.push_back(std::move(ss));
  }
  return ctx;
}

int64_t inter_pod_affinity_score(const ScoreContext& ctx, int32_t node) {
  int64_t score = 0;
  for (const auto& wc : ctx.affinity) score += wc.weight * wc.counts.at(node);
  return score;
}

int64_t spread_score(const ScoreContext& ctx, int32_t node, const TermRegistry& terms) {
  if (ctx.spread_ignored[static_cast<size_t>(node)]) return 0;
  double score = 0;
  for (const auto& ss : ctx.spread) {
    const int32_t d = ss.domains->of_node[static_cast<size_t>(node)];
    if (d < 0) continue;
    const int64_t count = ss.hostname ? terms.matching_on_nodes(ss.matcher)[static_cast<size_t>(node)]
                                      : ss.count[static_cast<size_t>(d)];
    score += static_cast<double>(count) * ss.weight + static_cast<double>(ss.max_skew - 1);
  }
  return std::llround(score);
}

void normalize_inter_pod_affinity(std::vector<int64_t>& scores, const std::vector<int32_t>& nodes) {
  if (nodes.empty()) return;
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
  for (int32_t n : nodes) {
    lo = std::min(lo, scores[static_cast<size_t>(n)]);
    hi = std::max(hi, scores[static_cast<size_t>(n)]);
  }
  const int64_t spread = hi - lo;
  for (int32_t n : nodes) {
    int64_t& s = scores[static_cast<size_t>(n)];
    s = spread > 0 ? static_cast<int64_t>(100.0 * (static_cast<double>(s - lo) / static_cast<double>(spread))) : 0;
  }
}

void normalize_spread(const ScoreContext& ctx, std::vector<int64_t>& scores, const std::vector<int32_t>& nodes) {
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
  for (int32_t n : nodes) {
    if (ctx.spread_ignored[static_cast<size_t>(n)]) continue;
    lo = std::min(lo, scores[static_cast<size_t>(n)]);
    hi = std::max(hi, scores[static_cast<size_t>(n)]);
  }
  for (int32_t n : nodes) {
    int64_t& s = scores[static_cast<size_t>(n)];
    if (ctx.spread_ignored[static_cast<size_t>(n)]) s = 0;
    else if (hi == 0) s = 100;
    else s = 100 * (hi + lo - s) / hi;
  }
}

}  // namespace kubesched
