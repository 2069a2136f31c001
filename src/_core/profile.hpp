// A scheduling profile: which plugins run, their weights and arguments.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace kubesched {

// Filters in upstream's default order; a node's diagnosis is the first that rejects it.
enum Filter : uint8_t {
  kNodeName = 0,
  kNodeUnschedulable,
  kTaintTolerationFilter,
  kNodeAffinityFilter,
  kNodePorts,
  kNodeResourcesFitFilter,
  kPodTopologySpreadFilter,
  kInterPodAffinityFilter,
  kDynamicResourcesFilter,  // DRA: the class carries each node's verdict (dra.hpp)
  // Volumes (volumes.hpp): they run after NodeResourcesFit and before the inter-pod filters.
  kVolumeRestrictionsFilter,
  kNodeVolumeLimitsFilter,
  kVolumeBindingFilter,
  kVolumeZoneFilter,
  kFilterCount
};

enum Score : uint8_t {
  kTaintTolerationScore = 0,
  kNodeAffinityScore,
  kNodeResourcesFitScore,
  kBalancedAllocationScore,
  kPodTopologySpreadScore,
  kInterPodAffinityScore,
  kImageLocalityScore,
  // GPU sharing (gpu.hpp): the placement policies of the FGD paper.
  kRandomScore,
  kDotProductScore,
  kGpuClusteringScore,
  kGpuPackingScore,
  kBestFitScore,
  kFgdScore,
  kFgdCapacityScore,  // ours: FGD with a capacity-aware fragmentation measure
  kDynamicResourcesScore,  // DRA: firstAvailable alternatives chosen, per node (dra.hpp)
  kVolumeBindingScore,
  kScoreCount
};

// Upstream's plugin names, indexed by Filter and Score: the one source the binding's FILTERS
// and SCORES are built from (tests/unit/test_plugin_tables.py checks
// them against each plugin's declaration in src/kubesched/plugins/).
inline constexpr std::array<const char*, kFilterCount> kFilterNames{
    "NodeName", "NodeUnschedulable", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit",
    "PodTopologySpread", "InterPodAffinity", "DynamicResources", "VolumeRestrictions", "NodeVolumeLimits",
    "VolumeBinding", "VolumeZone"};
inline constexpr std::array<const char*, kScoreCount> kScoreNames{
    "TaintToleration", "NodeAffinity", "NodeResourcesFit", "NodeResourcesBalancedAllocation", "PodTopologySpread",
    "InterPodAffinity", "ImageLocality", "RandomScore", "DotProductScore", "GpuClusteringScore", "GpuPackingScore",
    "BestFitScore", "FGDScore", "FGDCapacityScore", "DynamicResources", "VolumeBinding"};
inline const char* filter_name(int index) { return kFilterNames[index]; }
inline const char* score_name(int index) { return kScoreNames[index]; }

enum Strategy : uint8_t { kLeastAllocated = 0, kMostAllocated = 1, kRequestedToCapacityRatio = 2 };

struct ResourceWeight {
  int32_t resource = 0;
  int64_t weight = 1;
};

struct ShapePoint {
  int64_t utilization = 0;  // 0..100
  int64_t score = 0;        // already scaled to 0..100
};

struct Profile {
  std::array<bool, kFilterCount> filters{true, true, true, true, true, true, true, true, true, true, true, true, true};
  // Upstream's default profile; 0 disables a score plugin (the GPU policies are off by default).
  std::array<int64_t, kScoreCount> weights{3, 2, 1, 1, 2, 2, 1, 0, 0, 0, 0, 0, 0, 0, 2, 1};
  uint8_t strategy = kLeastAllocated;
  std::vector<ResourceWeight> fit_resources{{0, 1}, {1, 1}};
  std::vector<ShapePoint> shape;
  std::vector<ResourceWeight> balanced_resources{{0, 1}, {1, 1}};
  int32_t percentage_of_nodes_to_score = 100;  // 0: upstream's adaptive rule
  int64_t hard_pod_affinity_weight = 1;
  bool ignore_preferred_terms_of_existing_pods = false;
  bool spread_system_defaulted = true;  // PodTopologySpread defaultingType System
  uint8_t gpu_select = 0;
  std::vector<ShapePoint> volume_shape{{0, 100}, {100, 0}};  // VolumeBindingArgs.shape, score x10  // GpuSelect (gpu.hpp): how a GPU pod's GPUs are picked in its node
};

}  // namespace kubesched
