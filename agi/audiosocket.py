"""The AudioSocket wire protocol (Asterisk 18+) and one AudioSocket call session.

Wire format, per https://docs.asterisk.org/Configuration/Channel-Drivers/AudioSocket/ and
``res/res_audiosocket.c``: every message is ``kind (1 byte) | length (2 bytes, big
endian) | payload``. Asterisk connects to us (TCP), sends the call's UUID first, then
caller audio every 20 ms; we send audio back and Asterisk plays each frame the moment
it arrives (there is no jitter buffer and no way to un-send), so we pace our frames
ourselves (:mod:`agi.pacing`) and keep only a frame or two in flight. Barge-in is
"stop writing".

The top half of this module is a pure parser/encoder (bytes in, typed frames out);
the bottom half is the thin socket loop that turns a connection into a
:class:`spillway.media.MediaSession`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import uuid
from collections import deque
from dataclasses import dataclass
from enum import IntEnum

from agi.media_session import BaseMediaSession
from agi.pacing import FramePacer
from spillway.audio import AudioFormat
from spillway.errors import ProtocolError
from spillway.media import MediaEnd
from spillway.tasks import cancel_and_wait

log = logging.getLogger(__name__)

HEADER = struct.Struct(">BH")
# 20 ms at 192 kHz is 7680 bytes, the largest audio frame Asterisk sends; anything
# beyond this is a broken or hostile peer, not a bigger frame.
DEFAULT_MAX_PAYLOAD_BYTES = 8192
DTMF_DIGITS = frozenset("0123456789*#ABCD")


class Kind(IntEnum):
    """Message kinds (the first byte of every message)."""

    HANGUP = 0x00
    UUID = 0x01
    DTMF = 0x03
    AUDIO = 0x10  # slin, 8 kHz
    AUDIO_SLIN12 = 0x11
    AUDIO_SLIN16 = 0x12
    AUDIO_SLIN24 = 0x13
    AUDIO_SLIN32 = 0x14
    AUDIO_SLIN44 = 0x15
    AUDIO_SLIN48 = 0x16
    AUDIO_SLIN96 = 0x17
    AUDIO_SLIN192 = 0x18
    ERROR = 0xFF


AUDIO_KIND_RATE_HZ: dict[Kind, int] = {
    Kind.AUDIO: 8000,
    Kind.AUDIO_SLIN12: 12000,
    Kind.AUDIO_SLIN16: 16000,
    Kind.AUDIO_SLIN24: 24000,
    Kind.AUDIO_SLIN32: 32000,
    Kind.AUDIO_SLIN44: 44100,
    Kind.AUDIO_SLIN48: 48000,
    Kind.AUDIO_SLIN96: 96000,
    Kind.AUDIO_SLIN192: 192000,
}
_RATE_KIND = {rate: kind for kind, rate in AUDIO_KIND_RATE_HZ.items()}


@dataclass(frozen=True, slots=True)
class HangupFrame:
    """Either side ends the call."""


@dataclass(frozen=True, slots=True)
class UuidFrame:
    """The first message from Asterisk: the UUID given to ``AudioSocket()``."""

    call_uuid: uuid.UUID


@dataclass(frozen=True, slots=True)
class DtmfFrame:
    """A DTMF digit the caller pressed."""

    digit: str


@dataclass(frozen=True, slots=True)
class AudioFrame:
    """Signed 16-bit little-endian mono PCM."""

    audio: bytes
    sample_rate_hz: int = 8000


@dataclass(frozen=True, slots=True)
class ErrorFrame:
    """Asterisk reports an error; the payload is an optional error code."""

    code: bytes = b""


Frame = HangupFrame | UuidFrame | DtmfFrame | AudioFrame | ErrorFrame


def encode(frame: Frame) -> bytes:
    """Serialise one frame; raises ``ProtocolError`` for frames that cannot be sent."""
    kind: int
    payload: bytes
    if isinstance(frame, AudioFrame):
        kind_for_rate = _RATE_KIND.get(frame.sample_rate_hz)
        if kind_for_rate is None:
            raise ProtocolError(f"AudioSocket has no kind for {frame.sample_rate_hz} Hz audio")
        kind, payload = kind_for_rate, frame.audio
    elif isinstance(frame, HangupFrame):
        kind, payload = Kind.HANGUP, b""
    elif isinstance(frame, UuidFrame):
        kind, payload = Kind.UUID, frame.call_uuid.bytes
    elif isinstance(frame, DtmfFrame):
        if frame.digit not in DTMF_DIGITS:
            raise ProtocolError(f"not a DTMF digit: {frame.digit!r}")
        kind, payload = Kind.DTMF, frame.digit.encode("ascii")
    else:
        kind, payload = Kind.ERROR, frame.code
    if len(payload) > 0xFFFF:
        raise ProtocolError(f"AudioSocket payload of {len(payload)} bytes exceeds 65535")
    return HEADER.pack(kind, len(payload)) + payload


def decode(kind_byte: int, payload: bytes) -> Frame:
    """Turn one message's kind and payload into a typed frame, validating both."""
    try:
        kind = Kind(kind_byte)
    except ValueError:
        raise ProtocolError(f"unknown AudioSocket message kind 0x{kind_byte:02x}") from None
    if kind in AUDIO_KIND_RATE_HZ:
        if not payload or len(payload) % 2:
            raise ProtocolError(f"AudioSocket audio payload of odd/zero length {len(payload)}")
        return AudioFrame(payload, AUDIO_KIND_RATE_HZ[kind])
    if kind is Kind.HANGUP:
        return HangupFrame()
    if kind is Kind.UUID:
        if len(payload) != 16:
            raise ProtocolError(f"AudioSocket UUID payload is {len(payload)} bytes, not 16")
        return UuidFrame(uuid.UUID(bytes=payload))
    if kind is Kind.DTMF:
        digit = payload.decode("ascii", errors="replace")
        if len(payload) != 1 or digit not in DTMF_DIGITS:
            raise ProtocolError(f"AudioSocket DTMF payload {payload!r} is not one digit")
        return DtmfFrame(digit)
    return ErrorFrame(payload)


class FrameParser:
    """Incremental parser: feed it bytes as they arrive, get whole frames out."""

    def __init__(self, *, max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES) -> None:
        self.max_payload_bytes = max_payload_bytes
        self._buffer = bytearray()

    @property
    def pending_bytes(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        while len(self._buffer) >= HEADER.size:
            kind, length = HEADER.unpack_from(self._buffer)
            # Check the header before waiting for its payload, so a hostile length
            # is refused at once instead of making us buffer 64 KiB.
            self._check_header(kind, length)
            end = HEADER.size + length
            if len(self._buffer) < end:
                break
            payload = bytes(self._buffer[HEADER.size : end])
            del self._buffer[:end]
            frames.append(decode(kind, payload))
        return frames

    def eof(self) -> None:
        """The peer closed; a half-received frame is a protocol error."""
        if self._buffer:
            raise ProtocolError(
                f"AudioSocket stream ended inside a frame ({len(self._buffer)} bytes)"
            )

    def _check_header(self, kind: int, length: int) -> None:
        check_header(kind, length, self.max_payload_bytes)


def check_header(kind: int, length: int, max_payload_bytes: int) -> None:
    if kind not in Kind._value2member_map_:
        raise ProtocolError(f"unknown AudioSocket message kind 0x{kind:02x}")
    if length > max_payload_bytes:
        raise ProtocolError(
            f"AudioSocket payload of {length} bytes exceeds the limit of {max_payload_bytes}"
        )


async def read_frame(
    reader: asyncio.StreamReader, *, max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES
) -> Frame | None:
    """Read one frame; ``None`` on a clean end of stream between frames."""
    try:
        header = await reader.readexactly(HEADER.size)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise ProtocolError("AudioSocket stream ended inside a frame header") from exc
    kind, length = HEADER.unpack(header)
    check_header(kind, length, max_payload_bytes)
    try:
        payload = await reader.readexactly(length)
    except asyncio.IncompleteReadError as exc:
        raise ProtocolError(
            f"AudioSocket stream ended after {len(exc.partial)} of {length} payload bytes"
        ) from exc
    return decode(kind, payload)


def _describe_frame(frame: object) -> str:
    """A frame in a log line: its kind and size, not its payload."""
    if frame is None:
        return "nothing (the connection closed)"
    if isinstance(frame, AudioFrame):
        return f"an audio frame of {len(frame.audio)} bytes"
    return f"a {type(frame).__name__}"


# -- the session -------------------------------------------------------------


class AudioSocketSession(BaseMediaSession):
    """One AudioSocket connection from Asterisk, as a :class:`MediaSession`.

    Outgoing audio sits in our own queue, cut into 20 ms frames, and a writer task
    sends one frame at each 20 ms deadline (silence when the queue is empty); that
    way ``flush()`` can still take back everything not yet sent.
    """

    transport = "audiosocket"

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        format: AudioFormat,
        frame_ms: int = 20,
        lead_frames: int = 2,
        idle_timeout_s: float = 30.0,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
    ) -> None:
        super().__init__(call_id="", format=format)
        self._reader = reader
        self._writer = writer
        self.frame_ms = frame_ms
        self.idle_timeout_s = idle_timeout_s
        self.max_payload_bytes = max_payload_bytes
        self._pacer = FramePacer(frame_ms=frame_ms, lead_frames=lead_frames)
        self._out: deque[bytes] = deque()
        self._idle = asyncio.Event()
        self._idle.set()
        self._write_lock = asyncio.Lock()
        self.frames_sent = 0  # audio frames, not counting keep-alive silence
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)

    async def handshake(self) -> None:
        """Read the UUID message, which Asterisk sends first."""
        frame = await read_frame(self._reader, max_payload_bytes=self.max_payload_bytes)
        if not isinstance(frame, UuidFrame):
            # Named by kind and size: a frame's audio is not worth a kilobyte of log.
            raise ProtocolError(
                f"AudioSocket peer {self.peer} sent {_describe_frame(frame)} before its UUID"
            )
        self.call_id = str(frame.call_uuid)

    async def run(self) -> None:
        """Read caller frames until hangup; write ours at their deadlines."""
        writer_task = asyncio.create_task(self._write_loop(), name=f"audiosocket-tx-{self.call_id}")
        try:
            while True:
                try:
                    async with asyncio.timeout(self.idle_timeout_s):
                        frame = await read_frame(
                            self._reader, max_payload_bytes=self.max_payload_bytes
                        )
                except TimeoutError:
                    self._ended(MediaEnd.IDLE)
                    raise ProtocolError(
                        f"AudioSocket peer {self.peer} silent for {self.idle_timeout_s:g} s"
                    ) from None
                if frame is None or isinstance(frame, HangupFrame):
                    # Asterisk sends a hangup message, or closes, when the channel hangs up.
                    self._ended(MediaEnd.HANGUP)
                    return
                if isinstance(frame, AudioFrame):
                    if frame.sample_rate_hz != self.format.sample_rate_hz:
                        self.format = AudioFormat(frame.sample_rate_hz)
                    self._push_audio(frame.audio)
                elif isinstance(frame, DtmfFrame):
                    self._push_dtmf(frame.digit)
                elif isinstance(frame, ErrorFrame):
                    log.warning(
                        "call %s: Asterisk AudioSocket error %s", self.call_id, frame.code.hex()
                    )
                elif isinstance(frame, UuidFrame):
                    raise ProtocolError(f"AudioSocket peer {self.peer} sent a second UUID")
        except (ConnectionError, OSError) as exc:
            self._ended(MediaEnd.ERROR)
            log.info("call %s: AudioSocket connection lost: %s", self.call_id, exc)
        finally:
            try:
                await cancel_and_wait(writer_task)
            finally:
                await self._close_transport()

    # -- MediaSession ------------------------------------------------------
    async def play(self, audio: bytes) -> None:
        if self.closed.is_set():
            return
        size = self.format.frame_bytes(self.frame_ms)
        for start in range(0, len(audio), size):
            chunk = audio[start : start + size]
            # A short last frame is padded with silence: Asterisk plays each
            # message as one frame, and a short one would shift the timing.
            self._out.append(chunk.ljust(size, b"\x00"))
        if self._out:
            self._idle.clear()

    async def wait_played(self) -> None:
        closed = asyncio.ensure_future(self.closed.wait())
        idle = asyncio.ensure_future(self._idle.wait())
        try:
            await asyncio.wait({closed, idle}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
            idle.cancel()

    async def flush(self) -> None:
        self._out.clear()
        self._idle.set()

    async def hangup(self) -> None:
        if self.closed.is_set():
            return
        self._ended(MediaEnd.LOCAL)
        self._out.clear()
        with contextlib.suppress(ConnectionError, OSError):
            async with self._write_lock:
                self._writer.write(encode(HangupFrame()))
                await self._writer.drain()
        await self._close_transport()

    @property
    def queued_ms(self) -> float:
        return len(self._out) * self.frame_ms

    # -- internals ---------------------------------------------------------
    async def _write_loop(self) -> None:
        # A frame every 20 ms for the whole call, silence when there is nothing to
        # say: app_audiosocket (22.x) hangs up after 2 s without any traffic.
        silence = b"\x00" * self.format.frame_bytes(self.frame_ms)
        played_until = 0.0
        while True:
            deadline = await self._pacer.wait_turn()
            if self._out:
                frame = self._out.popleft()
                played_until = deadline + self.frame_ms / 1000
                self.frames_sent += 1
            else:
                if len(silence) != self.format.frame_bytes(self.frame_ms):
                    silence = b"\x00" * self.format.frame_bytes(self.frame_ms)
                frame = silence
                if deadline >= played_until:
                    self._idle.set()
            async with self._write_lock:
                self._writer.write(encode(AudioFrame(frame, self.format.sample_rate_hz)))
                await self._writer.drain()

    async def _close_transport(self) -> None:
        self._idle.set()
        self._mark_closed()
        if not self._writer.is_closing():
            self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()
