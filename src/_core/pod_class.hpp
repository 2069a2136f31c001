// A pod class: everything the filters and scores read from a pod, compiled to interned ids.
// Pods with the same spec, namespace and labels share one class.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace kubesched {

enum Operator : uint8_t { kIn = 0, kNotIn = 1, kExists = 2, kDoesNotExist = 3, kGt = 4, kLt = 5 };
enum Effect : uint8_t { kAnyEffect = 0, kNoSchedule = 1, kPreferNoSchedule = 2, kNoExecute = 3 };
enum TolerationOperator : uint8_t { kEqual = 0, kExistsToleration = 1 };

struct Expression {
  int32_t key = -1;
  uint8_t op = kIn;
  std::vector<int32_t> values;  // string ids; for Gt/Lt the single value's integer is `number`
  int64_t number = 0;
};

struct NodeTerm {
  std::vector<Expression> expressions;
  std::vector<Expression> fields;  // key metadata.name: values are node-name ids
};

struct WeightedNodeTerm {
  int32_t weight = 0;
  NodeTerm term;
};

struct Toleration {
  int32_t key = -1;  // -1: empty key
  uint8_t op = kEqual;
  int32_t value = -1;  // -1: empty value
  uint8_t effect = kAnyEffect;
};

struct HostPort {
  int32_t ip = -1;  // string id, "0.0.0.0" for any
  int32_t protocol = -1;
  int32_t port = 0;
};

struct ResourceAmount {
  int32_t resource = 0;
  int64_t amount = 0;
};

// A pod label selector and the namespaces it looks in (an affinity term's or a spread
// constraint's). Registered once in the engine and referred to by id.
struct Matcher {
  bool nothing = false;                 // a missing selector matches no pod
  std::vector<Expression> requirements; // on pod labels: In, NotIn, Exists, DoesNotExist
  bool all_namespaces = false;
  std::vector<int32_t> namespaces;      // sorted namespace ids
  std::vector<int32_t> all_of;          // instead: every listed matcher must match

  bool operator==(const Matcher& other) const {
    auto same = [](const std::vector<Expression>& a, const std::vector<Expression>& b) {
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (a[i].key != b[i].key || a[i].op != b[i].op || a[i].values != b[i].values) return false;
      return true;
    };
    return nothing == other.nothing && same(requirements, other.requirements) &&
           all_namespaces == other.all_namespaces && namespaces == other.namespaces && all_of == other.all_of;
  }
};

// An inter-pod affinity term: pods matching `matcher` in the same `key` domain.
struct PodTerm {
  int32_t matcher = -1;
  int32_t key = -1;
  int64_t weight = 0;  // preferred terms only
};

struct SpreadConstraint {
  int32_t matcher = -1;
  int32_t key = -1;
  int64_t max_skew = 1;
  int64_t min_domains = 1;
  bool hard = true;  // DoNotSchedule; false: ScheduleAnyway
  bool honor_node_affinity = true;
  bool honor_node_taints = false;
};

struct PodClass {
  std::vector<ResourceAmount> requests;  // filtering requests, amounts > 0
  std::vector<int32_t> fit_ignored;       // NodeResourcesFit's ignoredResources(Groups) among them
  // extended resources DynamicResources serves where a node's allocatable has none of them
  std::vector<int32_t> fit_dra_served;

  // Whether NodeResourcesFit leaves this request to other plugins on the node.
  bool fit_skips(int32_t resource, int64_t allocatable) const {
    if (std::find(fit_ignored.begin(), fit_ignored.end(), resource) != fit_ignored.end()) return true;
    return allocatable == 0 &&
           std::find(fit_dra_served.begin(), fit_dra_served.end(), resource) != fit_dra_served.end();
  }
  int64_t nonzero_cpu = 0;
  int64_t nonzero_memory = 0;
  // What NodeResourcesFit's scorer reads of the incoming pod: the non-zero requests
  // without pod-level resources (upstream builds that scorer without the pod-level flag).
  int64_t fit_score_cpu = 0;
  int64_t fit_score_memory = 0;
  std::vector<HostPort> ports;
  std::vector<Toleration> tolerations;
  std::vector<std::pair<int32_t, int32_t>> node_selector;
  bool has_required_terms = false;
  std::vector<NodeTerm> required_terms;
  std::vector<WeightedNodeTerm> preferred_terms;
  bool has_enforced_terms = false;  // NodeAffinity's addedAffinity, from the profile
  std::vector<NodeTerm> enforced_terms;
  int32_t node_name = -1;  // spec.nodeName, -1 when unset
  // PreFilter results, decided per class: the node names a PreFilter plugin restricts the
  // pod to (sorted name ids; the plugins as bits of PreFilterPlugin), or a rejection of
  // the pod as a whole (a ReasonKind payload of kReasonPreFilterRejected; 0: none).
  bool has_prefilter_nodes = false;
  std::vector<int32_t> prefilter_nodes;
  int32_t prefilter_plugins = 0;
  int32_t prefilter_rejection = 0;

  // Inter-pod: who the pod is, and its terms.
  int32_t namespace_id = -1;
  std::vector<std::pair<int32_t, int32_t>> labels;  // sorted by key
  std::vector<PodTerm> affinity_required, anti_required, affinity_preferred, anti_preferred;
  std::vector<SpreadConstraint> spread;
  bool spread_is_system_default = false;
  std::vector<int32_t> images;  // one per (init) container, normalised
  // GPU sharing (gpu.hpp): `gpu_count` GPUs with `gpu_milli` milli-GPU each (1000: whole
  // GPUs; below 1000 only with gpu_count 1, a share of one GPU). Allowed GPU models are
  // compiled into required node affinity on the kubesched.io/gpu-model label.
  int32_t gpu_count = 0;
  int32_t gpu_milli = 0;
  // DynamicResources, decided per class by the allocator outside the core: per node 0 (the
  // claims can be allocated there) or a DraVerdict (dra.hpp); empty for a pod without claims.
  // The score is upstream's raw DynamicResources score per node.
  std::vector<uint8_t> dra_verdict;
  std::vector<int64_t> dra_score;
  // Volumes (volumes.hpp): the class's claims and disks in the VolumeState, -1: none; the
  // volume plugin (a Filter index) whose PreFilter rejected the pod (prefilter_rejection).
  int32_t volume_class = -1;
  int32_t volume_rejection_filter = -1;
  // Filled by the engine: the matcher "matches every required affinity term".
  int32_t affinity_all = -1;

  int32_t label(int32_t key) const {
    for (const auto& [k, v] : labels)
      if (k == key) return v;
    return -1;
  }
  bool has_inter_pod_terms() const {
    return !affinity_required.empty() || !anti_required.empty() || !affinity_preferred.empty() ||
           !anti_preferred.empty() || !spread.empty();
  }

  int64_t request(int32_t resource) const {
    for (const auto& r : requests)
      if (r.resource == resource) return r.amount;
    return 0;
  }
};

}  // namespace kubesched
