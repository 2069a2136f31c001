"""deploy/'s RBAC suffices: the scheduler runs with the kubesched ServiceAccount's token."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
import yaml

from kubesched.kube import ApiError
from tests.integration.live_fixtures import (  # noqa: F401 (fixtures)
    create_pod, events_for, live_kube, live_plane, namespace, pod, scheduled_condition,
    start_scheduler, wait_all_bound, wait_decided)

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"

PATHS = {
    "ServiceAccount": "/api/v1/namespaces/{namespace}/serviceaccounts",
    "ClusterRole": "/apis/rbac.authorization.k8s.io/v1/clusterroles",
    "ClusterRoleBinding": "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
    "Role": "/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles",
    "RoleBinding": "/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings",
}


def _apply(kube, path: Path) -> list[dict]:
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
    for document in documents:
        target = PATHS[document["kind"]].format(namespace=document["metadata"].get("namespace"))
        try:
            kube.request("POST", target, document)
        except ApiError as error:
            if error.status != 409:
                raise
    return documents


def _token_kubeconfig(kube, admin_kubeconfig: Path, target: Path) -> Path:
    token = kube.request(
        "POST", "/api/v1/namespaces/kube-system/serviceaccounts/kubesched/token",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
         "spec": {"expirationSeconds": 3600}})["status"]["token"]
    admin = yaml.safe_load(admin_kubeconfig.read_text())
    cluster = admin["clusters"][0]["cluster"]
    target.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "kubesched",
        "clusters": [{"name": "plane", "cluster": {
            "server": cluster["server"],
            "certificate-authority-data": cluster.get("certificate-authority-data") or
            base64.b64encode(Path(cluster["certificate-authority"]).read_bytes()).decode()}}],
        "users": [{"name": "kubesched", "user": {"token": token}}],
        "contexts": [{"name": "kubesched",
                      "context": {"cluster": "plane", "user": "kubesched"}}]}))
    return target


def test_deploy_rbac_is_enough_to_schedule(live_plane, live_kube, namespace, start_scheduler,
                                           tmp_path):
    _apply(live_kube, DEPLOY / "rbac.yaml")
    config = yaml.safe_load((DEPLOY / "configmap.yaml").read_text())["data"]["config.yaml"]
    scheduler_name = yaml.safe_load(config)["profiles"][0]["schedulerName"]
    kubeconfig = _token_kubeconfig(live_kube, live_plane.kubeconfig, tmp_path / "sa.kubeconfig")
    config_path = tmp_path / "config.yaml"
    config_path.write_text(config)

    from tests.integration.live_fixtures import RunningScheduler
    running = RunningScheduler(kubeconfig, config_path, tmp_path / "sa-run.log", "--leader-elect",
                               "--leader-elect-lease-duration", "4",
                               "--leader-elect-renew-deadline", "3",
                               "--leader-elect-retry-period", "0.5")
    try:
        for i in range(10):
            create_pod(live_kube, namespace, pod(f"sa-{i}", scheduler_name))
        create_pod(live_kube, namespace, pod("sa-too-big", scheduler_name, cpu="64"))
        wait_all_bound(live_kube, namespace, 10, timeout=60)
        condition = scheduled_condition(wait_decided(live_kube, namespace, "sa-too-big"))
        assert condition["status"] == "False" and condition["reason"] == "Unschedulable"
        deadline = time.monotonic() + 120  # a poll limit: events are sent after the bindings
        while time.monotonic() < deadline:
            reasons = {e["reason"] for e in events_for(live_kube, namespace)}
            if {"Scheduled", "FailedScheduling"} <= reasons:
                break
            time.sleep(0.2)
        assert {"Scheduled", "FailedScheduling"} <= reasons
        lease = live_kube.request(
            "GET", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kubesched")
        assert lease["spec"]["holderIdentity"]
        assert running.terminate() < 10
        lease = live_kube.request(
            "GET", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kubesched")
        assert not lease["spec"].get("holderIdentity")  # released with the SA's rights
        log = running.text().lower()
        assert "forbidden" not in log and " 403 " not in log, running.text()[-3000:]
    finally:
        running.kill()
