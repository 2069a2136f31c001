"""Upstream's decisions on a scenario: hack/oracle (kube-scheduler's own framework in
memory), built once and cached, then run per scenario.

The binary lands in $XDG_CACHE_HOME/kubesched/oracle/<key>/kubesched-oracle, where the key
hashes the oracle module's go.mod, go.sum and Go sources (not its tests), the Go version and the build
flags. It is built with the control plane's Go settings and ldflags, so that a warm
control-plane build cache compiles only the oracle's own package and link. A build goes to a
temporary directory renamed into place when done, under the control plane's file lock, so
concurrent test processes build it once and an interrupted build is never taken for one.

    python -m tests.differential.oracle          # build (if needed), print the binary's path
    python -m tests.differential.oracle --test   # and run the oracle's own Go tests
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path

from kubesched.cluster.build import (
    GO_SETTINGS, BuildError, _exclusive, _minutes, go_binary, go_environment, kubernetes_ldflags)

SOURCES = Path(__file__).resolve().parents[2] / "hack" / "oracle"
BINARY = "kubesched-oracle"
KUBERNETES_MODULE = "k8s.io/kubernetes"


class OracleError(Exception):
    """The oracle refused the scenario (exit 2) or failed."""


def run_oracle(scenario: dict) -> dict:
    """The oracle's JSON for `scenario`: {"rejected": [...], "pods": [...]}."""
    completed = subprocess.run([str(ensure_built()), "-"], input=json.dumps(scenario),
                               capture_output=True, text=True)
    if completed.returncode != 0:
        raise OracleError(f"kubesched-oracle exited {completed.returncode}: {completed.stderr.strip()}")
    return json.loads(completed.stdout)


@cache
def ensure_built() -> Path:
    """The oracle binary, built first if it is not cached."""
    target = cache_root() / cache_key()
    if (target / BINARY).is_file():
        return target / BINARY
    cache_root().mkdir(parents=True, exist_ok=True)
    with _exclusive(cache_root() / ".lock"):
        if not (target / BINARY).is_file():  # another process may have built it while we waited
            _build_into(target)
    return target / BINARY


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = str(Path.home() / ".cache")
    return Path(base) / "kubesched" / "oracle"


def cache_key() -> str:
    digest = hashlib.sha256()
    for path in sorted(SOURCES.iterdir()):
        is_source = path.suffix == ".go" and not path.name.endswith("_test.go")
        if path.is_file() and (is_source or path.name in ("go.mod", "go.sum")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(_go_version().encode() + b"\0")
    digest.update(_ldflags().encode() + b"\0")
    digest.update(repr(sorted(GO_SETTINGS.items())).encode())
    return f"kubernetes-{_kubernetes_version()}_{digest.hexdigest()[:12]}"


def _build_into(target: Path) -> None:
    started = time.monotonic()
    print(f"building the differential test's oracle into {target}", file=sys.stderr, flush=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        completed = subprocess.run(
            [go_binary(), "build", "-trimpath", "-ldflags", _ldflags(), "-o", str(staging / BINARY), "."],
            cwd=SOURCES, env=go_environment(), capture_output=True, text=True)
        if completed.returncode != 0:
            raise BuildError(f"`go build` failed for {SOURCES.name}:\n{completed.stderr[-4000:]}")
        staging.chmod(0o755)  # mkdtemp made it private
        shutil.rmtree(target, ignore_errors=True)  # an empty directory an older build left
        os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(f"oracle built in {_minutes(time.monotonic() - started)}", file=sys.stderr, flush=True)


def _ldflags() -> str:
    # The control plane's flags: the same version stamp, so kube-scheduler's packages see
    # the same binary version (feature gates' defaults follow it).
    return " ".join(["-s", "-w", *kubernetes_ldflags(_kubernetes_version())])


def _kubernetes_version() -> str:
    for line in (SOURCES / "go.mod").read_text().splitlines():
        words = line.replace("require", "").split()
        if len(words) >= 2 and words[0] == KUBERNETES_MODULE:
            return words[1]
    raise BuildError(f"{SOURCES.name}/go.mod does not require {KUBERNETES_MODULE}")


@cache
def _go_version() -> str:
    completed = subprocess.run([go_binary(), "env", "GOVERSION"], env=go_environment(),
                               capture_output=True, text=True)
    if completed.returncode != 0:
        raise BuildError(f"`go env GOVERSION` failed: {completed.stderr.strip()}")
    return completed.stdout.strip()


def run_go_tests() -> int:
    """`go test` in hack/oracle, with the build's settings: the hand-made scenarios."""
    return subprocess.run([go_binary(), "test", "-trimpath", "-count=1", "."],
                          cwd=SOURCES, env=go_environment()).returncode


if __name__ == "__main__":
    try:
        print(ensure_built())
        if sys.argv[1:] == ["--test"]:
            sys.exit(run_go_tests())
    except BuildError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
