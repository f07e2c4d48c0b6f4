"""espeak-ng speech synthesis: the voice that always works, robotic but in every language.

Debian's ``espeak-ng`` (installed by ``./dev``) speaks Danish and English out
of the box, with no model to fetch. It is the fallback voice of a language
whose neural (Piper) voice is not installed - for Danish on this machine, the
only one - and the voice of the spoken test caller in Danish. ``spillway
doctor`` calls it a weak voice.

Each piece of text is one ``espeak-ng --stdout`` process (text on stdin, so a
caller's words never become options); its 22.05 kHz WAV is resampled to the
call's rate. Synthesis runs in the voice's one-thread executor
(:class:`~bot.speech.synthesis.ThreadedTts`), never on the event loop.
"""

from __future__ import annotations

import shutil
import struct
import subprocess

from bot.speech.priority_pool import PriorityPool
from bot.speech.resample import resample_pcm16
from bot.speech.synthesis import ThreadedTts
from spillway.audio import SLIN8, AudioFormat
from spillway.errors import ModelError

ESPEAK = "espeak-ng"
# A piece longer than this is a bug upstream, not a sentence: cut off, never hung on.
TIMEOUT_S = 30.0
# Words per minute: espeak's default 175 is hurried on a narrow-band phone line.
SPEED_WPM = 160


def espeak_path() -> str | None:
    """Where espeak-ng is installed, or None."""
    return shutil.which(ESPEAK)


def wav_pcm(data: bytes) -> tuple[bytes, int]:
    """The 16-bit mono samples and rate of espeak's WAV (whose sizes say "streamed")."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ModelError("espeak-ng wrote no WAV")
    pos, rate, pcm = 12, 0, b""
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = pos + 8
        if chunk == b"fmt ":
            channels, rate, bits = (
                struct.unpack("<H", data[body + 2 : body + 4])[0],
                struct.unpack("<I", data[body + 4 : body + 8])[0],
                struct.unpack("<H", data[body + 14 : body + 16])[0],
            )
            if channels != 1 or bits != 16:
                raise ModelError(f"espeak-ng wrote {channels} channel(s) of {bits} bits")
        elif chunk == b"data":
            pcm = data[body:]  # written before its length is known: the rest is samples
            break
        pos = body + size + (size & 1)
    if not rate:
        raise ModelError("espeak-ng wrote a WAV without a format")
    return pcm[: len(pcm) - len(pcm) % 2], rate


class EspeakTts(ThreadedTts):
    """espeak-ng voice ``voice`` ("da", "en-us") rendering s16le mono at ``output_format``."""

    def __init__(
        self, voice: str, *, output_format: AudioFormat = SLIN8, speed_wpm: int = SPEED_WPM
    ) -> None:
        path = espeak_path()
        if path is None:
            raise ModelError(
                "espeak-ng is not installed", hint="apt-get install espeak-ng (./dev installs it)"
            )
        self._path = path
        self.voice = voice
        self.voice_id = f"espeak-ng:{voice}"
        self.output_format = output_format
        self.speed_wpm = speed_wpm
        self._executor = PriorityPool(1, thread_name_prefix="espeak")

    def synthesize_pcm(self, text: str) -> bytes:
        """Blocking: the whole text as s16le at the output rate."""
        if not text.strip():
            return b""
        try:
            done = subprocess.run(
                [self._path, "-v", self.voice, "-s", str(self.speed_wpm), "-b", "1", "--stdout"],
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ModelError(f"espeak-ng failed: {exc}") from exc
        if done.returncode != 0:
            why = done.stderr.decode("utf-8", "replace").strip()
            raise ModelError(f"espeak-ng voice {self.voice!r} failed: {why}")
        pcm, rate_hz = wav_pcm(done.stdout)
        return resample_pcm16(pcm, rate_hz, self.output_format.sample_rate_hz)
