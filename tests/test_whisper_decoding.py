"""Whisper over a 15-second window (the same words as the 30-second path, the loop
cut), and the speculative decode at a pause: kept when the caller said nothing
more, dropped when they went on.

Real models: Piper's joe voice speaks the shop's lines at 8 kHz (as the phone
line carries them) and Whisper tiny.en hears them both ways.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

import numpy as np
import pytest

from bot.assembly import whisper_prompt
from bot.speech.asr import chunks_from_pcm
from bot.speech.piper_tts import VoiceFiles, load_piper_voice
from bot.speech.resample import float_to_pcm16, pcm16_to_float, resample_float
from bot.speech.whisper_asr import (
    WHISPER_RATE_HZ,
    WhisperDecoder,
    WhisperEngine,
    cut_repeat,
    load_whisper_model,
)
from models.discover import require_model
from spillway.audio import SLIN8

pytestmark = pytest.mark.speech
pytest.importorskip("piper")
pytest.importorskip("faster_whisper")

# Short answers are where a short window loops ("Yes? Yes? Yes?").
LINES = [
    "yes",
    "no thanks",
    "the grey sofa",
    "when are you open",
    "hi I want to know where my order is",
    "my vase arrived broken and I am not happy",
]


def test_cut_repeat_keeps_the_first_pass() -> None:
    assert cut_repeat([5, 6, 5, 6, 5, 6, 5]) == [5, 6]
    assert cut_repeat([7, 7, 7, 7]) == [7]
    assert cut_repeat([1, 2, 3, 4, 1, 2, 3, 4, 1, 2]) == [1, 2, 3, 4]
    # A word that comes back later is not a loop: only the opening run counts.
    assert cut_repeat([1, 2, 3, 9, 1, 2, 8]) == [1, 2, 3, 9, 1, 2, 8]
    assert cut_repeat([4, 5, 6, 7]) == [4, 5, 6, 7]
    assert cut_repeat([]) == []


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def word_errors(said: str, heard: str) -> int:
    """Substitutions, insertions and deletions between the two word lists."""
    a, b = words(said), words(heard)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return max(len(a), len(b)) - sum(m.size for m in matcher.get_matching_blocks())


@pytest.fixture(scope="module")
def model() -> object:
    return load_whisper_model(require_model("whisper-tiny.en").path, cpu_threads=2)


@pytest.fixture(scope="module")
def say() -> Callable[[str], bytes]:
    """A line as the phone line carries it: Piper joe, 8 kHz s16le.

    Piper with its noise off, so every run hears the same audio: with the
    noise on, a render now and then tipped one word either way and the
    comparison between the two paths turned on luck.
    """
    from piper.config import SynthesisConfig

    found = require_model("en_US-joe-medium")
    voice = load_piper_voice(VoiceFiles.from_model(found.path / "en_US-joe-medium.onnx"))
    still = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    rate_hz = int(voice.config.sample_rate)

    def render(line: str) -> bytes:
        audio = np.concatenate([c.audio_float_array for c in voice.synthesize(line, still)])
        return float_to_pcm16(resample_float(audio, rate_hz, SLIN8.sample_rate_hz))

    return render


@pytest.fixture(scope="module")
def spoken(say: Callable[[str], bytes]) -> list[np.ndarray]:
    """The lines as the endpointer cuts them: 200 ms pre-roll, speech, 300 ms of silence."""
    pre, post = np.zeros(3200, np.float32), np.zeros(4800, np.float32)
    return [
        np.concatenate(
            [pre, resample_float(pcm16_to_float(say(line)), 8000, WHISPER_RATE_HZ), post]
        )
        for line in LINES
    ]


def test_the_window_hears_each_line_once_and_as_the_full_path_does(
    model: object, spoken: list[np.ndarray]
) -> None:
    # With the shop's vocabulary, as the bot runs it ("grey sofa", not "gray").
    prompt = whisper_prompt()
    window = WhisperDecoder(model, language="en", beam_size=1, prompt=prompt, window_s=15.0)
    full = WhisperDecoder(model, language="en", beam_size=1, prompt=prompt, window_s=None)
    errors = {"window": 0, "full": 0}
    for line, audio in zip(LINES, spoken, strict=True):
        short, long = window.decode(audio), full.decode(audio)
        # Heard once: no loop on its own words survives.
        assert len(words(short.text)) <= len(words(line)) + 1, (line, short.text)
        errors["window"] += word_errors(line, short.text)
        errors["full"] += word_errors(line, long.text)
        assert short.confidence is not None and 0 < short.confidence <= 1
        assert short.end_s == pytest.approx(len(audio) / WHISPER_RATE_HZ)
    # Over all lines: the window hears no worse than the 30 s path.
    assert errors["window"] <= max(errors["full"], 1), errors


def test_a_short_utterance_gets_the_cheapest_window_it_fits(model: object) -> None:
    second = WHISPER_RATE_HZ
    decoder = WhisperDecoder(
        model, language="en", beam_size=1, window_s=15.0, short_windows_s=(10.0, 6.0)
    )
    assert decoder.window_for(3 * second) == 6 * second
    # Speech must leave a little silence inside the window.
    assert decoder.window_for(6 * second) == 10 * second
    assert decoder.window_for(12 * second) == 15 * second
    assert decoder.window_for(16 * second) == 0  # faster-whisper's own 30 s path
    only_long = WhisperDecoder(model, language="en", beam_size=1, window_s=15.0, short_windows_s=())
    assert only_long.window_for(3 * second) == 15 * second
    # A short window no shorter than the long one is no short window.
    same = WhisperDecoder(model, language="en", beam_size=1, window_s=6.0, short_windows_s=(10.0,))
    assert same.window_for(3 * second) == 6 * second


def test_utterances_decoded_as_one_batch_are_heard_as_each_alone(
    model: object, spoken: list[np.ndarray]
) -> None:
    decoder = WhisperDecoder(model, language="en", beam_size=1, prompt=whisper_prompt())
    # Two window lengths and the 30 s path in one batch: each is decoded in its own.
    long = np.concatenate([spoken[4], np.zeros(7 * WHISPER_RATE_HZ, np.float32), spoken[5]])
    hiss = np.random.default_rng(3).normal(0, 0.01, WHISPER_RATE_HZ).astype(np.float32)
    audios = [*spoken, long, hiss, np.zeros(16 * WHISPER_RATE_HZ, np.float32) + spoken[0][:1]]
    windows = {decoder.window_for(len(a)) for a in audios}
    assert 0 in windows and len(windows - {0}) >= 2, windows
    together = decoder.decode_many(audios)
    alone = [decoder.decode(audio) for audio in audios]
    assert [d.text for d in together] == [d.text for d in alone]
    assert [words(d.text) for d in together[: len(LINES)]] == [words(line) for line in LINES]
    assert together[-2].text == ""  # noise in a batch is still no words
    for a, b in zip(together, alone, strict=True):
        assert a.end_s == pytest.approx(b.end_s)
        assert (a.confidence is None) == (b.confidence is None)


def test_noise_is_no_words_and_long_audio_takes_the_full_path(
    model: object, spoken: list[np.ndarray]
) -> None:
    window = WhisperDecoder(model, language="en", beam_size=1, window_s=2.0)
    hiss = np.random.default_rng(3).normal(0, 0.01, WHISPER_RATE_HZ).astype(np.float32)
    assert window.decode(hiss).text == ""
    # Longer than the window: faster-whisper's own path, which places the speech in time.
    long = np.concatenate([spoken[3], np.zeros(WHISPER_RATE_HZ, np.float32)])
    decoded = window.decode(long)
    assert words(decoded.text) == words(LINES[3])
    assert 0 <= decoded.start_s < decoded.end_s <= len(long) / WHISPER_RATE_HZ


async def test_a_decode_started_at_the_pause_is_the_final_when_nothing_more_is_said(
    model: object, say: Callable[[str], bytes]
) -> None:
    engine = WhisperEngine(model, max_workers=1, language="en", prompt=whisper_prompt())
    try:
        speech = say("where is my order")
        speech_end_ms = 1000.0 + SLIN8.duration_ms(len(speech))
        quiet = bytes(SLIN8.frame_bytes(300))
        stream = engine.open_stream(SLIN8)
        for chunk in chunks_from_pcm(speech, SLIN8, start_ms=1000.0):
            await stream.accept(chunk)
        await stream.speculate(speech_end_ms)
        # The endpoint's silence still reaches the stream; the decode has begun.
        for chunk in chunks_from_pcm(quiet, SLIN8, start_ms=speech_end_ms):
            await stream.accept(chunk)
        final = await stream.end_utterance(speech_end_ms=speech_end_ms)
        assert final is not None and {"where", "my", "order"} <= set(words(final.text))
        assert final.end_ms <= speech_end_ms
        assert (engine.speculation.kept, engine.speculation.dropped) == (1, 0)

        # The caller goes on after the pause: the early decode is dropped and
        # the final hears the whole utterance.
        first = say("I want to return")
        first_end_ms = SLIN8.duration_ms(len(first))
        rest = say("the grey sofa")
        for chunk in chunks_from_pcm(first, SLIN8):
            await stream.accept(chunk)
        await stream.speculate(first_end_ms)
        pause = bytes(SLIN8.frame_bytes(200))
        later_ms = first_end_ms + 200.0
        for chunk in chunks_from_pcm(pause + rest, SLIN8, start_ms=first_end_ms):
            await stream.accept(chunk)
        final = await stream.end_utterance(speech_end_ms=later_ms + SLIN8.duration_ms(len(rest)))
        assert final is not None
        assert {"return", "sofa"} <= set(words(final.text)), final.text
        assert (engine.speculation.kept, engine.speculation.dropped) == (1, 1)
        await stream.aclose()
    finally:
        engine.close()
