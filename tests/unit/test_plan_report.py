"""`--report out.html`: one self-contained page that a browser renders with its charts."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml
from click.testing import CliRunner

from kubesched.cli import main

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run")


def node(name, cpu="4"):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": cpu, "memory": "16Gi", "pods": "110"}}}


def pod(name, cpu="1", node_name=None, owner=True):
    meta = {"name": name}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u",
                                    "controller": True}]
    spec = {"containers": [{"name": "c", "image": "app:1", "resources": {"requests": {"cpu": cpu, "memory": "1Gi"}}}]}
    if node_name:
        spec["nodeName"] = node_name
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


@pytest.fixture
def reports(tmp_path):
    """The three commands' reports on one small cluster."""
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(yaml.safe_dump_all([node("a"), node("b", cpu="2"), pod("run-1", "3", "a"),
                                           pod("run-2", "1", "b")]))
    (tmp_path / "pod.yaml").write_text(yaml.safe_dump(pod("worker", owner=False)))
    (tmp_path / "work.yaml").write_text(yaml.safe_dump_all([pod(f"w{i}", "2", owner=False) for i in range(5)]
                                                            + [pod("huge", "64", owner=False)]))
    (tmp_path / "tpl.yaml").write_text(yaml.safe_dump(node("tpl")))
    runner = CliRunner()
    paths = {name: tmp_path / f"{name}.html" for name in ("fit", "nodes", "drain")}
    runner.invoke(main, ["plan", "fit", "-f", str(cluster), "--pod", str(tmp_path / "pod.yaml"),
                         "--report", str(paths["fit"])])
    runner.invoke(main, ["plan", "nodes", "-f", str(cluster), "-f", str(tmp_path / "work.yaml"),
                         "--node-template", str(tmp_path / "tpl.yaml"), "--time-limit", "1", "--as-scheduled",
                         "--report", str(paths["nodes"])])
    runner.invoke(main, ["plan", "drain", "-f", str(cluster), "--nodes", "a", "--report", str(paths["drain"])])
    return paths


def test_reports_are_self_contained_pages_with_charts(reports):
    for name, path in reports.items():
        html = path.read_text()
        assert html.startswith("<!DOCTYPE html>")
        assert f"kubesched plan {name}" in html
        assert html.count("<svg") >= 2
        assert "<script" not in html
        assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", html), "nothing may be fetched"
    nodes = reports["nodes"].read_text()
    assert "Why pods do not fit" in nodes and "Insufficient cpu" in nodes
    assert "as scheduled: tpl" in nodes
    fit = reports["fit"].read_text()
    assert "Replicas that fit" in fit and "<title>a cpu after: 4000 / 4000 (100%)</title>" in fit
    drain = reports["drain"].read_text()
    assert "<title>a cpu before: 3000 / 4000 (75%)</title>" in drain


def test_reports_render_in_headless_chromium(reports, tmp_path):
    browser = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if browser is None:
        pytest.skip("no headless Chromium on this machine (apt-get install -y chromium)")
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")

    def run(*args) -> subprocess.CompletedProcess:
        profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
        return subprocess.run([browser, *CHROME_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)

    def screenshot(page) -> int:
        png = tmp_path / f"{page.stem}.png"
        run("--window-size=1200,900", f"--screenshot={png}", page.as_uri())
        assert png.is_file(), f"Chromium made no screenshot of {page.name}"
        return png.stat().st_size

    empty = screenshot(blank)
    for path in reports.values():
        dom = run("--dump-dom", path.as_uri()).stdout
        assert dom.count("<svg") >= 2 and dom.count("<rect") >= 3, "the charts are not in the rendered DOM"
        assert screenshot(path) > 3 * empty, f"{path.name} renders (almost) blank"
