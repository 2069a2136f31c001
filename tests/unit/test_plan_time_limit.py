"""`plan nodes --time-limit` from the command's start, reading included: the limit is consulted
while the input is read and while the plan is replayed, and what it cut short is said.
Time is a fake clock that moves when it is read, never the machine's speed."""

from __future__ import annotations

from types import SimpleNamespace

import orjson
import yaml
from click.testing import CliRunner

from kubesched.cli import main
from kubesched.cli import plan as plan_command
from kubesched.deadline import Deadline
from kubesched.framework.profile import default_profile
from kubesched.model.cluster import read_cluster
from kubesched.plan.daemons import DaemonSets
from kubesched.plan.nodes import plan_nodes
from kubesched.plan.templates import read_templates
from kubesched.model.pods import PodParser


class Ticking:
    """A clock that moves `step` seconds each time it is read."""

    def __init__(self, step: float = 1.0):
        self.now, self.step, self.reads = 0.0, step, 0

    def __call__(self) -> float:
        self.reads += 1
        self.now += self.step
        return self.now


def deployment(replicas: int) -> dict:
    spec = {"containers": [{"name": "c", "image": "app:1", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "api"}},
                     "template": {"metadata": {"labels": {"app": "api"}}, "spec": spec}}}


TEMPLATE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "small"},
            "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"}}}


def files(tmp_path, replicas):
    workload, templates = tmp_path / "workload.yaml", tmp_path / "templates.yaml"
    workload.write_text(yaml.safe_dump(deployment(replicas)))
    templates.write_text(yaml.safe_dump(TEMPLATE))
    return str(workload), str(templates)


def test_reading_a_big_workload_asks_the_limit_between_replicas(tmp_path):
    workload, _ = files(tmp_path, 5000)
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) >= 4

    cluster = read_cluster([workload], stop=stop)
    assert cluster.stopped_reading
    assert len(asked) == 4  # once before the Deployment, then within its 5000 replicas
    assert 0 < len(cluster.pending_pods) < 5000
    assert not read_cluster([workload], stop=lambda: False).stopped_reading


def test_the_replay_stops_checking_at_the_limit_and_the_plan_says_so(tmp_path):
    workload, templates = files(tmp_path, 400)
    cluster = read_cluster([workload])
    clock = Ticking()
    deadline = Deadline.after(3.0, clock=clock)  # passed at the third look
    plan = plan_nodes(cluster, read_templates([templates]), default_profile(), DaemonSets([], PodParser()),
                      deadline=deadline)
    data = plan.to_json()
    assert "pods were replayed through the engine; the others are placed as the search planned" \
        in data["timeLimitReached"]
    assert len(data["placements"]) == 400 and not data["unschedulable"]  # every pod has its node still
    assert not data["optimal"] and data["nodeCount"] == 100


def test_the_command_answers_with_what_it_read_and_warns(tmp_path, monkeypatch):
    workload, templates = files(tmp_path, 3000)
    clock = Ticking(0.01)

    monkeypatch.setattr(plan_command, "Deadline",
                        SimpleNamespace(after=lambda seconds, started: Deadline(clock(), seconds, clock)))
    out = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["plan", "nodes", "-f", workload, "--node-template", templates,
                                                       "--time-limit", "0.1", "--output-file", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stderr.startswith("kubesched: warning: --time-limit reached: the input was read up to ")
    assert result.stderr.count("\n") == 1
    data = orjson.loads(out.read_bytes())
    assert 0 < len(data["placements"]) < 3000 and data["timeLimitReached"] and not data["optimal"]


def test_without_reaching_the_limit_nothing_is_said(tmp_path):
    workload, templates = files(tmp_path, 8)
    out = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["plan", "nodes", "-f", workload, "--node-template", templates,
                                                       "--time-limit", "1e9", "--output-file", str(out)])
    assert result.exit_code == 0 and "time-limit" not in result.stderr
    assert "timeLimitReached" not in orjson.loads(out.read_bytes())
