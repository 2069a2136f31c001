"""Python plugins as the engine calls them: a plugin that raises or breaks the protocol stops
the run with an error naming it, the pod and the node, never a traceback or a silent exit."""

from __future__ import annotations

import sys

import pytest

from kubesched.errors import InputError
from kubesched.framework.config import parse_config
from kubesched.model.cluster import read_cluster
from kubesched.sim.simulate import simulate

PLUGINS = '''
import sys

class Exits:
    def filter(self, pod, node):
        sys.exit(0)

class Raises:
    def score(self, pod, node):
        raise RuntimeError("boom")

class TooHigh:
    def score(self, pod, node):
        return 101

class NotANumber:
    def score(self, pod, node):
        return "high"
'''

CLUSTER = """kind: Node
metadata: {name: n1}
status: {allocatable: {cpu: '4', memory: 8Gi, pods: '10'}}
---
kind: Pod
metadata: {name: p}
spec: {containers: [{name: c, image: x}]}
"""


@pytest.fixture
def plugin_module(tmp_path, monkeypatch):
    (tmp_path / "hostile_plugins.py").write_text(PLUGINS)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "hostile_plugins"
    sys.modules.pop("hostile_plugins", None)


@pytest.mark.parametrize("point, name, words", [
    ("filter", "Exits", "filter failed for pod default/p on node n1: SystemExit"),
    ("score", "Raises", "score failed for pod default/p on node n1: RuntimeError: boom"),
    ("score", "TooHigh", "returns an invalid score 101, it should in the range of [0, 100] after normalizing "
                         "(pod default/p, node n1)"),
    ("score", "NotANumber", "score returned 'str'"),
])
def test_a_misbehaving_plugin_is_an_error(tmp_path, plugin_module, point, name, words):
    path = f"{plugin_module}:{name}"
    profiles = parse_config({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
                             "profiles": [{"plugins": {point: {"enabled": [{"name": path}]}}}]})
    file = tmp_path / "c.yaml"
    file.write_text(CLUSTER)
    with pytest.raises(InputError) as caught:
        simulate(read_cluster([str(file)]), profiles, None)
    assert path in str(caught.value) and words in str(caught.value)
