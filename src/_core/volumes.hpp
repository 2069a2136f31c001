// The four volume filters (VolumeRestrictions, NodeVolumeLimits, VolumeBinding, VolumeZone)
// and VolumeBinding's score, over a table of PersistentVolumes and the claims of each pod
// class. What depends on objects only (a PV's nodes, a claim's candidate PVs, where a class
// may be provisioned, zone verdicts) is compiled once in Python; what placements change is
// kept here: which PV each claim took, the selected node of provisioned claims, the pods
// using each claim, the CSI volumes and in-tree disks on each node.
//
// PV ids follow upstream's matcher preference: smaller capacity first (then name), so that
// "the smallest fitting PV" is the lowest id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "profile.hpp"

namespace kubesched {

// Payloads of kReasonVolume.
enum VolumeReason : int32_t {
  kVolumeDiskConflict = 1,      // node(s) had no available disk
  kVolumeReadWriteOncePod = 2,  // ... PersistentVolumeClaim with ReadWriteOncePod access mode already in-use ...
  kVolumeMaxCount = 3,          // node(s) exceed max volume count
  kVolumeNodeConflict = 4,      // node(s) didn't match PersistentVolume's node affinity
  kVolumeBindConflict = 5,      // node(s) didn't find available persistent volumes to bind
  kVolumeNotEnoughSpace = 6,    // node(s) did not have enough free storage
  kVolumePvNotExist = 7,        // node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)
  kVolumeZoneConflict = 8,      // node(s) had no available volume zone
};

// The PVs a delayed claim may bind (class, modes, size, selector, phase all fit), by node.
struct CandidateSet {
  std::vector<int32_t> any_node;  // PVs without node affinity, ascending
  std::vector<int32_t> offsets;   // CSR over nodes into by_node
  std::vector<int32_t> by_node;   // ascending within a node
  std::vector<uint8_t> marked;    // per PV: in the set (to place the PVs of nodes added later)
};

struct DelayedClaim {
  // Global claim id; -1: a claim of the pod's own that nothing else refers to (unbound, no
  // selected node, no PV naming it, one user), so that a StatefulSet's replicas, each with its
  // own claim asking the same, share one class. Its bindings say -(its index in `delayed` + 1).
  int32_t claim = -1;
  int32_t candidates = -1;  // CandidateSet id, -1: none
  int64_t request = 0;
  int32_t storage_class = -1;  // the claim's class, for scoring provisions
  bool provisioner = false;    // the class names a provisioner (not kubernetes.io/no-provisioner)
  int32_t topology = -1;       // node mask id: allowedTopologies (-1: every node)
  int32_t capacity = -1;       // node mask id: enough CSIStorageCapacity (-1: every node)
  int32_t node_capacity = -1;  // per node capacity id (the matching CSIStorageCapacity's capacity)
};

struct Disk {
  int32_t kind = 0;  // 1 gce, 2 aws, 3 iscsi, 4 rbd
  int32_t id = -1;   // interned identity (pd name, volume id, iqn, pool/image)
  bool read_only = false;
  std::vector<int32_t> monitors;  // rbd only, sorted
};

struct VolumeClass {
  // Which plugins' PreFilter let the pod through to Filter (the others skipped it).
  bool restrictions = false, limits = false, binding = false, zone = false;
  std::vector<int32_t> bound_pvs;  // PVs of the fully bound claims; -1: the PV does not exist
  std::vector<DelayedClaim> delayed;  // unbound WaitForFirstConsumer claims, in volume order
  std::vector<int32_t> claims;        // every persistentVolumeClaim volume's claim (RWOP users)
  std::vector<int32_t> rwop_claims;   // those with ReadWriteOncePod
  std::vector<Disk> disks;
  std::vector<std::pair<int32_t, int32_t>> attachable;  // (driver, unique volume), unique
  std::vector<int32_t> own_attachable;  // drivers of the pod's own claims' volumes (each new on any node)
  // Per entry of `attachable` / `own_attachable`: an in-tree volume counted under its CSI
  // driver, which upstream counts only on a node with a CSINode.
  std::vector<uint8_t> attachable_in_tree, own_in_tree;
  int32_t zone_mask = -1;  // node mask id of VolumeZone's verdict (-1: every node)
};

struct VolumeBinding {  // one claim's outcome in a placement
  int32_t claim = -1;  // global id, or -(index in the class's `delayed` + 1) for the pod's own
  int32_t pv = -1;  // -1: provisioned on the node
};

struct VolumeState {
  // PersistentVolumes.
  std::vector<std::vector<int32_t>> pv_nodes;  // sorted node ids; unused when pv_any
  std::vector<uint8_t> pv_any;
  std::vector<int64_t> pv_capacity;
  std::vector<int32_t> pv_class;
  std::vector<uint8_t> pv_taken;
  std::vector<CandidateSet> candidate_sets;
  std::vector<std::vector<uint8_t>> node_masks;
  std::vector<std::vector<int64_t>> node_capacities;  // per node, -1: none
  // Claims (global ids): the PV bound to the claim (a claimRef naming it, or assumed here),
  // the node a provisioning claim selected (-1: none, -2: a node not in the snapshot).
  std::vector<int32_t> claim_pv, claim_node, claim_users;
  std::vector<int32_t> claim_pv_initial, claim_node_initial;  // as the input had them
  // Per claim, the placed pods whose placement bound it: a pod that leaves gives the claim
  // back to the input's state only when it was the last of them (the others still hold it).
  std::vector<int32_t> claim_binders;
  std::vector<uint8_t> claim_shared;  // delayed in more than one class: binding it changes every node
  std::vector<uint8_t> claim_rwop;    // ReadWriteOncePod: a new user changes every node
  // VolumeRestrictions' AddPod/RemovePod match the pod's claims by name only (any
  // namespace): per claim its interned name; per name, the references the pods a what-if
  // moved add (joined) or take away (left).
  std::vector<int32_t> claim_name;
  std::unordered_map<int32_t, int32_t> moved_references;
  // CSI: per node the drivers' limits (CSINode allocatable.count) and installed drivers.
  std::vector<std::unordered_map<int32_t, int64_t>> limits;
  std::vector<std::vector<int32_t>> installed;
  std::vector<uint8_t> has_csi_node;  // per node: a CSINode exists
  std::vector<uint8_t> driver_required;  // CSIDriver preventPodSchedulingIfMissing, per driver id
  std::vector<int32_t> volume_driver;    // per unique volume id
  std::vector<std::unordered_map<int32_t, int32_t>> attached;  // per node: unique volume -> pods
  // Per node: the unique volumes VolumeAttachments attach (counted, whether or not a pod uses them).
  std::vector<std::unordered_set<int32_t>> va_volumes;
  // Per node: driver -> volumes attached (used by the node's pods or attached by a VolumeAttachment).
  std::vector<std::unordered_map<int32_t, int32_t>> driver_count;
  std::vector<std::vector<int32_t>> disk_pods;  // per node: volume classes of pods with disks
  std::vector<VolumeClass> classes;
  // What each placement bound, in order, for the caller to read (and clear).
  std::vector<std::vector<VolumeBinding>> placements;
  // Whether placing a pod binds its delayed claims: no for the pods already bound to nodes
  // (the scheduler never bound their claims; they are the cluster's state).
  bool bind_claims = true;

  void resize_nodes(int32_t count);
  // A candidate set of the PVs marked (one flag per PV), by node; returns its id.
  int32_t add_candidates(const std::vector<uint8_t>& marked, int32_t node_count);
  // A node added after the table was made (a planned node): the PVs its labels match
  // (ascending), its value in every node mask and capacity column.
  void node_joined(int32_t node, const std::vector<int32_t>& pvs, const std::vector<uint8_t>& masks,
                   const std::vector<int64_t>& capacities);
  void set_limit(int32_t node, int32_t driver, int64_t count) { limits[static_cast<size_t>(node)][driver] = count; }
  // A VolumeAttachment's volume on a node (before any pod is placed); once per unique volume.
  void add_attachment(int32_t node, int32_t driver, int32_t volume);
  bool pv_on(int32_t pv, int32_t node) const;
  // A node added after the mask was made (a planned node) is outside it: not eligible.
  bool mask(int32_t id, int32_t node) const {
    if (id < 0) return true;
    const auto& m = node_masks[static_cast<size_t>(id)];
    return static_cast<size_t>(node) < m.size() && m[static_cast<size_t>(node)];
  }

  // Filters: true when the node passes; else `reason` (a kReasonVolume payload, or for a
  // missing CSI driver the driver id as a negative number minus one).
  bool restrictions_pass(int32_t volume_class, int32_t node, int32_t& reason) const;
  bool limits_pass(int32_t volume_class, int32_t node, int32_t& reason) const;
  bool binding_pass(int32_t volume_class, int32_t node, std::vector<int32_t>* reasons) const;
  bool zone_pass(int32_t volume_class, int32_t node) const { return mask(classes[static_cast<size_t>(volume_class)].zone_mask, node); }
  int64_t binding_score(int32_t volume_class, int32_t node, const std::vector<ShapePoint>& shape) const;

  // A pod of the class lands on the node: binds its delayed claims (returns the nodes whose
  // verdicts may change besides this one) / leaves it, giving back what it bound there.
  std::vector<int32_t> place(int32_t volume_class, int32_t node, bool decide);
  std::vector<int32_t> remove(int32_t volume_class, int32_t node);
  // What a pod of the class uses on its node, read by VolumeRestrictions and NodeVolumeLimits
  // (its claims' users, attached CSI volumes, in-tree disks): `sign` +1 it arrives, -1 it
  // leaves. Its bindings stay (a preemption's what-if evicts pods, not their claims' PVs);
  // in a what-if its claims count in `moved_references`, not as users. True when a
  // ReadWriteOncePod claim got its first or lost its last user: every node changes.
  bool use(int32_t volume_class, int32_t node, int32_t sign, bool what_if = false);

 private:
  struct Outcome {
    bool node_conflict = false, bind_conflict = false, not_enough_space = false, pv_missing = false;
    std::vector<VolumeBinding> bindings;
  };
  Outcome find(const VolumeClass& vc, int32_t node) const;
  int32_t match(const DelayedClaim& claim, int32_t node, const std::vector<VolumeBinding>& chosen) const;
  std::unordered_map<int64_t, std::vector<std::vector<VolumeBinding>>> bound_here_;
};

}  // namespace kubesched
