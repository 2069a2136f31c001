"""A pod the Python plugins leave without a node carries, as the core's decisions do, the
histogram of its reasons (`Decision.failure`): the core's filters' and the Python filters'
reasons, each counted over the nodes it rejected, worded as the message is."""

from __future__ import annotations

from kubesched.engine.cluster import ClusterSnapshot
from kubesched.engine.python_plugins import decide_with_python_plugins
from kubesched.framework.profile import Profile
from kubesched.model.records import Node, Pod, PodSpecInfo

MI = 1024 * 1024


def _node(name: str, unschedulable: bool = False) -> Node:
    return Node(name=name, labels={}, allocatable={"cpu": 4000, "memory": 8 * MI, "pods": 110}, taints=(),
                unschedulable=unschedulable, images=())


def test_the_failure_counts_the_core_and_the_python_reasons():
    profile = Profile(python_filters=("tests.python_test_plugins:NotN1",))
    snapshot = ClusterSnapshot([_node("n0", unschedulable=True), _node("n1"), _node("n2", unschedulable=True)],
                               profile)
    pod = Pod("default", "p", {}, PodSpecInfo(requests={"cpu": 100}, nonzero_cpu=100, nonzero_memory=MI))
    decision = decide_with_python_plugins(snapshot, pod)
    assert decision.node is None
    assert snapshot.reasons(decision.failure) == {"node(s) were unschedulable": 2, "node(s) are n1": 1}
    assert snapshot.failure_message(decision.failure) == decision.message
    assert decision.message.startswith("0/3 nodes are available: 1 node(s) are n1, 2 node(s) were unschedulable.")
