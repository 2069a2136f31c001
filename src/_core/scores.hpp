// The score plugins: a raw score per node, then upstream's normalisation.
#pragma once

#include <cstdint>
#include <vector>

#include "pod_class.hpp"
#include "profile.hpp"
#include "snapshot.hpp"

namespace kubesched {

// Upstream's broken linear function over (utilization, score) points (RequestedToCapacityRatio,
// VolumeBinding's shape).
int64_t broken_linear(const std::vector<ShapePoint>& shape, int64_t utilization);
int64_t taint_toleration_score(const Snapshot& s, const PodClass& pod, int32_t node);
int64_t node_affinity_score(const Snapshot& s, const PodClass& pod, int32_t node);
int64_t resources_fit_score(const Snapshot& s, const Profile& profile, const PodClass& pod, int32_t node);
int64_t balanced_allocation_score(const Snapshot& s, const Profile& profile, const PodClass& pod, int32_t node);

int64_t image_locality_score(const Snapshot& s, const PodClass& pod, int32_t node);

int64_t raw_score(Score plugin, const Snapshot& s, const Profile& profile, const PodClass& pod, int32_t node);

// PreScore's Skip: the plugin gives no score for this pod (e.g. BalancedAllocation for a
// pod that requests none of its resources).
bool skips(Score plugin, const Profile& profile, const PodClass& pod);

// Whether the plugin's scores go through DefaultNormalizeScore, and reversed.
bool normalized(Score plugin);
bool reversed(Score plugin);

// Scores rescaled to 0..100 between the lowest and the highest over the scored nodes (the
// GPU simulator's NormalizeScore, used by BestFit).
bool min_max_normalized(Score plugin);
inline int64_t min_max_normalize(int64_t score, int64_t lowest, int64_t highest) {
  if (highest == lowest) return 0;
  return static_cast<int64_t>(static_cast<__int128>(score - lowest) * 100 / (highest - lowest));
}

// DefaultNormalizeScore for one score, given the max over the scored nodes.
inline int64_t default_normalize(int64_t score, int64_t max_score, bool reverse) {
  if (max_score == 0) return reverse ? 100 : score;
  const auto s = static_cast<int64_t>(static_cast<__int128>(score) * 100 / max_score);  // no overflow
  return reverse ? 100 - s : s;
}

}  // namespace kubesched
