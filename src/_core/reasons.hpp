// Why a filter rejected a node, packed in one int: a kind and a payload (a resource or taint id).
#pragma once

#include <cstdint>

namespace kubesched {

enum ReasonKind : int32_t {
  kReasonUnschedulable = 1,   // node(s) were unschedulable
  kReasonNodeName = 2,        // node(s) didn't match the requested node name
  kReasonTaint = 3,           // node(s) had untolerated taint(s)
  kReasonNodeAffinity = 4,    // node(s) didn't match Pod's node affinity/selector
  kReasonPorts = 5,           // node(s) didn't have free ports for the requested pod ports
  kReasonTooManyPods = 6,     // Too many pods
  kReasonInsufficient = 7,    // Insufficient <resource>; payload: resource index
  kReasonSpreadMissingLabel = 8,  // node(s) didn't match pod topology spread constraints (missing required label)
  kReasonSpread = 9,              // node(s) didn't match pod topology spread constraints
  kReasonAffinity = 10,           // node(s) didn't match pod affinity rules
  kReasonAntiAffinity = 11,       // node(s) didn't match pod anti-affinity rules
  kReasonExistingAnti = 12,       // node(s) didn't satisfy existing pods anti-affinity rules
  kReasonEnforcedAffinity = 13,   // node(s) didn't match scheduler-enforced node affinity
  // Outside a PreFilter plugin's node set: node(s) didn't satisfy plugin(s) [..]; payload:
  // the plugins, as bits of kPreFilterNodeName / kPreFilterNodeAffinity.
  kReasonPreFilterNodes = 14,
  // A PreFilter plugin rejected the pod before any node was looked at; payload: which
  // message (1: pod affinity terms conflict). Upstream's message carries no node count.
  kReasonPreFilterRejected = 15,
  kReasonDynamicResources = 16,  // payload: a DraVerdict (dra.hpp)
  kReasonVolume = 17,             // a volume filter's reason; payload: VolumeReason (volumes.hpp)
  kReasonCsiDriverMissing = 18,   // <driver> CSI driver is not installed on the node; payload: driver id
  kReasonKindCount
};

// The fixed upstream text of each kind, indexed by ReasonKind; "" where the text depends on
// the payload (the binding words those from its own tables).
inline constexpr const char* kReasonText[kReasonKindCount] = {
    "",
    "node(s) were unschedulable",
    "node(s) didn't match the requested node name",
    "node(s) had untolerated taint(s)",
    "node(s) didn't match Pod's node affinity/selector",
    "node(s) didn't have free ports for the requested pod ports",
    "Too many pods",
    "",  // Insufficient <resource>
    "node(s) didn't match pod topology spread constraints (missing required label)",
    "node(s) didn't match pod topology spread constraints",
    "node(s) didn't match pod affinity rules",
    "node(s) didn't match pod anti-affinity rules",
    "node(s) didn't satisfy existing pods anti-affinity rules",
    "node(s) didn't match scheduler-enforced node affinity",
    "", "", "", "", "",  // PreFilter nodes and rejections, DRA, volumes, CSI driver
};
inline const char* reason_text(int kind) { return kReasonText[kind]; }

enum PreFilterPlugin : int32_t { kPreFilterNodeName = 1, kPreFilterNodeAffinity = 2 };

inline int32_t make_reason(ReasonKind kind, int32_t payload = 0) {
  return (static_cast<int32_t>(kind) << 24) | (payload & 0xFFFFFF);
}

}  // namespace kubesched
