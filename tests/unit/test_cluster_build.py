"""Versions and cache keys of the control plane's binaries."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kubesched.cluster import build

pytestmark = pytest.mark.unit

REPO_SOURCES = Path(__file__).resolve().parents[2] / "hack" / "controlplane"


@pytest.fixture
def sources(tmp_path):
    copy = tmp_path / "controlplane"
    shutil.copytree(REPO_SOURCES, copy, ignore=shutil.ignore_patterns("README.md"))
    return copy


def test_versions_come_from_the_wrapper_modules(sources):
    versions = build.versions(sources)
    assert set(versions) == {"kubernetes", "etcd", "kwok"}
    assert all(version.startswith("v") for version in versions.values())
    assert versions["etcd"].startswith("v3.6.")


def test_cache_key_names_the_versions(sources):
    key = build.cache_key(sources)
    for name, version in build.versions(sources).items():
        assert f"{name}-{version}" in key


def test_cache_key_changes_with_go_sum_but_not_with_docs(sources):
    key = build.cache_key(sources)
    (sources / "README.md").write_text("docs do not change binaries\n")
    assert build.cache_key(sources) == key
    go_sum = sources / "etcd" / "go.sum"
    go_sum.write_text(go_sum.read_text() + "example.com/x v1.0.0 h1:abc=\n")
    assert build.cache_key(sources) != key


def test_kubernetes_version_is_stamped():
    flags = build.kubernetes_ldflags("v1.37.2")
    assert "-X k8s.io/component-base/version.gitVersion=v1.37.2" in flags
    assert "-X k8s.io/component-base/version.gitMajor=1" in flags
    assert "-X k8s.io/component-base/version.gitMinor=37" in flags


def test_cache_lives_in_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert build.cache_root() == tmp_path / "kubesched" / "controlplane"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert build.cache_root() == Path.home() / ".cache" / "kubesched" / "controlplane"


def test_incomplete_directory_is_not_taken_for_a_build(tmp_path):
    for binary in build.BINARIES[:-1]:
        (tmp_path / binary).write_text("")
    assert not build.is_complete(tmp_path)
    (tmp_path / build.BINARIES[-1]).write_text("")
    assert build.is_complete(tmp_path)


def test_sources_found_through_the_environment(monkeypatch, sources):
    monkeypatch.setenv(build.SOURCE_ENV, str(sources))
    assert build.find_sources() == sources
    monkeypatch.setenv(build.SOURCE_ENV, str(sources / "missing"))
    with pytest.raises(build.BuildError, match=build.SOURCE_ENV):
        build.find_sources()
