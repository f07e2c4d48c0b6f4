"""AudioSocket: the pure frame codec, the deadline pacer, and pacing over loopback."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
import uuid

import pytest

from agi.audiosocket import (
    AudioFrame,
    DtmfFrame,
    ErrorFrame,
    Frame,
    FrameParser,
    HangupFrame,
    Kind,
    UuidFrame,
    decode,
    encode,
    read_frame,
)
from agi.media_server import MediaServer, MediaServerConfig
from agi.pacing import FramePacer
from spillway.errors import ProtocolError
from spillway.media import MediaSession

CALL = uuid.UUID("40325ec2-5efd-4bd3-805f-53576e581d13")

ALL_FRAMES: list[Frame] = [
    UuidFrame(CALL),
    AudioFrame(bytes(range(256)) + bytes(64), 8000),
    AudioFrame(b"\x01\x02" * 320, 16000),
    AudioFrame(b"\x00\x7f" * 960, 48000),
    DtmfFrame("5"),
    DtmfFrame("#"),
    ErrorFrame(b"\x02"),
    HangupFrame(),
]


def test_encode_matches_the_documented_wire_format() -> None:
    assert encode(HangupFrame()) == b"\x00\x00\x00"
    assert encode(UuidFrame(CALL)) == b"\x01\x00\x10" + CALL.bytes
    assert encode(DtmfFrame("7")) == b"\x03\x00\x017"
    assert encode(AudioFrame(b"\x01\x00" * 160)) == b"\x10\x01\x40" + b"\x01\x00" * 160
    assert encode(AudioFrame(b"\x00\x00", 16000))[0] == Kind.AUDIO_SLIN16 == 0x12


def test_round_trip_whole_and_byte_by_byte() -> None:
    wire = b"".join(encode(f) for f in ALL_FRAMES)
    assert FrameParser().feed(wire) == ALL_FRAMES
    parser = FrameParser()
    got = []
    for i in range(len(wire)):
        got += parser.feed(wire[i : i + 1])
    assert got == ALL_FRAMES
    parser.eof()  # nothing left over


async def test_read_frame_from_stream_reader() -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(b"".join(encode(f) for f in ALL_FRAMES))
    reader.feed_eof()
    got = []
    while (frame := await read_frame(reader)) is not None:
        got.append(frame)
    assert got == ALL_FRAMES


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (b"\x42\x00\x00", "unknown AudioSocket message kind 0x42"),
        (b"\x10\xff\xff", "exceeds the limit"),
        (b"\x01\x00\x03abc", "UUID payload is 3 bytes"),
        (b"\x03\x00\x01x", "DTMF payload"),
        (b"\x03\x00\x02" + b"12", "DTMF payload"),
        (b"\x10\x00\x03abc", "odd/zero length"),
        (b"\x10\x00\x00", "odd/zero length"),
        (b"GET / HTTP/1.1\r\n", "unknown AudioSocket message kind 0x47"),
    ],
)
def test_hostile_input_raises_protocol_error(wire: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        FrameParser().feed(wire)


def test_oversize_header_is_refused_before_its_payload_arrives() -> None:
    parser = FrameParser(max_payload_bytes=640)
    with pytest.raises(ProtocolError, match="641 bytes exceeds the limit of 640"):
        parser.feed(b"\x10\x02\x81")  # only the header: no waiting for 641 bytes


def test_truncated_frame_at_eof() -> None:
    parser = FrameParser()
    assert parser.feed(encode(AudioFrame(b"\x00" * 320))[:100]) == []
    with pytest.raises(ProtocolError, match="ended inside a frame"):
        parser.eof()


async def test_read_frame_truncated_payload_and_header() -> None:
    for wire in (encode(AudioFrame(b"\x00" * 320))[:50], b"\x10"):
        reader = asyncio.StreamReader()
        reader.feed_data(wire)
        reader.feed_eof()
        with pytest.raises(ProtocolError, match="ended"):
            await read_frame(reader)


def test_decode_rejects_what_encode_cannot_send() -> None:
    with pytest.raises(ProtocolError):
        encode(AudioFrame(b"\x00\x00", 11025))
    with pytest.raises(ProtocolError):
        encode(DtmfFrame("x"))
    assert decode(0x18, b"\x00\x00") == AudioFrame(b"\x00\x00", 192000)


async def test_pacer_deadlines_do_not_drift() -> None:
    """With a sleep that always overshoots by 7 ms, deadlines stay on the 20 ms grid."""
    now = [100.0]

    async def late_sleep(delay_s: float) -> None:
        now[0] += delay_s + 0.007

    pacer = FramePacer(frame_ms=20, lead_frames=0, clock=lambda: now[0], sleep=late_sleep)
    deadlines = [await pacer.wait_turn() for _ in range(500)]
    assert deadlines[-1] == pytest.approx(100.0 + 499 * 0.020)
    assert now[0] - deadlines[-1] < 0.010  # the overshoot does not accumulate
    assert pacer.rebases == 0


async def test_pacer_rebases_after_a_long_stall_instead_of_bursting() -> None:
    now = [0.0]

    async def sleep(delay_s: float) -> None:
        now[0] += delay_s

    pacer = FramePacer(
        frame_ms=20, lead_frames=0, max_lag_frames=5, clock=lambda: now[0], sleep=sleep
    )
    await pacer.wait_turn()
    now[0] += 1.0  # the event loop was blocked for a second
    deadline = await pacer.wait_turn()
    assert deadline == pytest.approx(1.0)
    assert pacer.rebases == 1


async def test_paced_frames_over_loopback() -> None:
    """Sanity, not a benchmark: 1 s of audio arrives as 20 ms frames, evenly spaced."""
    played = asyncio.Event()

    async def speaker(session: MediaSession) -> None:
        await session.play(b"\x10\x00" * 8000)  # 1 s at 8 kHz
        await session.wait_played()
        played.set()
        await session.closed.wait()

    config = MediaServerConfig(audiosocket_port=0, websocket_port=None)
    async with MediaServer(config, speaker) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.audiosocket_port)
        writer.write(encode(UuidFrame(CALL)))
        await writer.drain()
        arrivals: list[float] = []
        while len(arrivals) < 50:
            frame = await asyncio.wait_for(read_frame(reader), 5)
            assert isinstance(frame, AudioFrame)
            assert len(frame.audio) == 320
            if frame.audio[:2] == b"\x10\x00":  # skip the keep-alive silence
                arrivals.append(time.monotonic())
        await asyncio.wait_for(played.wait(), 5)
        writer.write(encode(HangupFrame()))
        writer.close()
    gaps_ms = [(b - a) * 1000 for a, b in itertools.pairwise(arrivals)]
    p99 = statistics.quantiles(gaps_ms, n=100)[98]
    span_s = arrivals[-1] - arrivals[0]
    assert p99 < 60, gaps_ms
    # The lead (2 frames) lets the first frames go early, never the whole second.
    assert 0.85 < span_s < 1.5, span_s
