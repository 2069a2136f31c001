"""Live scheduling speed on a real control plane: kubesched vs kube-scheduler vs the ceiling.

For each contender, its pods are created first (pods of 100m / 500Mi); the clock starts when
the contender starts and stops when the last pod is bound (seen on a watch). The ceiling is
a loop that only posts bindings, round robin over the nodes, with the same client and
concurrency as kubesched. All run on the same plane in one session, and each result is
checked: every pod bound, no node over its allocatable.

    KUBESCHED_LIVE_NODES=1000 KUBESCHED_LIVE_PODS=5000 pytest bench/live -m integration -s

Without those variables it runs small (50 nodes, 200 pods), as CI runs it with
`--benchmark-disable`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

import pytest

from tests.integration.live_fixtures import pod, running_plane

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NODES = int(os.environ.get("KUBESCHED_LIVE_NODES", "50"))
PODS = int(os.environ.get("KUBESCHED_LIVE_PODS", "200"))
CONCURRENCY = 32
RESULTS: dict[str, dict] = {}


@pytest.fixture(scope="module")
def speed_plane(tmp_path_factory):
    with running_plane(tmp_path_factory.mktemp("live-speed"), nodes=NODES,
                       with_kube_scheduler=True) as started:
        yield started


@pytest.fixture(scope="module")
def kube(speed_plane):
    from kubesched.kube import connect

    return connect(str(speed_plane.kubeconfig), connections=CONCURRENCY + 8)


def _create_pods(kube, namespace: str, scheduler_name: str) -> None:
    kube.request("POST", "/api/v1/namespaces",
                 {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    path = f"/api/v1/namespaces/{namespace}/pods"
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: kube.request(
            "POST", path, pod(f"p-{i:05d}", scheduler_name, "100m", "500Mi")), range(PODS)))


class BoundWatch:
    """Counts the namespace's bound pods from a watch; `done` is set when all are."""

    def __init__(self, kube, namespace: str):
        from kubesched.live.informer import Informer

        self.bound: set[str] = set()
        self.done = threading.Event()
        self.stop = threading.Event()

        def handler(event_type, obj):
            if event_type != "DELETED" and obj["spec"].get("nodeName"):
                self.bound.add(obj["metadata"]["name"])
                if len(self.bound) >= PODS:
                    self.done.set()

        self.informer = Informer(kube, f"/api/v1/namespaces/{namespace}/pods", handler,
                                 stop=self.stop).start()
        self.informer.synced.wait(30)

    def wait(self, timeout: float) -> None:
        finished = self.done.wait(timeout)
        self.stop.set()
        assert finished, f"{len(self.bound)}/{PODS} pods bound after {timeout}s"


def _check(kube, namespace: str) -> dict:
    """Every pod bound; no node over its cpu, memory or pod count."""
    from kubesched.model.nodes import parse_node

    pods = kube.request("GET", "/api/v1/pods")["items"]
    ours = [p for p in pods if p["metadata"]["namespace"] == namespace]
    assert len(ours) == PODS and all(p["spec"].get("nodeName") for p in ours)
    per_node: dict[str, list[int]] = {}
    for p in pods:
        node = p["spec"].get("nodeName")
        if node:
            row = per_node.setdefault(node, [0, 0, 0])
            row[0] += 100
            row[1] += 500 * 2**20
            row[2] += 1
    for obj in kube.request("GET", "/api/v1/nodes")["items"]:
        node = parse_node(obj)
        cpu, memory, count = per_node.get(node.name, (0, 0, 0))
        assert cpu <= node.allocatable["cpu"] and memory <= node.allocatable["memory"] \
            and count <= node.allocatable["pods"], node.name
    return {"nodes_used": len({p["spec"]["nodeName"] for p in ours})}


def _timed(benchmark, run) -> float:
    seconds: list[float] = []

    def once():
        seconds.append(run())

    benchmark.pedantic(once, rounds=1, iterations=1)
    return seconds[0]


def _record(name: str, seconds: float, extra: dict) -> None:
    RESULTS[name] = {"seconds": round(seconds, 3), "pods_per_second": round(PODS / seconds, 1),
                     **extra}
    print(f"\n{name}: {PODS} pods on {NODES} nodes in {seconds:.2f}s "
          f"({PODS / seconds:.0f} pods/s)", file=sys.stderr)


def test_ceiling_only_post_bindings(benchmark, kube, speed_plane):
    from kubesched.live.binder import BOUND, post_binding

    namespace = "bench-ceiling"
    _create_pods(kube, namespace, "nobody")
    nodes = [n["metadata"]["name"] for n in kube.request("GET", "/api/v1/nodes")["items"]]
    watch = BoundWatch(kube, namespace)

    def run() -> float:
        started = time.monotonic()
        pods = kube.request("GET", f"/api/v1/namespaces/{namespace}/pods")["items"]
        targets = cycle(nodes)
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            results = list(pool.map(
                lambda args: post_binding(kube, namespace, *args),
                [(p["metadata"]["name"], p["metadata"]["uid"], next(targets)) for p in pods]))
        assert {r for r, _ in results} == {BOUND}
        watch.wait(120)
        return time.monotonic() - started

    seconds = _timed(benchmark, run)
    _record("ceiling", seconds, _check(kube, namespace))


def test_kubesched(benchmark, kube, speed_plane, tmp_path):
    namespace = "bench-kubesched"
    _create_pods(kube, namespace, "kubesched")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"apiVersion": "kubescheduler.config.k8s.io/v1",
                                  "kind": "KubeSchedulerConfiguration",
                                  "profiles": [{"schedulerName": "kubesched"}]}))
    watch = BoundWatch(kube, namespace)
    log = tmp_path / "kubesched.log"

    def run() -> float:
        started = time.monotonic()
        with open(log, "wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "kubesched", "run", "--kubeconfig",
                 str(speed_plane.kubeconfig), "--config", str(config),
                 "--secure-port", "0", "--parallelism", str(CONCURRENCY)],
                stdout=output, stderr=subprocess.STDOUT)
        try:
            watch.wait(600)
            return time.monotonic() - started
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(15)

    seconds = _timed(benchmark, run)
    _record("kubesched", seconds, _check(kube, namespace))


def test_kube_scheduler(benchmark, kube, speed_plane):
    from kubesched.cluster import processes

    namespace = "bench-kube-scheduler"
    record = json.loads(processes.pid_file(speed_plane.directory, "kube-scheduler").read_text())
    _stop(record["pid"])
    _create_pods(kube, namespace, "default-scheduler")
    watch = BoundWatch(kube, namespace)

    def run() -> float:
        started = time.monotonic()
        processes.start(speed_plane.directory, "kube-scheduler", record["argv"])
        watch.wait(600)
        return time.monotonic() - started

    seconds = _timed(benchmark, run)
    _record("kube-scheduler", seconds, _check(kube, namespace))


def test_record(record_result):
    """Compares and records; run after the three above (file order)."""
    if set(RESULTS) != {"ceiling", "kubesched", "kube-scheduler"}:
        pytest.skip("needs the three runs above")
    numbers = {
        "nodes": NODES, "pods": PODS, "bind_concurrency": CONCURRENCY,
        "results": RESULTS,
        "kubesched_vs_kube_scheduler": round(RESULTS["kube-scheduler"]["seconds"]
                                             / RESULTS["kubesched"]["seconds"], 2),
        "kubesched_vs_ceiling": round(RESULTS["ceiling"]["seconds"]
                                      / RESULTS["kubesched"]["seconds"], 2),
        "command": f"KUBESCHED_LIVE_NODES={NODES} KUBESCHED_LIVE_PODS={PODS} "
                   "pytest bench/live -m integration -s -p no:cacheprovider",
    }
    print(json.dumps(numbers, indent=2), file=sys.stderr)
    record_result(f"live_{NODES}n_{PODS}p", numbers)


def _stop(pid: int) -> None:
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
        time.sleep(0.1)
