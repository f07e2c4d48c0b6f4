"""The recording of a test call (`spillway call --wav`, the demo's WAV): the call on its
own timeline, the caller left and the bot right, with the pauses a caller sits through."""

from __future__ import annotations

import array
import asyncio
import io
import math
import time
import wave
from pathlib import Path

import pytest

from agi.audiosocket import AudioFrame, HangupFrame, encode
from bot.assembly import SpeechModels
from bot.backends.demo_data import seed_demo
from cli.call_wav import call_wav
from cli.commands.call import CallSpec
from cli.spoken_call import FRAME_BYTES, HEARD_RMS, CallerSide, rms
from spillway.storage import SqliteStore
from tests.conftest import PbxHandle
from tests.test_spoken_call import place_spoken
from tests.voice_caller import speech_models

__all__ = ["speech_models"]  # the fixture

RATE = 8000
FRAME_S = 0.02


def _tone(seconds: float, freq_hz: float = 440.0) -> bytes:
    n = round(seconds * RATE)
    samples = array.array(
        "h", (round(8000 * math.sin(2 * math.pi * freq_hz * i / RATE)) for i in range(n))
    )
    return samples.tobytes()


def _frames(pcm: bytes, start_s: float, late_every: int = 0) -> list[tuple[float, bytes]]:
    """20 ms frames from ``start_s``; every ``late_every``-th one 8 ms late (network jitter)."""
    out = []
    for n, i in enumerate(range(0, len(pcm), FRAME_BYTES)):
        late = 0.008 if late_every and n % late_every == 0 else 0.0
        out.append((start_s + n * FRAME_S + late, pcm[i : i + FRAME_BYTES]))
    return out


def _channels(data: bytes) -> tuple[int, float, list[float], list[float]]:
    """Channels, seconds, and each channel's loudness per 20 ms frame."""
    with wave.open(io.BytesIO(data)) as w:
        channels, rate, frames = w.getnchannels(), w.getframerate(), w.getnframes()
        raw = w.readframes(frames)
    samples = array.array("h")
    samples.frombytes(raw)
    step = round(FRAME_S * rate)
    loudness: list[list[float]] = []
    for c in range(channels):
        channel = samples[c::channels]
        loudness.append(
            [rms(channel[i : i + step].tobytes()) for i in range(0, len(channel), step)]
        )
    left, right = [*loudness, []][:2]
    return channels, frames / rate, left, right


def _loud_spans(loudness: list[float]) -> list[tuple[float, float]]:
    """(start, end) seconds of each run of sound."""
    spans: list[tuple[float, float]] = []
    start = None
    for i, level in enumerate([*loudness, 0.0]):
        if level >= HEARD_RMS and start is None:
            start = i
        elif level < HEARD_RMS and start is not None:
            spans.append((start * FRAME_S, i * FRAME_S))
            start = None
    return spans


def test_the_recording_keeps_the_pause_before_the_reply() -> None:
    # The caller talks from 1.0 to 2.0 s; the bot answers from 3.2 to 4.2 s (its
    # frames a little jittery), and the call ends at 5.0 s.
    caller = _frames(_tone(1.0, 300.0), 101.0)
    bot = _frames(_tone(1.0), 103.2, late_every=3)
    data = call_wav(100.0, 105.0, caller, bot, rate_hz=RATE)
    channels, seconds, left, right = _channels(data)
    assert channels == 2
    assert seconds == pytest.approx(5.0, abs=0.001)
    assert _loud_spans(left) == [(pytest.approx(1.0), pytest.approx(2.0))]
    # One reply, not cut up by the jitter, where it was heard.
    [(start, end)] = _loud_spans(right)
    assert start == pytest.approx(3.2) and end == pytest.approx(4.2, abs=0.03)
    # The 1.2 s the caller waited for the reply is silence on both sides.
    quiet = range(round(2.0 / FRAME_S), round(3.2 / FRAME_S))
    assert all(left[i] < HEARD_RMS and right[i] < HEARD_RMS for i in quiet)


async def test_the_test_callers_wav_is_the_call_on_its_timeline() -> None:
    # A peer in Asterisk's place: half a second of bot, a 1.5 s pause (nothing
    # sent, as Asterisk sends nothing while the bot is quiet), the bot again,
    # then the hang-up; the caller speaks in the pause.
    caller = CallerSide()
    await caller.start()
    try:
        _reader, writer = await asyncio.open_connection("127.0.0.1", caller.port)
        began = time.monotonic()
        await asyncio.wait_for(caller.connected.wait(), 5)

        async def bot_says(seconds: float) -> None:
            # On a fixed 20 ms clock, as Asterisk sends: sleeping a frame's length after
            # each frame drifts later by every wake-up's delay, and on a loaded machine
            # that drift alone opened a gap longer than the recording's jitter allowance.
            pcm = _tone(seconds)
            clock = time.monotonic()
            for n, i in enumerate(range(0, len(pcm), FRAME_BYTES), start=1):
                writer.write(encode(AudioFrame(pcm[i : i + FRAME_BYTES], RATE)))
                await writer.drain()
                await asyncio.sleep(max(0.0, clock + n * FRAME_S - time.monotonic()))

        await bot_says(0.5)
        caller.say(_tone(0.6, 300.0))
        await asyncio.sleep(1.5)
        await bot_says(0.5)
        writer.write(encode(HangupFrame()))
        await writer.drain()
        await asyncio.wait_for(caller.ended.wait(), 5)
        lasted = time.monotonic() - began
        writer.close()
        data = caller.wav()
    finally:
        await caller.close()
    channels, seconds, left, right = _channels(data)
    assert channels == 2
    # As long as the call was (not only its 1 s of bot audio), within 0.2 s.
    assert seconds == pytest.approx(lasted, abs=0.2)
    assert seconds > 2.3
    bot = _loud_spans(right)
    assert len(bot) == 2, bot
    pause = bot[1][0] - bot[0][1]
    assert 1.3 < pause < 1.8, bot  # the bot's silence is there, as the caller heard it
    [(said_from, said_to)] = _loud_spans(left)
    # The caller's 0.6 s sentence, in the pause, where they said it.
    assert bot[0][1] - 0.1 <= said_from and said_to <= bot[1][0]
    assert said_to - said_from == pytest.approx(0.6, abs=0.05)


def test_a_call_that_never_connected_is_an_empty_stereo_file() -> None:
    channels, seconds, _left, _right = _channels(CallerSide().wav())
    assert (channels, seconds) == (2, 0.0)


@pytest.mark.asterisk
@pytest.mark.speech
@pytest.mark.asyncio(loop_scope="session")
async def test_a_spoken_calls_wav_has_its_length_and_its_pauses(
    pbx: PbxHandle, tmp_path: Path, speech_models: SpeechModels
) -> None:
    # The real `spillway call` path: a Piper caller through the sandbox Asterisk.
    shop = SqliteStore(tmp_path / "wav.db")
    shop.migrate()
    seed_demo(shop)
    script = "what are your opening hours\nno thanks, goodbye\n"
    [placed] = await place_spoken(
        pbx, shop, speech_models, "websocket", [CallSpec(script, "wav", "4599887766")]
    )
    *turns, result = placed.records
    [call] = shop.query(
        "SELECT started_at, ended_at FROM calls WHERE call_id = ?", (result["call_id"],)
    )
    shop.close()
    assert result["outcome"] == "resolved", placed.records

    channels, seconds, left, right = _channels(placed.wav)
    assert channels == 2
    # As long as the call, by the controller's own record of it.
    assert seconds == pytest.approx(call["ended_at"] - call["started_at"], abs=1.0)
    # The wait between the caller's question and the bot's answer is silence,
    # as long as the latency measured on the call.
    said, heard = _loud_spans(left), _loud_spans(right)
    reply = next(s for s in heard if s[0] > said[0][0])
    asked_until = max(end for _start, end in said if end <= reply[0])
    gap = reply[0] - asked_until
    latency_s = turns[0]["latency_ms"] / 1000
    lasted = call["ended_at"] - call["started_at"]
    print(
        f"\nWAV {seconds:.2f} s, call {lasted:.2f} s; "
        f"reply gap {gap:.2f} s, latency {latency_s:.2f} s"
    )
    assert latency_s - 0.1 <= gap <= latency_s + 0.4, (gap, latency_s)
    assert gap > 0.4
    quiet = range(round(asked_until / FRAME_S) + 1, round(reply[0] / FRAME_S) - 1)
    assert all(left[i] < HEARD_RMS and right[i] < HEARD_RMS for i in quiet)
