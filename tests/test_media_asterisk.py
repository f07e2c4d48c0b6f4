"""Both media transports against the real sandbox Asterisk (22.10).

The call enters ``bot@spillway-route`` (the dialplan the lead renders) with the
media id and transport preset; the other half of the Local channel plays a
prompt, so our server must receive real caller audio. Our hang-up must end the
media leg on the Asterisk side too.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from agi.media_server import MediaServer, MediaServerConfig
from spillway.media import MediaSession
from spillway.workers import own_worker

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(120)]

PROMPT = "/usr/share/asterisk/sounds/en_US_f_Allison/hello-world"


# AudioSocket() refuses an unanswered channel ("Channel is not answered") and
# closes before sending the UUID. Real calls are answered in spillway-inbound; this
# test enters bot@spillway-route directly, which needs an Answer() there.
@pytest.mark.parametrize("transport", ["websocket", "audiosocket"])
async def test_real_asterisk_streams_caller_audio(pbx: Any, transport: str) -> None:
    sessions: asyncio.Queue[tuple[MediaSession, int]] = asyncio.Queue()

    async def bot(session: MediaSession) -> None:
        loud = 0
        async for frame in session.frames():
            peak = max(
                abs(int.from_bytes(frame[i : i + 2], "little", signed=True))
                for i in range(0, len(frame), 2)
            )
            loud += peak > 1000
            if loud >= 10:
                break
        await session.play(b"\x00\x10" * session.format.frame_bytes(200))
        await asyncio.wait_for(session.wait_played(), 5)
        sessions.put_nowait((session, loud))
        await session.hangup()

    media_id = str(uuid.uuid4())
    worker = own_worker(pbx.settings)
    config = MediaServerConfig.from_settings(pbx.settings.controller)
    async with MediaServer(config, bot):
        await pbx.originate(
            "Local/bot@spillway-route",
            application="Playback",
            data=PROMPT,
            # What the controller sets when it routes a call to the bot: the media id,
            # the transport and its own media address (agi/controller.py).
            variables={
                "SPILLWAY_MEDIA_ID": media_id,
                "SPILLWAY_TRANSPORT": transport,
                "SPILLWAY_MEDIA_WS": worker.media_connection,
                "SPILLWAY_MEDIA_AS": worker.audiosocket,
            },
        )
        session, loud = await asyncio.wait_for(sessions.get(), 20)
        assert session.transport == transport
        assert session.call_id == media_id
        assert loud >= 10  # 200 ms of the prompt's speech reached us
        await asyncio.wait_for(session.closed.wait(), 5)
