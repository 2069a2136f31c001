"""The README's DRA example through the CLI, and a bad DRA object as the CLI reports it."""

import json
from pathlib import Path

from click.testing import CliRunner

from kubesched.cli import main

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "dra")


def test_simulate_lists_each_claims_devices():
    result = CliRunner().invoke(main, ["simulate", "-f", EXAMPLE, "-o", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    placements = json.loads(result.output)["placements"]
    assert len(placements) == 14 and all(p["node"] for p in placements)
    taken = [(d["pool"], d["device"]) for p in placements for c in p["claims"] for d in c["devices"]]
    assert len(taken) == len(set(taken)) == 24  # every GPU of the three nodes, none twice
    assert all(d["pool"] == p["node"] for p in placements for c in p["claims"] for d in c["devices"])


def test_explain_shows_the_devices_of_every_node():
    pod = json.loads(CliRunner().invoke(main, ["simulate", "-f", EXAMPLE, "-o", "json"]).output)["placements"][-1]
    result = CliRunner().invoke(main, ["explain", "-f", EXAMPLE, "--pod", pod["pod"], "-o", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["selectedNode"] == pod["node"]
    assert {n["node"]: n["devices"]["verdict"] for n in report["nodes"]}[pod["node"]] == "fits"


def test_a_bad_selector_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "class.yaml"
    bad.write_text("apiVersion: resource.k8s.io/v1\nkind: DeviceClass\nmetadata: {name: gpu}\n"
                   "spec: {selectors: [{cel: {expression: 'device.driver =='}}]}\n")
    result = CliRunner().invoke(main, ["simulate", "-f", str(bad)])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert f"{bad}: DeviceClass gpu: spec.selectors[0].cel.expression: compilation failed" in line
