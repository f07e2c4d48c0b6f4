"""A simulated caller who talks and listens, for the spoken tests over the sandbox.

The caller's half of an Originate'd Local channel runs ``AudioSocket()`` to a
small server the test owns (:class:`CallerSide`). That gives the test the
caller's ear and mouth: every frame the caller hears (the bot's audio after
Asterisk, the Local channel and the bot's transport) is kept with its arrival
time, and the test decides what the caller says and when. The caller sends a
20 ms frame every 20 ms (silence between sentences), like a phone does and as
app_audiosocket requires (it hangs up after 2 s without traffic).
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import itertools
import json
import math
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agi.audiosocket import AudioFrame, FrameParser, HangupFrame, encode
from agi.pacing import FramePacer
from bot.assembly import DialogueFactory, SpeechModels, build_nlu, load_speech_models
from bot.backends.demo_data import seed_demo
from bot.voice_bot import SpeechBot, VoiceBotConfig
from spillway.audio import SLIN8
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.call_harness import Harness, SimCall, routing_harness
from tests.conftest import PbxHandle

FRAME_BYTES = SLIN8.frame_bytes(20)
SILENCE = b"\x00" * FRAME_BYTES
# RMS of a frame the caller "hears" as sound; line silence and dither sit far below.
HEARD_RMS = 200.0


def rms(pcm: bytes) -> float:
    samples = array.array("h", pcm[: len(pcm) - len(pcm) % 2])
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


@dataclass
class Heard:
    """One frame that reached the caller."""

    at: float  # time.monotonic() on arrival
    rms: float


@dataclass
class CallerSide:
    """The caller's end of one simulated call (an AudioSocket server on loopback)."""

    call_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    heard: list[Heard] = field(default_factory=list)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0
    _out: deque[bytes] = field(default_factory=deque)
    _said: list[tuple[float, float]] = field(default_factory=list)  # (start, end) monotonic
    _server: asyncio.Server | None = None
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_connect, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def originate_action(self, number: str, tag: str) -> dict[str, Any]:
        """AMI Originate: the ;2 half enters spillway-inbound, the ;1 half is this caller."""
        return {
            "Action": "Originate",
            "Channel": "Local/s@spillway-inbound/n",
            "Application": "AudioSocket",
            "Data": f"{self.call_uuid},127.0.0.1:{self.port}",
            "CallerID": f"Voice Caller <{number}>",
            "ChannelId": f"{tag}-caller",
            "OtherChannelId": f"{tag}-in",
            "Async": "true",
        }

    def say(self, pcm: bytes) -> None:
        """Queue speech (8 kHz s16le) to be sent from the next frame on."""
        for start in range(0, len(pcm), FRAME_BYTES):
            self._out.append(pcm[start : start + FRAME_BYTES].ljust(FRAME_BYTES, b"\x00"))

    @property
    def talking(self) -> bool:
        return bool(self._out)

    async def finish_saying(self) -> None:
        while self._out and not self.ended.is_set():  # noqa: ASYNC110 (the sender drains it)
            await asyncio.sleep(0.02)

    def last_said(self) -> tuple[float, float]:
        """(first, last) send time of the most recent sentence."""
        return self._said[-1]

    def heard_sound_between(self, start: float, end: float) -> list[Heard]:
        return [h for h in self.heard if start <= h.at < end and h.rms >= HEARD_RMS]

    async def wait_for_sound(self, timeout_s: float) -> float:
        """Until the caller hears sound; returns the first such frame's time."""
        deadline = time.monotonic() + timeout_s
        seen = len(self.heard)
        while time.monotonic() < deadline and not self.ended.is_set():
            for h in self.heard[seen:]:
                if h.rms >= HEARD_RMS:
                    return h.at
            seen = len(self.heard)
            await asyncio.sleep(0.02)
        raise AssertionError(f"the caller heard nothing within {timeout_s} s")

    async def wait_for_quiet(self, quiet_s: float, timeout_s: float) -> float:
        """Until the bot has been quiet for ``quiet_s`` after speaking; returns that time."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not self.ended.is_set():
            loud = [h.at for h in self.heard if h.rms >= HEARD_RMS]
            if loud and time.monotonic() - loud[-1] >= quiet_s:
                return loud[-1]
            await asyncio.sleep(0.05)
        raise AssertionError(f"the bot did not stop talking within {timeout_s} s")

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connected.set()
        sender = asyncio.create_task(self._send(writer))
        self._tasks.append(sender)
        parser = FrameParser()
        try:
            while data := await reader.read(4096):
                now = time.monotonic()
                for frame in parser.feed(data):
                    if isinstance(frame, AudioFrame):
                        self.heard.append(Heard(now, rms(frame.audio)))
                    elif isinstance(frame, HangupFrame):
                        return
        except (ConnectionError, OSError):
            pass
        finally:
            self.ended.set()
            sender.cancel()
            writer.close()

    async def _send(self, writer: asyncio.StreamWriter) -> None:
        pacer = FramePacer(frame_ms=20, lead_frames=0)
        speaking_since: float | None = None
        with contextlib.suppress(ConnectionError, OSError):
            while True:
                await pacer.wait_turn()
                if self._out:
                    frame = self._out.popleft()
                    now = time.monotonic()
                    if speaking_since is None:
                        speaking_since = now
                        self._said.append((now, now))
                    self._said[-1] = (speaking_since, now)
                else:
                    frame = SILENCE
                    speaking_since = None
                writer.write(encode(AudioFrame(frame, 8000)))
                await writer.drain()


_serial = itertools.count(1)


@pytest.fixture(scope="session")
def speech_models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SpeechModels]:
    """The voice bot's models as `spillway serve` loads them, with Whisper tiny.en."""
    pytest.importorskip("piper")
    pytest.importorskip("faster_whisper")
    cache = tmp_path_factory.mktemp("speech-cache")
    settings = Settings(speech={"asr_engine": "whisper"}, paths={"cache_dir": str(cache)})
    models = load_speech_models(settings)
    yield models
    models.close()


@dataclass
class VoiceCall:
    """One spoken call in progress: the harness, the caller's end and the call id."""

    harness: Harness
    caller: CallerSide
    call_id: str

    async def outcome(self, timeout_s: float) -> dict[str, Any]:
        """The calls row once the bot's outcome is written."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            rows = self.harness.rows("SELECT * FROM calls WHERE call_id = ?", (self.call_id,))
            if rows and rows[0]["outcome"]:
                return rows[0]
            await asyncio.sleep(0.1)
        raise AssertionError(f"call {self.call_id} has no outcome after {timeout_s} s")

    def turns(self) -> list[dict[str, Any]]:
        return self.harness.rows(
            "SELECT speaker, text, intent, confidence FROM transcript_turns "
            "WHERE call_id = ? ORDER BY id",
            (self.call_id,),
        )

    def events(self, kind: str) -> list[dict[str, Any]]:
        rows = self.harness.rows(
            "SELECT data FROM call_events WHERE call_id = ? AND kind = ? ORDER BY id",
            (self.call_id, kind),
        )
        return [json.loads(r["data"]) for r in rows]


@contextlib.asynccontextmanager
async def voice_call(
    pbx: PbxHandle,
    db_path: Path,
    models: SpeechModels,
    *,
    transport: str,
    number: str = "4511223344",
    **queue: Any,
) -> AsyncIterator[VoiceCall]:
    """The speech bot on the sandbox (demo shop seeded, fallback NLU), and one caller.

    ``queue`` overrides queue settings (by default ``agents=0``).
    """
    shop = SqliteStore(db_path)
    shop.migrate()
    seed_demo(shop)
    nlu = build_nlu(pbx.settings, use_rasa=False)
    bot = SpeechBot(
        models,
        DialogueFactory.from_settings(pbx.settings, nlu, shop),
        VoiceBotConfig.from_settings(pbx.settings),
    )
    caller = CallerSide()
    await caller.start()
    try:
        # agents=0: no colleague is ever free, so every call overflows to the bot.
        queue = {"agents": 0, **queue}
        async with routing_harness(pbx, db_path, bot=bot, transport=transport, **queue) as h:
            tag = f"voice{next(_serial)}x{int(time.time() * 1000) % 100000}"
            await pbx.ami.action(caller.originate_action(number, tag))
            await asyncio.wait_for(caller.connected.wait(), 10)
            try:
                yield VoiceCall(h, caller, f"{tag}-in")
            finally:
                await h.hangup(SimCall(tag, f"{tag}-in", f"{tag}-caller", number))
    finally:
        await caller.close()
        await nlu.aclose()
        shop.close()
