// GPU sharing: each node has G GPUs of one model, each 1000 milli-GPU; a pod asks for k whole
// GPUs or a fraction of one. Here: the per-node GPU state's operations, the fit check, the
// placement policies of "Beware of Fragmentation" (Weng et al., USENIX ATC'23) as score
// plugins (Random, DotProd, GpuClustering, GpuPacking, BestFit, FGD), the choice of GPUs
// inside the chosen node, and the fragmentation measure that FGD descends.
//
// Definitions follow the paper's public simulator (hkust-adsl/kubernetes-scheduler-simulator)
// including its integer truncations, so that ties (broken at random) fall the same way.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kubesched {

class Engine;
class Snapshot;
struct PodClass;

constexpr int32_t kMilliPerGpu = 1000;
constexpr std::string_view kGpuResourceName = "kubesched.io/gpu";   // node allocatable: G
constexpr std::string_view kGpuModelLabel = "kubesched.io/gpu-model";
constexpr int32_t kMaxGpusPerNode = 64;  // GPU choices travel as a 64-bit mask

// How the GPUs of the chosen node are picked for a pod that shares one GPU (whole-GPU pods
// always take the lowest-numbered free GPUs).
enum GpuSelect : uint8_t {
  kGpuSelectBest = 0,    // the fitting GPU with the least free milli
  kGpuSelectWorst = 1,   // the one with the most
  kGpuSelectRandom = 2,  // uniformly among the fitting GPUs
  kGpuSelectFgd = 3,     // the one whose use grows fragmentation least
  kGpuSelectFgdCapacity = 4,  // the same with the capacity-aware measure
};

// A pod shape of the workload with its popularity: what FGD expects to arrive next.
struct TypicalPod {
  int64_t cpu = 0;              // milli-CPU
  int32_t milli = 0;            // per GPU; 0: a pod without GPU
  int32_t count = 0;            // GPUs
  std::vector<int32_t> models;  // string ids of the allowed GPU models; empty: any
  double weight = 0;            // popularity, the weights sum to 1
};

// A node's state as the fragmentation measure sees it.
struct GpuNodeState {
  int64_t cpu_left = 0;
  int32_t model = -1;  // string id of the GPU model, -1: none
  int32_t count = 0;
  std::array<int32_t, kMaxGpusPerNode> free{};
};

// The typical pods and a memo of the fragmentation of node states (keyed by the multiset of
// free milli, CPU left and model: many nodes share a state).
class GpuWorkload {
 public:
  void set(std::vector<TypicalPod> pods);
  const std::vector<TypicalPod>& pods() const { return pods_; }
  bool empty() const { return pods_.empty(); }

  // The paper's fragmentation amount of a node (milli-GPU): per typical pod, the idle GPU
  // milli it cannot use (all of it when the pod cannot run there, else the GPUs too small
  // for it), weighted by popularity. Summed as the reference simulator sums it.
  // With `capacity` (ours): per typical pod, the idle GPU milli left over when as many
  // copies of it as the node's CPU and GPUs can hold were placed there.
  double frag(const GpuNodeState& node, bool capacity = false) const;
  double frag_uncached(const GpuNodeState& node) const;
  double capacity_frag_uncached(const GpuNodeState& node) const;

 private:
  struct Key {
    int64_t cpu;
    int32_t model;
    int32_t count;  // + 256 for the capacity-aware measure
    std::array<uint16_t, 16> free;
    bool operator==(const Key& other) const {
      return cpu == other.cpu && model == other.model && count == other.count && free == other.free;
    }
  };
  struct KeyHash {
    size_t operator()(const Key& key) const;
  };
  std::vector<TypicalPod> pods_;
  mutable std::unordered_map<Key, double, KeyHash> memo_;
};

// The node's state from the snapshot (CPU left = allocatable - requested).
GpuNodeState gpu_node_state(const Snapshot& s, int32_t node);

bool is_gpu_share(const PodClass& pod);
bool gpu_model_allowed(int32_t node_model, const std::vector<int32_t>& models);

// Whether the node has GPUs for the pod: `count` GPUs with at least `milli` free each.
bool gpus_fit(const Snapshot& s, const PodClass& pod, int32_t node);

// The raw score of one of the GPU policies (a Score value from kRandomScore to kFgdCapacityScore)
// for a feasible node; 0..100.
int64_t gpu_raw_score(uint8_t plugin, const Snapshot& s, const PodClass& pod, int32_t node);

// The GPUs the pod takes on the node, as a mask (0 for a pod without GPUs). The node must
// fit the pod. `rng` is used by kGpuSelectRandom; without one, the first fitting GPU.
uint64_t select_gpus(const Snapshot& s, uint8_t method, const PodClass& pod, int32_t node, std::mt19937_64* rng);

// The FGD score of a node state change (frag amounts in milli-GPU), as the simulator rounds it:
// floor(scale * sigmoid((before - after) / 1000)), scale 100 (FGD) or 50 (FGD-Capacity).
int64_t fgd_score(double before, double after, double scale = 100);

// The cluster's fragmentation amount (sum over nodes) and, in `idle`, its free GPU milli.
double cluster_gpu_frag(const Snapshot& s, int64_t* idle);

// Trace replay: decide the pods one by one with Engine::schedule (-1 in `chosen` when none
// fits) and measure the cluster after each: GPU milli allocated to the pods placed so far,
// fragmentation amount and free GPU milli.
void replay_gpu_queue(Engine& engine, const int32_t* class_ids, int64_t count, int32_t* chosen, int64_t* allocated,
                      double* frag, int64_t* idle);

}  // namespace kubesched
