#include "volumes.hpp"

#include <algorithm>
#include <cmath>

#include "filters.hpp"
#include "reasons.hpp"
#include "scores.hpp"
#include "snapshot.hpp"

namespace kubesched {

namespace {

int64_t key_of(int32_t volume_class, int32_t node) {
  return (static_cast<int64_t>(volume_class) << 32) | static_cast<uint32_t>(node);
}

bool contains(const std::vector<int32_t>& sorted, int32_t value) {
  return std::binary_search(sorted.begin(), sorted.end(), value);
}

bool chosen_already(const std::vector<VolumeBinding>& chosen, int32_t pv) {
  return std::any_of(chosen.begin(), chosen.end(), [&](const VolumeBinding& b) { return b.pv == pv; });
}

// The claim a binding names: its global id, or for a pod's own claim its place in the class.
int32_t binding_claim(const VolumeClass& vc, const DelayedClaim& claim) {
  return claim.claim >= 0 ? claim.claim : -static_cast<int32_t>(&claim - vc.delayed.data()) - 1;
}

bool disks_conflict(const Disk& a, const Disk& b) {
  if (a.kind != b.kind || a.id != b.id) return false;
  if (a.kind == 2) return true;  // an EBS volume attaches to one node, read-only or not
  if (a.kind == 4) {
    bool overlap = false;
    for (int32_t m : a.monitors) overlap = overlap || contains(b.monitors, m);
    if (!overlap) return false;
  }
  return !(a.read_only && b.read_only);
}

}  // namespace

void VolumeState::resize_nodes(int32_t count) {
  const auto n = static_cast<size_t>(count);
  limits.resize(n);
  installed.resize(n);
  has_csi_node.resize(n, 0);
  va_volumes.resize(n);
  attached.resize(n);
  driver_count.resize(n);
  disk_pods.resize(n);
}

int32_t VolumeState::add_candidates(const std::vector<uint8_t>& marked, int32_t node_count) {
  CandidateSet set;
  std::vector<int32_t> per_node(static_cast<size_t>(node_count) + 1, 0);
  for (size_t pv = 0; pv < marked.size(); ++pv) {
    if (!marked[pv]) continue;
    if (pv_any[pv]) set.any_node.push_back(static_cast<int32_t>(pv));
    else
      for (int32_t n : pv_nodes[pv]) ++per_node[static_cast<size_t>(n) + 1];
  }
  if (std::any_of(per_node.begin(), per_node.end(), [](int32_t c) { return c > 0; })) {
    for (size_t n = 1; n < per_node.size(); ++n) per_node[n] += per_node[n - 1];
    set.offsets = per_node;
    set.by_node.resize(static_cast<size_t>(per_node.back()));
    for (size_t pv = 0; pv < marked.size(); ++pv)  // ascending ids within each node
      if (marked[pv] && !pv_any[pv])
        for (int32_t n : pv_nodes[pv]) set.by_node[static_cast<size_t>(per_node[static_cast<size_t>(n)]++)] = static_cast<int32_t>(pv);
  }
  set.marked = marked;
  candidate_sets.push_back(std::move(set));
  return static_cast<int32_t>(candidate_sets.size()) - 1;
}

void VolumeState::node_joined(int32_t node, const std::vector<int32_t>& pvs, const std::vector<uint8_t>& masks,
                              const std::vector<int64_t>& capacities) {
  const auto n = static_cast<size_t>(node);
  for (int32_t pv : pvs) pv_nodes[static_cast<size_t>(pv)].push_back(node);  // the largest id: still sorted
  for (size_t i = 0; i < node_masks.size() && i < masks.size(); ++i) {
    node_masks[i].resize(n, 0);
    node_masks[i].push_back(masks[i]);
  }
  for (size_t i = 0; i < node_capacities.size() && i < capacities.size(); ++i) {
    node_capacities[i].resize(n, -1);
    node_capacities[i].push_back(capacities[i]);
  }
  for (CandidateSet& set : candidate_sets) {
    std::vector<int32_t> here;
    for (int32_t pv : pvs)
      if (static_cast<size_t>(pv) < set.marked.size() && set.marked[static_cast<size_t>(pv)]) here.push_back(pv);
    if (here.empty() && set.offsets.empty()) continue;  // still no PV of the set is on a node
    if (set.offsets.empty()) set.offsets.assign(n + 1, 0);
    set.offsets.resize(n + 1, set.offsets.back());
    set.by_node.insert(set.by_node.end(), here.begin(), here.end());
    set.offsets.push_back(static_cast<int32_t>(set.by_node.size()));
  }
}

bool VolumeState::pv_on(int32_t pv, int32_t node) const {
  const auto p = static_cast<size_t>(pv);
  return pv_any[p] || contains(pv_nodes[p], node);
}

bool VolumeState::restrictions_pass(int32_t volume_class, int32_t node, int32_t& reason) const {
  const VolumeClass& vc = classes[static_cast<size_t>(volume_class)];
  for (const Disk& disk : vc.disks)
    for (int32_t other : disk_pods[static_cast<size_t>(node)])
      for (const Disk& existing : classes[static_cast<size_t>(other)].disks)
        if (disks_conflict(disk, existing)) {
          reason = kVolumeDiskConflict;
          return false;
        }
  // Upstream's conflictingPVCRefCount: PreFilter counts each of the pod's ReadWriteOncePod
  // claims in use once (however many pods use it); the pods a what-if moved add their
  // references by name. (rwop_claims are distinct claims of one namespace: distinct names.)
  int64_t conflicting = 0;
  for (int32_t claim : vc.rwop_claims) {
    conflicting += claim_users[static_cast<size_t>(claim)] > 0 ? 1 : 0;
    if (moved_references.empty()) continue;
    auto moved = moved_references.find(claim_name[static_cast<size_t>(claim)]);
    if (moved != moved_references.end()) conflicting += moved->second;
  }
  if (conflicting > 0) {
    reason = kVolumeReadWriteOncePod;
    return false;
  }
  return true;
}

void VolumeState::add_attachment(int32_t node, int32_t driver, int32_t volume) {
  const auto n = static_cast<size_t>(node);
  if (va_volumes[n].insert(volume).second) ++driver_count[n][driver];
}

bool VolumeState::limits_pass(int32_t volume_class, int32_t node, int32_t& reason) const {
  const VolumeClass& vc = classes[static_cast<size_t>(volume_class)];
  if (vc.attachable.empty() && vc.own_attachable.empty()) return true;
  const auto n = static_cast<size_t>(node);
  const bool csi_node = has_csi_node[n] != 0;
  // Without a CSINode upstream counts no in-tree volume, so only the CSI ones are checked.
  auto missing = [&](int32_t driver, uint8_t in_tree) {
    const auto d = static_cast<size_t>(driver);
    return (csi_node || !in_tree) && d < driver_required.size() && driver_required[d] &&
           !contains(installed[n], driver);
  };
  for (size_t i = 0; i < vc.attachable.size(); ++i)
    if (missing(vc.attachable[i].first, vc.attachable_in_tree[i])) {
      reason = -vc.attachable[i].first - 1;
      return false;
    }
  for (size_t i = 0; i < vc.own_attachable.size(); ++i)
    if (missing(vc.own_attachable[i], vc.own_in_tree[i])) {
      reason = -vc.own_attachable[i] - 1;
      return false;
    }
  if (limits[n].empty()) return true;
  std::unordered_map<int32_t, int64_t> added;
  for (const auto& [driver, volume] : vc.attachable)
    if (!attached[n].count(volume)) ++added[driver];
  for (int32_t driver : vc.own_attachable) ++added[driver];
  for (const auto& [driver, count] : added) {
    auto limit = limits[n].find(driver);
    if (limit == limits[n].end()) continue;
    auto current = driver_count[n].find(driver);
    const int64_t used = current == driver_count[n].end() ? 0 : current->second;
    if (used + count > limit->second) {
      reason = kVolumeMaxCount;
      return false;
    }
  }
  return true;
}

int32_t VolumeState::match(const DelayedClaim& claim, int32_t node, const std::vector<VolumeBinding>& chosen) const {
  const int32_t bound = claim.claim < 0 ? -1 : claim_pv[static_cast<size_t>(claim.claim)];
  if (bound >= 0 && !chosen_already(chosen, bound)) return pv_on(bound, node) ? bound : -1;
  if (claim.candidates < 0) return -1;
  const CandidateSet& set = candidate_sets[static_cast<size_t>(claim.candidates)];
  auto usable = [&](int32_t pv) { return !pv_taken[static_cast<size_t>(pv)] && !chosen_already(chosen, pv); };
  int32_t best = -1;
  for (int32_t pv : set.any_node)
    if (usable(pv)) {
      best = pv;
      break;
    }
  if (static_cast<size_t>(node) + 1 < set.offsets.size()) {  // nodes added later have no local PVs here
    const auto n = static_cast<size_t>(node);
    for (int32_t i = set.offsets[n]; i < set.offsets[n + 1]; ++i) {
      const int32_t pv = set.by_node[static_cast<size_t>(i)];
      if (best >= 0 && pv > best) break;
      if (usable(pv)) {
        best = pv;
        break;
      }
    }
  }
  return best;
}

VolumeState::Outcome VolumeState::find(const VolumeClass& vc, int32_t node) const {
  Outcome out;
  for (int32_t pv : vc.bound_pvs) {
    if (pv < 0) {
      out.pv_missing = true;
      break;
    }
    if (!pv_on(pv, node)) {
      out.node_conflict = true;
      break;
    }
  }
  if (vc.delayed.empty()) return out;
  std::vector<const DelayedClaim*> to_match, to_provision;
  for (const DelayedClaim& claim : vc.delayed) {
    const int32_t selected = claim.claim < 0 ? -1 : claim_node[static_cast<size_t>(claim.claim)];
    if (selected != -1) {
      if (selected != node) {
        out.bind_conflict = true;
        return out;
      }
      to_provision.push_back(&claim);
    } else {
      to_match.push_back(&claim);
    }
  }
  std::stable_sort(to_match.begin(), to_match.end(),
                   [](const DelayedClaim* a, const DelayedClaim* b) { return a->request < b->request; });
  bool matched = true;
  for (const DelayedClaim* claim : to_match) {
    const int32_t pv = match(*claim, node, out.bindings);
    if (pv < 0) {
      to_provision.push_back(claim);
      matched = false;
    } else {
      out.bindings.push_back({binding_claim(vc, *claim), pv});
    }
  }
  out.bind_conflict = !matched;
  if (to_provision.empty()) return out;
  out.bind_conflict = false;
  for (const DelayedClaim* claim : to_provision) {
    if (!claim->provisioner || !mask(claim->topology, node)) {
      out.bind_conflict = true;
      return out;
    }
    if (!mask(claim->capacity, node)) {
      out.not_enough_space = true;
      return out;
    }
  }
  for (const DelayedClaim* claim : to_provision) out.bindings.push_back({binding_claim(vc, *claim), -1});
  return out;
}

bool VolumeState::binding_pass(int32_t volume_class, int32_t node, std::vector<int32_t>* reasons) const {
  const Outcome out = find(classes[static_cast<size_t>(volume_class)], node);
  const bool passes = !(out.node_conflict || out.bind_conflict || out.not_enough_space || out.pv_missing);
  if (!passes && reasons) {
    if (out.node_conflict) reasons->push_back(kVolumeNodeConflict);
    if (out.bind_conflict) reasons->push_back(kVolumeBindConflict);
    if (out.not_enough_space) reasons->push_back(kVolumeNotEnoughSpace);
    if (out.pv_missing) reasons->push_back(kVolumePvNotExist);
  }
  return passes;
}

int64_t VolumeState::binding_score(int32_t volume_class, int32_t node, const std::vector<ShapePoint>& shape) const {
  const VolumeClass& vc = classes[static_cast<size_t>(volume_class)];
  if (!vc.binding || vc.delayed.empty()) return 0;
  const Outcome out = find(vc, node);
  std::vector<std::pair<int32_t, std::pair<int64_t, int64_t>>> per_class;  // class -> (requested, capacity)
  auto entry = [&](int32_t storage_class) -> std::pair<int64_t, int64_t>& {
    for (auto& [c, values] : per_class)
      if (c == storage_class) return values;
    per_class.push_back({storage_class, {0, 0}});
    return per_class.back().second;
  };
  const bool static_bindings = std::any_of(out.bindings.begin(), out.bindings.end(),
                                           [](const VolumeBinding& b) { return b.pv >= 0; });
  for (const VolumeBinding& b : out.bindings) {
    const DelayedClaim* claim = nullptr;
    for (const DelayedClaim& d : vc.delayed)
      if (binding_claim(vc, d) == b.claim) claim = &d;
    if (static_bindings) {
      if (b.pv < 0) continue;
      auto& values = entry(pv_class[static_cast<size_t>(b.pv)]);
      values.first += claim->request;
      values.second += pv_capacity[static_cast<size_t>(b.pv)];
    } else {
      if (claim->node_capacity < 0) continue;
      const auto& capacities = node_capacities[static_cast<size_t>(claim->node_capacity)];
      if (static_cast<size_t>(node) >= capacities.size() || capacities[static_cast<size_t>(node)] < 0) continue;
      const int64_t capacity = capacities[static_cast<size_t>(node)];
      auto& values = entry(claim->storage_class);
      values.second = capacity;
      values.first += claim->request;
    }
  }
  if (per_class.empty()) return 0;
  int64_t total = 0;
  for (const auto& [c, values] : per_class) {
    const auto [requested, capacity] = values;
    const int64_t utilization = (capacity == 0 || requested > capacity) ? 100 : requested * 100 / capacity;
    total += broken_linear(shape, utilization);
  }
  return static_cast<int64_t>(std::llround(static_cast<double>(total) / static_cast<double>(per_class.size())));
}

std::vector<int32_t> VolumeState::place(int32_t volume_class, int32_t node, bool /*decide*/) {
  const VolumeClass& vc = classes[static_cast<size_t>(volume_class)];
  std::vector<int32_t> changed;
  bool all = false;
  std::vector<VolumeBinding> bindings;
  if (!vc.delayed.empty()) {
    if (bind_claims) bindings = find(vc, node).bindings;
    for (const VolumeBinding& b : bindings) {
      const bool own = b.claim < 0;  // nothing else reads the pod's own claim
      const auto c = static_cast<size_t>(own ? 0 : b.claim);
      if (!own) ++claim_binders[c];
      if (b.pv >= 0) {
        pv_taken[static_cast<size_t>(b.pv)] = 1;
        if (!own) claim_pv[c] = b.pv;
        if (pv_any[static_cast<size_t>(b.pv)]) all = true;
        else changed.insert(changed.end(), pv_nodes[static_cast<size_t>(b.pv)].begin(), pv_nodes[static_cast<size_t>(b.pv)].end());
      } else if (!own) {
        claim_node[c] = node;
      }
      if (!own && claim_shared[c]) all = true;
    }
    bound_here_[key_of(volume_class, node)].push_back(bindings);
    if (bind_claims) placements.push_back(bindings);
  }
  if (use(volume_class, node, 1)) all = true;
  if (all) return {-1};
  return changed;
}

std::vector<int32_t> VolumeState::remove(int32_t volume_class, int32_t node) {
  const VolumeClass& vc = classes[static_cast<size_t>(volume_class)];
  std::vector<int32_t> changed;
  bool all = false;
  auto stack = bound_here_.find(key_of(volume_class, node));
  if (stack != bound_here_.end() && !stack->second.empty()) {
    for (const VolumeBinding& b : stack->second.back()) {
      const bool own = b.claim < 0;
      const auto c = static_cast<size_t>(own ? 0 : b.claim);
      if (!own && --claim_binders[c] > 0) continue;  // another placed pod still holds it
      if (b.pv >= 0) {
        if (own || b.pv != claim_pv_initial[c]) pv_taken[static_cast<size_t>(b.pv)] = 0;
        if (!own) claim_pv[c] = claim_pv_initial[c];
        if (pv_any[static_cast<size_t>(b.pv)]) all = true;
        else changed.insert(changed.end(), pv_nodes[static_cast<size_t>(b.pv)].begin(), pv_nodes[static_cast<size_t>(b.pv)].end());
      } else if (!own) {
        claim_node[c] = claim_node_initial[c];
      }
      if (!own && claim_shared[c]) all = true;
    }
    stack->second.pop_back();
  }
  if (use(volume_class, node, -1)) all = true;
  if (all) return {-1};
  return changed;
}

bool VolumeState::use(int32_t volume_class, int32_t node, int32_t sign, bool what_if) {
  const VolumeClass& vc = classes[static_cast<size_t>(volume_class)];
  const auto n = static_cast<size_t>(node);
  bool all = false;
  for (int32_t claim : vc.claims) {
    if (what_if) {
      auto& references = moved_references[claim_name[static_cast<size_t>(claim)]];
      if ((references += sign) == 0) moved_references.erase(claim_name[static_cast<size_t>(claim)]);
      continue;
    }
    int32_t& users = claim_users[static_cast<size_t>(claim)];
    const bool first_or_last = sign > 0 ? users == 0 : users == 1;
    users += sign;
    if (first_or_last && claim_rwop[static_cast<size_t>(claim)]) all = true;
  }
  if (sign > 0) {  // a volume a VolumeAttachment holds is counted already (and stays counted)
    for (const auto& [driver, volume] : vc.attachable)
      if (attached[n][volume]++ == 0 && !va_volumes[n].count(volume)) ++driver_count[n][driver];
    for (int32_t driver : vc.own_attachable) ++driver_count[n][driver];
    if (!vc.disks.empty()) disk_pods[n].push_back(volume_class);
    return all;
  }
  for (const auto& [driver, volume] : vc.attachable) {
    auto found = attached[n].find(volume);
    if (found != attached[n].end() && --found->second == 0) {
      attached[n].erase(found);
      if (!va_volumes[n].count(volume) && --driver_count[n][driver] == 0) driver_count[n].erase(driver);
    }
  }
  for (int32_t driver : vc.own_attachable) {
    auto found = driver_count[n].find(driver);
    if (found != driver_count[n].end() && --found->second == 0) driver_count[n].erase(found);
  }
  if (!vc.disks.empty()) {
    auto& pods = disk_pods[n];
    auto found = std::find(pods.begin(), pods.end(), volume_class);
    if (found != pods.end()) pods.erase(found);
  }
  return all;
}

int32_t first_failing_volume_filter(const Snapshot& s, const Profile& profile, const PodClass& pod, int32_t node,
                                    Reasons* reasons) {
  const VolumeState& volumes = s.volumes;
  const VolumeClass& vc = volumes.classes[static_cast<size_t>(pod.volume_class)];
  int32_t reason = 0;
  auto fail = [&](int32_t filter, int32_t why) {
    if (reasons) {
      reasons->push_back(why < 0 ? make_reason(kReasonCsiDriverMissing, -why - 1) : make_reason(kReasonVolume, why));
    }
    return filter;
  };
  if (profile.filters[kVolumeRestrictionsFilter] && vc.restrictions && !volumes.restrictions_pass(pod.volume_class, node, reason))
    return fail(kVolumeRestrictionsFilter, reason);
  if (profile.filters[kNodeVolumeLimitsFilter] && vc.limits && !volumes.limits_pass(pod.volume_class, node, reason))
    return fail(kNodeVolumeLimitsFilter, reason);
  if (profile.filters[kVolumeBindingFilter] && vc.binding) {
    std::vector<int32_t> why;
    if (!volumes.binding_pass(pod.volume_class, node, reasons ? &why : nullptr)) {
      if (reasons)
        for (int32_t w : why) reasons->push_back(make_reason(kReasonVolume, w));
      return kVolumeBindingFilter;
    }
  }
  if (profile.filters[kVolumeZoneFilter] && vc.zone && !volumes.zone_pass(pod.volume_class, node))
    return fail(kVolumeZoneFilter, kVolumeZoneConflict);
  return -1;
}

}  // namespace kubesched
