"""deploy/'s image installs kubesched without its dependencies, then only
deploy/requirements-run.txt: the live scheduler must run on exactly that."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[;\s]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _run_requirements() -> list[str]:
    lines = (ROOT / "deploy" / "requirements-run.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _dependencies() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def test_the_images_requirements_are_the_packages_own():
    declared = {_name(spec): spec.split("#")[0].strip() for spec in _dependencies()}
    for spec in _run_requirements():
        assert declared.get(_name(spec)) == spec, f"{spec} differs from pyproject.toml's {declared.get(_name(spec))}"


def test_run_works_without_the_planners_and_the_traces_dependencies():
    kept = {_name(spec) for spec in _run_requirements()}
    left_out = {_name(spec) for spec in _dependencies()} - kept
    assert {"ortools", "matplotlib"} <= left_out
    modules = sorted({module for module, dists in packages_distributions().items()
                      if any(d.lower().replace("_", "-") in left_out for d in dists)} | {"pandas"})
    script = textwrap.dedent(f"""
        import sys
        class Refuse:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {modules!r}:
                    raise ImportError("not in the image: " + name)
        sys.meta_path.insert(0, Refuse())
        from kubesched.cli import main
        import kubesched.live.scheduler, kubesched.kube, kubesched.live.leader, kubesched.live.metrics
        import kubesched.serving.tls  # the self-signed serving certificate
        from kubernetes import client, config  # what kubesched.kube.credentials loads when run starts
        main(["run", "--help"], standalone_mode=False)
    """)
    process = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert process.returncode == 0, process.stderr
    assert "Schedule and bind, live" in process.stdout
