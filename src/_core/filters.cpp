#include "filters.hpp"

#include <algorithm>

#include "dra.hpp"
#include "gpu.hpp"
#include "reasons.hpp"

namespace kubesched {

bool tolerates(const Toleration& toleration, const NodeTaint& taint) {
  if (toleration.effect != kAnyEffect && toleration.effect != taint.effect) return false;
  if (toleration.key >= 0 && toleration.key != taint.key) return false;
  if (toleration.op == kExistsToleration) return true;
  return toleration.value == taint.value;
}

namespace {

bool tolerated(const PodClass& pod, const NodeTaint& taint) {
  return std::any_of(pod.tolerations.begin(), pod.tolerations.end(),
                     [&](const Toleration& t) { return tolerates(t, taint); });
}

bool contains(const std::vector<int32_t>& values, int32_t value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

bool expression_matches(const Snapshot& s, const Expression& e, int32_t node) {
  const int32_t value = s.label(node, e.key);
  switch (e.op) {
    case kIn: return value >= 0 && contains(e.values, value);
    case kNotIn: return value < 0 || !contains(e.values, value);
    case kExists: return value >= 0;
    case kDoesNotExist: return value < 0;
    case kGt: return value >= 0 && s.strings.is_integer(value) && s.strings.integer(value) > e.number;
    case kLt: return value >= 0 && s.strings.is_integer(value) && s.strings.integer(value) < e.number;
  }
  return false;
}

bool field_matches(const Snapshot& s, const Expression& e, int32_t node) {
  const int32_t name = s.names[static_cast<size_t>(node)];
  switch (e.op) {
    case kIn: return contains(e.values, name);
    case kNotIn: return !contains(e.values, name);
    default: return false;
  }
}

}  // namespace

bool node_term_matches(const Snapshot& s, const NodeTerm& term, int32_t node) {
  if (term.expressions.empty() && term.fields.empty()) return false;
  for (const auto& e : term.expressions)
    if (!expression_matches(s, e, node)) return false;
  for (const auto& f : term.fields)
    if (!field_matches(s, f, node)) return false;
  return true;
}

bool pod_node_affinity_matches(const Snapshot& s, const PodClass& pod, int32_t node) {
  if (!std::all_of(pod.node_selector.begin(), pod.node_selector.end(),
                   [&](const auto& pair) { return s.label(node, pair.first) == pair.second; }))
    return false;
  return !pod.has_required_terms ||
         std::any_of(pod.required_terms.begin(), pod.required_terms.end(),
                     [&](const NodeTerm& term) { return node_term_matches(s, term, node); });
}

bool node_unschedulable_passes(const Snapshot& s, const PodClass& pod, int32_t node, Reasons* reasons) {
  if (!s.unschedulable[static_cast<size_t>(node)]) return true;
  static thread_local NodeTaint unschedulable_taint;
  unschedulable_taint.key = s.strings.find("node.kubernetes.io/unschedulable");
  unschedulable_taint.value = s.strings.find("");
  unschedulable_taint.effect = kNoSchedule;
  if (unschedulable_taint.key >= 0 && tolerated(pod, unschedulable_taint)) return true;
  if (reasons) reasons->push_back(make_reason(kReasonUnschedulable));
  return false;
}

bool node_name_passes(const Snapshot& s, const PodClass& pod, int32_t node, Reasons* reasons) {
  if (pod.node_name < 0 || pod.node_name == s.names[static_cast<size_t>(node)]) return true;
  if (reasons) reasons->push_back(make_reason(kReasonNodeName));
  return false;
}

bool taint_toleration_passes(const Snapshot& s, const PodClass& pod, int32_t node, Reasons* reasons) {
  for (const auto& taint : s.taints[static_cast<size_t>(node)]) {
    if (taint.effect == kPreferNoSchedule || tolerated(pod, taint)) continue;
    if (reasons) reasons->push_back(make_reason(kReasonTaint));
    return false;
  }
  return true;
}

bool node_affinity_passes(const Snapshot& s, const PodClass& pod, int32_t node, Reasons* reasons) {
  if (pod.has_enforced_terms &&
      std::none_of(pod.enforced_terms.begin(), pod.enforced_terms.end(),
                   [&](const NodeTerm& term) { return node_term_matches(s, term, node); })) {
    if (reasons) reasons->push_back(make_reason(kReasonEnforcedAffinity));
    return false;
  }
  const bool matches = pod_node_affinity_matches(s, pod, node);
  if (!matches && reasons) reasons->push_back(make_reason(kReasonNodeAffinity));
  return matches;
}

bool node_ports_pass(const Snapshot& s, const PodClass& pod, int32_t node, Reasons* reasons) {
  if (pod.ports.empty()) return true;
  const int32_t any_ip = s.strings.find("0.0.0.0");
  for (const auto& wanted : pod.ports) {
    for (const auto& used : s.ports[static_cast<size_t>(node)]) {
      if (used.protocol != wanted.protocol || used.port != wanted.port) continue;
      if (wanted.ip == any_ip || used.ip == any_ip || used.ip == wanted.ip) {
        if (reasons) reasons->push_back(make_reason(kReasonPorts));
        return false;
      }
    }
  }
  return true;
}

bool resources_fit(const Snapshot& s, const PodClass& pod, int32_t node, Reasons* reasons) {
  const auto n = static_cast<size_t>(node);
  bool fits = true;
  if (s.pod_count[n] + 1 > s.allowed_pods[n]) {
    if (!reasons) return false;
    reasons->push_back(make_reason(kReasonTooManyPods));
    fits = false;
  }
  for (const auto& r : pod.requests) {
    const auto resource = static_cast<size_t>(r.resource);
    if (pod.fit_skips(r.resource, s.allocatable[resource][n])) continue;
    if (r.amount > s.allocatable[resource][n] - s.requested[resource][n]) {
      if (!reasons) return false;
      reasons->push_back(make_reason(kReasonInsufficient, r.resource));
      fits = false;
    }
  }
  if (pod.gpu_count > 0 && !gpus_fit(s, pod, node)) {  // GPU sharing: per-GPU free milli
    if (!reasons) return false;
    const int32_t reason = make_reason(kReasonInsufficient, s.gpu_resource);
    if (std::find(reasons->begin(), reasons->end(), reason) == reasons->end()) reasons->push_back(reason);
    fits = false;
  }
  return fits;
}

namespace {

// Upstream reports nodes a PreFilter result left out, and a pod PreFilter rejected, under
// no filter; they are charged here to the plugin that produced the result.
int32_t prefilter_owner(const PodClass& pod) {
  return (pod.prefilter_plugins & kPreFilterNodeName) ? kNodeName : kNodeAffinityFilter;
}

}  // namespace

bool prefilter_allows(const Snapshot& s, const PodClass& pod, int32_t node) {
  return !pod.has_prefilter_nodes || std::binary_search(pod.prefilter_nodes.begin(), pod.prefilter_nodes.end(),
                                                        s.names[static_cast<size_t>(node)]);
}

int32_t first_failing_filter(const Snapshot& s, const Profile& profile, const PodClass& pod,
                             int32_t node, Reasons* reasons) {
  if (pod.prefilter_rejection) {
    if (reasons) reasons->push_back(make_reason(kReasonPreFilterRejected, pod.prefilter_rejection));
    return pod.volume_rejection_filter >= 0 ? pod.volume_rejection_filter : kNodeAffinityFilter;
  }
  if (!prefilter_allows(s, pod, node)) {
    if (reasons) reasons->push_back(make_reason(kReasonPreFilterNodes, pod.prefilter_plugins));
    return prefilter_owner(pod);
  }
  using Check = bool (*)(const Snapshot&, const PodClass&, int32_t, Reasons*);
  static constexpr Check checks[] = {
      node_name_passes, node_unschedulable_passes, taint_toleration_passes,
      node_affinity_passes,      node_ports_pass,  resources_fit,
  };
  for (int32_t f = 0; f <= kNodeResourcesFitFilter; ++f)
    if (profile.filters[static_cast<size_t>(f)] && !checks[f](s, pod, node, reasons)) return f;
  if (pod.volume_class >= 0) {
    const int32_t failed = first_failing_volume_filter(s, profile, pod, node, reasons);
    if (failed >= 0) return failed;
  }
  // Upstream's DynamicResources runs after the inter-pod filters; Engine::failing_filter
  // reports theirs first when both reject a node.
  if (profile.filters[kDynamicResourcesFilter] && !dra_passes(pod, node, reasons)) return kDynamicResourcesFilter;
  return -1;
}

}  // namespace kubesched
