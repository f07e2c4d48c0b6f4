"""A spoken test call: what `spillway call --script` and the demo place.

A Piper caller voice speaks a script through Asterisk into the overflow
route, the way an admin tests a deployment. The caller's half of an
Originate'd Local channel runs ``AudioSocket()`` to :class:`CallerSide`, a
small server on this host: it is the caller's mouth (a 20 ms frame every
20 ms, speech or silence, as a phone sends) and ear (every frame heard, with
its arrival time and audio, for the latency). Both sides, with their times,
make the call's recording (:mod:`cli.call_wav`: left the caller, right the
bot, on the call's timeline). Keys are pressed with AMI ``PlayDTMF`` on the
caller's channel.

After the call, what the recogniser heard, the intent and what the bot said
are read from the controller's own records (``transcript_turns``), matched
to the script lines by time; the outcome, case, callback and SMS from
``calls``, ``callback_requests`` and ``sms_outbox``.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import math
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agi.audiosocket import AudioFrame, FrameParser, HangupFrame, encode
from agi.pacing import FramePacer
from bot.dialogue.inputs import Dtmf, Silence, TextTurn
from cli.call_wav import call_wav
from cli.commands.chat import ScriptLine, parse_script
from spillway.ami import AmiClient
from spillway.audio import SLIN8
from spillway.errors import InputError, PbxError
from spillway.storage import Store

FRAME_MS = 20
FRAME_BYTES = SLIN8.frame_bytes(FRAME_MS)
SILENCE = b"\x00" * FRAME_BYTES
HEARD_RMS = 200.0  # a frame the caller hears as sound; line silence and dither sit far below
BARGE_TAG = "<barge>"


def rms(pcm: bytes) -> float:
    samples = array.array("h", pcm[: len(pcm) - len(pcm) % 2])
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


@dataclass(frozen=True, slots=True)
class Heard:
    """One frame that reached the caller."""

    at: float  # time.monotonic() on arrival
    rms: float


@dataclass
class CallerSide:
    """The caller's end of one call (an AudioSocket server)."""

    host: str = "127.0.0.1"
    call_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    heard: list[Heard] = field(default_factory=list)
    audio: list[bytes] = field(default_factory=list)  # what was heard, frame by frame
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0
    # The call's span on time.monotonic(): connected, and hung up (None: not yet).
    connected_at: float | None = None
    ended_at: float | None = None
    _out: deque[bytes] = field(default_factory=deque)
    _said: list[tuple[float, float]] = field(default_factory=list)  # (start, end) monotonic
    _spoken: list[tuple[float, bytes]] = field(default_factory=list)  # speech frames, sent at
    _server: asyncio.Server | None = None
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    async def start(self, bind_host: str = "127.0.0.1") -> None:
        self._server = await asyncio.start_server(self._on_connect, bind_host, 0)
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

    def originate_action(
        self, number: str, tag: str, channel: str = "Local/s@spillway-inbound/n"
    ) -> dict[str, Any]:
        """AMI Originate: ``channel`` is called; its other end is this caller."""
        return {
            "Action": "Originate",
            "Channel": channel,
            "Application": "AudioSocket",
            "Data": f"{self.call_uuid},{self.host}:{self.port}",
            "CallerID": f"Spillway Test Caller <{number}>",
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

    async def wait_for_sound(self, timeout_s: float, *, after: float | None = None) -> float | None:
        """Until the caller hears sound (after ``after``, default: from now); its time, or None."""
        if after is None:
            after = time.monotonic()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not self.ended.is_set():
            for h in self.heard_sound_between(after, math.inf):
                return h.at
            await asyncio.sleep(0.02)
        return None

    async def wait_for_quiet(self, quiet_s: float, timeout_s: float) -> float | None:
        """Until the bot has been quiet ``quiet_s`` after speaking; the last sound's time."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not self.ended.is_set():
            loud = [h.at for h in self.heard[-200:] if h.rms >= HEARD_RMS]
            if loud and time.monotonic() - loud[-1] >= quiet_s:
                return loud[-1]
            await asyncio.sleep(0.05)
        return None

    def wav(self) -> bytes:
        """The call as a listener hears it: 8 kHz stereo WAV, left the caller, right the bot,
        from the answer to the hang-up (or now), silence where nobody speaks."""
        if self.connected_at is None:
            return call_wav(0.0, 0.0, [], [], rate_hz=SLIN8.sample_rate_hz)
        end = self.ended_at if self.ended_at is not None else time.monotonic()
        # A frame heard at ``at`` began a frame's length earlier.
        heard = [(h.at - FRAME_MS / 1000, a) for h, a in zip(self.heard, self.audio, strict=True)]
        return call_wav(self.connected_at, end, self._spoken, heard, rate_hz=SLIN8.sample_rate_hz)

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.connected.is_set():  # one call per caller
            writer.close()
            return
        self.connected_at = time.monotonic()
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
                        self.audio.append(frame.audio)
                    elif isinstance(frame, HangupFrame):
                        return
        except (ConnectionError, OSError):
            pass
        finally:
            self.ended_at = time.monotonic()
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
                    self._spoken.append((now, frame))
                else:
                    frame = SILENCE
                    speaking_since = None
                writer.write(encode(AudioFrame(frame, 8000)))
                await writer.drain()


@dataclass(frozen=True, slots=True)
class CallLine:
    """One script line: speech (maybe barging in), keys, or silence."""

    line: ScriptLine
    barge: bool = False

    @property
    def text(self) -> str:
        return self.line.raw


def parse_call_script(text: str, source: str = "script") -> list[CallLine]:
    """The chat script format (:func:`cli.commands.chat.parse_script`), plus
    ``<barge> words`` for speech over the bot's reply."""
    plain: list[str] = []
    barged: set[int] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.lower().startswith(BARGE_TAG):
            stripped = stripped[len(BARGE_TAG) :].strip()
            if not stripped:
                raise InputError.worded("barge_needs_words", source=source, line=number)
            barged.add(number)
        plain.append(stripped)
    lines = parse_script("\n".join(plain), source)
    if not lines:
        raise InputError.worded("no_caller_lines", source=source)
    return [CallLine(line, line.line_no in barged) for line in lines]


@dataclass
class LineTiming:
    line: CallLine
    ended_wall: float  # time.time() when the caller finished (speech, keys, or the silence)
    latency_ms: float | None  # end of the caller's speech to the first bot audio heard (None: not
    # speech, or no reply heard: a failure, not a fast reply)
    # Bot audio the caller heard while still saying the line (talk-over), in ms.
    talked_over_ms: float = 0.0


async def press(ami: AmiClient, channel: str, keys: str) -> None:
    for key in keys:
        # "Async: false": panoramisk trips over the "DTMF successfully queued" reply otherwise.
        await ami.action(
            {
                "Action": "PlayDTMF",
                "Channel": channel,
                "Digit": key,
                "Duration": "120",
                "Async": "false",
            }
        )
        await asyncio.sleep(0.2)


async def channel_of(ami: AmiClient, uniqueid: str, timeout_s: float = 5.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for message in await ami.action({"Action": "CoreShowChannels"}, as_list=True):
            if message.get("Uniqueid") == uniqueid:
                return str(message["Channel"])
        await asyncio.sleep(0.05)
    raise PbxError.worded("channel_gone", uniqueid=uniqueid)


async def render_lines(
    scripts: list[list[CallLine]], render: Callable[[str], Awaitable[bytes]]
) -> Callable[[str], Awaitable[bytes]]:
    """Render every spoken line once, before any call starts; return the lookup.

    A real caller's voice costs the bot's machine nothing. Rendered mid-call,
    the test callers' voice took CPU from the bot it measures: ten callers
    rendering their next line while the bot decodes and answers the others.
    """
    texts = {
        line.text for lines in scripts for line in lines if isinstance(line.line.event, TextTurn)
    }
    rendered = {text: await render(text) for text in sorted(texts)}

    async def lookup(text: str) -> bytes:
        return rendered[text] if text in rendered else await render(text)

    return lookup


async def speak_script(
    ami: AmiClient,
    caller: CallerSide,
    lines: list[CallLine],
    render: Callable[[str], Awaitable[bytes]],
    *,
    caller_uid: str,
    quiet_s: float = 0.9,
    turn_timeout_s: float = 30.0,
    think_s: Callable[[], float] | None = None,
) -> list[LineTiming]:
    """Speak ``lines`` one by one after each bot reply; return when each ended and its latency.

    ``render(text)`` is the caller's voice: 8 kHz s16le. ``think_s()``: a further pause
    before each line after the bot's quiet, as people take varying time to answer
    (None: none, so callers started together speak in step).
    """
    timings: list[LineTiming] = []
    await caller.wait_for_sound(turn_timeout_s, after=0.0)  # the greeting (it may have begun)
    for line in lines:
        if caller.ended.is_set():
            break
        if line.barge:
            # Over the bot's reply: half a second after it starts talking.
            await caller.wait_for_sound(turn_timeout_s, after=time.monotonic() - 0.05)
            await asyncio.sleep(0.5)
        else:
            await caller.wait_for_quiet(quiet_s, turn_timeout_s)
            if think_s is not None:
                await asyncio.sleep(think_s())
        event = line.line.event
        start = time.monotonic()
        if isinstance(event, Dtmf):
            await press(ami, await channel_of(ami, caller_uid), event.digits)
            ended = time.monotonic()
        elif isinstance(event, Silence):
            await asyncio.sleep(0.1)
            ended = time.monotonic()
        else:
            caller.say(await render(line.text))
            await caller.finish_saying()
            ended = caller.last_said()[1] + 0.02
        first = await caller.wait_for_sound(turn_timeout_s, after=max(ended, start))
        # Only after speech: the caller hears its own keypad tones, and a silence has no end.
        spoken = isinstance(event, TextTurn)
        latency = (first - ended) * 1000 if first is not None and spoken else None
        over = len(caller.heard_sound_between(caller.last_said()[0], ended)) if spoken else 0
        timings.append(
            LineTiming(line, time.time() - (time.monotonic() - ended), latency, over * FRAME_MS)
        )
    return timings


def call_records(store: Store, call_id: str, timings: list[LineTiming]) -> list[dict[str, Any]]:
    """One record per script line (said, heard, intent, bot, latency), then the result."""
    turns = store.query(
        "SELECT at, speaker, text, intent, confidence FROM transcript_turns "
        "WHERE call_id = :c ORDER BY id",
        {"c": call_id},
    )
    records: list[dict[str, Any]] = []
    callers = [t for t in turns if t["speaker"] == "caller"]
    for index, timing in enumerate(timings):
        # The caller turn the bot recorded after this line ended, before the next one did.
        until = timings[index + 1].ended_wall if index + 1 < len(timings) else float("inf")
        heard = next((t for t in callers if timing.ended_wall - 0.5 <= t["at"] < until), None)
        bot = None
        if heard is not None:
            bot = next((t for t in turns if t["speaker"] == "bot" and t["at"] >= heard["at"]), None)
        records.append(
            {
                "caller": timing.line.text,
                "heard": heard["text"] if heard else None,
                "intent": heard["intent"] if heard else None,
                "confidence": round(heard["confidence"], 3)
                if heard and heard["confidence"] is not None
                else None,
                "bot": bot["text"] if bot else None,
                "latency_ms": round(timing.latency_ms) if timing.latency_ms is not None else None,
                "talked_over_ms": timing.talked_over_ms,
            }
        )
    [call] = store.query("SELECT * FROM calls WHERE call_id = :c", {"c": call_id}) or [{}]
    sms = store.query(
        "SELECT id, body, status FROM sms_outbox WHERE call_id = :c ORDER BY id",
        {"c": call_id},
    )
    records.append(
        {
            # The words of `spillway chat --json` (spillway.call.CallOutcome).
            "outcome": call.get("outcome"),
            "case_id": call.get("case_id"),
            # The request the call ended in: recorded by it, or an open one it joined.
            "callback_id": call.get("callback_id"),
            "sms": [dict(s) for s in sms],
            "call_id": call_id,
        }
    )
    return records
