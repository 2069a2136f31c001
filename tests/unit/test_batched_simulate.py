"""`simulate` on pods read as batches (kubesched.model.pod_batches, kubesched.sim.batched)
answers byte for byte as the usual reading and simulation do, in every output format, on
random clusters: JSON Lists of pods alike but for their names, of several shapes, in several
files and namespaces, among Services and Deployments, with priorities, creation times, seeds, pods that fit nowhere
(preemption), gated, nominated, bound and finished pods, volumes, other schedulerNames, and
bad or repeated names."""

from __future__ import annotations

import copy
import random

import orjson
import yaml
from click.testing import CliRunner

from kubesched.cli import main
from kubesched.cli import simulate as simulate_command
from kubesched.model import json_lists, manifests

FORMATS = (["-o", "json"], ["-o", "yaml"], ["-o", "name"], ["-o", "wide"], [], ["--output-file", "out.json"])


def _pod(rng: random.Random) -> dict:
    spec: dict = {"containers": [{"name": "c", "image": rng.choice(["pause", "nginx"]),
                                  "resources": {"requests": {"cpu": f"{rng.choice([100, 250, 500, 1500])}m",
                                                             "memory": "100Mi"}}}]}
    meta: dict = {"name": "x", "namespace": rng.choice(["default", "default", "team-a"]),
                  "labels": rng.choice([{}, {"app": "web"}, {"app": "db"}])}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
    roll = rng.random()
    if roll < 0.15:
        spec["priority"] = rng.choice([5, 100])
    elif roll < 0.25:
        meta["creationTimestamp"] = rng.choice(["2026-01-01T00:00:00Z", "2025-06-01T00:00:00Z"])
    elif roll < 0.3:
        spec["containers"][0]["resources"]["requests"]["cpu"] = "64"  # fits nowhere: preemption's turn
    elif roll < 0.33:
        spec["schedulingGates"] = [{"name": "wait"}]
    elif roll < 0.36:
        pod["status"] = {"nominatedNodeName": "n-1"}
    elif roll < 0.39:
        spec["nodeName"] = "n-0"
    elif roll < 0.41:
        pod["status"] = {"phase": "Succeeded"}
    elif roll < 0.44:
        spec["volumes"] = [{"name": "v", "persistentVolumeClaim": {"claimName": "missing"}}]
    elif roll < 0.47:
        spec["schedulerName"] = "other"
    elif roll < 0.55:
        spec["topologySpreadConstraints"] = [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                                              "labelSelector": {"matchLabels": meta["labels"]}}]
    elif roll < 0.6:
        spec["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "db"}}}]}}
    return pod


def _cluster(rng: random.Random, only_fitting: bool) -> tuple[list, list[list], list]:
    """Nodes, the pods' JSON Lists, and a few pods of a YAML file."""
    nodes = [{"apiVersion": "v1", "kind": "Node",
              "metadata": {"name": f"n-{i}", "labels": {"zone": f"z{i % 2}", "kubernetes.io/hostname": f"n-{i}"}},
              "status": {"allocatable": {"cpu": str(rng.choice([2, 4, 8])), "memory": "16Gi", "pods": "20"}}}
             for i in range(rng.randint(2, 7))]
    shapes = [_pod(rng) for _ in range(rng.randint(1, 5))]
    if only_fitting:
        shapes = [s for s in shapes if not _odd(s)] or [_plain()]
    lists, number = [], 0
    for _ in range(rng.randint(1, 2)):
        items = []
        for _ in range(rng.randint(2, 30)):
            item = copy.deepcopy(rng.choice(shapes))
            item["metadata"]["name"] = f"p-{number}"
            number += 1
            items.append(item)
        if not only_fitting and rng.random() < 0.15:  # a repeated or bad name
            rng.choice(items)["metadata"]["name"] = rng.choice(["p-0", "-p", "p..q", "p" * 254])
        if rng.random() < 0.3:  # objects among the pods: one kept as it is, or a workload's pods
            other = SERVICE if only_fitting or rng.random() < 0.7 else _deployment(len(lists))
            items.insert(rng.randint(0, len(items)), copy.deepcopy(other))
        lists.append(items)
    singles = [copy.deepcopy(rng.choice(shapes)) for _ in range(rng.randint(0, 2))]
    for i, single in enumerate(singles):
        single["metadata"]["name"] = f"s-{i}"
    return nodes, lists, singles


SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"selector": {"app": "web"}}}


def _deployment(number: int) -> dict:
    template = _plain()
    template["metadata"] = {"labels": {"app": f"d{number}"}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"d{number}", "namespace": "default"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": f"d{number}"}}, "template": template}}


def _odd(pod: dict) -> bool:
    """Whatever the batched simulation leaves to the usual one."""
    spec = pod["spec"]
    return bool(pod.get("status") or {"schedulingGates", "nodeName", "volumes", "schedulerName"} & spec.keys()
                or spec["containers"][0]["resources"]["requests"]["cpu"] == "64")


def _plain() -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "pause", "resources": {"requests": {"cpu": "100m"}}}]}}


def _files(tmp_path, rng: random.Random, only_fitting: bool) -> list[str]:
    nodes, lists, singles = _cluster(rng, only_fitting)
    args = []
    (tmp_path / "nodes.json").write_bytes(orjson.dumps({"apiVersion": "v1", "kind": "List", "items": nodes}))
    args += ["-f", str(tmp_path / "nodes.json")]
    for k, items in enumerate(lists):
        (tmp_path / f"pods-{k}.json").write_bytes(orjson.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
        args += ["-f", str(tmp_path / f"pods-{k}.json")]
    if singles:
        (tmp_path / "more.yaml").write_text(yaml.safe_dump_all(singles))
        args.insert(2, str(tmp_path / "more.yaml"))  # between the nodes and the Lists
        args.insert(2, "-f")
    return args


def _run(tmp_path, args: list[str], monkeypatch, way: str) -> tuple:
    """`way`: "batched"; "expanded" (read batched, simulated as usual); "usual" (no batch read)."""
    with monkeypatch.context() as patch:
        taken = []
        if way == "usual":
            parse = json_lists.parse_list
            patch.setattr(manifests, "parse_list", lambda data, batched=None: parse(data))
        elif way == "expanded":
            patch.setattr(simulate_command, "simulate_batched", lambda *args: None)
        else:
            batched = simulate_command.simulate_batched
            patch.setattr(simulate_command, "simulate_batched",
                          lambda *args: taken.append(batched(*args)) or taken[-1])
        out = tmp_path / "out.json"
        out.unlink(missing_ok=True)
        args = [a if a != "out.json" else str(out) for a in args]
        result = CliRunner().invoke(main, ["simulate", *args], catch_exceptions=False)
        written = out.read_bytes() if out.exists() else None
    return (result.exit_code, result.stdout, result.stderr, written), bool(taken and taken[0] is not None)


def test_batched_answers_as_the_usual_simulation(tmp_path, monkeypatch):
    batched_runs = 0
    for seed in range(150):
        rng = random.Random(seed)
        args = _files(tmp_path, rng, only_fitting=seed % 3 == 0)
        args += rng.choice(FORMATS) + (["--seed", str(seed)] if rng.random() < 0.3 else [])
        if rng.random() < 0.2:  # a second profile, serving the pods that name it
            args += ["--scheduler-name", "default-scheduler", "--scheduler-name", "other"]
        got, taken = _run(tmp_path, args, monkeypatch, "batched")
        assert got == _run(tmp_path, args, monkeypatch, "expanded")[0], (seed, args)
        assert got == _run(tmp_path, args, monkeypatch, "usual")[0], (seed, args)
        batched_runs += taken
    assert batched_runs >= 40  # the batched answer was given, not only stepped aside from
