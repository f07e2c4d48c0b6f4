"""faster-whisper as a second ASR engine: one transcription per utterance.

Whisper is not a streaming model, so the stream buffers the speech frames of
an utterance and transcribes them when the endpointer closes it (no partials).
CTranslate2 runs int8 on the CPU with a bounded number of threads; the model
is loaded once (:func:`load_whisper_model`) and shared by every call.

Whisper was trained on 30-second windows, and faster-whisper pads every
utterance to one: the encoder then spends most of a turn's decode on
silence (tiny.en on 2 cores: 190-240 ms of encoder for a 30 s window, 40 ms
for 15 s). :class:`WhisperDecoder` encodes a 15-second window instead (the
endpointer's longest utterance), padded with silent *audio* so the model
sees where speech stops, and greedily decodes the text. An utterance that
fits 10 seconds (nearly all of them) gets a 10-second window: a cheaper
encode, heard as well over the English held-out lines (76 of 781 words wrong
in 10 and 15 s windows in one run; bench/bench_decode_burst.py). A 6 s window
heard those lines as well but order numbers worse (5 against 3 of 24 spoken
order numbers misheard, and a CI run's "10042" heard as "100042"), so it is
not the default. In a short window
tiny.en sometimes loops on its own first words ("Yes? Yes? Yes?"), so the
repeat is cut (:func:`cut_repeat`). Utterances queued up behind a decode
(several callers stopped at once) are decoded as one batch
(:meth:`WhisperDecoder.decode_many`).
Longer audio, or an unset language, takes faster-whisper's own path.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bot.speech.priority_pool import PriorityPool, due_in
from bot.speech.utterance_buffer import UtteranceBuffer
from bot.types import Transcript
from spillway.audio import AudioChunk, AudioFormat
from spillway.errors import ModelError

ENGINE_NAME = "whisper"
WHISPER_RATE_HZ = 16000
# Whisper's mel frames are 10 ms apart; the encoder halves them.
_HOP_SAMPLES = 160
_REQUIRED = ("model.bin", "config.json", "tokenizer.json")
# The endpointer's longest utterance (EndpointConfig.max_utterance_ms) fits.
DEFAULT_WINDOW_S = 15.0
# Shorter utterances: a cheaper encode, heard as well (see the module docstring). A
# 6 s window was tried and not kept: it heard order numbers worse ("10,000 45").
SHORT_WINDOWS_S = (10.0,)
# Queued utterances one worker decodes as one batch (docs/PERFORMANCE.md, "Batched decodes").
MAX_BATCH = 4
# faster-whisper's defaults for "this window holds no speech".
_NO_SPEECH_PROB = 0.6
_NO_SPEECH_LOGPROB = -1.0


def load_whisper_model(
    model_dir: Path,
    *,
    name: str = "",
    cpu_threads: int = 2,
    compute_type: str = "int8",
    workers: int = 1,
) -> Any:
    """Load a CTranslate2 Whisper model directory (as faster-whisper publishes them)."""
    name = name or model_dir.name
    missing = [rel for rel in _REQUIRED if not (model_dir / rel).is_file()]
    if missing:
        raise ModelError(
            f"Whisper model {name!r} at {model_dir} is missing or incomplete "
            f"({', '.join(missing)})",
            hint=f"run `spillway models fetch {name}`",
        )
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise ModelError(
            "the faster-whisper package is not installed", hint="pip install 'spillway[speech]'"
        ) from exc
    try:
        return WhisperModel(
            str(model_dir),
            device="cpu",
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            # Decodes that can run at once (each with cpu_threads).
            num_workers=workers,
            local_files_only=True,
        )
    except Exception as exc:
        raise ModelError(
            f"Whisper model {name!r} at {model_dir} failed to load (corrupt?): {exc}",
            hint=f"run `spillway models fetch {name} --force`",
        ) from exc


def cut_repeat(ids: Sequence[int], *, probe: int = 3) -> list[int]:
    """The tokens up to where the decoder starts over with its own first ``probe`` tokens.

    A short utterance ("yes", "the grey sofa") in a short window can make
    tiny.en repeat the whole utterance until its length limit. A caller who
    really repeats their opening words ("no, no") loses only the repeat,
    which means the same to the dialogue.
    """
    ids = list(ids)
    for k in range(1, len(ids)):
        n = min(probe, k)
        # A slice cut short by the end is shorter than ids[:n], so never equal.
        if ids[k : k + n] == ids[:n]:
            return ids[:k]
    return ids


@dataclass(frozen=True, slots=True)
class Decoded:
    """One utterance's text; times in seconds from the start of the audio."""

    text: str
    start_s: float
    end_s: float
    confidence: float | None


class WhisperDecoder:
    """Turns one utterance of 16 kHz audio into text (thread-safe; no per-call state)."""

    def __init__(
        self,
        model: Any,
        *,
        language: str | None,
        beam_size: int,
        prompt: str | None = None,
        window_s: float | None = DEFAULT_WINDOW_S,
        short_windows_s: Sequence[float] = SHORT_WINDOWS_S,
    ) -> None:
        self._model = model
        self._language = language
        self._beam_size = beam_size
        self._prompt = prompt
        self._window_samples = int(window_s * WHISPER_RATE_HZ) if window_s else 0
        # Shortest first: an utterance takes the first window it fits.
        short = {int(w * WHISPER_RATE_HZ) for w in short_windows_s}
        self._windows = sorted(w for w in short if 0 < w < self._window_samples)
        if self._window_samples:
            self._windows.append(self._window_samples)
        self._tokenizer: Any = None
        self._prompt_ids: list[int] = []
        if self._window_samples and language:
            from faster_whisper.tokenizer import Tokenizer

            self._tokenizer = Tokenizer(
                model.hf_tokenizer,
                model.model.is_multilingual,
                task="transcribe",
                language=language,
            )
            previous = self._tokenizer.encode(" " + prompt.strip()) if prompt else []
            # The same prompt faster-whisper builds for initial_prompt, half the context at most.
            self._prompt_ids = model.get_prompt(
                self._tokenizer, previous[-(model.max_length // 2 - 1) :], without_timestamps=True
            )

    @property
    def model(self) -> Any:
        """The loaded faster-whisper model (shared, read-only)."""
        return self._model

    @property
    def prompt(self) -> str | None:
        return self._prompt

    @property
    def prompt_ids(self) -> list[int]:
        return self._prompt_ids

    @property
    def tokenizer(self) -> Any:
        return self._tokenizer

    def window_for(self, samples: int) -> int:
        """The padded window an utterance of ``samples`` is decoded in (0: the 30 s path)."""
        if self._tokenizer is None:
            return 0
        for window in self._windows:
            # Leave a little silence after the speech inside the window.
            if samples <= window - 4 * _HOP_SAMPLES:
                return window
        return 0

    def decode(self, audio: np.ndarray) -> Decoded:
        return self.decode_many([audio])[0]

    def decode_many(self, audios: Sequence[np.ndarray]) -> list[Decoded]:
        """Several utterances at once: one ``generate`` per window length.

        The decoder reads its weights once per token for the whole batch, so
        ten utterances cost less than ten decodes one by one on one thread
        (docs/PERFORMANCE.md, "Batched decodes"); each is heard as alone.
        """
        decoded: dict[int, Decoded] = {}
        by_window: dict[int, list[int]] = {}
        for i, audio in enumerate(audios):
            window = self.window_for(len(audio))
            if window:
                by_window.setdefault(window, []).append(i)
            else:
                decoded[i] = self._full(audio)
        for window, members in by_window.items():
            results = self._windowed([audios[i] for i in members], window)
            decoded.update(zip(members, results, strict=True))
        return [decoded[i] for i in range(len(audios))]

    def decode_each(self, sources: Sequence[Callable[[], np.ndarray]]) -> list[Decoded]:
        """:meth:`decode_many` of the audio each source returns (a pool's batch function)."""
        return self.decode_many([source() for source in sources])

    def window_features(self, audio: np.ndarray, window: int) -> np.ndarray:
        """Log-mel features of ``audio`` padded with silent audio to ``window`` samples."""
        padded = np.zeros(window, dtype=np.float32)
        padded[: len(audio)] = audio
        features: np.ndarray = self._model.feature_extractor(padded)[:, : window // _HOP_SAMPLES]
        return features

    def _windowed(self, audios: Sequence[np.ndarray], window: int) -> list[Decoded]:
        import ctranslate2

        features = np.stack([self.window_features(audio, window) for audio in audios])
        longest_s = max(len(audio) for audio in audios) / WHISPER_RATE_HZ
        results = self._model.model.generate(
            ctranslate2.StorageView.from_array(np.ascontiguousarray(features)),
            [self._prompt_ids] * len(audios),
            beam_size=self._beam_size,
            # Speech runs at 2-4 tokens a second; the limit bounds a loop's cost.
            max_length=len(self._prompt_ids) + 16 + int(8 * longest_s),
            return_scores=True,
            return_no_speech_prob=True,
        )
        return [self._text(audio, result) for audio, result in zip(audios, results, strict=True)]

    def _text(self, audio: np.ndarray, result: Any) -> Decoded:
        ids = cut_repeat([t for t in result.sequences_ids[0] if t < self._tokenizer.eot])
        logprob = float(result.scores[0])
        if result.no_speech_prob > _NO_SPEECH_PROB and logprob < _NO_SPEECH_LOGPROB:
            return Decoded("", 0.0, 0.0, None)
        text = self._tokenizer.decode(ids).strip()
        duration_s = len(audio) / WHISPER_RATE_HZ
        return Decoded(text, 0.0, duration_s, float(np.exp(logprob)) if text else None)

    def _full(self, audio: np.ndarray) -> Decoded:
        segments, _info = self._model.transcribe(
            audio,
            language=self._language,
            beam_size=self._beam_size,
            # The endpointer already cut the utterance; Whisper's own VAD
            # and cross-utterance conditioning would only add latency.
            vad_filter=False,
            condition_on_previous_text=False,
            # The words callers use with a shop: "stock" is then heard as
            # stock, not "star" (tests/test_spoken_call.py).
            initial_prompt=self._prompt,
        )
        parts = list(segments)
        if not parts:
            return Decoded("", 0.0, 0.0, None)
        text = " ".join(p.text.strip() for p in parts).strip()
        logprob = float(np.mean([p.avg_logprob for p in parts]))
        return Decoded(text, float(parts[0].start), float(parts[-1].end), float(np.exp(logprob)))


@dataclass(slots=True)
class _Speculation:
    """A decode started at a pause, over the first ``chunks`` chunks of the utterance."""

    speech_end_ms: float
    chunks: int
    future: Future[Decoded]


@dataclass(slots=True)
class SpeculationStats:
    """How the speculative decodes of an engine went (for benchmarks and logs)."""

    kept: int = 0  # the caller said nothing more: its result was the final one
    dropped: int = 0  # the caller went on, or the result was not needed


class WhisperStream:
    """Buffers one utterance of speech frames; transcribes it at the endpoint.

    At a pause (:meth:`speculate`) it starts decoding what it has, behind
    the pool's final decodes; if the utterance then ends with the same
    speech end, that result is the final one, and the reply does not wait
    for a decode after the endpoint's silence.
    """

    def __init__(
        self,
        decoder: WhisperDecoder,
        executor: PriorityPool,
        audio_format: AudioFormat,
        stats: SpeculationStats,
        speculative_slack_s: float = 0.0,
    ) -> None:
        self._decoder = decoder
        self._executor = executor
        self._stats = stats
        self._speculative_slack_s = speculative_slack_s
        self._buffer = UtteranceBuffer(audio_format)
        self._speculation: _Speculation | None = None

    async def accept(self, chunk: AudioChunk, *, urgent: bool = False) -> list[Transcript]:
        self._buffer.add(chunk)
        return []

    def _submit(self, chunks: list[AudioChunk], slack_s: float = 0.0) -> Future[Decoded]:
        # ``chunks`` is the stream's no longer: a copy or a taken utterance. The pool
        # decodes it with the other callers' utterances queued at the time.
        # Resampled in the pool too: neither belongs on the event loop.
        samples = partial(self._buffer.samples, chunks, WHISPER_RATE_HZ)
        # Due ``slack_s`` from now: a final decode at once (a caller is waiting), a
        # speculative one when the endpoint would come if the caller stays quiet.
        return self._executor.submit_batched(
            self._decoder.decode_each, samples, priority=due_in(slack_s)
        )

    def _drop_speculation(self) -> None:
        if self._speculation is not None:
            self._speculation.future.cancel()  # a queued one never runs
            self._stats.dropped += 1
            self._speculation = None

    async def speculate(self, speech_end_ms: float) -> None:
        self._buffer.check_open()
        self._drop_speculation()
        if chunks := list(self._buffer.chunks):
            future = self._submit(chunks, self._speculative_slack_s)
            self._speculation = _Speculation(speech_end_ms, len(chunks), future)

    async def end_utterance(self, *, speech_end_ms: float | None = None) -> Transcript | None:
        chunks = self._buffer.take()
        spec = self._speculation
        future: Future[Decoded] | None = None
        if spec is not None and speech_end_ms is not None and spec.speech_end_ms == speech_end_ms:
            self._speculation = None
            if spec.future.cancel():
                # Still queued behind other work: decode it now, as a final.
                future = self._submit(chunks[: spec.chunks])
            else:
                future = spec.future
            chunks = chunks[: spec.chunks]
            self._stats.kept += 1
        else:
            self._drop_speculation()
        if not chunks:
            return None
        if future is None:
            future = self._submit(chunks)
        decoded = await asyncio.wrap_future(future)
        return self._transcript(decoded, chunks)

    async def tentative(self) -> Transcript | None:
        """The speculative decode's result, once done (None: none, superseded or cancelled).

        What the caller said up to the pause, for a reply prepared before the
        endpoint (:mod:`bot.turn_taking`); the speculation stays the stream's.
        """
        spec = self._speculation
        if spec is None:
            return None
        chunks = self._buffer.chunks[: spec.chunks]
        # asyncio.wait, not await: a cancelled listener must not cancel the decode.
        waiter = asyncio.wrap_future(spec.future)
        await asyncio.wait([waiter])
        if waiter.cancelled() or waiter.exception() is not None:
            return None
        return self._transcript(waiter.result(), chunks)

    def _transcript(self, decoded: Decoded, chunks: list[AudioChunk]) -> Transcript | None:
        if not decoded.text or not chunks:
            return None
        # Times are relative to the buffer; speech frames of one utterance
        # are contiguous, so offset by the first chunk.
        base_ms = chunks[0].start_ms
        return Transcript(
            text=decoded.text,
            is_final=True,
            start_ms=base_ms + decoded.start_s * 1000.0,
            end_ms=min(base_ms + decoded.end_s * 1000.0, self._buffer.end_ms(chunks)),
            confidence=decoded.confidence,
            engine=ENGINE_NAME,
        )

    async def aclose(self) -> None:
        self._buffer.close()
        self._drop_speculation()


class WhisperEngine:
    """A shared Whisper model; ``max_workers`` utterances are transcribed at once.

    ``window_s``: the encoder window for utterances that fit it (None:
    faster-whisper's 30-second path for every utterance); ``short_windows_s``
    the cheaper ones for utterances that fit them (empty: only ``window_s``).
    Give the model as many CTranslate2 workers as ``max_workers``, or the
    decodes queue inside it. ``max_batch``: utterances a worker decodes at
    once when callers' decodes queue up (1: one by one). ``executor``: a pool
    shared with the voice (deadline priorities; the caller closes it), instead
    of one of ``max_workers`` of its own. ``speculative_slack_s``: how long
    after a pause a speculative decode is due (the endpoint's silence left).
    """

    name = ENGINE_NAME

    def __init__(
        self,
        model: Any,
        *,
        max_workers: int | None = None,
        language: str | None = "en",
        beam_size: int = 1,
        prompt: str | None = None,
        window_s: float | None = DEFAULT_WINDOW_S,
        short_windows_s: Sequence[float] = SHORT_WINDOWS_S,
        max_batch: int = MAX_BATCH,
        executor: PriorityPool | None = None,
        speculative_slack_s: float = 0.15,
    ) -> None:
        self._model = model
        self.decoder = WhisperDecoder(
            model,
            language=language,
            beam_size=beam_size,
            prompt=prompt,
            window_s=window_s,
            short_windows_s=short_windows_s,
        )
        workers = max_workers or max(1, (os.cpu_count() or 2) // 2)
        # Final decodes (a caller is waiting) are due at once, speculative ones a
        # little later; what has queued up behind a decode is decoded as one batch.
        self._owns_executor = executor is None
        self._executor = executor or PriorityPool(
            workers, thread_name_prefix="whisper", max_batch=max_batch
        )
        self._speculative_slack_s = speculative_slack_s
        self.speculation = SpeculationStats()

    def open_stream(self, audio_format: AudioFormat) -> WhisperStream:
        return WhisperStream(
            self.decoder,
            self._executor,
            audio_format,
            self.speculation,
            speculative_slack_s=self._speculative_slack_s,
        )

    async def prewarm(
        self, utterances: Sequence[bytes], audio_format: AudioFormat, *, recognizers: int
    ) -> int:
        """Nothing to warm: Whisper keeps no per-call decoder state between utterances."""
        return 0

    def close(self) -> None:
        if self._owns_executor:
            self._executor.shutdown(wait=True, cancel_futures=True)
