"""RuntimeClass admission as the API server applies it to the pods of the input."""

from __future__ import annotations

import json

import pytest

from kubesched.errors import InputError
from kubesched.model.cluster import read_cluster

RUNTIME_CLASS = {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "gvisor"},
                 "handler": "runsc", "overhead": {"podFixed": {"cpu": "250m", "memory": "64Mi"}},
                 "scheduling": {"nodeSelector": {"sandbox": "yes"},
                                "tolerations": [{"key": "sandbox", "operator": "Exists"}]}}


def _pod(**spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": "1"}}}], **spec}}


def _read(tmp_path, *objects):
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}))
    return read_cluster([str(path)], warn=lambda message: None)


def test_the_runtime_class_sets_overhead_node_selector_and_tolerations(tmp_path):
    pod = _read(tmp_path, RUNTIME_CLASS, _pod(runtimeClassName="gvisor")).pending_pods[0]
    assert pod.spec.requests == {"cpu": 1250, "memory": 64 * 2**20}
    assert pod.spec.node_selector == (("sandbox", "yes"),)
    assert [t.key for t in pod.spec.tolerations] == ["sandbox", "node.kubernetes.io/not-ready",
                                                    "node.kubernetes.io/unreachable"]  # DefaultTolerationSeconds


@pytest.mark.parametrize("spec, message", [
    ({"overhead": {"cpu": "1"}}, "Pod Overhead set without corresponding RuntimeClass defined Overhead"),
    ({"runtimeClassName": "gvisor", "overhead": {"cpu": "1"}},
     "Pod's Overhead doesn't match RuntimeClass's defined Overhead"),
    ({"runtimeClassName": "kata"}, "RuntimeClass 'kata' not found"),
    ({"runtimeClassName": "gvisor", "nodeSelector": {"sandbox": "no"}},
     "conflict: runtimeClass.scheduling.nodeSelector[sandbox] = yes"),
])
def test_pods_the_admission_plugin_rejects(tmp_path, spec, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _read(tmp_path, RUNTIME_CLASS, _pod(**spec))


def test_an_overhead_equal_to_the_class_is_accepted(tmp_path):
    pod = _read(tmp_path, RUNTIME_CLASS, _pod(runtimeClassName="gvisor",
                                               overhead={"cpu": "0.25", "memory": "64Mi"})).pending_pods[0]
    assert pod.spec.requests["cpu"] == 1250
