"""A media leg says why it ended, and only a real hang-up counts as the caller leaving.

Protocol errors, an idle peer and a reset connection are failures of the
media leg: the bot hands the caller to the queue instead of saying goodbye.
Odd-length frames keep samples aligned; a flood of audio is cut.
"""

from __future__ import annotations

import asyncio

import pytest

from agi.chan_websocket import WebSocketSession
from spillway.errors import ProtocolError
from spillway.media import MediaEnd
from tests.fakes import MemoryMedia
from tests.test_chan_websocket import FakeChanWebsocket, tone, ws_server

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _frames(media: MemoryMedia) -> list[bytes]:
    media.caller_hangs_up()
    return [f async for f in media.frames()]


async def test_odd_length_frames_keep_the_samples_aligned() -> None:
    media = MemoryMedia()
    media._push_audio(b"\x01\x02\x03")
    media._push_audio(b"\x04\x05\x06")
    media._push_audio(b"\x07")
    frames = await _frames(media)
    assert frames == [b"\x01\x02", b"\x03\x04\x05\x06"]
    assert all(len(f) % 2 == 0 for f in frames)


async def test_a_flood_is_dropped_beyond_the_burst_then_cut() -> None:
    now = [0.0]
    media = MemoryMedia()
    media._clock = lambda: now[0]
    media._allowance_at = 0.0
    frame = b"\x00" * 320  # 20 ms at 8 kHz
    for _ in range(100):  # the 2 s burst allowance: all kept
        media._push_audio(frame)
    assert media.frames_received == 100 and media.flood_dropped_ms == 0
    now[0] = 1.0  # a second later the allowance is back to its 2 s cap (3 x real time)
    for _ in range(150):  # 3 s: 2 s kept, 1 s dropped
        media._push_audio(frame)
    assert media.frames_received == 200 and media.flood_dropped_ms == pytest.approx(1000)
    assert not media.closed.is_set()
    with pytest.raises(ProtocolError, match="faster than real time"):
        for _ in range(1000):  # no time passes: 20 s in an instant
            media._push_audio(frame)
    assert media.flood_dropped_ms == pytest.approx(5000)
    assert media.frames_received == 200
    assert media.end is MediaEnd.FLOOD


async def test_real_time_audio_is_never_dropped() -> None:
    now = [0.0]
    media = MemoryMedia()
    media._clock = lambda: now[0]
    media._allowance_at = 0.0
    for i in range(3000):  # a minute of 20 ms frames, on time
        now[0] = i * 0.020
        media._push_audio(b"\x00" * 320)
    assert media.frames_received == 3000 and media.flood_dropped_ms == 0


async def _ws_session_end(action: str) -> tuple[MediaEnd | None, list[bytes]]:
    async with ws_server(idle_timeout_s=0.5) as (server, sessions):
        assert server.websocket_port
        fake = FakeChanWebsocket(server.websocket_port)
        await fake.start()
        session = await asyncio.wait_for(sessions.get(), 5)
        assert isinstance(session, WebSocketSession) and fake.ws is not None
        received: list[bytes] = []

        async def read() -> None:
            async for frame in session.frames():
                received.append(frame)

        reader = asyncio.create_task(read())
        if action == "odd frames":
            await fake.ws.send(tone(321))
            await fake.ws.send(tone(319))
            await fake.ws.send(tone(320))
            await fake.close()
        elif action == "hangup":
            await fake.close()  # Asterisk closes the websocket when the channel hangs up
        elif action == "garbage":
            await fake.ws.send("MEDIA_START channel_id:x")  # a second MEDIA_START
        elif action == "idle":
            for task in fake._tasks:
                task.cancel()  # the peer stays connected and says nothing
        await asyncio.wait_for(session.closed.wait(), 5)
        await asyncio.wait_for(reader, 5)
        await fake.close()
        return session.end, received


@pytest.mark.parametrize(
    ("action", "end"),
    [
        ("hangup", MediaEnd.HANGUP),
        ("garbage", MediaEnd.ERROR),
        ("idle", MediaEnd.IDLE),
    ],
)
async def test_the_websocket_leg_says_why_it_ended(action: str, end: MediaEnd) -> None:
    got, _ = await _ws_session_end(action)
    assert got is end


async def test_odd_websocket_frames_reach_the_bot_whole(caplog: pytest.LogCaptureFixture) -> None:
    end, received = await _ws_session_end("odd frames")
    assert end is MediaEnd.HANGUP
    assert [len(f) for f in received] == [320, 320, 320]
    assert b"".join(received) == tone(321) + tone(319) + tone(320)
    assert "Traceback" not in caplog.text
