#include "gpu.hpp"

#include <algorithm>
#include <bitset>
#include <cmath>

#include "engine.hpp"
#include "pod_class.hpp"
#include "profile.hpp"
#include "snapshot.hpp"

namespace kubesched {

namespace {

constexpr int64_t kMaxNodeScore = 100;
constexpr double kMaxSpecCpu = 128000;  // the simulator's normalisation constants
constexpr double kMaxSpecGpu = 8000;
constexpr int64_t kMaxSpecGpuMilli = 8000;
// DotProductScore's floor. A node larger than the largest spec scores below 0, and past about
// 10^9 free cores times as many requested the score would leave int64 (and a weight times it
// the engine's total). Below -2^53 a double no longer holds every integer anyway: scores are
// held at -2^53 there, exactly representable on both sides, so nothing real changes.
constexpr double kMinDotProductScore = -9007199254740992.0;  // -2^53
constexpr size_t kMemoLimit = 1 << 20;

// The fragment types of the reference simulator, in its order (the amount sums them in it).
enum FragType : int { kQ1LackBoth = 0, kQ2LackGpu, kQ3Satisfied, kQ4LackCpu, kXlSatisfied, kXrLackCpu, kNoAccess };

int64_t total_free(const GpuNodeState& node) {
  int64_t total = 0;
  for (int32_t g = 0; g < node.count; ++g) total += node.free[static_cast<size_t>(g)];
  return total;
}

int32_t fitting(const GpuNodeState& node, int32_t milli) {
  int32_t count = 0;
  for (int32_t g = 0; g < node.count; ++g) count += node.free[static_cast<size_t>(g)] >= milli;
  return count;
}

// The node's GPU indices, least free milli first (a stable sort: lower index first on ties):
// the order in which the simulator takes GPUs.
std::array<int32_t, kMaxGpusPerNode> least_free_first(const GpuNodeState& node) {
  std::array<int32_t, kMaxGpusPerNode> order{};
  for (int32_t g = 0; g < node.count; ++g) order[static_cast<size_t>(g)] = g;
  std::stable_sort(order.begin(), order.begin() + node.count,
                   [&](int32_t a, int32_t b) { return node.free[static_cast<size_t>(a)] < node.free[static_cast<size_t>(b)]; });
  return order;
}

// The node after the pod takes its GPUs the way the simulator's NodeResource.Sub does: the
// fitting GPUs with the least free milli first.
GpuNodeState after_sub(const GpuNodeState& node, int64_t cpu, int32_t milli, int32_t count) {
  GpuNodeState out = node;
  out.cpu_left -= cpu;
  if (count == 0) return out;
  const auto order = least_free_first(node);
  int32_t wanted = count;
  for (int32_t i = 0; i < node.count && wanted > 0; ++i) {
    auto& free = out.free[static_cast<size_t>(order[static_cast<size_t>(i)])];
    if (free >= milli) {
      free -= milli;
      --wanted;
    }
  }
  return out;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

// ---- the typical pods and the fragmentation measure -------------------------------------

void GpuWorkload::set(std::vector<TypicalPod> pods) {
  pods_ = std::move(pods);
  memo_.clear();
}

size_t GpuWorkload::KeyHash::operator()(const Key& key) const {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](uint64_t v) {
    h ^= v;
    h *= 1099511628211ULL;
  };
  mix(static_cast<uint64_t>(key.cpu));
  mix(static_cast<uint64_t>(static_cast<uint32_t>(key.model)) << 8 | static_cast<uint64_t>(key.count));
  for (uint16_t free : key.free) mix(free);  // unused entries stay 0
  return static_cast<size_t>(h ^ (h >> 29));
}

double GpuWorkload::frag(const GpuNodeState& node, bool capacity) const {
  if (pods_.empty() || node.count == 0) return 0;
  if (node.count > 16) return capacity ? capacity_frag_uncached(node) : frag_uncached(node);
  Key key{node.cpu_left, node.model, node.count + (capacity ? 256 : 0), {}};
  for (int32_t g = 0; g < node.count; ++g) key.free[static_cast<size_t>(g)] = static_cast<uint16_t>(node.free[static_cast<size_t>(g)]);
  std::sort(key.free.begin(), key.free.begin() + node.count);
  auto found = memo_.find(key);
  if (found != memo_.end()) return found->second;
  const double value = capacity ? capacity_frag_uncached(node) : frag_uncached(node);
  if (memo_.size() >= kMemoLimit) memo_.clear();
  memo_.emplace(key, value);
  return value;
}

double GpuWorkload::frag_uncached(const GpuNodeState& node) const {
  std::array<double, 7> data{};
  const int64_t total = total_free(node);
  for (const TypicalPod& pod : pods_) {
    int type;
    if (pod.milli == 0) {
      type = node.cpu_left >= pod.cpu ? kXlSatisfied : kXrLackCpu;
    } else if (!gpu_model_allowed(node.model, pod.models)) {
      type = kNoAccess;
    } else if (fitting(node, pod.milli) >= pod.count) {
      type = node.cpu_left >= pod.cpu ? kQ3Satisfied : kQ4LackCpu;
    } else {
      type = node.cpu_left >= pod.cpu ? kQ2LackGpu : kQ1LackBoth;
    }
    if (type == kQ3Satisfied) {  // the GPUs too small for the pod are its fragment
      int64_t small = 0;
      for (int32_t g = 0; g < node.count; ++g)
        if (node.free[static_cast<size_t>(g)] < pod.milli) small += node.free[static_cast<size_t>(g)];
      data[kQ2LackGpu] += pod.weight * static_cast<double>(small);
      data[kQ3Satisfied] += pod.weight * static_cast<double>(total - small);
    } else {  // the pod cannot run here: all idle GPU milli is its fragment
      data[static_cast<size_t>(type)] += pod.weight * static_cast<double>(total);
    }
  }
  double out = 0;
  for (size_t i = 0; i < data.size(); ++i)
    if (i != kQ3Satisfied) out += data[i];
  return out;
}

double GpuWorkload::capacity_frag_uncached(const GpuNodeState& node) const {
  const int64_t total = total_free(node);
  double out = 0;
  for (const TypicalPod& pod : pods_) {
    int64_t usable = 0;  // GPU milli that copies of the pod can take here
    if (pod.milli > 0 && gpu_model_allowed(node.model, pod.models)) {
      const int64_t by_cpu = pod.cpu > 0 ? std::max<int64_t>(0, node.cpu_left) / pod.cpu : int64_t{1} << 30;
      int64_t by_gpu = 0;
      if (pod.count == 1 && pod.milli < kMilliPerGpu) {
        for (int32_t g = 0; g < node.count; ++g) by_gpu += node.free[static_cast<size_t>(g)] / pod.milli;
      } else {
        by_gpu = fitting(node, pod.milli) / std::max(pod.count, 1);
      }
      usable = std::min(by_cpu, by_gpu) * pod.milli * pod.count;
    }
    out += pod.weight * static_cast<double>(total - usable);
  }
  return out;
}

int64_t fgd_score(double before, double after, double scale) {
  return static_cast<int64_t>(sigmoid((before - after) / 1000) * scale);
}

// ---- node state, fit --------------------------------------------------------------------

GpuNodeState gpu_node_state(const Snapshot& s, int32_t node) {
  const auto n = static_cast<size_t>(node);
  GpuNodeState state;
  state.cpu_left = s.allocatable[kCpu][n] - s.requested[kCpu][n];
  state.model = s.gpu_model_key >= 0 ? s.label(node, s.gpu_model_key) : -1;
  const auto& free = s.gpu_free[n];
  state.count = static_cast<int32_t>(free.size());
  std::copy(free.begin(), free.end(), state.free.begin());
  return state;
}

bool is_gpu_share(const PodClass& pod) { return pod.gpu_count == 1 && pod.gpu_milli < kMilliPerGpu; }

bool gpu_model_allowed(int32_t node_model, const std::vector<int32_t>& models) {
  if (models.empty()) return true;
  if (node_model < 0) return false;
  return std::find(models.begin(), models.end(), node_model) != models.end();
}

bool gpus_fit(const Snapshot& s, const PodClass& pod, int32_t node) {
  int32_t found = 0;
  for (int32_t free : s.gpu_free[static_cast<size_t>(node)])
    if (free >= pod.gpu_milli && ++found >= pod.gpu_count) return true;
  return false;
}

// ---- the policies -----------------------------------------------------------------------

namespace {

// Tetris' dot product of the node's free (CPU, GPU) and the pod's demand, both over the
// largest node's capacity; a small product scores high (the simulator's "merge" and "max").
int64_t dot_product_score(const GpuNodeState& node, int64_t cpu, int64_t gpu_milli) {
  if (node.cpu_left < cpu) return 0;
  const double free_cpu = static_cast<double>(node.cpu_left) / kMaxSpecCpu;
  const double free_gpu = static_cast<double>(total_free(node)) / kMaxSpecGpu;
  const double want_cpu = static_cast<double>(cpu) / kMaxSpecCpu;
  const double want_gpu = static_cast<double>(gpu_milli) / kMaxSpecGpu;
  double product = 0;
  product += free_cpu * want_cpu;
  product += free_gpu * want_gpu;
  const double score = 1 - product / 2;
  return static_cast<int64_t>(std::max(static_cast<double>(kMaxNodeScore) * score, kMinDotProductScore));
}

// Least (CPU, GPU) left over after placing, equally weighted; 100 = nothing left.
int64_t best_fit_score(const GpuNodeState& node, int64_t cpu, int64_t gpu_milli) {
  const double free[2] = {static_cast<double>(node.cpu_left), static_cast<double>(total_free(node))};
  const double want[2] = {static_cast<double>(cpu), static_cast<double>(gpu_milli)};
  const double spec[2] = {kMaxSpecCpu, kMaxSpecGpu};
  double score = 0;
  for (int i = 0; i < 2; ++i) {
    if (free[i] < want[i]) return 0;  // cannot happen on a feasible node
    score += (free[i] - want[i]) / spec[i] * 0.5;
  }
  return static_cast<int64_t>((1.0 - score) * static_cast<double>(kMaxNodeScore));
}

// Prefer nodes already running GPU pods of the pod's kind (share, or k whole GPUs), then
// nodes without GPU pods, then mixed ones; within a band, fuller nodes.
int64_t gpu_clustering_score(const Snapshot& s, const GpuNodeState& node, const PodClass& pod, int32_t index) {
  if (pod.gpu_count == 0) return 0;
  const int32_t tag = is_gpu_share(pod) ? 0 : pod.gpu_count;
  std::bitset<kMaxGpusPerNode + 1> kinds;
  for (const auto& holder : s.gpu_pods[static_cast<size_t>(index)]) kinds.set(static_cast<size_t>(holder.tag));
  const int64_t fill = kMaxNodeScore / 4 * (kMaxSpecGpuMilli - total_free(node)) / kMaxSpecGpuMilli;
  if (kinds.test(static_cast<size_t>(tag))) return fill + (kinds.count() == 1 ? kMaxNodeScore * 3 / 4 : kMaxNodeScore * 2 / 4);
  return fill + (kinds.none() ? kMaxNodeScore / 4 : 0);
}

// Prefer GPUs already shared (the fuller the better), then free GPUs on a used node, then
// free nodes (the smaller the better).
int64_t gpu_packing_score(const GpuNodeState& node, const PodClass& pod) {
  if (pod.gpu_milli <= 0) return 0;
  int32_t fully_free = 0;
  for (int32_t g = 0; g < node.count; ++g) fully_free += node.free[static_cast<size_t>(g)] == kMilliPerGpu;
  if (fully_free == node.count) return std::max<int64_t>(kMaxNodeScore / 3 - fully_free, fully_free);
  const auto order = least_free_first(node);
  int32_t wanted = pod.gpu_count, free_used = 0;
  int64_t free_ratio = 0;
  for (int32_t i = 0; i < node.count && wanted > 0; ++i) {
    const int32_t free = node.free[static_cast<size_t>(order[static_cast<size_t>(i)])];
    if (pod.gpu_milli <= free) {
      --wanted;
      free_ratio += static_cast<int64_t>(free) * 100 / kMilliPerGpu;
      if (free == kMilliPerGpu) ++free_used;
    }
  }
  if (wanted != 0) return 0;
  if (free_used > 0) return std::max<int64_t>(kMaxNodeScore / 2 - free_used, kMaxNodeScore / 3);
  return std::max<int64_t>(kMaxNodeScore - free_ratio / 10, kMaxNodeScore / 2);
}

// FGD: the score of the placement that grows the node's fragmentation least; for a pod
// sharing a GPU, of the best GPU (the first such in index order), which `best_gpu` returns.
int64_t fgd_node_score(const GpuWorkload& workload, const GpuNodeState& node, const PodClass& pod, int32_t* best_gpu,
                       bool capacity = false) {
  const double scale = capacity ? 50 : 100;
  const double before = workload.frag(node, capacity);
  if (is_gpu_share(pod)) {
    int64_t best = 0;
    int32_t chosen = -1;
    for (int32_t g = 0; g < node.count; ++g) {
      const int32_t free = node.free[static_cast<size_t>(g)];
      if (free < pod.gpu_milli) continue;
      bool repeat = false;  // an equal GPU earlier gives the same state: it already won or lost
      for (int32_t h = 0; h < g && !repeat; ++h) repeat = node.free[static_cast<size_t>(h)] == free;
      if (repeat) continue;
      GpuNodeState after = node;
      after.cpu_left -= pod.nonzero_cpu;
      after.free[static_cast<size_t>(g)] -= pod.gpu_milli;
      const int64_t score = fgd_score(before, workload.frag(after, capacity), scale);
      if (chosen < 0 || score > best) {
        best = score;
        chosen = g;
      }
    }
    if (best_gpu) *best_gpu = chosen;
    return best;
  }
  return fgd_score(before, workload.frag(after_sub(node, pod.nonzero_cpu, pod.gpu_milli, pod.gpu_count), capacity),
                   scale);
}

}  // namespace

int64_t gpu_raw_score(uint8_t plugin, const Snapshot& s, const PodClass& pod, int32_t node) {
  const GpuNodeState state = gpu_node_state(s, node);
  const int64_t gpu_milli = static_cast<int64_t>(pod.gpu_milli) * pod.gpu_count;
  switch (plugin) {
    case kRandomScore: return 0;  // every feasible node ties; the engine picks one at random
    case kDotProductScore: return dot_product_score(state, pod.nonzero_cpu, gpu_milli);
    case kGpuClusteringScore: return gpu_clustering_score(s, state, pod, node);
    case kGpuPackingScore: return gpu_packing_score(state, pod);
    case kBestFitScore: return best_fit_score(state, pod.nonzero_cpu, gpu_milli);
    case kFgdScore: return fgd_node_score(s.gpu_workload, state, pod, nullptr);
    case kFgdCapacityScore: return fgd_node_score(s.gpu_workload, state, pod, nullptr, true);
    default: return 0;
  }
}

// ---- GPU selection inside the node ------------------------------------------------------

uint64_t select_gpus(const Snapshot& s, uint8_t method, const PodClass& pod, int32_t node, std::mt19937_64* rng) {
  if (pod.gpu_count == 0) return 0;
  const auto& free = s.gpu_free[static_cast<size_t>(node)];
  const auto count = static_cast<int32_t>(free.size());
  if (!is_gpu_share(pod)) {  // whole GPUs: the lowest-numbered free ones
    uint64_t mask = 0;
    int32_t wanted = pod.gpu_count;
    for (int32_t g = 0; g < count && wanted > 0; ++g) {
      if (free[static_cast<size_t>(g)] == kMilliPerGpu) {
        mask |= uint64_t{1} << g;
        --wanted;
      }
    }
    return wanted == 0 ? mask : 0;
  }
  int32_t chosen = -1;
  if (method == kGpuSelectFgd || method == kGpuSelectFgdCapacity) {
    fgd_node_score(s.gpu_workload, gpu_node_state(s, node), pod, &chosen, method == kGpuSelectFgdCapacity);
  } else {
    int32_t fitting_seen = 0;
    for (int32_t g = 0; g < count; ++g) {
      const int32_t left = free[static_cast<size_t>(g)];
      if (left < pod.gpu_milli) continue;
      ++fitting_seen;
      if (method == kGpuSelectRandom) {
        // Reservoir sampling: each fitting GPU ends up chosen with probability 1/fitting.
        if (chosen < 0 || (rng && std::uniform_int_distribution<int32_t>(0, fitting_seen - 1)(*rng) == 0)) chosen = g;
      } else if (chosen < 0 || (method == kGpuSelectWorst ? left > free[static_cast<size_t>(chosen)]
                                                          : left < free[static_cast<size_t>(chosen)])) {
        chosen = g;
      }
    }
  }
  return chosen < 0 ? 0 : uint64_t{1} << chosen;
}

// ---- trace replay -----------------------------------------------------------------------

double cluster_gpu_frag(const Snapshot& s, int64_t* idle) {
  double total = 0;
  int64_t free = 0;
  for (int32_t n = 0; n < s.node_count(); ++n) {
    const GpuNodeState state = gpu_node_state(s, n);
    total += s.gpu_workload.frag(state);
    free += total_free(state);
  }
  if (idle) *idle = free;
  return total;
}

void replay_gpu_queue(Engine& engine, const int32_t* class_ids, int64_t count, int32_t* chosen, int64_t* allocated,
                      double* frag, int64_t* idle) {
  const Snapshot& s = engine.snapshot;
  std::vector<double> node_frag(static_cast<size_t>(s.node_count()));
  int64_t free = 0;  // at the start; a placed pod takes gpu_count x gpu_milli of it
  for (int32_t n = 0; n < s.node_count(); ++n) {
    const GpuNodeState state = gpu_node_state(s, n);
    node_frag[static_cast<size_t>(n)] = s.gpu_workload.frag(state);
    free += total_free(state);
  }
  int64_t taken = 0;
  for (int64_t i = 0; i < count; ++i) {
    const int32_t node = engine.schedule(class_ids[i]);
    chosen[i] = node;
    if (node >= 0) {
      const PodClass& pod = engine.pod_class(class_ids[i]);
      taken += static_cast<int64_t>(pod.gpu_count) * pod.gpu_milli;
      node_frag[static_cast<size_t>(node)] = s.gpu_workload.frag(gpu_node_state(s, node));
    }
    double sum = 0;
    for (double v : node_frag) sum += v;  // in node order: the same sum whatever the history
    allocated[i] = taken;
    frag[i] = sum;
    idle[i] = free - taken;
  }
}

}  // namespace kubesched
