"""`kubesched snapshot` against a fake API: the list calls, paging,
raw JSON written as List manifests that kubesched reads back; a kind the credentials may
not list is skipped with a warning. (tests/integration/test_plan_snapshot.py runs it
against the real control plane.)"""

from __future__ import annotations

import json

import kubernetes
import pytest

from kubesched.kube import ApiError
from kubesched.model.cluster import read_cluster
from kubesched.plan.cluster_dump import dump_cluster

NODE = {"metadata": {"name": "n1", "managedFields": [{"manager": "kubelet"}]},
        "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}
PODS = [{"metadata": {"name": f"p{i}", "namespace": "team"},
         "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "x",
                                                    "resources": {"requests": {"cpu": "500m"}}}]}}
        for i in range(3)]


class FakeKube:
    """Answers list requests from memory: pods in pages of `limit`, PodDisruptionBudgets
    forbidden."""

    def __init__(self):
        self.requests = []

    def request(self, method, path, body=None, *, query=None, **_):
        query = dict(query or {})
        self.requests.append((method, path, query))
        if path.endswith("/poddisruptionbudgets"):
            raise ApiError(403, {"kind": "Status", "code": 403, "message": "forbidden"})
        items = {"/api/v1/nodes": [NODE], "/api/v1/namespaces": [{"metadata": {"name": "team"}}]}.get(path, [])
        token = None
        if path == "/api/v1/pods":
            start = int(query.get("continue") or 0)
            items = PODS[start:start + int(query["limit"])]
            token = str(start + len(items)) if start + len(items) < len(PODS) else None
        return json.loads(json.dumps({"kind": "List", "apiVersion": "v1",
                                      "metadata": {"continue": token} if token else {}, "items": items}))


def test_dump_writes_manifests_that_read_back(tmp_path):
    client = FakeKube()
    warnings = []
    counts = dump_cluster(client, str(tmp_path), page_size=2, warn=warnings.append)
    assert counts["Node"] == 1 and counts["Pod"] == 3 and counts["Namespace"] == 1
    assert "PodDisruptionBudget" not in counts and not (tmp_path / "poddisruptionbudgets.yaml").exists()
    assert len(warnings) == 1 and "PodDisruptionBudget" in warnings[0] and "403" in warnings[0]
    pod_pages = [q for m, path, q in client.requests if path == "/api/v1/pods"]
    assert [p.get("continue") for p in pod_pages] == [None, "2"] and all(int(p["limit"]) == 2 for p in pod_pages)
    assert "managedFields" not in (tmp_path / "nodes.yaml").read_text()
    cluster = read_cluster([str(tmp_path)])
    assert [n.name for n in cluster.nodes] == ["n1"]
    assert sorted(p.key for p in cluster.bound_pods) == ["team/p0", "team/p1", "team/p2"]
    assert "team" in cluster.namespaces



def test_dump_keeps_the_volume_attachments(tmp_path):
    attachment = {"metadata": {"name": "va-0"}, "spec": {"attacher": "ebs.csi.aws.com", "nodeName": "n1",
                                                       "source": {"persistentVolumeName": "pv-0"}}}

    class WithAttachments(FakeKube):
        def request(self, method, path, body=None, **kw):
            if path == "/apis/storage.k8s.io/v1/volumeattachments":
                return {"kind": "List", "apiVersion": "storage.k8s.io/v1", "metadata": {}, "items": [attachment]}
            return super().request(method, path, body, **kw)

    assert dump_cluster(WithAttachments(), str(tmp_path))["VolumeAttachment"] == 1
    (found,) = read_cluster([str(tmp_path)]).storage.attachments.values()
    assert (found.name, found.node, found.attacher, found.volume) == ("va-0", "n1", "ebs.csi.aws.com", "pv-0")
