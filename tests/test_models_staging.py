"""Swapping a staged model folder into place (models/staging.py).

Shared by ``models fetch`` and the joined Whisper model: a fresh install, a
replacement, a failed rename that puts the old folder back, and a failure
so bad the old folder cannot be put back, which must then keep it rather
than delete the one copy left. Real folders in tmp_path; only the failures
are forced (``Path.rename`` refusing one named move).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models.staging import staging_dir, swap_into_place


def _folder(path: Path, text: str) -> Path:
    path.mkdir()
    (path / "model.bin").write_text(text)
    return path


def _refuse_renames_to(monkeypatch: pytest.MonkeyPatch, *refused: Path) -> None:
    real_rename = Path.rename

    def rename(self: Path, target: str | Path) -> Path:
        if Path(target) in refused:
            raise OSError(f"refused: {self} -> {target}")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)


def test_a_new_folder_is_installed_and_the_staging_dir_goes(tmp_path: Path) -> None:
    target = tmp_path / "m"
    with staging_dir(tmp_path, ".m.staging-") as staging:
        assert staging.parent == tmp_path and staging.name.startswith(".m.staging-")
        (staging / "model.bin").write_text("new")
        swap_into_place(staging, target)
    assert (target / "model.bin").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_an_existing_folder_is_replaced_and_nothing_is_left_beside_it(tmp_path: Path) -> None:
    target = _folder(tmp_path / "m", "old")
    staged = _folder(tmp_path / ".staged", "new")
    swap_into_place(staged, target)
    assert (target / "model.bin").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_a_failed_swap_puts_the_old_folder_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _folder(tmp_path / "m", "old")
    staged = _folder(tmp_path / ".staged", "new")
    real_rename = Path.rename

    def rename(self: Path, to: str | Path) -> Path:
        if self == staged:
            raise OSError("disk full")
        return real_rename(self, to)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OSError, match="disk full"):
        swap_into_place(staged, target)
    assert (target / "model.bin").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".staged", "m"]


def test_when_the_old_folder_cannot_be_put_back_it_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _folder(tmp_path / "m", "old")
    staged = _folder(tmp_path / ".staged", "new")
    _refuse_renames_to(monkeypatch, target)
    with pytest.raises(OSError, match="refused"):
        swap_into_place(staged, target)
    assert not target.exists()
    (aside,) = [p for p in tmp_path.iterdir() if p.name.startswith(".m.old-")]
    assert (aside / "model.bin").read_text() == "old", "the one copy left was deleted"


def test_the_staging_dir_goes_when_the_build_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), staging_dir(tmp_path, ".m.staging-") as staging:
        (staging / "half").write_text("x")
        raise RuntimeError("build failed")
    assert list(tmp_path.iterdir()) == []
