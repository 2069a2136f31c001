"""Helpers for the live scheduler's integration tests: a plane of its own (no reference
scheduler: it is restarted by the resilience tests), `kubesched run` as a subprocess, pods."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def live_kube(live_plane):
    from kubesched.kube import connect

    return connect(str(live_plane.kubeconfig))


@pytest.fixture
def scheduler_name():
    """A schedulerName of this test only, so no test schedules another's pods."""
    return f"kubesched-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def namespace(live_kube):
    name = f"live-{uuid.uuid4().hex[:8]}"
    live_kube.request("POST", "/api/v1/namespaces",
                      {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


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
