"""GPU pods in the live scheduler: the Binding records the GPUs chosen, the cache keeps
every pod on its GPUs across confirmations, rebuilds and removals, and FGD's typical pods
come from the pods the scheduler knows."""

from __future__ import annotations

import threading
import time

import pytest

from kubesched.framework.config import parse_config
from kubesched.framework.profile import default_profile
from kubesched.framework.typical_pods import shape_of, typical_pods
from kubesched.live import binder as binding
from kubesched.live.cache import Cache
from kubesched.kube import ApiError
from kubesched.live.gpu_workload import GpuWorkload
from kubesched.live.scheduler import Scheduler
from kubesched.model.pods import PodParser

pytestmark = pytest.mark.unit


def node_obj(name, gpus=2, labels=None):
    return {"metadata": {"name": name, "labels": {"kubesched.io/gpu-model": "T4", **(labels or {})}},
            "status": {"allocatable": {"cpu": "32", "memory": "64Gi", "pods": "110",
                                       "kubesched.io/gpu": str(gpus)}}}


def pod_obj(name, annotations=None, node_name=None, scheduler="default-scheduler", cpu="1"):
    spec = {"schedulerName": scheduler,
            "containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": cpu}}}]}
    if node_name:
        spec["nodeName"] = node_name
    return {"metadata": {"name": name, "namespace": "ns", "uid": name, "annotations": annotations or {}},
            "spec": spec}


def share(milli, **extra):
    return {"kubesched.io/gpu-milli": str(milli), **extra}


class FakeKube:
    """Answers every request; a binding of a pod named in `refuse` fails with HTTP 500."""

    def __init__(self, refuse=()):
        self.refuse = set(refuse)
        self.requests = []
        self.lock = threading.Lock()

    def request(self, method, path, body=None, **_):
        with self.lock:
            self.requests.append((method, path, body))
        if path.endswith("/binding") and body["metadata"]["name"] in self.refuse:
            raise ApiError(500, {"message": "etcd is down"})
        return {}


def scheduler(kube, profile=None):
    profiles = parse_config({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
                             "profiles": [profile or {"schedulerName": "default-scheduler"}]})
    return Scheduler(kube, profiles)


def decide_all(sched):
    """Apply the events, decide every queued pod, wait for the bindings, apply outcomes."""
    sched._apply_waiting(timeout=0)
    while (entry := sched.queue.pop()) is not None:
        sched._schedule(entry)
    assert sched.binder.drain(5)
    sched._apply_waiting(timeout=0)


def bindings(kube):
    return {body["metadata"]["name"]: body for method, path, body in kube.requests if path.endswith("/binding")}


def test_binding_carries_the_gpu_indices_and_nothing_else_is_sent():
    kube = FakeKube()
    sched = scheduler(kube)
    sched.inbox.put(("node", "ADDED", node_obj("n")))
    for name, milli in (("a", 600), ("b", 600), ("c", 300)):
        sched.inbox.put(("pod", "ADDED", pod_obj(name, share(milli))))
    sched.inbox.put(("pod", "ADDED", pod_obj("whole", {"kubesched.io/gpu-count": "1"})))
    sched.inbox.put(("pod", "ADDED", pod_obj("cpu-only")))
    decide_all(sched)
    sent = bindings(kube)
    assert set(sent) == {"a", "b", "c", "cpu-only"}  # no GPU is left whole for "whole"
    assert "annotations" not in sent["cpu-only"]["metadata"]
    used = [0, 0]
    for name, milli in (("a", 600), ("b", 600), ("c", 300)):
        indices = sent[name]["metadata"]["annotations"]["kubesched.io/gpu-indices"]
        (gpu,) = (int(i) for i in indices.split(","))
        used[gpu] += milli
    assert max(used) <= 1000 and sorted(used) == [600, 900]
    snapshot = sched.cache.snapshot
    assert sorted(snapshot._engine.gpu_free(0)) == [100, 400]
    assert not any(method == "PATCH" and not path.endswith("/status") for method, path, _ in kube.requests)


def test_a_failed_binding_gives_its_gpus_back():
    kube = FakeKube(refuse={"b"})
    sched = scheduler(kube)
    sched.inbox.put(("node", "ADDED", node_obj("n")))
    sched.inbox.put(("pod", "ADDED", pod_obj("a", share(600))))
    sched.inbox.put(("pod", "ADDED", pod_obj("b", share(300))))
    decide_all(sched)
    gpu_of = {name: body["metadata"]["annotations"]["kubesched.io/gpu-indices"]
              for name, body in bindings(kube).items()}
    assert gpu_of["a"] == gpu_of["b"]  # best fit: b shares a's GPU
    free = sched.cache.snapshot._engine.gpu_free(0)
    assert free[int(gpu_of["a"])] == 400 and sum(free) == 1400  # only a is held
    assert "b" not in sched.cache.placed and "b" in sched.queue  # to be decided again


def test_bound_pods_are_counted_on_their_recorded_gpus_or_the_default():
    cache = Cache(default_profile())
    cache.set_node(node_obj("n", gpus=3))
    parser = PodParser()
    cache.snapshot_for(cache.profile)
    x = parser.parse(pod_obj("x", share(700, **{"kubesched.io/gpu-indices": "2"}), node_name="n"))
    y = parser.parse(pod_obj("y", {"kubesched.io/gpu-count": "1"}, node_name="n"))  # bound by someone else
    assert cache.confirm("x", x, "n") and cache.confirm("y", y, "n")
    assert cache.snapshot._engine.gpu_free(0) == [0, 1000, 300]  # y: the lowest-numbered free GPU
    assert not cache.confirm("y", y, "n")  # seen again: nothing changes
    cache.set_node(node_obj("n", gpus=3, labels={"zone": "z"}))  # applied in place
    assert cache.snapshot_for(cache.profile)._engine.gpu_free(0) == [0, 1000, 300]
    cache.set_node(node_obj("m", gpus=1))
    cache.delete_node("m")  # rebuild: same GPUs again
    assert cache.snapshot_for(cache.profile)._engine.gpu_free(0) == [0, 1000, 300] and cache.rebuilds == 2
    cache.remove("x")
    assert cache.snapshot._engine.gpu_free(0) == [0, 1000, 1000]
    bad = parser.parse(pod_obj("z", share(500, **{"kubesched.io/gpu-indices": "0"}), node_name="n"))
    cache.confirm("z", bad, "n")  # GPU 0 is full: the model picks one instead
    assert cache.snapshot._engine.gpu_free(0) == [0, 500, 1000]


def test_removing_a_pod_frees_its_own_gpu_among_pods_of_its_class():
    cache = Cache(default_profile())
    cache.set_node(node_obj("n"))
    snapshot = cache.snapshot_for(cache.profile)
    parser = PodParser()
    for uid, gpu in (("p", "0"), ("q", "1")):
        cache.confirm(uid, parser.parse(pod_obj(uid, share(400, **{"kubesched.io/gpu-indices": gpu}),
                                                node_name="n")), "n")
    assert snapshot._engine.gpu_free(0) == [600, 600]
    cache.remove("p")  # p and q are one class; q was counted last
    assert snapshot._engine.gpu_free(0) == [1000, 600]


def test_typical_pods_come_from_the_pods_seen_once_each():
    parser = PodParser()
    pods = {name: parser.parse(pod_obj(name, annotations)) for name, annotations in
            (("a", share(500)), ("b", share(500)), ("c", {"kubesched.io/gpu-count": "2"}), ("d", None))}
    workload = GpuWorkload()
    workload.add("d", pods["d"])
    assert workload.typical() == []  # no GPU pod yet
    for name, pod in pods.items():
        workload.add(name, pod)
    assert workload.typical() == typical_pods(shape_of(p) for p in pods.values())
    bound = parser.parse(pod_obj("a", share(500), node_name="n"))
    workload.add("a", bound)  # pending, then bound: one pod
    assert workload.typical() == typical_pods(shape_of(p) for p in pods.values())
    workload.remove("c")
    assert workload.typical() == typical_pods(shape_of(pods[n]) for n in "abd")
    sched = scheduler(FakeKube())
    sched.inbox.put(("node", "ADDED", node_obj("n")))
    sched._apply_waiting(timeout=0)
    snapshot = sched.cache.snapshot_for(next(iter(sched.profiles.values())))
    workload.apply(snapshot)
    assert snapshot.gpu_typical == workload.typical()


def test_fgd_profile_gets_typical_pods_from_the_live_pods():
    kube = FakeKube()
    fgd = {"schedulerName": "default-scheduler", "plugins": {
        "multiPoint": {"disabled": [{"name": "*"}]},
        "filter": {"enabled": [{"name": "NodeResourcesFit"}, {"name": "NodeAffinity"}]},
        "score": {"enabled": [{"name": "FGDScore"}]}}}
    sched = scheduler(kube, fgd)
    assert scheduler(FakeKube()).gpu_workload is None  # default profile: nothing kept
    sched.inbox.put(("node", "ADDED", node_obj("n")))
    sched.inbox.put(("pod", "ADDED", pod_obj("bound", share(250, **{"kubesched.io/gpu-indices": "0"}),
                                             node_name="n")))
    sched.inbox.put(("pod", "ADDED", pod_obj("new", share(500))))
    decide_all(sched)
    parser = PodParser()
    expected = typical_pods([shape_of(parser.parse(pod_obj("bound", share(250)))),
                             shape_of(parser.parse(pod_obj("new", share(500))))])
    assert sched.cache.snapshot.gpu_typical == expected
    assert bindings(kube)["new"]["metadata"]["annotations"]["kubesched.io/gpu-indices"] in ("0", "1")


def test_invalid_gpu_annotations_make_an_invalid_pod_not_a_crash():
    kube = FakeKube()
    sched = scheduler(kube)
    sched.inbox.put(("node", "ADDED", node_obj("n")))
    sched.inbox.put(("pod", "ADDED", pod_obj("bad", share(1500))))
    sched._apply_waiting(timeout=0)
    assert "bad" not in sched.queue
    deadline = time.monotonic() + 5
    while not (notes := [body["note"] for _, path, body in list(kube.requests) if path.endswith("/events")]) \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    sched.reporter.close()
    assert notes and notes[0].startswith("invalid pod:") and "kubesched.io/gpu-milli" in notes[0]


def test_binding_body_holds_annotations_only_when_given():
    assert "annotations" not in binding.binding("ns", "p", "u", "n")["metadata"]
    body = binding.binding("ns", "p", "u", "n", {"kubesched.io/gpu-indices": "1"})
    assert body["metadata"]["annotations"] == {"kubesched.io/gpu-indices": "1"}
