// DynamicResources in the core: the allocator (kubesched.dra, outside the core) decides for
// a pod class on which nodes its claims can be allocated; the core runs that verdict as the
// filter after InterPodAffinity, and upstream's score for the firstAvailable alternatives.
#pragma once

#include <cstdint>
#include <vector>

#include "pod_class.hpp"
#include "reasons.hpp"

namespace kubesched {

enum DraVerdict : uint8_t {
  kDraFits = 0,
  kDraCannotAllocate = 1,  // cannot allocate all claims
  kDraNotAvailable = 2,    // resourceclaim not available on the node (allocated for other nodes)
  kDraInvalidPools = 3,    // invalid resource pools were encountered
};

inline bool dra_passes(const PodClass& pod, int32_t node, std::vector<int32_t>* reasons) {
  if (pod.dra_verdict.empty()) return true;
  const uint8_t verdict = pod.dra_verdict[static_cast<size_t>(node)];
  if (verdict == kDraFits) return true;
  if (reasons) reasons->push_back(make_reason(kReasonDynamicResources, verdict));
  return false;
}

inline int64_t dra_score(const PodClass& pod, int32_t node) {
  return pod.dra_score.empty() ? 0 : pod.dra_score[static_cast<size_t>(node)];
}

}  // namespace kubesched
