"""Where Python meets the core: scores for amounts near int64's maximum come out as
upstream's int64 arithmetic computes them (it wraps; the differential test checks it against
kube-scheduler's own code), and an index out of range is refused at the boundary instead of
read out of bounds."""

from __future__ import annotations

import pytest

from kubesched import _core
from kubesched.framework.profile import default_profile
from kubesched.model.cluster import read_cluster
from kubesched.sim.explain import explain
from kubesched.engine.cluster import ClusterSnapshot

INT64_MAX = 2**63 - 1
REQUEST = 3 * 2**61  # three quarters of 2^63


def cluster(tmp_path):
    file = tmp_path / "c.yaml"
    file.write_text(f"""kind: Node
metadata: {{name: a}}
status: {{allocatable: {{cpu: "4", memory: "{INT64_MAX}", pods: "10"}}}}
---
kind: Pod
metadata: {{name: p}}
spec: {{containers: [{{name: c, image: x, resources: {{requests: {{memory: "{REQUEST}"}}}}}}]}}
""")
    return read_cluster([str(file)])


def go_int64(x: int) -> int:
    return (x + 2**63) % 2**64 - 2**63


def test_least_allocated_near_int64_wraps_as_upstreams(tmp_path):
    profile = default_profile()
    report = explain(cluster(tmp_path), {profile.scheduler_name: profile}, "default/p", None)
    fit = report["nodes"][0]["scores"]["NodeResourcesFit"]["raw"]
    wrapped = go_int64((INT64_MAX - REQUEST) * 100)  # ((capacity - requested) * 100) in Go's int64
    memory = abs(wrapped) // INT64_MAX * (1 if wrapped >= 0 else -1)  # Go's division truncates
    cpu = (4000 - 100) * 100 // 4000  # the pod's non-zero cpu request, 100m
    assert wrapped != (INT64_MAX - REQUEST) * 100  # the case is one where the product wraps
    assert fit == int((memory + cpu) / 2)


def test_indices_out_of_range_are_refused(tmp_path):
    data = cluster(tmp_path)
    snapshot = ClusterSnapshot(data.nodes, default_profile())
    class_id = snapshot.class_of(data.pending_pods[0])
    for call in (lambda: snapshot.assume(class_id, 1), lambda: snapshot.forget(class_id, -1),
                 lambda: snapshot.assume(class_id + 1, 0), lambda: snapshot._engine.node_name(5),
                 lambda: snapshot.evaluate(99), lambda: snapshot._engine.schedule_queue([class_id, 7]),
                 lambda: _core.feasible_on(snapshot._engine, class_id, 2)):
        with pytest.raises(IndexError, match="out of range"):
            call()
    assert _core.feasible_on(snapshot._engine, class_id, 0)
