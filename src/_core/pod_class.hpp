// A pod class: everything the filters and scores read from a pod, compiled to interned ids.
// Pods with the same spec, namespace and labels share one class.
#pragma once

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

struct PodClass {
  std::vector<ResourceAmount> requests;  // filtering requests, amounts > 0
  int64_t nonzero_cpu = 0;
  int64_t nonzero_memory = 0;
  std::vector<HostPort> ports;
  std::vector<Toleration> tolerations;
  std::vector<std::pair<int32_t, int32_t>> node_selector;
  bool has_required_terms = false;
  std::vector<NodeTerm> required_terms;
  std::vector<WeightedNodeTerm> preferred_terms;
  int32_t node_name = -1;  // spec.nodeName, -1 when unset

  int64_t request(int32_t resource) const {
    for (const auto& r : requests)
      if (r.resource == resource) return r.amount;
    return 0;
  }
};

}  // namespace kubesched
