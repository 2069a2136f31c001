"""The command line of each component: which flags, and why where it is not obvious.

Everything listens on 127.0.0.1 only, on ports chosen free at start. Every file lives in
the plane's directory, where `Layout` says.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from kubesched.cluster.certs import FRONT_PROXY_CLIENT, SERVICE_CLUSTER_IP_RANGE, Pki

LOOPBACK = "127.0.0.1"
CLIENT_QPS = 5000  # upstream defaults (kube-scheduler 50, kcm 20) would throttle benchmarks
KWOK_NODE_SELECTOR = "kwok.x-k8s.io/node=fake"
NODE_LEASE_SECONDS = 3600
KWOK_PARALLELISM = 16


@dataclass(frozen=True)
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int
    kube_scheduler: int
    kube_controller_manager: int
    kwok: int

    @classmethod
    def free(cls) -> "Ports":
        """Ports nobody listens on now; all held open together so no two are the same."""
        sockets = []
        try:
            for _ in fields(cls):
                listener = socket.socket()
                listener.bind((LOOPBACK, 0))
                sockets.append(listener)
            return cls(*(listener.getsockname()[1] for listener in sockets))
        finally:
            for listener in sockets:
                listener.close()


@dataclass(frozen=True)
class Layout:
    """Where each file of a plane lives inside its directory."""

    directory: Path

    @property
    def pki(self) -> Pki:
        return Pki(self.directory / "pki")

    @property
    def etcd_data(self) -> Path:
        return self.directory / "etcd"

    @property
    def admin_kubeconfig(self) -> Path:
        return self.directory / "kubeconfig"

    def component_kubeconfig(self, component: str) -> Path:
        return self.directory / "kubeconfigs" / f"{component}.kubeconfig"

    @property
    def kube_scheduler_config(self) -> Path:
        return self.directory / "kube-scheduler.yaml"

    @property
    def kwok_config(self) -> Path:
        return self.directory / "kwok.yaml"

    @property
    def kwok_home(self) -> Path:
        return self.directory / "kwok-home"

    def owned_paths(self) -> list[Path]:
        """What `up` recreates: everything but logs of other runs and the marker."""
        return [self.pki.directory, self.etcd_data, self.admin_kubeconfig,
                self.directory / "kubeconfigs", self.kube_scheduler_config, self.kwok_config,
                self.kwok_home, self.directory / "logs"]


def etcd(bin_dir: Path, layout: Layout, ports: Ports) -> list[str]:
    client = f"http://{LOOPBACK}:{ports.etcd_client}"
    peer = f"http://{LOOPBACK}:{ports.etcd_peer}"
    return [
        str(bin_dir / "etcd"),
        "--name=kubesched",
        f"--data-dir={layout.etcd_data}",
        f"--listen-client-urls={client}", f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}", f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=kubesched={peer}",
        # A throwaway plane: durability is not worth an fsync per write.
        "--unsafe-no-fsync",
        "--quota-backend-bytes=8589934592",
        "--log-level=warn",
    ]


def kube_apiserver(bin_dir: Path, layout: Layout, ports: Ports, *,
                   with_controller_manager: bool) -> list[str]:
    pki = layout.pki
    command = [
        str(bin_dir / "kube-apiserver"),
        f"--etcd-servers=http://{LOOPBACK}:{ports.etcd_client}",
        f"--bind-address={LOOPBACK}", f"--advertise-address={LOOPBACK}",
        f"--secure-port={ports.apiserver}",
        f"--cert-dir={pki.directory}",
        f"--tls-cert-file={pki.apiserver.cert}", f"--tls-private-key-file={pki.apiserver.key}",
        f"--client-ca-file={pki.ca.cert}",
        "--authorization-mode=RBAC",
        # Without these the scheduler and controller manager log an error per request.
        f"--requestheader-client-ca-file={pki.front_proxy_ca.cert}",
        f"--requestheader-allowed-names={FRONT_PROXY_CLIENT}",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        f"--proxy-client-cert-file={pki.front_proxy_client.cert}",
        f"--proxy-client-key-file={pki.front_proxy_client.key}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-account-key-file={pki.service_account_public_key}",
        f"--service-account-signing-key-file={pki.service_account_key}",
        f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
        # The apiserver must never be the bottleneck of a scheduler benchmark.
        "--max-requests-inflight=0", "--max-mutating-requests-inflight=0",
        "--enable-priority-and-fairness=false",
        # Endpoints may not point at loopback: keep the `kubernetes` Service without them.
        "--endpoint-reconciler-type=none",
        "--allow-privileged=true",
    ]
    # TaintNodesByCondition taints every new node not-ready until the controller manager
    # sees it Ready: forever without one, and minutes for thousands of nodes with one.
    # The fake nodes are created Ready instead (see nodes.py).
    disabled = ["TaintNodesByCondition"]
    if not with_controller_manager:
        disabled.append("ServiceAccount")  # nothing would create the `default` ServiceAccount
    command.append(f"--disable-admission-plugins={','.join(disabled)}")
    return command


def kube_controller_manager(bin_dir: Path, layout: Layout, ports: Ports) -> list[str]:
    pki = layout.pki
    kubeconfig = layout.component_kubeconfig("kube-controller-manager")
    return [
        str(bin_dir / "kube-controller-manager"),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}", f"--authorization-kubeconfig={kubeconfig}",
        f"--bind-address={LOOPBACK}", f"--secure-port={ports.kube_controller_manager}",
        f"--service-account-private-key-file={pki.service_account_key}",
        f"--root-ca-file={pki.ca.cert}",
        f"--cluster-signing-cert-file={pki.ca.cert}", f"--cluster-signing-key-file={pki.ca.key}",
        "--use-service-account-credentials=true",
        "--leader-elect=false",
        # The ttl controller re-annotates every node each time the cluster crosses a size
        # step (100, 500, 1000, 2000 nodes): thousands of writes for a kubelet cache hint.
        "--controllers=*,-ttl",
        # Nodes renew their leases rarely (see kwok): never declare them unreachable.
        f"--node-monitor-grace-period={2 * NODE_LEASE_SECONDS}s",
        f"--kube-api-qps={CLIENT_QPS}", f"--kube-api-burst={CLIENT_QPS}",
    ]


def kube_scheduler_config(layout: Layout, user: dict | None = None) -> dict:
    """The user's KubeSchedulerConfiguration (profiles, plugins, ...) with this plane's client
    connection; unthrottled and without leader election unless the user's says otherwise."""
    config = {"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
              **(user or {})}
    connection = dict(config.get("clientConnection") or {})
    connection["kubeconfig"] = str(layout.component_kubeconfig("kube-scheduler"))
    connection.setdefault("qps", CLIENT_QPS)
    connection.setdefault("burst", CLIENT_QPS)
    config["clientConnection"] = connection
    config["leaderElection"] = {"leaderElect": False, **(config.get("leaderElection") or {})}
    return config


def kube_scheduler(bin_dir: Path, layout: Layout, ports: Ports, user_config: dict | None = None) -> list[str]:
    layout.kube_scheduler_config.write_text(yaml.safe_dump(kube_scheduler_config(layout, user_config)))
    kubeconfig = layout.component_kubeconfig("kube-scheduler")
    return [
        str(bin_dir / "kube-scheduler"),
        f"--config={layout.kube_scheduler_config}",
        f"--authentication-kubeconfig={kubeconfig}", f"--authorization-kubeconfig={kubeconfig}",
        f"--bind-address={LOOPBACK}", f"--secure-port={ports.kube_scheduler}",
    ]


def write_kwok_config(layout: Layout, stages: str) -> None:
    """kwok's options and its stages (how nodes and pods move along), in one file."""
    configuration = {
        "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
        "kind": "KwokConfiguration",
        # Workers that patch nodes and pods; upstream's 4 lag behind a fast scheduler.
        "options": {"nodePlayStageParallelism": KWOK_PARALLELISM,
                    "podPlayStageParallelism": KWOK_PARALLELISM,
                    "nodeLeaseParallelism": KWOK_PARALLELISM},
    }
    layout.kwok_config.write_text(yaml.safe_dump(configuration) + "---\n" + stages)


def kwok(bin_dir: Path, layout: Layout, ports: Ports) -> list[str]:
    return [
        str(bin_dir / "kwok"),
        f"--kubeconfig={layout.component_kubeconfig('kwok')}",
        f"--config={layout.kwok_config}",
        "--manage-all-nodes=false",
        f"--manage-nodes-with-annotation-selector={KWOK_NODE_SELECTOR}",
        "--cidr=10.0.0.0/16",
        # kwok renews each node's lease every quarter of its duration: at the default 40s
        # that is 500 writes/s for 5000 nodes, a load that would distort every benchmark.
        f"--node-lease-duration-seconds={NODE_LEASE_SECONDS}",
        f"--server-address={LOOPBACK}:{ports.kwok}",
        "--v=WARN",  # at INFO it logs every node and pod it touches
    ]
