"""`kubesched` as its own process: the whole output flushed although the process ends without
freeing the command's objects (cli/teardown.py), and subcommands imported only when run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kubesched.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ["-f", str(ROOT / "examples" / "cluster"), "-f", str(ROOT / "examples" / "workload")]


def _process(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kubesched", *args], capture_output=True, text=True, cwd=ROOT)


def test_the_process_prints_and_writes_all_of_the_answer(tmp_path):
    in_process = CliRunner().invoke(main, ["simulate", *EXAMPLES, "-o", "json"], catch_exceptions=False)
    separate = _process("simulate", *EXAMPLES, "-o", "json")
    assert separate.returncode == 0, separate.stderr
    assert separate.stdout == in_process.output and json.loads(separate.stdout)["placements"]
    out = tmp_path / "out.json"
    written = _process("simulate", *EXAMPLES, "--output-file", str(out))
    assert written.returncode == 0, written.stderr
    assert out.read_text() == in_process.output
    assert written.stdout.startswith("11/12 pods placed on 5 nodes")


def test_the_process_keeps_its_exit_code_and_error_line():
    failed = _process("simulate", *EXAMPLES, "--scheduler-name", "other")
    assert failed.returncode == 2
    assert failed.stderr.startswith("error: ") and "--scheduler-name" in failed.stderr


def test_simulate_loads_neither_the_live_scheduler_nor_the_api_client():
    probe = ("import sys; from kubesched.cli import main; "
             f"main(['simulate', *{EXAMPLES!r}, '-o', 'name'], standalone_mode=False); "
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'urllib3', 'kubernetes', 'ortools', 'matplotlib', "
             "'pandas', 'prometheus_client', 'cryptography'}), sorted(m for m in sys.modules "
             "if m.startswith(('kubesched.live', 'kubesched.kube', 'kubesched.serving', 'kubesched.cluster.'))))")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert completed.stdout.splitlines()[-1] == "[] []"


def test_help_lists_every_subcommand():
    listed = CliRunner().invoke(main, ["--help"]).output
    for name in ("cluster", "completion", "explain", "plan", "run", "simulate", "snapshot", "trace"):
        assert f"\n  {name} " in listed
