// The packed cluster state the core decides on: one column per resource, label columns per
// key, taints and host ports per node. Knows nothing of Python.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "gpu.hpp"
#include "pod_class.hpp"
#include "strings.hpp"
#include "volumes.hpp"

namespace kubesched {

enum BuiltinResource : int32_t { kCpu = 0, kMemory = 1, kEphemeralStorage = 2 };

struct NodeTaint {
  int32_t key = -1;
  int32_t value = -1;
  uint8_t effect = kNoSchedule;
  int32_t id = 0;  // index into Snapshot::taint_table
};

struct UsedPort {
  int32_t ip, protocol, port;
  int32_t users;
};

class Snapshot {
 public:
  Snapshot();

  Interner strings;

  int32_t resource(std::string_view name);  // index of a resource column, created on demand
  int32_t find_resource(std::string_view name) const;
  const std::string& resource_name(int32_t r) const { return strings.text(resource_names_[r]); }
  int32_t resource_count() const { return static_cast<int32_t>(resource_names_.size()); }

  int32_t add_node(std::string_view name);
  int32_t node_count() const { return static_cast<int32_t>(names.size()); }
  int32_t find_node(int32_t name_id) const;
  void set_label(int32_t node, std::string_view key, std::string_view value);
  void set_allocatable(int32_t node, int32_t resource, int64_t amount);
  void add_taint(int32_t node, std::string_view key, std::string_view value, uint8_t effect);
  void clear_taints(int32_t node);
  void add_image(int32_t node, std::string_view name, int64_t size);
  void clear_images(int32_t node);  // the node holds no image (add_image them again)
  void set_unschedulable(int32_t node, bool value) {
    unschedulable[static_cast<size_t>(node)] = value ? 1 : 0;
    ++generation;
  }
  void set_allowed_pods(int32_t node, int64_t value) {
    allowed_pods[static_cast<size_t>(node)] = value;
    ++generation;
  }
  void clear_labels(int32_t node);
  // FGD's typical pods (gpu.hpp); scores computed so far are stale.
  void set_gpu_workload(std::vector<TypicalPod> pods) {
    gpu_workload.set(std::move(pods));
    ++generation;
  }

  // A pod of this class lands on (or leaves) the node.
  void add_pod(const PodClass& pod, int32_t node);
  void remove_pod(const PodClass& pod, int32_t node);

  // A GPU pod takes the GPUs in `mask` on the node / gives back the GPUs of the last pod of
  // its class that took some there, or with `exact`, of the last one that took `mask`
  // (returns their mask, 0 if there was none).
  void take_gpus(int32_t node, int32_t class_id, const PodClass& pod, uint64_t mask);
  uint64_t release_gpus(int32_t node, int32_t class_id, uint64_t mask, bool exact);

  int32_t label(int32_t node, int32_t key) const {
    if (key < 0 || static_cast<size_t>(key) >= label_columns_.size()) return -1;
    const auto& column = label_columns_[static_cast<size_t>(key)];
    return column.empty() ? -1 : column[static_cast<size_t>(node)];
  }

  std::vector<int32_t> names;                      // string id per node
  std::vector<std::vector<int64_t>> allocatable;   // [resource][node]
  std::vector<std::vector<int64_t>> requested;     // [resource][node]
  std::array<std::vector<int64_t>, 2> nonzero;     // cpu, memory with scoring defaults
  std::vector<int64_t> allowed_pods, pod_count;
  std::vector<uint8_t> unschedulable;
  std::vector<std::vector<NodeTaint>> taints;
  std::vector<std::vector<UsedPort>> ports;
  std::vector<std::pair<int32_t, int32_t>> taint_table;  // (key, value) per taint id
  std::vector<std::vector<std::pair<int32_t, int64_t>>> images;  // (name id, size) per node
  std::map<int32_t, int32_t> image_nodes;                      // nodes holding each image name
  // The size ImageLocality uses for an image name: upstream's cache records the size the
  // first node it learns of reports, and its informers list nodes by name; so the size
  // reported by the holder whose name sorts first. Per name id: (that node's name id, size).
  std::map<int32_t, std::pair<int32_t, int64_t>> image_size;
  VolumeState volumes;  // PVs, claims and what placements bound (volumes.hpp)
  std::vector<std::vector<int32_t>> node_pods;                 // class ids of the pods per node

  // GPU sharing (gpu.hpp): free milli per GPU of each node (allocatable kubesched.io/gpu
  // GPUs), the GPU pods on it, and the workload's typical pods for FGD.
  struct GpuHolder {
    int32_t class_id;
    uint64_t mask;
    int32_t milli;
    int32_t tag;  // 0: shares one GPU, k: k whole GPUs
  };
  std::vector<std::vector<int32_t>> gpu_free;
  std::vector<std::vector<GpuHolder>> gpu_pods;
  GpuWorkload gpu_workload;
  int32_t gpu_resource = -1;   // column of kubesched.io/gpu, -1 until some node or pod has it
  int32_t gpu_model_key = -1;  // string id of the kubesched.io/gpu-model label key

  // Bumped when anything a filter or score may read changes outside add_pod/remove_pod.
  uint64_t generation = 0;

 private:
  std::vector<int32_t> resource_names_;
  std::vector<std::vector<int32_t>> label_columns_;  // [key][node] -> value id or -1
  std::map<std::pair<int32_t, int32_t>, int32_t> taint_ids_;
  std::map<int32_t, int32_t> node_by_name_;
};

}  // namespace kubesched
