"""`--report out.html`: one self-contained page per command, whose headline a planner reads
at a glance and a browser renders."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import pytest
import yaml
from click.testing import CliRunner

from kubesched.cli import main
from kubesched.reports.html import natural_key

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run")


def node(name, cpu="4", instance_type=None, cost=None):
    labels = {"kubernetes.io/hostname": name}
    if instance_type:
        labels["node.kubernetes.io/instance-type"] = instance_type
    meta = {"name": name, "labels": labels}
    if cost:
        meta["annotations"] = {"kubesched.io/hourly-cost": cost}
    return {"apiVersion": "v1", "kind": "Node", "metadata": meta,
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


DAEMON = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
          "spec": {"selector": {"matchLabels": {"app": "agent"}},
                   "template": {"metadata": {"labels": {"app": "agent"}},
                                "spec": {"containers": [{"name": "c", "image": "agent:1", "resources": {
                                    "requests": {"cpu": "500m", "memory": "256Mi"}}}]}}}}


@pytest.fixture
def reports(tmp_path):
    """Every command's report and JSON answer on one small cluster: node-2 and node-10 (for the
    natural sort), node-a, -b and -c alike (one row where they stay alike), a DaemonSet for the new nodes."""
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(yaml.safe_dump_all([
        node("node-10", instance_type="m5.xlarge"), node("node-2", cpu="2", instance_type="m5.large"),
        node("node-a", instance_type="m5.xlarge"), node("node-b", instance_type="m5.xlarge"),
        node("node-c", instance_type="m5.xlarge"), pod("run-1", "3", "node-10"), pod("run-2", "1", "node-2")]))
    (tmp_path / "pod.yaml").write_text(yaml.safe_dump(pod("worker", owner=False)))
    (tmp_path / "work.yaml").write_text(yaml.safe_dump_all([pod(f"w{i}", "2", owner=False) for i in range(8)]
                                                            + [pod("huge", "64", owner=False), DAEMON]))
    (tmp_path / "tpl.yaml").write_text(yaml.safe_dump(node("big", cpu="8", cost="0.25")))
    runner = CliRunner()
    commands = {
        "simulate": ["simulate", "-f", str(cluster), "-f", str(tmp_path / "work.yaml")],
        "fit": ["plan", "fit", "-f", str(cluster), "--pod", str(tmp_path / "pod.yaml")],
        "nodes": ["plan", "nodes", "-f", str(cluster), "-f", str(tmp_path / "work.yaml"), "--node-template",
                  str(tmp_path / "tpl.yaml"), "--time-limit", "1", "--as-scheduled", "--currency", "EUR"],
        "drain": ["plan", "drain", "-f", str(cluster), "--nodes", "node-10"],
    }
    made = {}
    for name, args in commands.items():
        page, answer = tmp_path / f"{name}.html", tmp_path / f"{name}.json"
        result = runner.invoke(main, [*args, "--report", str(page), "--output-file", str(answer)])
        assert page.is_file(), result.output
        made[name] = (page, json.loads(answer.read_text()))
    return made


def figures(page: str) -> dict[str, str]:
    """The headline: data-figure -> its value, as shown."""
    return {key: html.unescape(value) for key, value in
            re.findall(r'data-figure="([^"]+)"><div class="value">([^<]*)</div>', page)}


def node_rows(page: str) -> list[str]:
    nodes = page.split("<h2>Nodes</h2>", 1)[1].split("</table>", 1)[0]
    return [html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<tr><td>(.*?)</td>", nodes)]


def test_reports_are_self_contained(reports):
    for name, (path, _) in reports.items():
        page = path.read_text()
        assert page.startswith("<!DOCTYPE html>") and f"kubesched {'plan ' if name != 'simulate' else ''}{name}" in page
        assert "<script" not in page
        assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//|url\(""", page), "nothing may be fetched"
        assert "<h2>Provenance</h2>" in page and "kubesched 0." in page


def test_headlines_are_the_answers_numbers(reports):
    page, answer = reports["nodes"]
    shown = figures(page.read_text())
    assert shown["nodes-to-add"] == str(answer["nodeCount"])
    cost = float(answer["cost"])
    assert shown["cost-hour"] == f"{cost:,.2f} EUR/h" and shown["cost-month"] == f"{cost * 730:,.2f} EUR/month"
    bound = float(answer["lowerBound"])
    assert shown["gap"] == f"{(cost - bound) / bound * 100:.1f}%"
    assert shown["unschedulable"] == str(len(answer["unschedulable"])) and shown["bottleneck"] in ("cpu", "memory")
    page, answer = reports["simulate"]
    shown = figures(page.read_text())
    summary = answer["summary"]
    assert shown["placed"] == f"{summary['placed']} / {summary['pods']}"
    assert shown["cpu-after"] == f"{summary['utilization']['cpu']['ratio'] * 100:.1f}%"
    assert figures(reports["fit"][0].read_text())["replicas"] == str(reports["fit"][1]["replicas"])


def test_nodes_in_natural_order_with_human_units_tags_and_alike_nodes_in_one_row(reports):
    page = reports["drain"][0].read_text()
    rows = node_rows(page)
    moved = reports["drain"][1]["placements"]
    assert [p["node"] for p in moved] == ["node-a"]  # the drained node's pod; b and c stay alike
    assert rows == ["node-2", "node-10drained", "node-a", "node-b … node-c (2 nodes)"]
    assert "3 cores / 4 cores · 75.0%" in page and "1.0 GiB / 16.0 GiB · 6.2%" in page
    assert sorted(["node-10", "node-2", "node-1"], key=natural_key) == ["node-1", "node-2", "node-10"]


def test_nodes_report_shows_new_nodes_their_daemonset_pods_pools_and_costs(reports):
    page, answer = reports["nodes"]
    text = page.read_text()
    new = [n["name"] for n in answer["newNodes"]]
    assert answer["daemonSetPods"] == [{"pod": f"default/agent-{name}", "node": name} for name in new]
    for name in new:
        assert f"<tr><td>default/agent-{name}</td><td>{name}</td></tr>" in text
    assert any(row.startswith(new[0]) and row.endswith("new") for row in node_rows(text))
    pools = text.split("<h2>Per pool", 1)[1].split("</table>", 1)[0]
    assert f"<td>big</td><td class=\"num\">{len(new)}</td>" in pools
    assert f"{0.25 * len(new):,.2f} EUR/h" in pools
    assert "Insufficient cpu" in text and "NodeResourcesFit" in text
    assert "<td>time limit</td><td>1 s</td>" in text


def test_reports_render_in_headless_chromium(reports, tmp_path):
    browser = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if browser is None:
        pytest.skip("no headless Chromium on this machine (apt-get install -y chromium)")

    def run(*args) -> subprocess.CompletedProcess:
        profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
        return subprocess.run([browser, *CHROME_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)

    for name, (path, answer) in reports.items():
        dom = run("--dump-dom", path.as_uri()).stdout
        assert figures(dom) == figures(path.read_text()) and figures(dom), f"{name}: the headline is not in the DOM"
        assert dom.count('class="bar"') >= 4, f"{name}: no usage bars in the DOM"
        png = tmp_path / f"{name}.png"
        run("--window-size=1200,900", f"--screenshot={png}", path.as_uri())
        assert png.is_file() and png.stat().st_size > 20_000, f"{name} renders (almost) blank"
    nodes_dom = run("--dump-dom", reports["nodes"][0].as_uri()).stdout
    assert figures(nodes_dom)["nodes-to-add"] == str(reports["nodes"][1]["nodeCount"])
