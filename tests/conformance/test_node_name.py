"""NodeName filter, ported from upstream's nodename/node_name_test.go (TestNodeName).

A pod manifest with spec.nodeName is already bound (kube-scheduler never sees it), so the
filter is driven through the core directly with a pod class that names a node.
"""

import pytest

from .builders import node, snapshot

REASON = "node(s) didn't match the requested node name"


def _evaluate(node_name):
    cluster = snapshot([node("foo")])
    pod_class = cluster._engine.add_class(requests=[], nonzero_cpu=0, nonzero_memory=0, node_name=node_name)
    return cluster.evaluate(pod_class)


@pytest.mark.parametrize("node_name, failed, reasons", [
    (None, None, []),  # "no host specified"
    ("foo", None, []),  # "host matches"
    ("bar", "NodeName", [REASON]),  # "host doesn't match"
])
def test_node_name(node_name, failed, reasons):
    result = _evaluate(node_name)
    assert result["failed_filter"] == [failed]
    assert result["reasons"] == [reasons]
