"""The chan_websocket media protocol (Asterisk 22.8+) and its server side.

``Dial(WebSocket/<connection>/c(slin16))`` makes Asterisk connect to us as a
websocket *client* (``websocket_client.conf``, ``connection_type =
per_call_config``, ``protocols = media``). Audio travels as BINARY frames in the
channel's format; control messages travel as TEXT frames. Asterisk keeps its own
20 ms clock and a queue of up to 1000 frames for what we send, so we may send
bigger chunks; it says ``MEDIA_XOFF`` at 900 queued frames and ``MEDIA_XON`` below
800. ``FLUSH_MEDIA`` empties that queue (barge-in) and ``MARK_MEDIA <id>`` is
answered with ``MEDIA_MARK_PROCESSED <id>`` when playback reaches it, which is how
we know a prompt has been heard.

Control messages are single-line plain text by default (``MEDIA_START
connection_id:x channel:y ...``) or JSON (``{"event": "MEDIA_START", ...}``) when
``control_message_format = json`` (chan_websocket.conf) or the ``f(json)`` dial
option is used. We accept both and answer in whichever Asterisk used.

Facts from ``channels/chan_websocket.c`` (22.10): text messages we send are limited
to 128 bytes; outside ``START_MEDIA_BUFFERING`` a binary message is cut into
``optimal_frame_size`` frames and a trailing partial frame is *dropped*, so we pad
audio to whole frames; the hangup of the channel closes the websocket (there is no
hangup event); DTMF arrives as ``DTMF_END digit:5 channel_id:...``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK

from agi.media_session import BaseMediaSession
from spillway.audio import AudioFormat
from spillway.errors import ProtocolError
from spillway.media import MediaEnd
from spillway.tasks import cancel_and_wait

log = logging.getLogger(__name__)

SUBPROTOCOL = "media"
# Asterisk ignores text messages longer than this (MAX_TEXT_MESSAGE_LEN).
MAX_COMMAND_BYTES = 128
# MEDIA_START in JSON carries all channel variables; allow for that, no more.
MAX_EVENT_BYTES = 65536


class MessageFormat(StrEnum):
    PLAIN = "plain-text"
    JSON = "json"


class Command(StrEnum):
    """Commands we may send to Asterisk."""

    ANSWER = "ANSWER"
    HANGUP = "HANGUP"
    START_MEDIA_BUFFERING = "START_MEDIA_BUFFERING"
    STOP_MEDIA_BUFFERING = "STOP_MEDIA_BUFFERING"
    MARK_MEDIA = "MARK_MEDIA"
    FLUSH_MEDIA = "FLUSH_MEDIA"
    REPORT_QUEUE_DRAINED = "REPORT_QUEUE_DRAINED"
    GET_STATUS = "GET_STATUS"
    PAUSE_MEDIA = "PAUSE_MEDIA"
    CONTINUE_MEDIA = "CONTINUE_MEDIA"


_CORRELATED = {Command.STOP_MEDIA_BUFFERING, Command.MARK_MEDIA}


# -- events (Asterisk -> us) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class MediaStart:
    connection_id: str
    channel: str
    channel_id: str
    format: str
    optimal_frame_size: int
    ptime_ms: int
    channel_variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MediaXoff:
    """Asterisk's queue is nearly full: stop sending audio until XON."""


@dataclass(frozen=True, slots=True)
class MediaXon:
    """Asterisk's queue has room again."""


@dataclass(frozen=True, slots=True)
class QueueDrained:
    """The queue ran empty (only after REPORT_QUEUE_DRAINED)."""


@dataclass(frozen=True, slots=True)
class MediaBufferingCompleted:
    correlation_id: str = ""


@dataclass(frozen=True, slots=True)
class MediaMarkProcessed:
    correlation_id: str = ""


@dataclass(frozen=True, slots=True)
class DtmfEnd:
    digit: str
    channel_id: str = ""


@dataclass(frozen=True, slots=True)
class Status:
    queue_length: int
    xon_level: int
    xoff_level: int
    queue_full: bool
    bulk_media: bool
    media_paused: bool
    channel_id: str = ""


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    error_text: str
    channel_id: str = ""


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """An event this version does not know; logged and otherwise ignored."""

    name: str
    fields: dict[str, str] = field(default_factory=dict)


Event = (
    MediaStart
    | MediaXoff
    | MediaXon
    | QueueDrained
    | MediaBufferingCompleted
    | MediaMarkProcessed
    | DtmfEnd
    | Status
    | ErrorEvent
    | UnknownEvent
)

_NODATA: dict[str, type[MediaXoff | MediaXon | QueueDrained]] = {
    "MEDIA_XOFF": MediaXoff,
    "MEDIA_XON": MediaXon,
    "QUEUE_DRAINED": QueueDrained,
}


def _plain_fields(rest: str) -> dict[str, str]:
    """``key:value key:value``; a word without a colon continues the previous value
    (ERROR's ``error_text`` contains spaces)."""
    fields: dict[str, str] = {}
    last: str | None = None
    for word in rest.split(" "):
        if not word:
            continue
        key, sep, value = word.partition(":")
        if sep and key and (last != "error_text"):
            fields[key] = value
            last = key
        elif last is not None:
            fields[last] += " " + word
        else:
            raise ProtocolError(f"chan_websocket field without a name: {word!r}")
    return fields


def _int(fields: dict[str, Any], key: str) -> int:
    try:
        return int(fields[key])
    except (KeyError, TypeError, ValueError):
        raise ProtocolError(f"chan_websocket event lacks integer {key!r}") from None


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def parse_event(text: str) -> tuple[Event, MessageFormat]:
    """Parse one TEXT message from Asterisk; also say which format it used."""
    if len(text) > MAX_EVENT_BYTES:
        raise ProtocolError(f"chan_websocket text message of {len(text)} bytes is too long")
    text = text.strip()
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except ValueError as exc:
            raise ProtocolError(f"chan_websocket sent invalid JSON: {exc}") from exc
        if not isinstance(obj, dict) or not isinstance(obj.get("event"), str):
            raise ProtocolError("chan_websocket JSON message has no 'event'")
        name = obj.pop("event")
        return _build_event(name, obj), MessageFormat.JSON
    if not text:
        raise ProtocolError("chan_websocket sent an empty text message")
    name, _, rest = text.partition(" ")
    if name in ("MEDIA_BUFFERING_COMPLETED", "MEDIA_MARK_PROCESSED"):
        fields: dict[str, Any] = {"correlation_id": rest.strip()}
    else:
        fields = _plain_fields(rest)
    return _build_event(name, fields), MessageFormat.PLAIN


def _build_event(name: str, f: dict[str, Any]) -> Event:
    if not name.replace("_", "").isalnum():
        raise ProtocolError(f"chan_websocket event name {name[:40]!r} is not a name")
    if name in _NODATA:
        return _NODATA[name]()
    if name == "MEDIA_START":
        variables = f.get("channel_variables") or {}
        if not isinstance(variables, dict):
            raise ProtocolError("chan_websocket MEDIA_START channel_variables is not an object")
        for key in ("connection_id", "channel", "channel_id", "format"):
            if not isinstance(f.get(key), str) or not f[key]:
                raise ProtocolError(f"chan_websocket MEDIA_START lacks {key!r}")
        return MediaStart(
            connection_id=f["connection_id"],
            channel=f["channel"],
            channel_id=f["channel_id"],
            format=f["format"],
            optimal_frame_size=_int(f, "optimal_frame_size"),
            ptime_ms=_int(f, "ptime"),
            channel_variables={str(k): str(v) for k, v in variables.items()},
        )
    if name == "MEDIA_BUFFERING_COMPLETED":
        return MediaBufferingCompleted(str(f.get("correlation_id") or ""))
    if name == "MEDIA_MARK_PROCESSED":
        return MediaMarkProcessed(str(f.get("correlation_id") or ""))
    if name == "DTMF_END":
        digit = str(f.get("digit", ""))
        if len(digit) != 1:
            raise ProtocolError(f"chan_websocket DTMF_END digit {digit!r} is not one digit")
        return DtmfEnd(digit, str(f.get("channel_id", "")))
    if name == "STATUS":
        return Status(
            queue_length=_int(f, "queue_length"),
            xon_level=_int(f, "xon_level"),
            xoff_level=_int(f, "xoff_level"),
            queue_full=_bool(f.get("queue_full")),
            bulk_media=_bool(f.get("bulk_media")),
            media_paused=_bool(f.get("media_paused")),
            channel_id=str(f.get("channel_id", "")),
        )
    if name == "ERROR":
        return ErrorEvent(str(f.get("error_text", "")), str(f.get("channel_id", "")))
    return UnknownEvent(name, {str(k): str(v) for k, v in f.items()})


def format_event(event: Event, fmt: MessageFormat = MessageFormat.PLAIN) -> str:
    """Serialise an event the way Asterisk does (used by tests and the emulator)."""
    fields: dict[str, Any]
    if isinstance(event, MediaStart):
        name = "MEDIA_START"
        fields = {
            "connection_id": event.connection_id,
            "channel": event.channel,
            "channel_id": event.channel_id,
            "format": event.format,
            "optimal_frame_size": event.optimal_frame_size,
            "ptime": event.ptime_ms,
        }
        if fmt is MessageFormat.JSON:
            fields["channel_variables"] = event.channel_variables
    elif isinstance(event, MediaXoff | MediaXon | QueueDrained):
        name = {v: k for k, v in _NODATA.items()}[type(event)]
        fields = {}
    elif isinstance(event, MediaBufferingCompleted | MediaMarkProcessed):
        name = (
            "MEDIA_BUFFERING_COMPLETED"
            if isinstance(event, MediaBufferingCompleted)
            else "MEDIA_MARK_PROCESSED"
        )
        if fmt is MessageFormat.JSON:
            fields = {"correlation_id": event.correlation_id}
        else:
            return f"{name} {event.correlation_id}" if event.correlation_id else name
    elif isinstance(event, DtmfEnd):
        name, fields = "DTMF_END", {"digit": event.digit, "channel_id": event.channel_id}
    elif isinstance(event, Status):
        name = "STATUS"
        fields = {
            "channel_id": event.channel_id,
            "queue_length": event.queue_length,
            "xon_level": event.xon_level,
            "xoff_level": event.xoff_level,
            "queue_full": event.queue_full,
            "bulk_media": event.bulk_media,
            "media_paused": event.media_paused,
        }
    elif isinstance(event, ErrorEvent):
        name, fields = "ERROR", {"channel_id": event.channel_id, "error_text": event.error_text}
    else:
        name, fields = event.name, dict(event.fields)
    if fmt is MessageFormat.JSON:
        return json.dumps({"event": name, **fields}, separators=(",", ":"))
    parts = [name]
    for key, value in fields.items():
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        parts.append(f"{key}:{text}")
    return " ".join(parts)


# -- commands (us -> Asterisk) --------------------------------------------------


def format_command(
    command: Command, correlation_id: str | None = None, fmt: MessageFormat = MessageFormat.PLAIN
) -> str:
    if correlation_id is not None:
        if command not in _CORRELATED:
            raise ProtocolError(f"{command} takes no correlation id")
        if not correlation_id or any(c.isspace() for c in correlation_id):
            raise ProtocolError(f"correlation id {correlation_id!r} must be one word")
    if fmt is MessageFormat.JSON:
        obj = {"command": command.value}
        if correlation_id is not None:
            obj["correlation_id"] = correlation_id
        text = json.dumps(obj, separators=(",", ":"))
    else:
        text = command.value if correlation_id is None else f"{command.value} {correlation_id}"
    if len(text.encode()) > MAX_COMMAND_BYTES:
        raise ProtocolError(
            f"chan_websocket command exceeds {MAX_COMMAND_BYTES} bytes: {text[:40]}..."
        )
    return text


def parse_command(text: str) -> tuple[Command, str | None, MessageFormat]:
    """Parse a command the way chan_websocket does (used by tests and the emulator)."""
    text = text.strip()
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except ValueError as exc:
            raise ProtocolError(f"invalid JSON command: {exc}") from exc
        if not isinstance(obj, dict):
            raise ProtocolError("JSON command is not an object")
        name, corr, fmt = obj.get("command"), obj.get("correlation_id"), MessageFormat.JSON
    else:
        name, _, rest = text.partition(" ")
        corr, fmt = (rest or None), MessageFormat.PLAIN
    try:
        return Command(str(name)), (str(corr) if corr is not None else None), fmt
    except ValueError:
        raise ProtocolError(f"unknown chan_websocket command {str(name)[:40]!r}") from None


def audio_format_for(name: str) -> AudioFormat:
    """Map an Asterisk format name (``slin``, ``slin16``, ...) to our PCM format."""
    if name == "slin":
        return AudioFormat(8000)
    if name.startswith("slin") and name[4:].isdigit():
        khz = int(name[4:])
        return AudioFormat(44100 if khz == 44 else khz * 1000)
    raise ProtocolError(
        f"chan_websocket format {name!r} is not signed linear",
        hint="dial with WebSocket/<connection>/c(slin16) (or c(slin))",
    )


# -- the session ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Mark:
    correlation_id: str


class WebSocketSession(BaseMediaSession):
    """One chan_websocket connection from Asterisk, as a :class:`MediaSession`."""

    transport = "websocket"

    def __init__(
        self,
        ws: ServerConnection,
        *,
        idle_timeout_s: float = 30.0,
        frames_per_message: int = 10,
        max_ahead_s: float = 10.0,
    ) -> None:
        super().__init__(call_id="", format=AudioFormat(8000))
        self.ws = ws
        self.idle_timeout_s = idle_timeout_s
        self.frames_per_message = frames_per_message
        # Our own cap on audio queued in Asterisk (XOFF comes at 18 s, and only
        # after the fact), so a flush never has to throw away much.
        self.max_ahead_s = max_ahead_s
        self._ahead_until = 0.0
        self.media_start: MediaStart | None = None
        self.message_format = MessageFormat.PLAIN
        self.frame_bytes = 320
        self.status: Status | None = None
        self.xoff_count = 0
        self._xon = asyncio.Event()
        self._xon.set()
        self._out: deque[bytes | _Mark] = deque()
        self._out_ready = asyncio.Event()
        self._marks: dict[str, asyncio.Future[None]] = {}
        self._mark_ids = itertools.count(1)
        self._last_mark: str | None = None
        self._send_lock = asyncio.Lock()
        path = ws.request.path if ws.request is not None else ""
        self.query = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}

    async def handshake(self) -> None:
        message = await self.ws.recv()
        if not isinstance(message, str):
            raise ProtocolError("chan_websocket peer sent audio before MEDIA_START")
        event, self.message_format = parse_event(message)
        if not isinstance(event, MediaStart):
            raise ProtocolError(f"chan_websocket peer sent {event!r} before MEDIA_START")
        self.format = audio_format_for(event.format)
        if event.optimal_frame_size <= 0 or event.optimal_frame_size % 2:
            raise ProtocolError(f"chan_websocket optimal_frame_size {event.optimal_frame_size}")
        self.frame_bytes = event.optimal_frame_size
        self.media_start = event
        # A call_id passed in the dial string (v(call_id=...)) ties this leg to the
        # call the controller already knows; else Asterisk's channel id.
        self.call_id = self.query.get("call_id") or event.channel_id

    async def run(self) -> None:
        writer = asyncio.create_task(self._write_loop(), name=f"websocket-tx-{self.call_id}")
        try:
            while True:
                try:
                    async with asyncio.timeout(self.idle_timeout_s):
                        message = await self.ws.recv()
                except TimeoutError:
                    self._ended(MediaEnd.IDLE)
                    raise ProtocolError(
                        f"chan_websocket peer silent for {self.idle_timeout_s:g} s"
                    ) from None
                if isinstance(message, bytes):
                    self._push_audio(message)
                else:
                    self._on_event(parse_event(message)[0])
        except ConnectionClosedOK:
            # Asterisk closes the websocket cleanly when the channel hangs up.
            self._ended(MediaEnd.HANGUP)
        except ConnectionClosed:
            self._ended(MediaEnd.ERROR)
        finally:
            try:
                await cancel_and_wait(writer)
            finally:
                self._finish()
                await self.ws.close()

    def _on_event(self, event: Event) -> None:
        if isinstance(event, DtmfEnd):
            self._push_dtmf(event.digit)
        elif isinstance(event, MediaXoff):
            self.xoff_count += 1
            self._xon.clear()
        elif isinstance(event, MediaXon):
            self._xon.set()
        elif isinstance(event, MediaMarkProcessed | MediaBufferingCompleted):
            future = self._marks.pop(event.correlation_id, None)
            if future is not None and not future.done():
                future.set_result(None)
        elif isinstance(event, Status):
            self.status = event
        elif isinstance(event, ErrorEvent):
            log.warning("call %s: chan_websocket error: %s", self.call_id, event.error_text)
        elif isinstance(event, MediaStart):
            raise ProtocolError("chan_websocket peer sent a second MEDIA_START")
        else:
            log.debug("call %s: chan_websocket event %s ignored", self.call_id, event)

    # -- MediaSession ------------------------------------------------------
    async def play(self, audio: bytes) -> None:
        if self.closed.is_set() or not audio:
            return
        # Whole frames only: outside bulk mode Asterisk drops a trailing partial frame.
        remainder = len(audio) % self.frame_bytes
        if remainder:
            audio += b"\x00" * (self.frame_bytes - remainder)
        step = self.frame_bytes * self.frames_per_message
        for start in range(0, len(audio), step):
            self._out.append(audio[start : start + step])
        mark = f"m{next(self._mark_ids)}"
        self._marks[mark] = asyncio.get_running_loop().create_future()
        self._last_mark = mark
        self._out.append(_Mark(mark))
        self._out_ready.set()

    async def wait_played(self) -> None:
        mark = self._last_mark
        future = self._marks.get(mark) if mark is not None else None
        if future is None:
            return
        await asyncio.shield(future)

    async def flush(self) -> None:
        self._out.clear()
        self._ahead_until = 0.0
        self._resolve_marks()
        if not self.closed.is_set():
            with contextlib.suppress(ConnectionClosed):
                await self._send_command(Command.FLUSH_MEDIA)

    async def hangup(self) -> None:
        if self.closed.is_set():
            return
        self._ended(MediaEnd.LOCAL)
        self._out.clear()
        with contextlib.suppress(ConnectionClosed):
            await self._send_command(Command.HANGUP)
            # Asterisk hangs the channel up and closes the websocket itself.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await self.ws.wait_closed()
        self._finish()
        await self.ws.close()

    async def request_status(self) -> None:
        await self._send_command(Command.GET_STATUS)

    # -- internals ---------------------------------------------------------
    async def _send_command(self, command: Command, correlation_id: str | None = None) -> None:
        text = format_command(command, correlation_id, self.message_format)
        async with self._send_lock:
            await self.ws.send(text)

    async def _write_loop(self) -> None:
        while True:
            if not self._out:
                self._out_ready.clear()
                await self._out_ready.wait()
                continue
            item = self._out[0]
            if isinstance(item, _Mark):
                self._out.popleft()
                await self._send_command(Command.MARK_MEDIA, item.correlation_id)
                continue
            await self._xon.wait()
            loop = asyncio.get_running_loop()
            ahead_s = self._ahead_until - loop.time()
            if ahead_s > self.max_ahead_s:
                await asyncio.sleep(ahead_s - self.max_ahead_s)
            if not self._out or self._out[0] is not item:  # flushed meanwhile
                continue
            self._out.popleft()
            async with self._send_lock:
                await self.ws.send(item)
            start = max(loop.time(), self._ahead_until)
            self._ahead_until = start + self.format.duration_ms(len(item)) / 1000

    def _resolve_marks(self) -> None:
        for future in self._marks.values():
            if not future.done():
                future.set_result(None)
        self._marks.clear()

    def _finish(self) -> None:
        self._out.clear()
        self._resolve_marks()
        self._mark_closed()
