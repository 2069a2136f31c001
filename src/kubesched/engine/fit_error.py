"""Upstream's FitError wording (v1.37's `FitError.Error()`), the message of a pod that fits no
node: `0/N nodes are available: ` and either the PreFilter rejection or the filters' reasons
counted over nodes, then what PostFilter says. On a cluster without nodes upstream's
schedulePod fails before any plugin runs (ErrNoNodesAvailable): the message is
NO_NODES_AVAILABLE and no PostFilter runs (ClusterSnapshot.post_filter_ends).

A PreFilter rejection also fixes the PostFilter part. Upstream's framework stops PreFilter at
the first UnschedulableAndUnresolvable plugin, and every PreFilter rejection of the plugins
kubesched runs is one (NodeAffinity's term conflict, the volume plugins' missing or unbound
claims), all of them before DynamicResources' PreFilter. So DynamicResources' cycle state is
never written, its PostFilter (which runs before DefaultPreemption) fails reading it, and that
error ends PostFilter: the message ends with ` not found` and has no `preemption:` part
(kube-scheduler v1.37.2: `0/1 nodes are available: persistentvolumeclaim "data" not found.
not found`). A profile without DynamicResources at postFilter goes on to DefaultPreemption."""

from __future__ import annotations

from kubesched.engine.texts import PREFILTER_REJECTIONS

# DynamicResources' PostFilter without its PreFilter's cycle state: the framework's error text
STATE_NOT_FOUND = "not found"
# kube-scheduler's ErrNoNodesAvailable, the whole message for a snapshot without nodes
NO_NODES_AVAILABLE = "no nodes available to schedule pods"


def prefilter_rejection(reasons) -> str | None:
    """The PreFilter message among these reason texts, if PreFilter rejected the pod."""
    return next((text for text in reasons if text in PREFILTER_REJECTIONS.values()), None)


def reason_counts(node_reasons: list[list[str]]) -> dict[str, int]:
    """How many nodes gave each reason text."""
    counts: dict[str, int] = {}
    for reasons in node_reasons:
        for reason in reasons:
            counts[reason] = counts.get(reason, 0) + 1
    return counts


def fit_error_message(node_count: int, reasons: dict[str, int], profile) -> str:
    """`0/N nodes are available: 2 Insufficient cpu, ...` for reason texts counted over
    nodes; a PreFilter rejection stands alone, without a count, and when the profile runs
    DynamicResources at postFilter it is followed by that plugin's error."""
    if node_count == 0:
        return NO_NODES_AVAILABLE
    message = f"0/{node_count} nodes are available:"
    rejection = prefilter_rejection(reasons)
    if rejection is not None:
        ended = f" {STATE_NOT_FOUND}" if profile.dra_post_filter else ""
        return f"{message} {rejection}.{ended}"
    parts = sorted(f"{count} {text}" for text, count in reasons.items())
    return message + (" " + ", ".join(parts) + "." if parts else "")
