"""Bad options and unwritable outputs as a user meets them: exit 2 and one line on stderr,
never click's usage text or a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CLUSTER = ["-f", str(EXAMPLES / "cluster"), "-f", str(EXAMPLES / "workload")]
NODE_TEMPLATES = str(EXAMPLES / "plan" / "node-templates.yaml")


def kubesched(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kubesched", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd)


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if not line.startswith("kubesched: warning:")]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("args, words", [
    (["simulate"], "give the cluster as -f manifests or --kubeconfig/--context"),
    (["simulate", *CLUSTER, "--seed", str(2**64)], "not in the range 0<=x<=9223372036854775807"),
    (["simulate", *CLUSTER, "--seed", "-1"], "not in the range"),
    (["plan", "nodes", *CLUSTER, "--node-template", NODE_TEMPLATES, "--time-limit", "inf"], "not a finite number"),
    (["plan", "nodes", *CLUSTER, "--node-template", NODE_TEMPLATES, "--time-limit", "nan"], "not a finite number"),
    (["run", "--metrics-bind-address", "not-an-address"], "is not host:port"),
    (["run", "--metrics-bind-address", "127.0.0.1:99999"], "a port from 0 to 65535"),
    (["run", "--metrics-bind-address", "bad_host!:80"], "neither an IP address nor a host name"),
    (["trace", "openb", "--inflation", "nan"], "not a finite number"),
    (["no-such-command"], "No such command"),
])
def test_bad_options(args, words):
    assert words in one_error_line(kubesched(*args))


def test_output_into_a_missing_directory(tmp_path):
    line = one_error_line(kubesched("simulate", *CLUSTER, "--output-file", str(tmp_path / "missing" / "out.json")))
    assert line == f"error: {tmp_path / 'missing' / 'out.json'}: cannot write: No such file or directory"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full to fill a device")
def test_output_onto_a_full_device():
    assert "No space left on device" in one_error_line(kubesched("simulate", *CLUSTER, "--output-file", "/dev/full"))


def test_a_file_name_with_a_newline_stays_on_one_line(tmp_path):
    bad = tmp_path / "a\nb.yaml"
    bad.write_text("kind: Pod\n")
    assert "a\\nb.yaml" in one_error_line(kubesched("simulate", "-f", str(bad)))


@pytest.mark.parametrize("cost, words", [("1e30", "at most 1000000000 per hour"),
                                         ("1e400", "at most 1000000000 per hour"),
                                         ("1e999999999", "at most 1000000000 per hour"),
                                         ("-1", "positive decimal")])
def test_template_costs_are_bounded(tmp_path, cost, words):
    template = tmp_path / "t.yaml"
    template.write_text("kind: Node\nmetadata: {name: t, annotations: {kubesched.io/hourly-cost: '" + cost + "'}}\n"
                        "status: {allocatable: {cpu: '4', memory: 16Gi, pods: '110'}}\n")
    line = one_error_line(kubesched("plan", "nodes", *CLUSTER, "--node-template", str(template)))
    assert words in line and "Node t: metadata.annotations[kubesched.io/hourly-cost]" in line


def test_snapshot_of_an_unreachable_server(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                          "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
                          "contexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {}}]\n")
    line = one_error_line(kubesched("snapshot", "--kubeconfig", str(kubeconfig), "--output-directory", str(tmp_path / "out")))
    assert "cannot reach the API server" in line
