#include "snapshot.hpp"

#include <stdexcept>

namespace kubesched {

Snapshot::Snapshot() {
  strings.intern("");  // so that empty values and these names always have ids
  strings.intern("0.0.0.0");
  strings.intern("node.kubernetes.io/unschedulable");
  resource("cpu");
  resource("memory");
  resource("ephemeral-storage");
}

int32_t Snapshot::resource(std::string_view name) {
  int32_t found = find_resource(name);
  if (found >= 0) return found;
  resource_names_.push_back(strings.intern(name));
  allocatable.emplace_back(names.size(), 0);
  requested.emplace_back(names.size(), 0);
  if (name == kGpuResourceName) gpu_resource = resource_count() - 1;
  return resource_count() - 1;
}

int32_t Snapshot::find_resource(std::string_view name) const {
  int32_t id = strings.find(name);
  for (int32_t r = 0; r < resource_count(); ++r)
    if (resource_names_[r] == id) return r;
  return -1;
}

int32_t Snapshot::add_node(std::string_view name) {
  int32_t name_id = strings.intern(name);
  if (node_by_name_.count(name_id)) throw std::invalid_argument("duplicate node name: " + std::string(name));
  auto node = node_count();
  node_by_name_[name_id] = node;
  names.push_back(name_id);
  for (auto& column : allocatable) column.push_back(0);
  for (auto& column : requested) column.push_back(0);
  for (auto& column : nonzero) column.push_back(0);
  allowed_pods.push_back(0);
  pod_count.push_back(0);
  unschedulable.push_back(0);
  taints.emplace_back();
  ports.emplace_back();
  images.emplace_back();
  node_pods.emplace_back();
  gpu_free.emplace_back();
  gpu_pods.emplace_back();
  for (auto& column : label_columns_)
    if (!column.empty()) column.push_back(-1);
  ++generation;
  return node;
}

int32_t Snapshot::find_node(int32_t name_id) const {
  auto found = node_by_name_.find(name_id);
  return found == node_by_name_.end() ? -1 : found->second;
}

void Snapshot::set_label(int32_t node, std::string_view key, std::string_view value) {
  auto key_id = static_cast<size_t>(strings.intern(key));
  int32_t value_id = strings.intern(value);
  if (key == kGpuModelLabel) gpu_model_key = static_cast<int32_t>(key_id);
  if (label_columns_.size() <= key_id) label_columns_.resize(key_id + 1);
  auto& column = label_columns_[key_id];
  if (column.empty()) column.assign(names.size(), -1);
  column[static_cast<size_t>(node)] = value_id;
  ++generation;
}

void Snapshot::clear_labels(int32_t node) {
  for (auto& column : label_columns_)
    if (!column.empty()) column[static_cast<size_t>(node)] = -1;
  ++generation;
}

void Snapshot::set_allocatable(int32_t node, int32_t resource, int64_t amount) {
  allocatable[static_cast<size_t>(resource)][static_cast<size_t>(node)] = amount;
  if (resource == gpu_resource) {
    if (amount < 0 || amount > kMaxGpusPerNode)
      throw std::invalid_argument("a node may have 0 to 64 GPUs (kubesched.io/gpu)");
    gpu_free[static_cast<size_t>(node)].resize(static_cast<size_t>(amount), kMilliPerGpu);
  }
  ++generation;
}

void Snapshot::add_taint(int32_t node, std::string_view key, std::string_view value, uint8_t effect) {
  NodeTaint taint;
  taint.key = strings.intern(key);
  taint.value = strings.intern(value);
  taint.effect = effect;
  auto [it, inserted] = taint_ids_.try_emplace({taint.key, taint.value}, static_cast<int32_t>(taint_table.size()));
  if (inserted) taint_table.emplace_back(taint.key, taint.value);
  taint.id = it->second;
  taints[static_cast<size_t>(node)].push_back(taint);
  ++generation;
}

void Snapshot::clear_taints(int32_t node) {
  taints[static_cast<size_t>(node)].clear();
  ++generation;
}

void Snapshot::add_image(int32_t node, std::string_view name, int64_t size) {
  const int32_t id = strings.intern(name);
  auto& held = images[static_cast<size_t>(node)];
  for (const auto& [image, _] : held)
    if (image == id) return;
  held.emplace_back(id, size);
  ++image_nodes[id];
  const int32_t holder = names[static_cast<size_t>(node)];
  auto [found, inserted] = image_size.try_emplace(id, holder, size);
  if (!inserted && strings.text(holder) < strings.text(found->second.first)) found->second = {holder, size};
  ++generation;
}

// Each image the node held loses a holder; an image whose size was this node's takes the
// size of the remaining holder whose name sorts first, as if the node had never reported it.
void Snapshot::clear_images(int32_t node) {
  const int32_t me = names[static_cast<size_t>(node)];
  auto& held = images[static_cast<size_t>(node)];
  for (const auto& [id, _] : held) {
    if (--image_nodes[id] == 0) {
      image_nodes.erase(id);
      image_size.erase(id);
      continue;
    }
    auto& size = image_size[id];
    if (size.first != me) continue;
    bool found = false;
    for (int32_t n = 0; n < node_count(); ++n) {
      if (n == node) continue;
      const int32_t holder = names[static_cast<size_t>(n)];
      if (found && !(strings.text(holder) < strings.text(size.first))) continue;
      for (const auto& [image, bytes] : images[static_cast<size_t>(n)]) {
        if (image != id) continue;
        size = {holder, bytes};
        found = true;
        break;
      }
    }
  }
  held.clear();
  ++generation;
}

void Snapshot::add_pod(const PodClass& pod, int32_t node) {
  auto n = static_cast<size_t>(node);
  for (const auto& r : pod.requests) requested[static_cast<size_t>(r.resource)][n] += r.amount;
  nonzero[0][n] += pod.nonzero_cpu;
  nonzero[1][n] += pod.nonzero_memory;
  pod_count[n] += 1;
  for (const auto& port : pod.ports) {
    bool counted = false;
    for (auto& used : ports[n]) {
      if (used.ip == port.ip && used.protocol == port.protocol && used.port == port.port) {
        ++used.users;
        counted = true;
        break;
      }
    }
    if (!counted) ports[n].push_back({port.ip, port.protocol, port.port, 1});
  }
}

void Snapshot::remove_pod(const PodClass& pod, int32_t node) {
  auto n = static_cast<size_t>(node);
  for (const auto& r : pod.requests) requested[static_cast<size_t>(r.resource)][n] -= r.amount;
  nonzero[0][n] -= pod.nonzero_cpu;
  nonzero[1][n] -= pod.nonzero_memory;
  pod_count[n] -= 1;
  auto& used_ports = ports[n];
  for (const auto& port : pod.ports) {
    for (size_t i = 0; i < used_ports.size(); ++i) {
      auto& used = used_ports[i];
      if (used.ip == port.ip && used.protocol == port.protocol && used.port == port.port) {
        if (--used.users == 0) used_ports.erase(used_ports.begin() + static_cast<long>(i));
        break;
      }
    }
  }
}

void Snapshot::take_gpus(int32_t node, int32_t class_id, const PodClass& pod, uint64_t mask) {
  auto& free = gpu_free[static_cast<size_t>(node)];
  for (size_t g = 0; g < free.size(); ++g)
    if (mask >> g & 1) free[g] -= pod.gpu_milli;
  gpu_pods[static_cast<size_t>(node)].push_back({class_id, mask, pod.gpu_milli, is_gpu_share(pod) ? 0 : pod.gpu_count});
}

uint64_t Snapshot::release_gpus(int32_t node, int32_t class_id, uint64_t mask, bool exact) {
  auto& holders = gpu_pods[static_cast<size_t>(node)];
  for (size_t i = holders.size(); i-- > 0;) {
    if (holders[i].class_id != class_id || (exact && holders[i].mask != mask)) continue;
    const GpuHolder holder = holders[i];
    holders.erase(holders.begin() + static_cast<long>(i));
    auto& free = gpu_free[static_cast<size_t>(node)];
    for (size_t g = 0; g < free.size(); ++g)
      if (holder.mask >> g & 1) free[g] += holder.milli;
    return holder.mask;
  }
  return 0;
}

}  // namespace kubesched
