"""`kubesched run` as operators run kube-scheduler: the kubeconfig found as client-go finds
it, credentials that expire mid-run, leader election from the configuration file, /metrics
behind the API server's authentication and authorization."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kubesched.cli import main
from kubesched.kube import ApiError
from tests.integration.live_fixtures import (  # noqa: F401 (fixtures)
    RunningScheduler, create_pod, events_for, list_pods, live_kube, live_plane, namespace, pod,
    scheduler_name, wait_all_bound)
from tests.https import https_get
from tests.waiting import wait_for
from tests.json_server import JsonServer
from tests.integration.test_live_rbac import DEPLOY, _apply, _token_kubeconfig

pytestmark = pytest.mark.integration


def _contexts_kubeconfig(admin: Path, target: Path, *, contexts: dict[str, str], current: str) -> Path:
    """A kubeconfig with the admin's credentials under several contexts; each context's
    server is the plane's ("plane") or a closed port ("broken")."""
    document = yaml.safe_load(admin.read_text())
    cluster, user = document["clusters"][0]["cluster"], document["users"][0]["user"]
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead = f"https://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    servers = {"plane": cluster["server"], "broken": dead}
    target.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": current,
        "clusters": [{"name": name, "cluster": {**cluster, "server": servers[where]}}
                     for name, where in contexts.items()],
        "users": [{"name": name, "user": user} for name in contexts],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}} for name in contexts]}))
    return target


def test_kubeconfig_env_list_and_context(live_plane, live_kube, namespace, scheduler_name, tmp_path,
                                         monkeypatch):
    first = _contexts_kubeconfig(live_plane.kubeconfig, tmp_path / "first",
                                 contexts={"good": "plane"}, current="good")
    second = _contexts_kubeconfig(live_plane.kubeconfig, tmp_path / "second",
                                  contexts={"bad": "broken", "also-good": "plane"}, current="bad")
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'missing'}:{first}:{second}")
    runner = CliRunner()
    # the first file's current-context wins (the official Python client alone picks the last)
    result = runner.invoke(main, ["snapshot", "--output-directory", str(tmp_path / "dump")])
    assert result.exit_code == 0, result.output
    assert "Node" in result.output
    result = runner.invoke(main, ["snapshot", "--context", "bad", "--output-directory", str(tmp_path / "dump2")])
    assert result.exit_code == 2 and "cannot reach the API server" in result.output
    result = runner.invoke(main, ["snapshot", "--context", "nowhere", "--output-directory", str(tmp_path / "dump3")])
    assert result.exit_code == 2 and "nowhere" in result.output

    # run: no --kubeconfig, $KUBECONFIG and --context instead
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"apiVersion": "kubescheduler.config.k8s.io/v1",
                                  "kind": "KubeSchedulerConfiguration",
                                  "profiles": [{"schedulerName": scheduler_name}]}))
    log = tmp_path / "run.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "kubesched", "run", "--context", "also-good", "--config", str(config),
             "--secure-port", "0"], stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "KUBECONFIG": f"{first}:{second}"})
    try:
        create_pod(live_kube, namespace, pod("via-env", scheduler_name))
        wait_all_bound(live_kube, namespace, 1)
    finally:
        process.kill()
        process.wait()

    # simulate reads the live cluster through the same resolution
    result = runner.invoke(main, ["simulate", "--context", "good"])
    assert result.exit_code == 0, result.output
    assert "pods placed on" in result.output


EXEC_PLUGIN = """
import json, pathlib, sys, uuid
from datetime import datetime, timedelta, timezone
from kubesched.kube import connect

admin, state, lifetime = sys.argv[1], pathlib.Path(sys.argv[2]), float(sys.argv[3])
kube = connect(admin)
runs = json.loads(state.read_text()) if state.exists() else []
name = f"exec-token-{uuid.uuid4().hex[:8]}"
secret = kube.request("POST", "/api/v1/namespaces/kube-system/secrets",
                      {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}})
token = kube.request("POST", "/api/v1/namespaces/kube-system/serviceaccounts/kubesched/token", {
    "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
    "spec": {"expirationSeconds": 3600, "boundObjectRef": {
        "apiVersion": "v1", "kind": "Secret", "name": name, "uid": secret["metadata"]["uid"]}}})
for previous in runs:  # the tokens handed out before stop working now
    try:
        kube.request("DELETE", f"/api/v1/namespaces/kube-system/secrets/{previous}")
    except Exception:
        pass
state.write_text(json.dumps(runs + [name]))
expiry = datetime.now(timezone.utc) + timedelta(seconds=lifetime)
print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                  "status": {"token": token["status"]["token"],
                             "expirationTimestamp": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")}}))
"""


def test_exec_credential_expiring_mid_run_loses_no_binding(live_plane, live_kube, namespace,
                                                           scheduler_name, tmp_path):
    """The exec plugin's token says it expires after 12 s, and each run revokes the tokens
    handed out before: the scheduler must run it again in time, and again on a 401."""
    _apply(live_kube, DEPLOY / "rbac.yaml")
    plugin, state = tmp_path / "plugin.py", tmp_path / "tokens.json"
    plugin.write_text(EXEC_PLUGIN)
    admin = yaml.safe_load(live_plane.kubeconfig.read_text())
    kubeconfig = tmp_path / "exec.kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "exec",
        "clusters": [{"name": "plane", "cluster": admin["clusters"][0]["cluster"]}],
        "users": [{"name": "exec", "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1", "command": sys.executable,
            "args": [str(plugin), str(live_plane.kubeconfig), str(state), "12"],
            "env": [{"name": "PYTHONPATH", "value": os.pathsep.join(sys.path)}],
            "interactiveMode": "Never"}}}],
        "contexts": [{"name": "exec", "context": {"cluster": "plane", "user": "exec"}}]}))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"apiVersion": "kubescheduler.config.k8s.io/v1",
                                  "kind": "KubeSchedulerConfiguration",
                                  "profiles": [{"schedulerName": scheduler_name}]}))
    running = RunningScheduler(kubeconfig, config, tmp_path / "run.log")
    try:
        created = 0
        deadline = time.monotonic() + 180
        while len(json.loads(state.read_text() if state.exists() else "[]")) < 4:
            assert time.monotonic() < deadline, running.text()[-3000:]
            assert running.process.poll() is None, running.text()[-3000:]
            for _ in range(5):
                create_pod(live_kube, namespace, pod(f"p-{created:03d}", scheduler_name))
                created += 1
            time.sleep(1)
        wait_all_bound(live_kube, namespace, created, timeout=120)
        text = running.text()
        # klog lines start with their level; a failed renewal or request logs W or E (a bare
        # "401" search also matched the random host name in the serving line)
        problems = [line for line in text.splitlines() if line[:1] in ("W", "E")]
        assert not problems and "Unauthorized" not in text, text[-3000:]
    finally:
        running.kill()


def _lease(kube, name):
    return kube.request("GET", f"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{name}")


def _metrics(address: str) -> str:
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as response:
        return response.read().decode()


def test_leader_election_from_the_configuration(live_plane, live_kube, namespace, scheduler_name,
                                                tmp_path):
    lease = f"lease-{uuid.uuid4().hex[:8]}"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
        "leaderElection": {"leaderElect": True, "resourceName": lease, "resourceNamespace": "kube-system",
                           "leaseDuration": "15s", "renewDeadline": "10s", "retryPeriod": "500ms"},
        "profiles": [{"schedulerName": scheduler_name}]}))
    replicas = [RunningScheduler(live_plane.kubeconfig, config, tmp_path / f"run-{i}.log") for i in range(2)]
    try:
        for i in range(30):
            create_pod(live_kube, namespace, pod(f"p-{i:02d}", scheduler_name))
        wait_all_bound(live_kube, namespace, 30)
        holder = _lease(live_kube, lease)["spec"]["holderIdentity"]
        assert holder
        deadline = time.monotonic() + 30
        while True:  # the standby's gauge is 0, the leader's 1
            statuses = sorted(
                line.rsplit(" ", 1)[1] for r in replicas for line in _metrics(r.metrics_address()).splitlines()
                if line.startswith(f'leader_election_master_status{{name="{lease}"}}'))
            if statuses == ["0.0", "1.0"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert statuses == ["0.0", "1.0"]

        def scheduled_events():  # normal events give way to bindings for up to 120 s (live/events.py)
            found = [e for e in events_for(live_kube, namespace) if e["reason"] == "Scheduled"]
            return found if len(found) >= 30 else None

        events = wait_for(scheduled_events, timeout=300, what="a Scheduled event per pod", interval=0.5)
        assert len({e["reportingInstance"] for e in events}) == 1  # one replica bound them all
    finally:
        for replica in replicas:
            replica.kill()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _https_get(port: int, path: str, token: str | None = None) -> tuple[int, str]:
    return https_get(f"127.0.0.1:{port}", path, token)


def _service_account_token(kube, namespace: str, name: str) -> str:
    try:
        kube.request("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts",
                     {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}})
    except ApiError as error:
        if error.status != 409:
            raise
    return kube.request("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
                        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                         "spec": {"expirationSeconds": 3600}})["status"]["token"]


def test_metrics_need_a_token_the_deploy_rbac_allows(live_plane, live_kube, namespace, scheduler_name,
                                                     tmp_path):
    _apply(live_kube, DEPLOY / "rbac.yaml")
    monitoring = [d for d in yaml.safe_load_all((DEPLOY / "monitoring.yaml").read_text())
                  if d and d["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    for document in monitoring:
        if document["kind"] == "ClusterRoleBinding":
            document["metadata"]["name"] += f"-{namespace}"
            document["subjects"] = [{"kind": "ServiceAccount", "name": "scraper", "namespace": namespace}]
        try:
            live_kube.request("POST", f"/apis/rbac.authorization.k8s.io/v1/{document['kind'].lower()}s", document)
        except ApiError as error:
            if error.status != 409:
                raise
    scraper = _service_account_token(live_kube, namespace, "scraper")
    stranger = _service_account_token(live_kube, namespace, "stranger")
    kubeconfig = _token_kubeconfig(live_kube, live_plane.kubeconfig, tmp_path / "sa.kubeconfig")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"apiVersion": "kubescheduler.config.k8s.io/v1",
                                  "kind": "KubeSchedulerConfiguration",
                                  "profiles": [{"schedulerName": scheduler_name}]}))
    port = _free_port()
    running = RunningScheduler(kubeconfig, config, tmp_path / "run.log", "--secure-port", str(port),
                               "--bind-address", "127.0.0.1")
    try:
        deadline = time.monotonic() + 30
        while _https_get(port, "/healthz")[0] != 200:
            assert time.monotonic() < deadline and running.process.poll() is None, running.text()[-3000:]
            time.sleep(0.2)
        status, body = _https_get(port, "/metrics")
        assert status == 403 and "system:anonymous" in body
        assert _https_get(port, "/metrics", "not-a-token")[0] == 401
        assert _https_get(port, "/metrics", stranger)[0] == 403
        status, body = _https_get(port, "/metrics", scraper)
        assert status == 200, body
        assert "scheduler_pending_pods" in body and "process_resident_memory_bytes" in body
        assert "_created" not in body
        assert _https_get(port, "/readyz")[0] == 200
    finally:
        running.kill()


class _Extender(JsonServer):
    """An extender on loopback: keeps only `allowed` nodes (the others fail with a message)
    and scores `preferred` highest; records the verbs called."""

    def __init__(self, allowed: set[str], preferred: str):
        self.allowed = allowed
        self.preferred = preferred
        self.calls: list[str] = []
        super().__init__(self._answer)
        self.url += "/scheduler"

    def _answer(self, method, path, headers, args):
        verb = path.rsplit("/", 1)[1]
        self.calls.append(verb)
        names = args["NodeNames"]  # upstream's untagged field names, as kubesched sends them
        wants = args["Pod"]["metadata"].get("labels", {}).get("extender") != "refuse"
        if verb == "filter":
            kept = [n for n in names if n in self.allowed and wants]
            return 200, {"nodenames": kept,
                         "failedNodes": {n: "refused by the test extender" for n in names if n not in kept}}
        return 200, [{"host": n, "score": 10 if n == self.preferred else 1} for n in names]


def test_an_extender_filters_and_scores(live_plane, live_kube, namespace, scheduler_name, tmp_path):
    nodes = sorted(n["metadata"]["name"] for n in live_kube.request("GET", "/api/v1/nodes")["items"]
                   if n["metadata"].get("labels", {}).get("type") == "kwok")
    allowed, preferred = set(nodes[:2]), nodes[1]
    extender = _Extender(allowed, preferred)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
        "extenders": [{"urlPrefix": extender.url, "filterVerb": "filter", "prioritizeVerb": "prioritize",
                       "weight": 5, "nodeCacheCapable": True, "httpTimeout": "10s"}],
        "profiles": [{"schedulerName": scheduler_name}]}))
    running = RunningScheduler(live_plane.kubeconfig, config, tmp_path / "run.log", "-v=2")
    try:
        for i in range(3):
            create_pod(live_kube, namespace, pod(f"p-{i}", scheduler_name, cpu="10m", memory="10Mi"))
        create_pod(live_kube, namespace, pod("refused", scheduler_name, meta={"labels": {"extender": "refuse"}}))
        bound = wait_all_bound(live_kube, namespace, 3)
        # the weighted extender score (5 × 10 × 10) outweighs the default plugins' differences
        assert {p["spec"]["nodeName"] for p in bound if p["metadata"]["name"].startswith("p-")} == {preferred}
        deadline = time.monotonic() + 30
        while True:
            refused = [e for e in events_for(live_kube, namespace)
                       if e["reason"] == "FailedScheduling" and e["regarding"]["name"] == "refused"]
            if refused or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert refused, running.text()[-3000:]
        assert "refused by the test extender" in refused[0]["note"]
        assert {"filter", "prioritize"} <= set(extender.calls)
        # -v=2: one line per binding as upstream's, counting the extender's rejections
        assert (f'"Successfully bound pod to node" pod="{namespace}/p-0" node="{preferred}" '
                f'evaluatedNodes={len(nodes)} feasibleNodes=2') in running.text()
        assert f'"Unable to schedule pod; no fit; waiting" pod="{namespace}/refused"' in running.text()
    finally:
        running.kill()
        extender.close()
