"""What `cluster up` and `cluster down` refuse before starting anything."""

from __future__ import annotations

import pytest

from kubesched.cluster import plane
from kubesched.errors import InputError

pytestmark = pytest.mark.unit


def test_up_refuses_a_directory_that_is_not_a_planes(tmp_path):
    (tmp_path / "notes.txt").write_text("mine\n")
    with pytest.raises(InputError, match="not a kubesched cluster directory"):
        plane.up(tmp_path, plane.PlaneOptions())
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_down_refuses_a_directory_without_a_plane(tmp_path):
    with pytest.raises(InputError, match="no kubesched cluster here"):
        plane.down(tmp_path)


def test_named_clusters_follow_xdg_state_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert plane.default_directory() == tmp_path / "kubesched" / "clusters" / "kubesched"
    assert plane.default_directory("big") == tmp_path / "kubesched" / "clusters" / "big"


def test_up_refuses_to_replace_a_running_cluster(tmp_path):
    """A live kube-apiserver recorded in the directory: `up` stops nothing and starts nothing."""
    from kubesched.cluster import processes

    (tmp_path / plane.MARKER).write_text('{"server": "https://127.0.0.1:1"}\n')
    sleeper = processes.start(tmp_path, "kube-apiserver", ["sleep", "60"])
    try:
        with pytest.raises(InputError, match=r"a cluster is running here: .* \(`up --recreate`\)"):
            plane.up(tmp_path, plane.PlaneOptions())
        assert sleeper.process.poll() is None
        assert plane.is_running(tmp_path)
    finally:
        processes.stop_all(tmp_path)
    assert sleeper.process.wait(timeout=10) is not None
    assert not plane.is_running(tmp_path)


def test_list_shows_named_clusters(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    stopped = plane.default_directory("old")
    stopped.mkdir(parents=True)
    (stopped / plane.MARKER).write_text('{"server": "https://127.0.0.1:6443", "nodes": 5}\n')
    assert plane.list_clusters() == [plane.ClusterStatus("old", stopped, False, "https://127.0.0.1:6443", 5)]
