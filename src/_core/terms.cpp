#include "terms.hpp"

#include <algorithm>

namespace kubesched {

bool selector_matches(const std::vector<Expression>& requirements, const PodClass& pod) {
  for (const auto& r : requirements) {
    const int32_t value = pod.label(r.key);
    const bool listed = value >= 0 && std::find(r.values.begin(), r.values.end(), value) != r.values.end();
    switch (r.op) {
      case kIn: if (!listed) return false; break;
      case kNotIn: if (listed) return false; break;
      case kExists: if (value < 0) return false; break;
      case kDoesNotExist: if (value >= 0) return false; break;
      default: return false;
    }
  }
  return true;
}

bool TermRegistry::evaluate(int32_t id, const PodClass& pod, const std::vector<PodClass>& classes) {
  const Matcher& m = matchers_[static_cast<size_t>(id)];
  if (!m.all_of.empty()) {
    return std::all_of(m.all_of.begin(), m.all_of.end(),
                       [&](int32_t part) { return evaluate(part, pod, classes); });
  }
  if (m.nothing) return false;
  if (!m.all_namespaces && !std::binary_search(m.namespaces.begin(), m.namespaces.end(), pod.namespace_id)) return false;
  return selector_matches(m.requirements, pod);
}

bool TermRegistry::matches(int32_t matcher, int32_t class_id, const std::vector<PodClass>& classes) {
  auto& cache = match_cache_[static_cast<size_t>(matcher)];
  if (cache.size() <= static_cast<size_t>(class_id)) cache.resize(classes.size(), -1);
  int8_t& known = cache[static_cast<size_t>(class_id)];
  if (known < 0) known = evaluate(matcher, classes[static_cast<size_t>(class_id)], classes) ? 1 : 0;
  return known == 1;
}

int32_t TermRegistry::add_matcher(const Matcher& matcher, const std::vector<PodClass>& classes,
                                  const std::vector<std::vector<int32_t>>& node_pods) {
  for (size_t i = 0; i < matchers_.size(); ++i)
    if (matchers_[i] == matcher) return static_cast<int32_t>(i);
  const auto id = static_cast<int32_t>(matchers_.size());
  matchers_.push_back(matcher);
  match_cache_.emplace_back(classes.size(), -1);
  node_counts_.emplace_back(nodes_, 0);
  for (size_t n = 0; n < node_pods.size(); ++n)
    for (int32_t class_id : node_pods[n])
      if (matches(id, class_id, classes)) ++node_counts_.back()[n];
  return id;
}

std::vector<int32_t> TermRegistry::carry(const PodClass& pod) {
  std::vector<int32_t> ids;
  auto add = [&](const PodTerm& term, uint8_t kind) {
    CarriedTerm carried{term.matcher, term.key, term.weight, kind};
    size_t i = 0;
    for (; i < carried_.size(); ++i) {
      const auto& c = carried_[i];
      if (c.matcher == carried.matcher && c.key == carried.key && c.weight == carried.weight && c.kind == carried.kind) break;
    }
    if (i == carried_.size()) {
      carried_.push_back(carried);
      carriers_.emplace_back(nodes_, 0);
    }
    ids.push_back(static_cast<int32_t>(i));
  };
  for (const auto& t : pod.anti_required) add(t, kCarriedAnti);
  for (const auto& t : pod.affinity_required) add(t, kCarriedAffinity);
  for (const auto& t : pod.affinity_preferred) add(t, kCarriedPreferredAffinity);
  for (const auto& t : pod.anti_preferred) add(t, kCarriedPreferredAnti);
  return ids;
}

void TermRegistry::add_node() {
  ++nodes_;
  for (auto& counts : node_counts_) counts.push_back(0);
  for (auto& counts : carriers_) counts.push_back(0);
}

// The matchers a pod of the class satisfies, extended as matchers are registered.
const std::vector<int32_t>& TermRegistry::matchers_of(int32_t class_id, const std::vector<PodClass>& classes) {
  const auto c = static_cast<size_t>(class_id);
  if (class_matchers_.size() <= c) class_matchers_.resize(c + 1);
  auto& [known, satisfied] = class_matchers_[c];
  for (; known < matcher_count(); ++known)
    if (matches(known, class_id, classes)) satisfied.push_back(known);
  return satisfied;
}

void TermRegistry::pod_added(int32_t class_id, int32_t node, const std::vector<PodClass>& classes, int32_t delta) {
  const auto n = static_cast<size_t>(node);
  for (int32_t m : matchers_of(class_id, classes)) node_counts_[static_cast<size_t>(m)][n] += delta;
  for (int32_t t : class_carried_[static_cast<size_t>(class_id)]) carriers_[static_cast<size_t>(t)][n] += delta;
}

}  // namespace kubesched
