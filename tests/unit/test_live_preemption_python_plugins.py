"""Preemption in the live loop for a profile with a Python filter plugin, on a fake API: the
candidate the plugin rejects drops out, the preemptor evicts on the other node and lands
there (its nominated node, tried first with the plugin too)."""

from __future__ import annotations

import sys

import pytest

from tests import live_loop
from tests.live_loop import step
from tests.unit.test_live_preemption import FakeKube, full_cluster, pod_obj

pytestmark = pytest.mark.unit

NAME = "kubesched"
PLUGIN = '''
class NotOnN1:
    def filter(self, pod, node):
        return "node(s) are n1" if node.name == "n1" and pod.priority > 0 else None
'''


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    (tmp_path / "live_n1_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "live_n1_plugin:NotOnN1"
    sys.modules.pop("live_n1_plugin", None)


def test_the_preemptor_evicts_where_the_plugin_lets_it_go_and_lands_there(plugin):
    kube = FakeKube()
    sched = live_loop.scheduler(kube, NAME, plugins={"filter": {"enabled": [{"name": plugin}]}})
    try:
        full_cluster(sched)  # n1's pods started later: the core alone would preempt there
        sched.inbox.put(("pod", "ADDED", pod_obj("high", cpu="2", priority=100)))
        step(sched, until=lambda: len(kube.calls("DELETE")) == 2)
        assert sorted(p.rsplit("/", 1)[1] for p, _ in kube.calls("DELETE")) == ["low-n0-0", "low-n0-1"]
        patch = next(b for p, b in kube.calls("PATCH", "/pods/high/status"))
        assert patch["status"]["nominatedNodeName"] == "n0"
        assert patch["status"]["conditions"][0]["message"] == (
            "0/2 nodes are available: 2 Insufficient cpu. preemption: found a potential placement for pod on "
            "node n0, preempting 2 victims")
        for i in range(2):
            sched.inbox.put(("pod", "DELETED", pod_obj(f"low-n0-{i}", node="n0")))
        sched.queue.move_all()
        step(sched, until=lambda: kube.calls("POST", "/pods/high/binding"))
        (binding,) = [b for p, b in kube.calls("POST", "/binding") if p.endswith("/high/binding")]
        assert binding["target"]["name"] == "n0"
    finally:
        sched.shutdown()
