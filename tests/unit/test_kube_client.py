"""The one kube client: which kubeconfig is used (client-go's loading rules), and credentials
renewed when they expire or the server answers 401."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from kubesched.errors import InputError
from kubesched.kube import ApiError, connect
from kubesched.kube.source import resolve
from tests.json_server import JsonServer

pytestmark = pytest.mark.unit


def kubeconfig(path, *, contexts, current=None, server="http://127.0.0.1:1", user=None):
    user = user or {"token": "static"}
    document = {"apiVersion": "v1", "kind": "Config",
                "clusters": [{"name": c, "cluster": {"server": server}} for c in contexts],
                "users": [{"name": c, "user": user} for c in contexts],
                "contexts": [{"name": c, "context": {"cluster": c, "user": c}} for c in contexts]}
    if current:
        document["current-context"] = current
    path.write_text(yaml.safe_dump(document))
    return path


def test_explicit_kubeconfig_wins_over_the_environment(tmp_path):
    first = kubeconfig(tmp_path / "a", contexts=["a"], current="a")
    other = kubeconfig(tmp_path / "b", contexts=["b"], current="b")
    source = resolve(str(first), None, {"KUBECONFIG": str(other)})
    assert source.paths == (str(first),) and source.context == "a"


def test_kubeconfig_list_is_merged_first_current_context_wins(tmp_path):
    first = kubeconfig(tmp_path / "a", contexts=["a"], current="a")
    second = kubeconfig(tmp_path / "b", contexts=["b"], current="b")
    missing = tmp_path / "missing"
    source = resolve(None, None, {"KUBECONFIG": f"{missing}:{first}:{second}"})
    assert source.paths == (str(first), str(second)) and source.context == "a"
    assert resolve(None, "b", {"KUBECONFIG": f"{first}:{second}"}).context == "b"


def test_home_kubeconfig_then_in_cluster(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve(None, None, {}).in_cluster
    (tmp_path / ".kube").mkdir()
    home = kubeconfig(tmp_path / ".kube" / "config", contexts=["h"], current="h")
    assert resolve(None, None, {}).paths == (str(home),)


def test_bad_choices_are_input_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(InputError, match="--kubeconfig: no such file"):
        resolve(str(tmp_path / "nope"), None, {})
    with pytest.raises(InputError, match="--context: no kubeconfig found"):
        resolve(None, "x", {})
    config = kubeconfig(tmp_path / "c", contexts=["a"], current="a")
    with pytest.raises(InputError, match="context nowhere"):
        connect(str(config), "nowhere")


class Server(JsonServer):
    """An API server stand-in: 200 for the token it accepts, else 401."""

    def __init__(self):
        self.accepted = None
        self.seen = []
        super().__init__(self._answer)

    def _answer(self, method, path, headers, body):
        token = headers.get("Authorization")
        self.seen.append(token)
        ok = token == self.accepted
        return (200 if ok else 401), {"kind": "Status", "message": "ok" if ok else "Unauthorized"}


@pytest.fixture
def server():
    running = Server()
    yield running
    running.close()


def exec_kubeconfig(tmp_path, server_url, expires_in: timedelta):
    """A kubeconfig whose exec plugin hands out token-1, token-2, ... (one more per run)."""
    counter = tmp_path / "runs"
    counter.write_text("0")
    plugin = tmp_path / "plugin.py"
    expiry = (datetime.now(timezone.utc) + expires_in).strftime("%Y-%m-%dT%H:%M:%SZ")
    plugin.write_text(f"""
import json, pathlib
counter = pathlib.Path({str(counter)!r})
runs = int(counter.read_text()) + 1
counter.write_text(str(runs))
print(json.dumps({{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                  "status": {{"token": f"token-{{runs}}", "expirationTimestamp": {expiry!r}}}}}))
""")
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": sys.executable,
                     "args": [str(plugin)], "interactiveMode": "Never"}}
    return kubeconfig(tmp_path / "config", contexts=["x"], current="x", server=server_url, user=user), counter


def test_expired_exec_credential_is_fetched_again(tmp_path, server):
    config, runs = exec_kubeconfig(tmp_path, server.url, timedelta(seconds=-1))
    kube = connect(str(config))
    server.accepted = "Bearer token-2"
    kube.request("GET", "/api")  # token-1 had expired: the plugin ran again before the request
    assert server.seen == ["Bearer token-2"] and runs.read_text() == "2"


def test_a_401_renews_a_credential_that_has_not_expired(tmp_path, server):
    config, runs = exec_kubeconfig(tmp_path, server.url, timedelta(hours=1))
    kube = connect(str(config))
    server.accepted = "Bearer token-1"
    kube.request("GET", "/api")
    kube.request("GET", "/api")
    assert runs.read_text() == "1"  # valid for an hour: not run again
    server.accepted = "Bearer token-2"  # revoked on the server side
    kube.request("GET", "/api")
    assert server.seen[-2:] == ["Bearer token-1", "Bearer token-2"] and runs.read_text() == "2"


def test_a_credential_that_stays_refused_is_an_api_error(tmp_path, server):
    config = kubeconfig(tmp_path / "config", contexts=["x"], current="x", server=server.url)
    server.accepted = "Bearer something-else"
    with pytest.raises(ApiError) as error:
        connect(str(config)).request("GET", "/api")
    assert error.value.status == 401


def test_in_cluster_token_file_is_read_again(tmp_path, monkeypatch, server):
    from kubesched.kube import credentials

    token = tmp_path / "token"
    token.write_text("first")
    ca = tmp_path / "ca.crt"
    ca.write_text("unused over plain HTTP")

    def load():
        from kubernetes import client
        from kubernetes.config.incluster_config import InClusterConfigLoader

        configuration = client.Configuration()
        InClusterConfigLoader(str(token), str(ca), environ={
            "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": server.url.rsplit(":", 1)[1]},
            try_refresh_token=False).load_and_set(configuration)
        configuration.host = server.url
        return configuration

    monkeypatch.setattr(credentials, "TOKEN_FILE_PERIOD", 0.0)
    kept = credentials.Credentials(load, 2, periodic=credentials.TOKEN_FILE_PERIOD)
    assert kept.current().headers["Authorization"] == "bearer first"
    token.write_text("rotated")
    assert kept.current().headers["Authorization"] == "bearer rotated"


def test_a_renewal_that_fails_keeps_the_credential_in_hand(monkeypatch):
    from kubernetes import client

    from kubesched.kube import credentials

    calls = []

    def load():
        calls.append(1)
        if len(calls) > 1:
            raise InputError("the exec plugin failed", file="kubeconfig")
        configuration = client.Configuration()
        configuration.host = "http://127.0.0.1:1"
        configuration.api_key["BearerToken"] = "Bearer first"
        return configuration

    kept = credentials.Credentials(load, 2, periodic=0.0)
    assert kept.current().headers["Authorization"] == "Bearer first"  # renewal failed: kept
    assert kept.current().headers["Authorization"] == "Bearer first"
    assert len(calls) == 2  # not retried before a second has passed
