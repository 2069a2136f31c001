"""The command-line contract under hostile input, on a seeded, bounded fuzz run of every
offline command (see tests.fuzz): exit 0, 1 or 2; one `error:` line for 2; no
traceback, no signal, no hang."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261201
CASES = 500  # under a minute on two busy cores: each case runs in a child forked with every module loaded


@pytest.mark.slow
def test_every_offline_command_keeps_the_contract_on_mutated_input():
    process = subprocess.run([sys.executable, "-m", "tests.fuzz", "--root", str(ROOT),
                              "--seed", str(SEED), "--cases", str(CASES), "--json"],
                             capture_output=True, text=True, timeout=1800, cwd=ROOT)
    lines = [json.loads(line) for line in process.stdout.splitlines() if line.startswith("{")]
    assert lines and "summary" in lines[-1], (process.stdout[-2000:], process.stderr[-2000:])
    summary = lines[-1]["summary"]
    failures = lines[:-1]
    assert summary["cases"] == CASES
    # Mutations must reach every outcome, or the run tests nothing.
    assert set(summary["exit_codes"]) >= {"0", "2"}, summary
    assert not failures, "\n".join(f"{f['class']}: {f['case']['argv']} ({f['case']['mutation']}): "
                                   f"{f['stderr'][-400:]}" for f in failures[:10])
    assert process.returncode == 0
