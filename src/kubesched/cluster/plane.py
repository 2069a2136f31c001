"""Bring a control plane up in a directory, and down again.

`up` starts etcd, kube-apiserver and kwok (and on request kube-scheduler and
kube-controller-manager), each waited for until ready, then creates the fake nodes and
waits until they are all seen Ready. If anything fails, whatever was started is stopped
again. The directory holds pki/, logs/, pids/, the admin `kubeconfig` and `cluster.json`,
which marks the directory as a plane's and records where to reach it.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kubesched.cluster import build, certs, components, processes
from kubesched.cluster.components import LOOPBACK, Layout, Ports
from kubesched.cluster.kubeconfig import write_kubeconfig
from kubesched.cluster.nodes import NodeError, NodeShape, create_nodes, wait_until_ready
from kubesched.errors import InputError
from kubesched.kube import Kube, connect_with_files

MARKER = "cluster.json"
LOG_TAIL_LINES = 10
# Go components die saying "Error: …" (cobra), "F0102 …" (klog) or "panic: …".
FATAL_LINE = re.compile(r"^(Error: |panic: |F\d{4} )")

Progress = Callable[[str], None]

# The apiserver's clients and who they are.
COMPONENT_IDENTITIES = {
    "kwok": certs.KWOK,
    "kube-scheduler": certs.KUBE_SCHEDULER,
    "kube-controller-manager": certs.KUBE_CONTROLLER_MANAGER,
}


class ComponentError(Exception):
    """A component exited or did not become ready in time."""


DEFAULT_NAME = "kubesched"


@dataclass(frozen=True)
class PlaneOptions:
    nodes: int = 3
    node_shape: NodeShape = field(default_factory=NodeShape)
    with_kube_scheduler: bool = False
    with_controller_manager: bool = True  # Deployments, Jobs, ... make pods, as users expect
    kube_scheduler_config: dict | None = None  # a KubeSchedulerConfiguration for kube-scheduler


@dataclass(frozen=True)
class Plane:
    directory: Path
    server: str

    @property
    def kubeconfig(self) -> Path:
        return Layout(self.directory).admin_kubeconfig

    def pids(self) -> dict[str, int]:
        """Component name → pid of every component that was started and not stopped."""
        return processes.recorded_pids(self.directory)

    def client(self) -> Kube:
        pki = Layout(self.directory).pki
        admin = pki.client(certs.ADMIN)
        return connect_with_files(self.server, ca=str(pki.ca.cert), cert=str(admin.cert),
                                  key=str(admin.key))

    @classmethod
    def load(cls, directory: Path) -> "Plane":
        record = json.loads((directory / MARKER).read_text())
        return cls(directory, record["server"])


def clusters_directory() -> Path:
    """Where named clusters live: $XDG_STATE_HOME/kubesched/clusters/NAME."""
    base = os.environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(base):
        base = str(Path.home() / ".local" / "state")
    return Path(base) / "kubesched" / "clusters"


def default_directory(name: str = DEFAULT_NAME) -> Path:
    return clusters_directory() / name


def is_running(directory: Path) -> bool:
    """Whether the plane in `directory` has a live kube-apiserver (then `up` would replace it)."""
    pid = processes.recorded_pids(directory).get("kube-apiserver")
    return pid is not None and bool(processes.group_members(pid))


@dataclass(frozen=True)
class ClusterStatus:
    name: str
    directory: Path
    running: bool
    server: str | None
    nodes: int | None


def list_clusters() -> list[ClusterStatus]:
    """The named clusters, running or not, by name."""
    root = clusters_directory()
    found = []
    for marker in sorted(root.glob(f"*/{MARKER}")) if root.is_dir() else []:
        try:
            record = json.loads(marker.read_text())
        except ValueError:
            record = {}
        found.append(ClusterStatus(marker.parent.name, marker.parent, is_running(marker.parent),
                                   record.get("server"), record.get("nodes")))
    return found


def up(directory: Path, options: PlaneOptions, progress: Progress = build.default_progress,
       recreate: bool = False) -> Plane:
    """Start a plane in `directory`; one that is running there already is replaced only if
    `recreate`."""
    directory = directory.expanduser().absolute()
    if (directory / MARKER).is_file() and is_running(directory) and not recreate:
        raise InputError("a cluster is running here: use it, stop it (`kubesched cluster down`) "
                         "or replace it (`up --recreate`)", file=str(directory))
    _claim(directory)
    stale = processes.stop_all(directory)
    if stale:
        progress(f"stopped stale components of an earlier run: {', '.join(stale)}")
    bin_dir = build.ensure_built(progress)
    layout = Layout(directory)
    for path in layout.owned_paths():
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    try:
        return _start(layout, bin_dir, options, progress)
    except BaseException:
        processes.stop_all(directory)
        raise


def down(directory: Path) -> list[str]:
    """Stop every component of the plane in `directory`; the names of those that ran."""
    directory = directory.expanduser().absolute()
    if not (directory / MARKER).is_file():
        raise InputError("no kubesched cluster here", file=str(directory))
    return processes.stop_all(directory)


def _claim(directory: Path) -> None:
    """Mark the directory as ours before anything else, refusing one that holds other files."""
    if directory.is_dir() and any(directory.iterdir()) and not (directory / MARKER).is_file():
        raise InputError("not empty and not a kubesched cluster directory: choose another --dir",
                         file=str(directory))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text(json.dumps({"server": None}) + "\n")


def _start(layout: Layout, bin_dir: Path, options: PlaneOptions, progress: Progress) -> Plane:
    started_at = time.monotonic()
    ports = Ports.free()
    plane = Plane(layout.directory, f"https://{LOOPBACK}:{ports.apiserver}")
    pki = certs.write_pki(layout.pki.directory, (certs.ADMIN, *COMPONENT_IDENTITIES.values()))
    client = plane.client()

    etcd = _launch(layout, "etcd", components.etcd(bin_dir, layout, ports), progress)
    _wait_ready(etcd, lambda: _etcd_healthy(ports.etcd_client), timeout=60)
    apiserver = _launch(layout, "kube-apiserver", components.kube_apiserver(
        bin_dir, layout, ports, with_controller_manager=options.with_controller_manager),
        progress)
    _wait_ready(apiserver, lambda: client.answers("/readyz"), timeout=120)

    write_kubeconfig(layout.admin_kubeconfig, plane.server, pki, certs.ADMIN)
    for name, identity in COMPONENT_IDENTITIES.items():
        write_kubeconfig(layout.component_kubeconfig(name), plane.server, pki, identity)
    kwok = _start_clients(layout, bin_dir, ports, options, progress)

    if options.nodes:
        progress(f"creating {options.nodes} nodes")
        step = time.monotonic()
        create_nodes(client, options.nodes, options.node_shape)
        progress(f"  created in {time.monotonic() - step:.1f}s, waiting until they are Ready")
        step = time.monotonic()
        _wait_nodes_ready(kwok, client, options.nodes)
        progress(f"  Ready in {time.monotonic() - step:.1f}s")

    (layout.directory / MARKER).write_text(json.dumps({
        "server": plane.server,
        "bin_dir": str(bin_dir),
        "nodes": options.nodes,
        "components": list(processes.recorded_pids(layout.directory)),
    }, indent=2) + "\n")
    progress(f"control plane up in {time.monotonic() - started_at:.1f}s: {plane.server}")
    return plane


def _start_clients(layout: Layout, bin_dir: Path, ports: Ports, options: PlaneOptions,
                   progress: Progress) -> processes.Started:
    """Start kwok and the optional components together, then wait for each; return kwok."""
    stages = subprocess.run([str(bin_dir / "kwok-stages")], check=True, capture_output=True,
                            text=True).stdout
    components.write_kwok_config(layout, stages)
    # kwok also reads ~/.kwok/kwok.yaml when it exists: keep the user's one out.
    kwok = _launch(layout, "kwok", components.kwok(bin_dir, layout, ports), progress,
                   environment={"HOME": str(layout.kwok_home)})
    waiting = [(kwok, _http_ok(f"http://{LOOPBACK}:{ports.kwok}/healthz"))]
    if options.with_controller_manager:
        manager = _launch(layout, "kube-controller-manager",
                          components.kube_controller_manager(bin_dir, layout, ports), progress)
        waiting.append((manager, _https_ok(ports.kube_controller_manager, "/healthz")))
    if options.with_kube_scheduler:
        scheduler = _launch(layout, "kube-scheduler",
                            components.kube_scheduler(bin_dir, layout, ports, options.kube_scheduler_config),
                            progress)
        waiting.append((scheduler, _https_ok(ports.kube_scheduler, "/readyz")))
    for component, probe in waiting:
        _wait_ready(component, probe, timeout=60)
    return kwok


def _launch(layout: Layout, name: str, argv: list[str], progress: Progress,
            environment: dict[str, str] | None = None) -> processes.Started:
    progress(f"starting {name}")
    return processes.start(layout.directory, name, argv, environment)


def _wait_ready(component: processes.Started, probe: Callable[[], bool], timeout: float
                ) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if component.exited():
            raise ComponentError(f"{component.name} exited with code "
                                 f"{component.process.returncode}{_log_excerpt(component)}")
        try:
            if probe():
                return
        except (OSError, ValueError, http.client.HTTPException):
            pass  # not listening or not answering sensibly yet
        if time.monotonic() > deadline:
            raise ComponentError(f"{component.name} not ready after {timeout:.0f}s"
                                 f"{_log_excerpt(component)}")
        time.sleep(0.2)


def _wait_nodes_ready(kwok: processes.Started, client: Kube, count: int) -> None:
    try:
        wait_until_ready(client, count, timeout=60 + count / 20,
                         still_running=lambda: not kwok.exited())
    except NodeError as error:
        raise ComponentError(f"kwok: {error}{_log_excerpt(kwok)}") from None


def _log_excerpt(component: processes.Started) -> str:
    """Where the log is, its fatal lines (a usage text may follow them) and its last lines."""
    lines = component.log.read_text(errors="replace").splitlines()
    fatal = [line for line in lines if FATAL_LINE.match(line)][-3:]
    tail = [line for line in lines[-LOG_TAIL_LINES:] if line not in fatal]
    return f"; its log is {component.log}, saying:\n" + "\n".join([*fatal, *tail])


def _etcd_healthy(port: int) -> bool:
    with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/health", timeout=2) as response:
        return json.loads(response.read()).get("health") == "true"


def _http_ok(url: str) -> Callable[[], bool]:
    def probe() -> bool:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    return probe


def _https_ok(port: int, path: str) -> Callable[[], bool]:
    """A probe of a health endpoint that anonymous clients may read."""
    client = connect_with_files(f"https://{LOOPBACK}:{port}", ca=None, timeout=2)
    return lambda: client.answers(path)
