"""Preemption in the live loop for pods decided with extenders, on a fake API: the extender's
preemptVerb drops the cheaper candidate, the preemptor evicts on the other node, is tried
there first (the extender's filter asked about it alone) and is bound through the extender;
a failing preemptVerb leaves the pod unschedulable with upstream's message."""

from __future__ import annotations

import pytest

from kubesched.extenders.client import HttpExtender
from kubesched.framework.extender_config import ExtenderConfig
from kubesched.framework.config import parse_config
from kubesched.live.scheduler import Options, Scheduler
from tests.extender_server import extender_servers
from tests.live_loop import step
from tests.unit.test_live_preemption import FakeKube, full_cluster, pod_obj

pytestmark = pytest.mark.unit

NAME = "kubesched"

servers = extender_servers(prefix="/ext")


def scheduler(kube, *configs: ExtenderConfig) -> Scheduler:
    profiles = parse_config({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
                             "profiles": [{"schedulerName": NAME}]})
    options = Options(pod_initial_backoff=0.05, pod_max_backoff=0.1,
                      extenders=tuple(HttpExtender(c) for c in configs))
    return Scheduler(kube, profiles, options=options)


def test_the_extender_s_answer_decides_where_the_preemptor_evicts_and_lands(servers):
    server = servers(drop={"n1"})  # n1's pods started later: the core alone would preempt there
    kube = FakeKube()
    sched = scheduler(kube, ExtenderConfig(server.url, filter_verb="filter", preempt_verb="preempt",
                                           bind_verb="bind", node_cache_capable=True))
    try:
        full_cluster(sched)
        sched.inbox.put(("pod", "ADDED", pod_obj("high", cpu="2", priority=100)))
        step(sched, until=lambda: len(kube.calls("DELETE")) == 2)
        assert sorted(p.rsplit("/", 1)[1] for p, _ in kube.calls("DELETE")) == ["low-n0-0", "low-n0-1"]
        patch = next(b for p, b in kube.calls("PATCH", "/pods/high/status"))
        assert patch["status"]["nominatedNodeName"] == "n0"
        assert patch["status"]["conditions"][0]["message"] == (
            "0/2 nodes are available: 2 Insufficient cpu. preemption: found a potential placement for pod on "
            "node n0, preempting 2 victims")
        ((_, args),) = [call for call in server.calls if call[0] == "preempt"]
        assert {n: [p["UID"] for p in v["Pods"]] for n, v in args["NodeNameToMetaVictims"].items()} == {
            "n0": ["uid-low-n0-0", "uid-low-n0-1"], "n1": ["uid-low-n1-0", "uid-low-n1-1"]}
        for i in range(2):
            sched.inbox.put(("pod", "DELETED", pod_obj(f"low-n0-{i}", node="n0")))
        sched.queue.move_all()
        step(sched, until=lambda: any(verb == "bind" for verb, _ in server.calls))
        (verb, bound), = [call for call in server.calls if call[0] == "bind"]
        assert bound["node"] == "n0" and bound["podname"] == "high"
        verb, last_filter = [call for call in server.calls if call[0] == "filter"][-1]
        assert last_filter["nodenames"] == ["n0"]  # the nominated node first, alone
    finally:
        sched.shutdown()


def test_a_failing_preempt_verb_keeps_the_pod_unschedulable_without_evictions(servers):
    server = servers(preempt_status=500)
    kube = FakeKube()
    sched = scheduler(kube, ExtenderConfig(server.url, preempt_verb="preempt"))
    try:
        full_cluster(sched)
        sched.inbox.put(("pod", "ADDED", pod_obj("high", cpu="2", priority=100)))
        step(sched, until=lambda: kube.calls("PATCH", "/pods/high/status"))
        (_, patch), = kube.calls("PATCH", "/pods/high/status")
        assert "nominatedNodeName" not in patch["status"]  # a PostFilter error: the nomination stays
        assert patch["status"]["conditions"][0]["message"] == (
            f"0/2 nodes are available: 2 Insufficient cpu. preemption: failed preempt with extender at URL "
            f"{server.url}/preempt, code 500")
        assert not kube.calls("DELETE")
    finally:
        sched.shutdown()
