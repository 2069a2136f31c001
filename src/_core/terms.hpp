// The pods behind inter-pod rules: registered matchers (selector + namespaces) with the number
// of matching pods on every node, and the terms that existing pods carry with the number of
// carriers on every node. Updated as pods are assumed and forgotten.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "pod_class.hpp"

namespace kubesched {

enum CarriedKind : uint8_t { kCarriedAnti = 0, kCarriedAffinity = 1, kCarriedPreferredAffinity = 2, kCarriedPreferredAnti = 3 };

struct CarriedTerm {
  int32_t matcher = -1;
  int32_t key = -1;
  int64_t weight = 0;
  uint8_t kind = kCarriedAnti;
};

class TermRegistry {
 public:
  int32_t add_matcher(const Matcher& matcher, const std::vector<PodClass>& classes,
                      const std::vector<std::vector<int32_t>>& node_pods);
  bool matches(int32_t matcher, int32_t class_id, const std::vector<PodClass>& classes);
  // The carried terms of a newly added class, registered (deduplicated) and returned.
  std::vector<int32_t> carry(const PodClass& pod);

  void add_node();
  void pod_added(int32_t class_id, int32_t node, const std::vector<PodClass>& classes, int32_t delta);

  const std::vector<int32_t>& matching_on_nodes(int32_t matcher) const { return node_counts_[static_cast<size_t>(matcher)]; }
  const std::vector<int32_t>& carriers_on_nodes(int32_t term) const { return carriers_[static_cast<size_t>(term)]; }
  const std::vector<CarriedTerm>& carried() const { return carried_; }
  const std::vector<int32_t>& carried_by(int32_t class_id) const { return class_carried_[static_cast<size_t>(class_id)]; }
  const Matcher& matcher(int32_t id) const { return matchers_[static_cast<size_t>(id)]; }
  int32_t matcher_count() const { return static_cast<int32_t>(matchers_.size()); }
  void class_added(const PodClass& pod) { class_carried_.push_back(carry(pod)); }

 private:
  bool evaluate(int32_t matcher, const PodClass& pod, const std::vector<PodClass>& classes);
  const std::vector<int32_t>& matchers_of(int32_t class_id, const std::vector<PodClass>& classes);

  size_t nodes_ = 0;
  std::vector<Matcher> matchers_;
  std::vector<std::vector<int32_t>> node_counts_;  // [matcher][node]
  std::vector<std::vector<int8_t>> match_cache_;   // [matcher][class]: -1 unknown
  std::vector<CarriedTerm> carried_;
  std::vector<std::vector<int32_t>> carriers_;      // [carried term][node]
  std::vector<std::vector<int32_t>> class_carried_;  // per class
  // Per class: the matchers examined so far (ids below the first) and those it satisfies.
  std::vector<std::pair<int32_t, std::vector<int32_t>>> class_matchers_;
};

bool selector_matches(const std::vector<Expression>& requirements, const PodClass& pod);

}  // namespace kubesched
