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


def test_default_directory_follows_xdg_state_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert plane.default_directory() == tmp_path / "kubesched" / "cluster"
