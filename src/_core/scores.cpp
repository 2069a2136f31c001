#include "scores.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "dra.hpp"
#include "filters.hpp"
#include "gpu.hpp"

namespace kubesched {

constexpr int64_t kMaxNodeScore = 100;

int64_t taint_toleration_score(const Snapshot& s, const PodClass& pod, int32_t node) {
  int64_t intolerable = 0;
  for (const auto& taint : s.taints[static_cast<size_t>(node)]) {
    if (taint.effect != kPreferNoSchedule) continue;
    bool ok = std::any_of(pod.tolerations.begin(), pod.tolerations.end(), [&](const Toleration& t) {
      return (t.effect == kAnyEffect || t.effect == kPreferNoSchedule) && tolerates(t, taint);
    });
    if (!ok) ++intolerable;
  }
  return intolerable;
}

int64_t node_affinity_score(const Snapshot& s, const PodClass& pod, int32_t node) {
  int64_t total = 0;
  for (const auto& preferred : pod.preferred_terms)
    if (preferred.weight != 0 && node_term_matches(s, preferred.term, node)) total += preferred.weight;
  return total;
}

namespace {

// Go's int64 addition (wraps around; upstream adds the pod's request to the node's so).
int64_t go_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? INT64_MAX : INT64_MIN;
  return sum;
}

// Allocatable and requested-after-placement of one resource, as upstream's
// resource allocation scorer sees them; (0, 0) means "skip this resource".
struct Usage {
  int64_t allocatable = 0;
  int64_t requested = 0;
  int64_t before = 0;  // requested without the pod
};

Usage usage(const Snapshot& s, const PodClass& pod, int32_t resource, int32_t node, bool use_requested) {
  const auto n = static_cast<size_t>(node);
  const auto r = static_cast<size_t>(resource);
  if (resource >= s.resource_count()) return {};
  const int64_t pod_request = pod.request(resource);
  if (!use_requested && (resource == kCpu || resource == kMemory)) {
    const int64_t nonzero_pod = resource == kCpu ? pod.fit_score_cpu : pod.fit_score_memory;
    return {s.allocatable[r][n], go_add(s.nonzero[r][n], nonzero_pod), s.nonzero[r][n]};
  }
  const bool scalar = resource > kEphemeralStorage;
  if (scalar && pod_request == 0) return {};
  return {s.allocatable[r][n], go_add(s.requested[r][n], pod_request), s.requested[r][n]};
}

// Upstream's scorers compute in Go's int64, which wraps around: for amounts past ~9.2e16
// (a node may offer 8Ei of memory) `amount * 100` wraps, and upstream's score is what the
// wrapped product gives. kubesched computes the same, wrapping through uint64 (defined).
int64_t go_mul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

int64_t go_sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

int64_t least_allocated(int64_t requested, int64_t capacity) {
  if (capacity == 0 || requested > capacity) return 0;
  return go_mul(go_sub(capacity, requested), kMaxNodeScore) / capacity;
}

int64_t most_allocated(int64_t requested, int64_t capacity) {
  if (capacity == 0) return 0;
  return go_mul(std::min(requested, capacity), kMaxNodeScore) / capacity;
}

// Utilisation in percent; a request beyond the capacity counts as 100.
int64_t utilization_percent(int64_t requested, int64_t capacity) {
  return requested > capacity ? 100 : go_mul(requested, 100) / capacity;
}

}  // namespace

int64_t broken_linear(const std::vector<ShapePoint>& shape, int64_t utilization) {
  if (shape.empty()) return 0;
  if (utilization <= shape.front().utilization) return shape.front().score;
  for (size_t i = 1; i < shape.size(); ++i) {
    if (utilization <= shape[i].utilization) {
      const auto& a = shape[i - 1];
      const auto& b = shape[i];
      return a.score + (b.score - a.score) * (utilization - a.utilization) / (b.utilization - a.utilization);
    }
  }
  return shape.back().score;
}

int64_t resources_fit_score(const Snapshot& s, const Profile& profile, const PodClass& pod, int32_t node) {
  int64_t score = 0, weights = 0;
  for (const auto& rw : profile.fit_resources) {
    const Usage u = usage(s, pod, rw.resource, node, false);
    if (u.allocatable == 0) continue;
    int64_t resource_score = 0;
    switch (profile.strategy) {
      case kLeastAllocated: resource_score = least_allocated(u.requested, u.allocatable); break;
      case kMostAllocated: resource_score = most_allocated(u.requested, u.allocatable); break;
      case kRequestedToCapacityRatio:
        resource_score = broken_linear(profile.shape, utilization_percent(u.requested, u.allocatable));
        if (resource_score <= 0) continue;
        break;
    }
    score += resource_score * rw.weight;
    weights += rw.weight;
  }
  if (weights == 0) return 0;
  if (profile.strategy == kRequestedToCapacityRatio)
    return static_cast<int64_t>(std::llround(static_cast<double>(score) / static_cast<double>(weights)));
  return score / weights;
}

namespace {

// (1 - standard deviation of the fractions) x 100, upstream's balance of one node state.
int64_t balance(const double* fractions, size_t count) {
  double deviation = 0;
  if (count == 2) {
    deviation = std::fabs((fractions[0] - fractions[1]) / 2);
  } else if (count > 2) {
    double total = 0;
    for (size_t i = 0; i < count; ++i) total += fractions[i];
    const double mean = total / static_cast<double>(count);
    double sum = 0;
    for (size_t i = 0; i < count; ++i) sum += (fractions[i] - mean) * (fractions[i] - mean);
    deviation = std::sqrt(sum / static_cast<double>(count));
  }
  return static_cast<int64_t>((1 - deviation) * static_cast<double>(kMaxNodeScore));
}

double capped_fraction(int64_t requested, int64_t allocatable) {
  const double f = static_cast<double>(requested) / static_cast<double>(allocatable);
  return f > 1 ? 1 : f;
}

}  // namespace

// Upstream scores the change in balance the pod causes, mapped back onto [50, 100]:
// 50 + (50 + balance(with pod) - balance(without pod)) / 2.
int64_t balanced_allocation_score(const Snapshot& s, const Profile& profile, const PodClass& pod, int32_t node) {
  double with_pod[64], without_pod[64];
  size_t count = 0;
  for (const auto& rw : profile.balanced_resources) {
    const Usage u = usage(s, pod, rw.resource, node, true);
    if (u.allocatable == 0 || count == 64) continue;
    with_pod[count] = capped_fraction(u.requested, u.allocatable);
    without_pod[count] = capped_fraction(u.before, u.allocatable);
    ++count;
  }
  constexpr int64_t kHalf = kMaxNodeScore / 2;
  return kHalf + (kHalf + balance(with_pod, count) - balance(without_pod, count)) / 2;
}

int64_t image_locality_score(const Snapshot& s, const PodClass& pod, int32_t node) {
  constexpr int64_t kMinThreshold = 23LL * 1024 * 1024;
  constexpr int64_t kMaxContainerThreshold = 1000LL * 1024 * 1024;
  if (pod.images.empty()) return 0;
  const auto& held = s.images[static_cast<size_t>(node)];
  const double total_nodes = static_cast<double>(s.node_count());
  int64_t sum = 0;
  for (int32_t image : pod.images) {
    for (const auto& held_image : held) {
      if (held_image.first != image) continue;
      const double spread = static_cast<double>(s.image_nodes.at(image)) / total_nodes;
      // (sizes are at most int64's maximum, which a double rounds up to 2^63: kept below it)
      const double scaled = std::min(static_cast<double>(s.image_size.at(image).second) * spread, 9.2233720368547748e18);
      sum = saturating_add(sum, static_cast<int64_t>(scaled));
      break;
    }
  }
  const int64_t max_threshold = kMaxContainerThreshold * static_cast<int64_t>(pod.images.size());
  sum = std::clamp(sum, kMinThreshold, max_threshold);
  return kMaxNodeScore * (sum - kMinThreshold) / (max_threshold - kMinThreshold);
}

int64_t raw_score(Score plugin, const Snapshot& s, const Profile& profile, const PodClass& pod, int32_t node) {
  switch (plugin) {
    case kTaintTolerationScore: return taint_toleration_score(s, pod, node);
    case kNodeAffinityScore: return node_affinity_score(s, pod, node);
    case kNodeResourcesFitScore: return resources_fit_score(s, profile, pod, node);
    case kBalancedAllocationScore: return balanced_allocation_score(s, profile, pod, node);
    case kImageLocalityScore: return image_locality_score(s, pod, node);
    case kRandomScore:
    case kDotProductScore:
    case kGpuClusteringScore:
    case kGpuPackingScore:
    case kBestFitScore:
    case kFgdScore:
    case kFgdCapacityScore: return gpu_raw_score(plugin, s, pod, node);
    case kDynamicResourcesScore: return dra_score(pod, node);
    case kVolumeBindingScore:
      return pod.volume_class < 0 ? 0 : s.volumes.binding_score(pod.volume_class, node, profile.volume_shape);
    default: return 0;  // the inter-pod scores need their per-decision context
  }
}

bool skips(Score plugin, const Profile& profile, const PodClass& pod) {
  if (plugin != kBalancedAllocationScore) return false;
  return std::all_of(profile.balanced_resources.begin(), profile.balanced_resources.end(),
                     [&](const ResourceWeight& rw) { return pod.request(rw.resource) == 0; });
}

bool normalized(Score plugin) {
  return plugin == kTaintTolerationScore || plugin == kNodeAffinityScore || plugin == kDynamicResourcesScore;
}
bool min_max_normalized(Score plugin) { return plugin == kBestFitScore; }
bool reversed(Score plugin) { return plugin == kTaintTolerationScore; }

}  // namespace kubesched
