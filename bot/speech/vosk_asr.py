"""Vosk (Kaldi) streaming recognition: the engine ``speech.asr_engine: auto`` picks when
a Vosk model of the shop's language is installed (else sherpa-onnx or Whisper).

One ``vosk.Model`` per process (loaded by :func:`load_vosk_model` and passed in),
one ``KaldiRecognizer`` per call, and every ``AcceptWaveform`` call runs in a
bounded thread pool so a slow decode never stalls the event loop.

Decoder tuning: the Python API exposes only result shaping on the recogniser
(``SetMaxAlternatives``, ``SetWords``, ``SetPartialWords``); beam, max-active
and lattice-beam are read by ``vosk.Model`` from ``conf/model.conf`` when the
model loads (vosk-api issue #112). :func:`load_vosk_model` therefore builds a
small overlay directory (symlinks to the model plus an edited ``model.conf``)
when any of those is overridden.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.speech.asr import StreamClock
from bot.speech.priority_pool import NORMAL, URGENT, PriorityPool
from bot.speech.vosk_pool import PooledRecognizer, RecognizerPool
from bot.types import Transcript
from spillway.audio import AudioChunk, AudioFormat
from spillway.errors import ModelError

ENGINE_NAME = "vosk"

_REQUIRED = ("am/final.mdl", "conf/model.conf")


@dataclass(frozen=True, slots=True)
class VoskTuning:
    """Decoder search settings; None keeps the model's own value."""

    beam: float | None = None
    max_active: int | None = None
    lattice_beam: float | None = None

    def overrides(self) -> dict[str, str]:
        pairs = {
            "--beam": self.beam,
            "--max-active": self.max_active,
            "--lattice-beam": self.lattice_beam,
        }
        return {k: str(v) for k, v in pairs.items() if v is not None}


def check_vosk_model_dir(path: Path, name: str) -> None:
    """Raise ModelError unless ``path`` looks like an unpacked Vosk model."""
    missing = [rel for rel in _REQUIRED if not (path / rel).is_file()]
    graph = path / "graph"
    if not (graph / "HCLG.fst").is_file() and not (graph / "HCLr.fst").is_file():
        missing.append("graph/HCLG.fst or graph/HCLr.fst")
    if missing:
        raise ModelError(
            f"Vosk model {name!r} at {path} is missing or incomplete ({', '.join(missing)})",
            hint=f"run `spillway models fetch {name}`",
        )


def tuned_model_dir(model_dir: Path, tuning: VoskTuning, overlay_root: Path) -> Path:
    """An overlay of ``model_dir`` whose conf/model.conf carries ``tuning``."""
    overrides = tuning.overrides()
    if not overrides:
        return model_dir
    conf_text = (model_dir / "conf" / "model.conf").read_text()
    lines = [ln for ln in conf_text.splitlines() if ln.split("=", 1)[0] not in overrides]
    lines += [f"{k}={v}" for k, v in sorted(overrides.items())]
    key = hashlib.sha256(f"{model_dir.resolve()}\n{lines}".encode()).hexdigest()[:16]
    overlay = overlay_root / f"{model_dir.name}-{key}"
    if (overlay / "conf" / "model.conf").is_file():
        return overlay
    staging = overlay_root / f".{overlay.name}.{os.getpid()}"
    (staging / "conf").mkdir(parents=True, exist_ok=True)
    for entry in model_dir.iterdir():
        if entry.name != "conf":
            (staging / entry.name).symlink_to(entry.resolve())
    for entry in (model_dir / "conf").iterdir():
        if entry.name != "model.conf":
            (staging / "conf" / entry.name).symlink_to(entry.resolve())
    (staging / "conf" / "model.conf").write_text("\n".join(lines) + "\n")
    try:
        staging.rename(overlay)
    except OSError:
        # Another process built the same overlay first; theirs is identical.
        if not (overlay / "conf" / "model.conf").is_file():
            raise
    return overlay


def load_vosk_model(
    model_dir: Path,
    *,
    name: str = "",
    tuning: VoskTuning | None = None,
    overlay_root: Path | None = None,
    log_level: int = -1,
) -> Any:
    """Load a ``vosk.Model`` once (seconds, hundreds of MB); pass it to :class:`VoskEngine`."""
    name = name or model_dir.name
    check_vosk_model_dir(model_dir, name)
    try:
        import vosk
    except ImportError as exc:
        raise ModelError(
            "the vosk package is not installed", hint="pip install 'spillway[speech]'"
        ) from exc
    vosk.SetLogLevel(log_level)
    path = model_dir
    if tuning is not None and tuning.overrides():
        if overlay_root is None:
            from spillway.paths import cache_dir

            overlay_root = cache_dir() / "vosk-tuned"
        overlay_root.mkdir(parents=True, exist_ok=True)
        path = tuned_model_dir(model_dir, tuning, overlay_root)
    try:
        return vosk.Model(str(path))
    except Exception as exc:
        raise ModelError(
            f"Vosk model {name!r} at {model_dir} failed to load (corrupt?): {exc}",
            hint=f"run `spillway models fetch {name} --force`",
        ) from exc


def _words(items: list[dict[str, Any]]) -> tuple[float, float, float | None]:
    """(start_s, end_s, mean confidence) of a Vosk word list."""
    confs = [float(w["conf"]) for w in items if "conf" in w]
    mean = sum(confs) / len(confs) if confs else None
    return float(items[0]["start"]), float(items[-1]["end"]), mean


class VoskStream:
    """One call's recogniser. Not thread-safe by design: one decode at a time.

    The recogniser is leased from the engine's :class:`RecognizerPool`;
    :meth:`aclose` closes any open utterance with ``FinalResult()`` and gives
    it back, unless a decode failed (then it is dropped).
    """

    def __init__(
        self,
        pooled: PooledRecognizer,
        executor: PriorityPool,
        audio_format: AudioFormat,
        *,
        emit_partials: bool = True,
        partial_interval_ms: float = 200.0,
        release: Callable[[PooledRecognizer], bool] | None = None,
    ) -> None:
        self._pooled = pooled
        self._rec: Any = pooled.recognizer
        # Vosk's word times count from the recogniser's first sample ever.
        self._base_ms = pooled.fed_ms
        self._release = release
        self._open_utterance = False
        self._broken = False
        self._partial_interval_ms = partial_interval_ms
        self._next_partial_ms = 0.0
        self._executor = executor
        self._format = audio_format
        self._emit_partials = emit_partials
        self._clock = StreamClock.new()
        self._lock = asyncio.Lock()
        self._last_partial = ""
        self._utterance_start_ms: float | None = None
        self._closed = False

    async def _run(self, priority: int, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.wrap_future(self._executor.submit(fn, *args, priority=priority))

    async def accept(self, chunk: AudioChunk, *, urgent: bool = False) -> list[Transcript]:
        """Decode ``chunk``; ``urgent`` (the caller has stopped talking) jumps the shared queue."""
        if chunk.format != self._format:
            raise ValueError(f"stream opened for {self._format}, got {chunk.format}")
        async with self._lock:
            if self._closed:
                raise RuntimeError("stream is closed")
            if self._utterance_start_ms is None:
                self._utterance_start_ms = chunk.start_ms
            self._clock.add(chunk)
            # PartialResult() walks the current best path on every call; a caller
            # needs a few updates a second, not one per 20 ms frame, so it is
            # rate-limited (bench_speech.py measures the difference).
            want_partial = self._emit_partials and self._clock.fed_total_ms >= self._next_partial_ms
            if want_partial:
                self._next_partial_ms = self._clock.fed_total_ms + self._partial_interval_ms
            raw, is_final = await self._run(
                URGENT if urgent else NORMAL, self._decode, chunk.audio, want_partial
            )
        if is_final:
            # Vosk's own endpointer fired (long pause inside what we fed).
            result = self._final(raw)
            return [result] if result is not None else []
        if not self._emit_partials:
            return []
        text = str(raw.get("partial", ""))
        if not text or text == self._last_partial:
            return []
        self._last_partial = text
        start = self._utterance_start_ms or 0.0
        return [
            Transcript(
                text=text,
                is_final=False,
                start_ms=start,
                end_ms=self._clock.to_call_ms(self._clock.fed_total_ms),
                engine=ENGINE_NAME,
            )
        ]

    def _decode(self, audio: bytes, want_partial: bool = True) -> tuple[dict[str, Any], bool]:
        try:
            self._pooled.count(audio)
            if self._rec.AcceptWaveform(audio):
                self._open_utterance = False
                return json.loads(self._rec.Result()), True
            self._open_utterance = True
            if not want_partial:
                return {}, False
            return json.loads(self._rec.PartialResult()), False
        except BaseException:
            self._broken = True
            raise

    def _flush(self) -> dict[str, Any]:
        try:
            result = dict(json.loads(self._rec.FinalResult()))
        except BaseException:
            self._broken = True
            raise
        self._open_utterance = False
        return result

    def _final(self, raw: dict[str, Any]) -> Transcript | None:
        start_ms = self._utterance_start_ms or 0.0
        end_ms = self._clock.to_call_ms(self._clock.fed_total_ms)
        self._utterance_start_ms = None
        self._last_partial = ""
        if "alternatives" in raw:
            best = raw["alternatives"][0] if raw["alternatives"] else {}
            text = str(best.get("text", ""))
            words = best.get("result", [])
            confidence: float | None = float(best["confidence"]) if "confidence" in best else None
        else:
            text = str(raw.get("text", ""))
            words = raw.get("result", [])
            confidence = None
        if words:
            start_s, end_s, mean_conf = _words(words)
            start_ms = self._clock.to_call_ms(start_s * 1000.0 - self._base_ms)
            end_ms = self._clock.to_call_ms(end_s * 1000.0 - self._base_ms)
            confidence = confidence if confidence is not None else mean_conf
        if not text.strip():
            return None
        return Transcript(
            text=text.strip(),
            is_final=True,
            start_ms=start_ms,
            end_ms=end_ms,
            confidence=confidence,
            engine=ENGINE_NAME,
        )

    async def speculate(self, speech_end_ms: float) -> None:
        """Nothing to start: Vosk has decoded the speech as it came."""

    async def end_utterance(self, *, speech_end_ms: float | None = None) -> Transcript | None:
        async with self._lock:
            if self._closed:
                raise RuntimeError("stream is closed")
            # Someone is waiting for this result: ahead of mid-utterance decoding.
            raw = await self._run(URGENT, self._flush)
            return self._final(raw)

    async def aclose(self) -> None:
        async with self._lock:
            if self._closed:
                return
            self._closed = True
            reusable = self._release is not None and not self._broken
            try:
                if reusable and self._open_utterance:
                    # The caller hung up mid-utterance: finish it so the word-time
                    # count stays exact for the next call. Cancelled here, or the
                    # engine shutting down: the recogniser is simply not reused.
                    await self._run(NORMAL, self._flush)
            except RuntimeError:
                return
            finally:
                self._rec = None
            if reusable and self._release is not None:
                self._release(self._pooled)


class VoskEngine:
    """The process-wide Vosk engine: a shared model, a bounded decode pool, warm recognisers.

    ``pool_size`` idle recognisers are kept between calls (see
    :mod:`bot.speech.vosk_pool` for why that matters for CPU); 0 makes one per call.
    """

    name = ENGINE_NAME

    def __init__(
        self,
        model: Any,
        *,
        max_workers: int | None = None,
        words: bool = True,
        partial_words: bool = False,
        max_alternatives: int = 0,
        emit_partials: bool = True,
        partial_interval_ms: float = 200.0,
        pool_size: int = 8,
    ) -> None:
        self._model = model
        self._partial_interval_ms = partial_interval_ms
        workers = max_workers or max(1, os.cpu_count() or 1)
        # Ends of utterances first: see bot.speech.priority_pool.
        self._executor = PriorityPool(workers, thread_name_prefix="vosk")
        self._words = words
        self._partial_words = partial_words
        self._max_alternatives = max_alternatives
        self._emit_partials = emit_partials
        self.pool = RecognizerPool(self._new_recognizer, max_idle=pool_size)

    def _new_recognizer(self, sample_rate_hz: int) -> Any:
        import vosk

        # The model's mfcc.conf allows up/down-sampling, so 8 kHz telephony
        # audio goes in as-is and Kaldi converts it to the model's rate.
        rec = vosk.KaldiRecognizer(self._model, float(sample_rate_hz))
        rec.SetWords(self._words)
        rec.SetPartialWords(self._partial_words)
        if self._max_alternatives:
            rec.SetMaxAlternatives(self._max_alternatives)
        return rec

    def open_stream(self, audio_format: AudioFormat) -> VoskStream:
        return VoskStream(
            self.pool.acquire(audio_format.sample_rate_hz),
            self._executor,
            audio_format,
            emit_partials=self._emit_partials,
            partial_interval_ms=self._partial_interval_ms,
            release=self.pool.release,
        )

    async def prewarm(
        self, utterances: Sequence[bytes], audio_format: AudioFormat, *, recognizers: int
    ) -> int:
        """Decode ``utterances`` through ``recognizers`` pooled recognisers before calls need them.

        A fresh recogniser is at its most expensive on its first utterances;
        this spends that CPU at start-up instead of in a caller's first reply.
        Runs one utterance at a time in asyncio's default thread pool, not in
        the engine's decode pool, so call decoding never queues behind it.
        Returns how many recognisers were warmed and given back to the pool.
        """
        count = min(recognizers, self.pool.max_idle)
        leased = [self.pool.acquire(audio_format.sample_rate_hz) for _ in range(count)]
        busy: PooledRecognizer | None = None
        try:
            for pooled in leased:
                busy = pooled
                for pcm in utterances:
                    await asyncio.to_thread(decode_utterance, pooled, pcm)
                busy = None
        finally:
            # Cancelled mid-utterance: that recogniser is still in its worker
            # thread, so it is dropped rather than handed to a call.
            warmed = sum(self.pool.release(p) for p in leased if p is not busy)
        return warmed

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.pool.clear()


def decode_utterance(pooled: PooledRecognizer, pcm: bytes, *, piece_ms: float = 100.0) -> None:
    """Feed one utterance in transport-sized pieces and close it with ``FinalResult()``."""
    step = int(pooled.sample_rate_hz * piece_ms / 1000) * 2
    for i in range(0, len(pcm), step):
        piece = pcm[i : i + step]
        pooled.count(piece)
        pooled.recognizer.AcceptWaveform(piece)
    pooled.recognizer.FinalResult()
