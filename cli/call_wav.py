"""A test call as a listener hears it: a stereo WAV on the call's own timeline.

Left the caller, right the bot (what reached the caller's ear), each frame
at the moment it was sent or heard, silence where nobody speaks; so the
pauses a caller sits through (the wait between the end of their sentence
and the bot's first word) are in the file, not cut out. The bot's frames are
timed by their arrival: frames that arrive bunched up by the network follow
one another, and a late frame a few milliseconds after the one before is
joined to it, so that jitter does not click; a longer gap is a pause.
"""

from __future__ import annotations

import array
import io
import sys
import wave
from collections.abc import Iterable

# Gaps shorter than this between two frames are network jitter, not a pause.
JITTER_S = 0.06

Frame = tuple[float, bytes]  # (when it started, in seconds on the call's clock; s16le audio)


def _samples(pcm: bytes) -> array.array[int]:
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()  # the audio is little-endian
    return samples


def track(frames: Iterable[Frame], start_s: float, rate_hz: int) -> array.array[int]:
    """One channel: each frame at its time from ``start_s``, zeros between."""
    out = array.array("h")
    jitter = round(JITTER_S * rate_hz)
    for at_s, pcm in frames:
        samples = _samples(pcm)
        pos = max(0, round((at_s - start_s) * rate_hz))
        if pos - len(out) < jitter:
            pos = len(out)  # bunched up, or a few ms late: straight after the last frame
        out.extend([0] * (pos - len(out)))
        out.extend(samples)
    return out


def call_wav(
    start_s: float,
    end_s: float,
    caller: Iterable[Frame],
    bot: Iterable[Frame],
    *,
    rate_hz: int,
) -> bytes:
    """The call from ``start_s`` to ``end_s`` as a 16-bit stereo WAV: left caller, right bot.

    As long as the call (longer only if a frame ran past its end).
    """
    left = track(caller, start_s, rate_hz)
    right = track(bot, start_s, rate_hz)
    length = max(round((end_s - start_s) * rate_hz), len(left), len(right))
    left.extend([0] * (length - len(left)))
    right.extend([0] * (length - len(right)))
    stereo = array.array("h", bytes(4 * length))
    stereo[0::2] = left
    stereo[1::2] = right
    if sys.byteorder == "big":
        stereo.byteswap()
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate_hz)
        w.writeframes(stereo.tobytes())
    return out.getvalue()
