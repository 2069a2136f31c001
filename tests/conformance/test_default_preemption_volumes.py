"""Volume rejections DefaultPreemption cannot resolve, as v1.37's plugins return them:
VolumeBinding's Filter and VolumeZone's conflict are UnschedulableAndUnresolvable
(pkg/scheduler/framework/plugins/volumebinding, volumezone), for the core and for the
Python dry run (preemption/status.py) alike."""

from __future__ import annotations

from kubesched.preemption import PodOnNode, preempt
from tests.conformance.builders import node, pod, snapshot
from tests.conformance.volume_builders import objects_of, pv, pvc

ZONE = "topology.kubernetes.io/zone"


def _pod(name: str, priority: int, volumes: list, node_name: str | None = None):
    return pod(name, node=node_name, spec_fields={"priority": priority, "volumes": volumes})


def _preempt(nodes, existing, incoming, manifests=()):
    cluster = snapshot(nodes, existing, objects=objects_of(list(manifests), [incoming, *existing]))
    assert cluster.engine.evaluate(cluster.class_of(incoming))["feasible"] == 0
    return preempt(cluster, incoming, [PodOnNode(p, p.node_name, 0) for p in existing], ())


def test_a_volume_zone_conflict_is_not_helped_by_preemption():
    claim = {"name": "data", "persistentVolumeClaim": {"claimName": "c"}}
    manifests = [pvc("c", bound="v"), pv("v", labels={ZONE: "zone-a"})]
    result = _preempt([node("n1", {ZONE: "zone-b"})], [_pod("low", 0, [], "n1")], _pod("high", 1000, [claim]),
                      manifests)
    assert result.nominated_node is None
    assert result.message == "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
