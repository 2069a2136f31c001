"""NodeUnschedulable filter, ported from upstream's
nodeunschedulable/node_unschedulable_test.go (TestNodeUnschedulable)."""

import pytest

from .builders import evaluate, node, pod, toleration

REASON = "node(s) were unschedulable"
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"


@pytest.mark.parametrize("unschedulable, tolerations, failed", [
    # "Does not schedule pod to unschedulable node (node.Spec.Unschedulable==true)"
    (True, [], "NodeUnschedulable"),
    # "Schedule pod to normal node"
    (False, [], None),
    # "Schedule pod with toleration to unschedulable node (node.Spec.Unschedulable==true)"
    (True, [toleration(UNSCHEDULABLE_TAINT, effect="NoSchedule")], None),
    # Derived from the same rule: a toleration for another effect does not tolerate the
    # NoSchedule taint the filter checks against.
    (True, [toleration(UNSCHEDULABLE_TAINT, effect="NoExecute")], "NodeUnschedulable"),
    # Derived: an empty key with Exists tolerates every taint, this one included.
    (True, [toleration(operator="Exists")], None),
])
def test_node_unschedulable(unschedulable, tolerations, failed):
    result = evaluate([node("n1", unschedulable=unschedulable)], pod(tolerations=tolerations))
    assert result.failed("n1") == failed
    assert result.reasons("n1") == ([REASON] if failed else [])
