"""Helpers for the live scheduler's integration tests: a plane of its own (no reference
scheduler: it is restarted by the resilience tests), a plane per module with kube-scheduler
beside kubesched, `kubesched run` as a subprocess, nodes, pods, waiting and events."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.waiting import wait_for

LIVE_NODES = 6
KWOK_TOLERATION = {"key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule"}


@contextmanager
def running_plane(directory: Path, **options):
    """A control plane up in `directory` (options: `plane.PlaneOptions`'s) until the end;
    without a controller manager unless asked (pods are created right after namespaces)."""
    from kubesched.cluster import plane

    options.setdefault("with_controller_manager", False)
    started = plane.up(directory, plane.PlaneOptions(**options), progress=lambda message: None)
    try:
        yield started
    finally:
        plane.down(directory)


@pytest.fixture(scope="session")
def live_plane(tmp_path_factory):
    """A control plane for the live scheduler's tests, apart from the shared one."""
    with running_plane(tmp_path_factory.mktemp("live-plane"), nodes=LIVE_NODES) as started:
        yield started


@pytest.fixture(scope="module")
def plane_with_both(request, tmp_path_factory):
    """A plane of the test module's own with the reference kube-scheduler and the controller
    manager (claims from templates, PV binding), for tests that run kubesched beside it on
    nodes they add."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    with running_plane(tmp_path_factory.mktemp(name), nodes=1, with_controller_manager=True,
                       with_kube_scheduler=True) as started:
        yield started


def group_node(name: str, group: str, cpu: str = "32", group_label: str = "dra-test-group") -> dict:
    """A kwok node of that name (and hostname) in a group of nodes one scheduler's pods select."""
    from kubesched.cluster.nodes import NodeShape, node_manifest

    manifest = node_manifest(0, NodeShape(cpu=cpu, memory="128Gi"))
    manifest["metadata"]["name"] = name
    manifest["metadata"]["labels"].update({"kubernetes.io/hostname": name, group_label: group})
    return manifest


@pytest.fixture(scope="session")
def live_kube(live_plane):
    from kubesched.kube import connect

    return connect(str(live_plane.kubeconfig))


@pytest.fixture
def scheduler_name():
    """A schedulerName of this test only, so no test schedules another's pods."""
    return f"kubesched-{uuid.uuid4().hex[:8]}"


def new_namespace(kube, prefix: str = "live") -> str:
    """A namespace of a unique name, created."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    kube.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


@pytest.fixture
def namespace(live_kube):
    return new_namespace(live_kube)


def write_config(directory: Path, *scheduler_names: str) -> Path:
    path = directory / "scheduler-config.json"
    path.write_text(json.dumps({
        "apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
        "profiles": [{"schedulerName": name} for name in scheduler_names]}))
    return path


class RunningScheduler:
    def __init__(self, kubeconfig: Path, config: Path, log: Path, *extra: str):
        self.log = log
        argv = [sys.executable, "-m", "kubesched", "run", "--kubeconfig", str(kubeconfig),
                "--config", str(config), "--metrics-bind-address", "127.0.0.1:0",
                "--secure-port", "0", *extra]
        with open(log, "ab") as output:
            self.process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_synced(self, timeout: float = 60) -> None:
        """Until its informers have listed everything (pods created after come one by one)."""
        try:
            wait_for(lambda: "informers synced" in self.text(), timeout, what="kubesched synced", interval=0.2)
        except AssertionError as error:
            raise AssertionError(f"{error}; its log:\n{self.text()}") from None

    def metrics_address(self, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.text().splitlines():
                if "Serving insecurely on" in line:
                    return line.rsplit(" on ", 1)[1].strip().rstrip('"')
            time.sleep(0.1)
        raise AssertionError(f"no metrics address in the log:\n{self.text()}")

    def terminate(self, timeout: float = 10) -> float:
        """SIGTERM; the seconds it took to exit."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"no exit {timeout}s after SIGTERM:\n{self.text()[-3000:]}")
        return time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def start_scheduler(tmp_path):
    """start_scheduler(kubeconfig, scheduler_names, *flags) → RunningScheduler; all are
    stopped at the end of the test."""
    started: list[RunningScheduler] = []

    def start(kubeconfig, scheduler_names, *extra: str) -> RunningScheduler:
        if isinstance(scheduler_names, str):
            scheduler_names = (scheduler_names,)
        config = write_config(tmp_path, *scheduler_names)
        running = RunningScheduler(Path(kubeconfig), config, tmp_path / f"run-{len(started)}.log",
                                   *extra)
        started.append(running)
        return running

    yield start
    for running in started:
        running.kill()


def pod(name: str, scheduler_name: str, cpu: str = "100m", memory: str = "100Mi",
        **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, **spec.pop("meta", {})},
            "spec": {"schedulerName": scheduler_name, "tolerations": [KWOK_TOLERATION],
                     "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.9",
                                     "resources": {"requests": {"cpu": cpu, "memory": memory}}}],
                     **spec}}


def priority_pod(name: str, scheduler_name: str, cpu: str, priority_class: str, node: int | None = None,
                 labels: dict | None = None) -> dict:
    """A pod of that priority class, bound to kwok-node-`node` when one is given."""
    spec = {"priorityClassName": priority_class, "terminationGracePeriodSeconds": 30}
    if node is not None:
        spec["nodeName"] = f"kwok-node-{node}"
    return pod(name, scheduler_name, cpu, meta={"labels": labels or {}}, **spec)


def create_ignoring_conflict(kube, path: str, body: dict) -> dict | None:
    """POST `body` to `path`; an object of its name already there (409) is left as it is."""
    from kubesched.kube import ApiError

    try:
        return kube.request("POST", path, body)
    except ApiError as error:
        if error.status != 409:
            raise
        return None


def create_priority_classes(kube, classes: dict[str, int]) -> None:
    for name, value in classes.items():
        create_ignoring_conflict(kube, "/apis/scheduling.k8s.io/v1/priorityclasses", {
            "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name}, "value": value})


def create_pod(kube, namespace: str, manifest: dict) -> dict:
    return kube.request("POST", f"/api/v1/namespaces/{namespace}/pods", manifest)


def create_pod_retrying(kube, namespace: str, manifest: dict, timeout: float = 60) -> None:
    """Create a pod through the API server's absence; a 409 means an earlier try got in."""
    from kubesched.kube import ApiError

    deadline = time.monotonic() + timeout
    while True:
        try:
            create_pod(kube, namespace, manifest)
            return
        except ApiError as error:
            if error.status == 409:
                return
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def list_pods(kube, namespace: str) -> list[dict]:
    return kube.request("GET", f"/api/v1/namespaces/{namespace}/pods")["items"]


def scheduled_condition(obj: dict) -> dict | None:
    for condition in (obj.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "PodScheduled":
            return condition
    return None


def wait_decided(kube, namespace: str, name: str, timeout: float = 30) -> dict:
    """Wait until the pod is bound or marked unschedulable; the pod."""
    deadline = time.monotonic() + timeout
    while True:
        obj = kube.request("GET", f"/api/v1/namespaces/{namespace}/pods/{name}")
        condition = scheduled_condition(obj)
        if obj["spec"].get("nodeName") or (condition and condition.get("status") == "False"):
            return obj
        if time.monotonic() > deadline:
            raise AssertionError(f"pod {namespace}/{name} not decided in {timeout}s")
        time.sleep(0.02)


def wait_all_bound(kube, namespace: str, count: int, timeout: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        pods = list_pods(kube, namespace)
        if sum(1 for p in pods if p["spec"].get("nodeName")) >= count:
            return pods
        if time.monotonic() > deadline:
            bound = sum(1 for p in pods if p["spec"].get("nodeName"))
            raise AssertionError(f"{bound}/{count} pods bound after {timeout}s")
        time.sleep(0.2)


def events_for(kube, namespace: str) -> list[dict]:
    return kube.request("GET", f"/apis/events.k8s.io/v1/namespaces/{namespace}/events")["items"]


class PodHistory:
    """Every state of the namespace's pods as the watch delivered them."""

    def __init__(self, kube, namespace: str, timeout: float = 180):
        from kubesched.live.informer import Informer

        self.states: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.informer = Informer(kube, f"/api/v1/namespaces/{namespace}/pods", self._seen, stop=self.stop).start()
        wait_for(self.informer.synced.is_set, timeout, what="the pod watch", interval=0.1)

    def _seen(self, event_type, obj):
        with self.lock:
            self.states.append((event_type, obj))

    def of(self, name):
        with self.lock:
            return [(t, o) for t, o in self.states if o["metadata"]["name"] == name]

    def deleted(self):
        with self.lock:
            return [o["metadata"]["name"] for t, o in self.states if t == "DELETED"]


def delete_pods_now(kube, namespace: str, timeout: float = 180) -> None:
    """Delete the namespace's pods at once and wait until they are gone (their nodes are empty
    again for the next run)."""
    for obj in list_pods(kube, namespace):
        kube.request("DELETE", f"/api/v1/namespaces/{namespace}/pods/{obj['metadata']['name']}",
                     {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0})
    wait_for(lambda: not list_pods(kube, namespace), timeout, what=f"the pods of {namespace} gone", interval=0.1)


def stop_component(plane, name: str, grace: float = 10.0) -> list[str]:
    """Stop one component of the plane for sure: SIGTERM, SIGKILL after `grace` seconds;
    the command line it ran. (A stopping API server closes its port at once but serves the
    watches open for up to a minute: only when its process is gone are they broken.)"""
    from kubesched.cluster import processes

    record = json.loads(processes.pid_file(plane.directory, name).read_text())
    group = record["pid"]
    os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while processes.group_members(group):
        if time.monotonic() > deadline:
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                pass  # gone meanwhile
        time.sleep(0.05)
    return record["argv"]


def start_component(plane, name: str, argv: list[str], timeout: float = 60) -> None:
    """Start a component again with its command line; an API server is waited for until it
    is ready, so that the test's next request does not find the port closed."""
    from kubesched.cluster import processes

    started = processes.start(plane.directory, name, argv)
    if name != "kube-apiserver":
        return
    client = plane.client()
    deadline = time.monotonic() + timeout
    try:
        while True:
            if started.exited():
                raise AssertionError(f"{name} exited: see {started.log}")
            if client.answers("/readyz"):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} not ready {timeout}s after its restart")
            time.sleep(0.1)
    finally:
        client.close()


def restart_component(plane, name: str) -> None:
    """Stop one component of the plane and start it again with the same command line."""
    start_component(plane, name, stop_component(plane, name))


def etcd_request(plane, path: str, body: dict) -> dict:
    """One call to etcd's JSON gateway (/v3/...): keys and values are base64 in `body`."""
    from kubesched.cluster import processes

    argv = json.loads(processes.pid_file(plane.directory, "etcd").read_text())["argv"]
    url = next(a.split("=", 1)[1] for a in argv if a.startswith("--listen-client-urls="))
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())
