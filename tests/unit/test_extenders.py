"""The HTTP extender protocol against a small extender server: filter, prioritize with
weight, nodeCacheCapable, managedResources, ignorable, bind."""

from __future__ import annotations

import base64
import ssl

import pytest

from kubesched.extenders.client import ExtenderError, HttpExtender
from kubesched.extenders.decide import decide, interested
from kubesched.framework.extender_config import ExtenderConfig, ManagedResource
from kubesched.framework.profile import default_profile
from kubesched.live.cache import Cache
from kubesched.model.pods import PodParser
from kubesched.serving.tls import self_signed
from tests.extender_server import extender_servers

pytestmark = pytest.mark.unit


servers = extender_servers(prefix="/ext")


def cluster():
    cache = Cache(default_profile())
    for name, cpu in (("a", "4"), ("b", "4"), ("c", "4"), ("small", "100m")):
        cache.set_node({"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
                        "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"}}})
    return cache


def pod_object(cpu="1", extra=None):
    requests = {"cpu": cpu, **(extra or {})}
    return {"metadata": {"name": "p", "namespace": "ns", "uid": "u"},
            "spec": {"containers": [{"name": "c", "image": "i", "resources": {"requests": requests}}]}}


def run(cache, extenders, obj=None):
    obj = obj or pod_object()
    snapshot = cache.snapshot_for(cache.profile)
    pod = PodParser().parse(obj)
    return snapshot, decide(snapshot, pod, obj, interested(extenders, obj), cache.node_objects)


def test_filter_then_weighted_scores_pick_the_node(servers):
    first = servers(reject={"a": "a is reserved"})
    second = servers(scores={"b": 1, "c": 9})
    cache = cluster()
    extenders = [HttpExtender(ExtenderConfig(first.url, filter_verb="filter", node_cache_capable=True)),
                 HttpExtender(ExtenderConfig(second.url, filter_verb="filter", prioritize_verb="prioritize",
                                             weight=2, bind_verb="bind"))]
    snapshot, decision = run(cache, extenders)
    assert decision.node == "c"
    assert decision.counts == (4, 2)  # "small" failed the core's filter, "a" the extender's
    assert decision.extenders.binder is extenders[1]
    (verb, args), = first.calls
    assert verb == "filter" and args["nodenames"] == ["a", "b", "c"] and args["pod"]["metadata"]["name"] == "p"
    assert [v for v, _ in second.calls] == ["filter", "prioritize"]
    assert [n["metadata"]["name"] for n in second.calls[0][1]["nodes"]["items"]] == ["b", "c"]
    extenders[1].bind("ns", "p", "u", "c")
    # upstream's wire names: the types of kube-scheduler/extender/v1 have no JSON tags
    assert second.sent[-1] == ("bind", {"PodName": "p", "PodNamespace": "ns", "PodUID": "u", "Node": "c"})
    assert set(first.sent[0][1]) == {"Pod", "Nodes", "NodeNames"} and first.sent[0][1]["Nodes"] is None
    assert second.sent[0][1]["NodeNames"] is None


def test_answers_in_go_s_field_names_are_read(servers):
    first = servers(reject={"a": "a is reserved"}, go_names=True)
    second = servers(scores={"b": 1, "c": 9}, go_names=True)
    extenders = [HttpExtender(ExtenderConfig(first.url, filter_verb="filter", node_cache_capable=True)),
                 HttpExtender(ExtenderConfig(second.url, filter_verb="filter", prioritize_verb="prioritize",
                                             weight=2))]
    snapshot, decision = run(cluster(), extenders)
    assert decision.node == "c" and decision.counts == (4, 2)
    assert decision.extenders.calls[0].failed == {"a": "a is reserved"} and decision.extenders.calls[1].scores == {"b": 1, "c": 9}


def test_everything_filtered_gives_upstream_s_message(servers):
    server = servers(reject={"a": "reserved", "b": "reserved", "c": "drained"})
    _, decision = run(cluster(), [HttpExtender(ExtenderConfig(server.url, filter_verb="filter"))])
    assert decision.node is None
    assert decision.message == "0/4 nodes are available: 1 Insufficient cpu, 1 drained, 2 reserved."


def test_a_prefilter_rejection_stands_alone_in_the_message(servers):
    server = servers()
    conflicting = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]},
                                   {"key": "metadata.name", "operator": "In", "values": ["b"]}]}
    obj = pod_object()
    obj["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [conflicting]}}}
    _, decision = run(cluster(), [HttpExtender(ExtenderConfig(server.url, filter_verb="filter"))], obj)
    assert decision.node is None
    assert decision.message == "0/4 nodes are available: pod affinity terms conflict. not found"  # DynamicResources' PostFilter
    assert server.calls == []  # nothing feasible: the extender is not asked


def test_failing_extender_is_skipped_if_ignorable_else_an_error(servers):
    broken = servers(status=500)
    cache = cluster()
    ignorable = HttpExtender(ExtenderConfig(broken.url, filter_verb="filter", ignorable=True))
    snapshot, decision = run(cache, [ignorable])
    assert decision.placed and decision.error is None
    strict = HttpExtender(ExtenderConfig(broken.url, filter_verb="filter"))
    _, decision = run(cluster(), [strict])
    assert decision.node is None and "code 500" in decision.error
    with pytest.raises(ExtenderError):
        HttpExtender(ExtenderConfig(broken.url, bind_verb="bind")).bind("ns", "p", "u", "a")


def test_managed_resources_decide_interest(servers):
    server = servers(reject={"a": "no"})
    extender = HttpExtender(ExtenderConfig(server.url, filter_verb="filter",
                                           managed_resources=(ManagedResource("example.com/foo"),)))
    assert interested([extender], pod_object()) == []
    assert interested([extender], pod_object(extra={"example.com/foo": "1"})) == [extender]


def test_binder_binds_through_the_extender_and_falls_back_only_if_ignorable():
    import threading

    from kubesched.live.binder import BOUND, FAILED, Binder

    class Api:
        posted = []

        def request(self, method, path, body=None, **_):
            self.posted.append(path)
            return {}

    class Binding:
        def __init__(self, fails, ignorable):
            self.fails, self.config = fails, ExtenderConfig("http://x", bind_verb="bind", ignorable=ignorable)
            self.bound = []

        def bind(self, namespace, name, uid, node):
            if self.fails:
                raise ExtenderError("no")
            self.bound.append((namespace, name, uid, node))

    api = Api()
    outcomes = []
    done = threading.Event()

    def finished(outcome):
        outcomes.append(outcome)
        if len(outcomes) == 3:
            done.set()

    binder = Binder(api, finished, workers=1)
    good, ignorable, strict = Binding(False, False), Binding(True, True), Binding(True, False)
    binder.submit("u1", "ns", "a", "n1", extender=good)
    binder.submit("u2", "ns", "b", "n1", extender=ignorable)
    binder.submit("u3", "ns", "c", "n1", extender=strict)
    assert done.wait(10)
    assert [(o.name, o.result) for o in outcomes] == [("a", BOUND), ("b", BOUND), ("c", FAILED)]
    assert good.bound == [("ns", "a", "u1", "n1")]
    assert api.posted == ["/api/v1/namespaces/ns/pods/b/binding"]  # only the ignorable one fell back
    binder.drain(1)


def test_client_certificate_data_is_loaded():
    certificate, key = self_signed("extender-client")
    _, other_key = self_signed("someone-else")

    def tls(key):
        return (("certData", base64.b64encode(certificate).decode()),
                ("keyData", base64.b64encode(key).decode()))
    HttpExtender(ExtenderConfig("https://127.0.0.1:1", filter_verb="filter", enable_https=True, tls=tls(key)))
    with pytest.raises(ssl.SSLError):  # the key must match the certificate: it was loaded
        HttpExtender(ExtenderConfig("https://127.0.0.1:1", filter_verb="filter", enable_https=True,
                                    tls=tls(other_key)))
