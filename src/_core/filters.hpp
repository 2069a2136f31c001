// The filter plugins: does a pod class fit a node? Each returns true when the node passes;
// when it does not and `reasons` is given, the upstream reasons are appended.
#pragma once

#include <cstdint>
#include <vector>

#include "pod_class.hpp"
#include "profile.hpp"
#include "snapshot.hpp"

namespace kubesched {

using Reasons = std::vector<int32_t>;

bool tolerates(const Toleration& toleration, const NodeTaint& taint);
bool node_term_matches(const Snapshot& snapshot, const NodeTerm& term, int32_t node);

// The pod's own nodeSelector and required node affinity (no profile-enforced terms).
bool pod_node_affinity_matches(const Snapshot& s, const PodClass& pod, int32_t node);

bool node_unschedulable_passes(const Snapshot& s, const PodClass& pod, int32_t node, Reasons* reasons);
bool node_name_passes(const Snapshot& s, const PodClass& pod, int32_t node, Reasons* reasons);
bool taint_toleration_passes(const Snapshot& s, const PodClass& pod, int32_t node, Reasons* reasons);
bool node_affinity_passes(const Snapshot& s, const PodClass& pod, int32_t node, Reasons* reasons);
bool node_ports_pass(const Snapshot& s, const PodClass& pod, int32_t node, Reasons* reasons);
bool resources_fit(const Snapshot& s, const PodClass& pod, int32_t node, Reasons* reasons);

// Runs the profile's node-local filters (up to NodeResourcesFit) in upstream order; returns
// the first that rejects, or -1. The inter-pod filters follow in interpod.hpp.
// Whether the node is in the pod's PreFilter node set (every node when it has none).
bool prefilter_allows(const Snapshot& s, const PodClass& pod, int32_t node);

// The volume filters in upstream order (VolumeRestrictions, NodeVolumeLimits, VolumeBinding,
// VolumeZone) for a pod class with volumes; the first that rejects, or -1.
int32_t first_failing_volume_filter(const Snapshot& s, const Profile& profile, const PodClass& pod, int32_t node,
                                    Reasons* reasons);

int32_t first_failing_filter(const Snapshot& s, const Profile& profile, const PodClass& pod,
                             int32_t node, Reasons* reasons);

}  // namespace kubesched
