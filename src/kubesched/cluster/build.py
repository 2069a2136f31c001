"""Build the control plane's binaries from the Go wrapper modules, cached per version.

The wrapper modules in hack/controlplane/ are the single source of truth for versions:
their go.mod files pin them and their go.sum files make the build reproducible. The
binaries land in $XDG_CACHE_HOME/kubesched/controlplane/<key>/, where the key names the
versions and hashes the wrapper modules and the build flags. A build goes to a temporary
directory that is renamed into place only when every binary is there, so an interrupted
build is never taken for a cached one.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kubesched.progress import Progress

SOURCE_ENV = "KUBESCHED_CONTROLPLANE_SRC"
SOURCE_IN_REPO = Path("hack") / "controlplane"
BUILD_LOG = "build.log"

GO_SETTINGS = {
    "GOTOOLCHAIN": "local",  # build with the installed Go, never download another
    "GOWORK": "off",
    # No VCS stamp: it would run git on the enclosing repository and vary with its state.
    "GOFLAGS": "-mod=readonly -buildvcs=false",
    "CGO_ENABLED": "0",  # static binaries, and no C compiler needed
}


class BuildError(Exception):
    """The Go toolchain is missing or a `go build` failed."""


@dataclass(frozen=True)
class Module:
    """One wrapper module, the versions it pins and the binaries built from it."""

    directory: str
    pins: dict[str, str]  # name shown to people → Go module path required in go.mod
    packages: tuple[str, ...]
    binaries: tuple[str, ...]

    def versions(self, sources: Path) -> dict[str, str]:
        go_mod = (sources / self.directory / "go.mod").read_text()
        found = {}
        for name, module_path in self.pins.items():
            match = re.search(rf"^\s*(?:require\s+)?{re.escape(module_path)}\s+(v\S+)",
                              go_mod, re.MULTILINE)
            if match is None:
                raise BuildError(f"{self.directory}/go.mod does not require {module_path}")
            found[name] = match.group(1)
        return found


# kwok shares the Kubernetes module's build list: client-go and friends compile once.
KUBERNETES = Module(
    "kubernetes", {"kubernetes": "k8s.io/kubernetes", "kwok": "sigs.k8s.io/kwok"},
    ("k8s.io/kubernetes/cmd/kube-apiserver", "k8s.io/kubernetes/cmd/kube-controller-manager",
     "k8s.io/kubernetes/cmd/kube-scheduler", "k8s.io/kubernetes/cmd/kubectl", "sigs.k8s.io/kwok/cmd/kwok",
     "./kwok-stages"),
    ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok", "kwok-stages"))
ETCD = Module("etcd", {"etcd": "go.etcd.io/etcd/server/v3"}, (".",), ("etcd",))
MODULES = (ETCD, KUBERNETES)
BINARIES = tuple(binary for module in MODULES for binary in module.binaries)


def kubernetes_ldflags(version: str) -> list[str]:
    """-X flags so that `kube-apiserver --version` and the user agents name the release."""
    major, minor = version.lstrip("v").split(".")[:2]
    values = {"gitVersion": version, "gitMajor": major, "gitMinor": minor,
              "gitTreeState": "clean"}
    return [f"-X {package}.{name}={value}"
            for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")
            for name, value in values.items()]


def ldflags(module: Module, sources: Path) -> str:
    # -s -w drop the symbol table and DWARF: smaller binaries and a faster link.
    flags = ["-s", "-w"]
    if module is KUBERNETES:
        flags += kubernetes_ldflags(module.versions(sources)["kubernetes"])
    return " ".join(flags)


def find_sources() -> Path:
    """hack/controlplane of this repository: from $KUBESCHED_CONTROLPLANE_SRC, the source
    tree this package was imported from, or the current directory and its parents."""
    if os.environ.get(SOURCE_ENV):
        candidates = [Path(os.environ[SOURCE_ENV]).expanduser()]
    else:
        package_tree = Path(__file__).resolve().parents[3]
        here = Path.cwd().resolve()
        candidates = [root / SOURCE_IN_REPO for root in (package_tree, here, *here.parents)]
    for candidate in candidates:
        if all((candidate / module.directory / "go.mod").is_file() for module in MODULES):
            return candidate
    raise BuildError(
        f"cannot find the control plane's Go modules ({SOURCE_IN_REPO}/): run from the "
        f"kubesched repository or set {SOURCE_ENV}")


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = str(Path.home() / ".cache")
    return Path(base) / "kubesched" / "controlplane"


def versions(sources: Path) -> dict[str, str]:
    return {name: version for module in MODULES
            for name, version in module.versions(sources).items()}


def cache_key(sources: Path) -> str:
    """Versions for people, plus a hash of everything that decides the binaries' content."""
    digest = hashlib.sha256()
    for path in sorted(sources.rglob("*")):
        if path.is_file() and (path.suffix == ".go" or path.name in ("go.mod", "go.sum")):
            digest.update(str(path.relative_to(sources)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    for module in MODULES:
        digest.update(ldflags(module, sources).encode() + b"\0")
    digest.update(repr(sorted(GO_SETTINGS.items())).encode())
    named = "_".join(f"{name}-{version}" for name, version in versions(sources).items())
    return f"{named}_{digest.hexdigest()[:12]}"


def is_complete(directory: Path) -> bool:
    return all((directory / binary).is_file() for binary in BINARIES)


def cached_bin_dir(sources: Path | None = None) -> Path | None:
    directory = cache_root() / cache_key(sources or find_sources())
    return directory if is_complete(directory) else None


def default_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_built(progress: Callable[[str], None] = default_progress) -> Path:
    """The directory holding every binary, building them first if they are not cached."""
    sources = find_sources()
    root = cache_root()
    target = root / cache_key(sources)
    if is_complete(target):
        return target
    root.mkdir(parents=True, exist_ok=True)
    with _exclusive(root / ".lock"):
        if is_complete(target):  # another process built it while we waited
            return target
        if target.exists():
            shutil.rmtree(target)
        _build_into(target, sources, progress)
    return target


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build_into(target: Path, sources: Path, progress: Callable[[str], None]) -> None:
    go = go_binary()
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    started = time.monotonic()
    progress(f"building the control plane into {target} (a cold build takes a while)")
    try:
        for module in MODULES:
            _build_module(go, module, sources, staging, progress)
        staging.chmod(0o755)  # mkdtemp made it private
        os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    progress(f"control plane built in {_minutes(time.monotonic() - started)}")


def go_binary() -> str:
    go = os.environ.get("GO") or shutil.which("go")
    if go is None and Path("/usr/local/go/bin/go").is_file():  # the official tarball's place
        go = "/usr/local/go/bin/go"
    if go is None:
        raise BuildError("the Go toolchain is needed to build the control plane: install Go "
                         "(see hack/controlplane/*/go.mod for the version) or set $GO")
    return go


def go_environment() -> dict[str, str]:
    return {**os.environ, **GO_SETTINGS}


def _build_module(go: str, module: Module, sources: Path, output: Path,
                  progress: Callable[[str], None]) -> None:
    pinned = ", ".join(f"{name} {version}" for name, version in module.versions(sources).items())
    what = f"{', '.join(module.binaries)} ({pinned})"
    log_path = output / BUILD_LOG
    directory = sources / module.directory
    progress(f"  downloading modules for {what}")
    with Progress(0, "    downloading", say=progress, every=60) as waiting:
        _run_logged([go, "mod", "download"], directory, log_path, what, waiting, progress)
    # `go build -v` names each package it compiles: against `go list -deps`, a progress bar.
    packages = _package_count(go, directory, module.packages)
    progress(f"  building {what}")
    with Progress(packages, f"    building {module.directory}", unit="packages", say=progress, every=60) as bar:
        _run_logged([go, "build", "-v", "-trimpath", "-ldflags", ldflags(module, sources),
                     "-o", str(output) + os.sep, *module.packages], directory, log_path, what, bar, progress)
    log_path.unlink()


def _package_count(go: str, directory: Path, packages: tuple[str, ...]) -> int:
    listed = subprocess.run([go, "list", "-deps", *packages], cwd=directory, env=go_environment(),
                            capture_output=True, text=True)
    return len(listed.stdout.split()) if listed.returncode == 0 else 0


def _run_logged(command: list[str], directory: Path, log_path: Path, what: str, bar: Progress,
                progress: Callable[[str], None]) -> None:
    """Run a go command into its log, advancing `bar` by the package names it prints."""
    started = time.monotonic()
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=directory, env=go_environment(), stdout=log,
                                   stderr=subprocess.STDOUT)
        try:
            while True:
                try:
                    process.wait(timeout=1)
                    break
                except subprocess.TimeoutExpired:
                    bar.advance_to(_package_lines(log_path))
        except BaseException:  # interrupted: no go process may write on afterwards
            process.kill()
            process.wait()
            raise
    if process.returncode != 0:
        tail = "".join(log_path.read_text(errors="replace").splitlines(True)[-30:])
        raise BuildError(f"`{' '.join(command[:2])}` failed for {what}:\n{tail}")
    bar.close()
    progress(f"    done in {_minutes(time.monotonic() - started)}")


def _package_lines(log_path: Path) -> int:
    """Lines that are an import path (`go build -v`), not a message."""
    return sum(1 for line in log_path.read_text(errors="replace").splitlines() if line and " " not in line)


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
