"""The sound files Asterisk plays itself: which prompts, where they live, how they are written.

The DTMF menu, the called-back customer's announcement and the agent's
whisper are played by Asterisk, not by the bot, so their wording is rendered
into sound files ahead of time (`spillway dialplan render`/`install`,
`spillway pbx sandbox up`). The words are the shop's language pack's
(``spillway/languages/<shop.language>/prompts.yaml``, the same keys in every
pack); this floor only names the keys the dialplan
plays, where the files go, and writes them. Synthesis is the bot's (a floor
above): the CLI joins the two (``cli/pbx_sounds.py``).

Files are 8 kHz 16-bit mono WAV, which every Asterisk plays without
transcoding to a narrow-band call. A manifest beside them records the text
and voice of each, so an unchanged prompt is not rendered again. The
dialplan checks that a file exists (``STAT``, or Playback's own status) before
or as it plays it and falls back to Asterisk's own sounds, so a missing file
never means silence.
"""

from __future__ import annotations

import hashlib
import json
import os
import wave
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialplan.callback_promise import (
    PROMISE_SOUND_KEYS,
    PROMISE_TEMPLATE_KEYS,
    RECORDED_CALLING_HOURS,
)
from dialplan.layout import SandboxLayout
from spillway.settings import Settings

SAMPLE_RATE_HZ = 8000
MANIFEST = "spillway-sounds.json"

# What a callback was about (the request's intent), as the file-name suffix of
# the topic's announcement and whisper; anything else gets the general one.
CALLBACK_TOPICS: dict[str, str] = {
    "order_status": "order",
    "return_item": "return",
    "complaint": "complaint",
    "stock_check": "stock",
}

# Every prompt the dialplan plays, by its catalogue key (= the file's name).
SOUND_KEYS: tuple[str, ...] = (
    "menu_offer",
    "menu_offer_no_bot",
    "menu_no_input",
    "menu_keep_place",
    "menu_key_not_offered",
    "menu_key_not_offered_again",
    "menu_callback_timing",
    "menu_callback_recorded",
    *PROMISE_SOUND_KEYS,
    "callback_not_taken",
    "bot_lost",
    "bot_unavailable",
    "call_goodbye",
    "callback_intro",
    *(f"callback_intro_{t}" for t in CALLBACK_TOPICS.values()),
    "callback_no_agent",
    "callback_again_recorded",
    "callback_no_agent_goodbye",
    "queue_still_busy",
    "agent_whisper",
    *(f"agent_whisper_{t}" for t in CALLBACK_TOPICS.values()),
)

# Catalogue prompts only ever rendered into sound files, never played under their own
# key: the promise's templates (one file per hour, per weekday) and the fixed
# thank-you's other wording (dialplan/callback_promise.py).
SOUND_ONLY_KEYS: tuple[str, ...] = (*PROMISE_TEMPLATE_KEYS, RECORDED_CALLING_HOURS)


# The language of Asterisk's own sounds (core sounds, as installed by the sandbox
# and most distributions). A dialplan for another language never falls back to
# them: a Danish caller must not hear English after pressing a key.
STOCK_SOUNDS_LANGUAGE = "en"
# What plays instead when neither our prompt nor a stock sound in the caller's
# language is there: a tone, which says no words in the wrong language.
NO_WORDS = "beep"


def stock_fallback(language: str, sounds: str) -> str:
    """Asterisk's own ``sounds`` (``a&b``) as the fallback for a missing prompt, when
    they speak the shop's ``language``; otherwise a tone."""
    return sounds if language == STOCK_SOUNDS_LANGUAGE else NO_WORDS


# Asterisk's own words for the queue's periodic announcement ("all of our
# representatives are busy, please stay on the line").
STOCK_QUEUE_ANNOUNCEMENT = "queue-periodic-announce"


def queue_announcement(language: str, folder: str) -> str:
    """What the queue says every so often to everyone waiting (a called-back customer
    too): Asterisk's own words in their language, else our ``queue_still_busy`` in
    ``folder`` (the queue cannot check that a file exists; a missing one is a
    skipped announcement, never words in another language)."""
    if language == STOCK_SOUNDS_LANGUAGE:
        return STOCK_QUEUE_ANNOUNCEMENT
    return f"{folder}/queue_still_busy"


@dataclass(frozen=True, slots=True)
class SoundDirs:
    local: Path  # the folder as this host sees it (where the files are written)
    pbx: str  # the same folder as Asterisk sees it (what the dialplan plays)


def sound_dirs(settings: Settings) -> SoundDirs:
    """Where the rendered prompts live: the sandbox instance's folder, or ``pbx.sounds_dir``;
    one folder per language (``shop.language``), so the dialplan plays the shop's."""
    language = settings.shop.language
    if settings.pbx.mode == "sandbox":
        layout = SandboxLayout.from_settings(settings)
        relative = f"sounds/spillway/{language}"
        return SoundDirs(layout.outside(relative), layout.inside(relative))
    folder = settings.pbx.sounds_dir / "spillway" / language
    return SoundDirs(folder, str(folder))


def callback_topic(reason: str, context: Mapping[str, Any]) -> str:
    """The topic of a callback request ("order", ...), or "" when it is not known.

    The bot keeps what the call was about in ``context["topic"]`` (the reason
    is then "callback_request"); the controller's menu route in
    ``context["intent"]``; other sources may give it as the reason itself.
    """
    intents = context.get("intents")
    candidates = [context.get("topic"), reason, context.get("intent")]
    if isinstance(intents, list):
        candidates += list(reversed(intents))
    for candidate in candidates:
        if isinstance(candidate, str) and candidate in CALLBACK_TOPICS:
            return CALLBACK_TOPICS[candidate]
    return ""


def fingerprint(voice: str, text: str) -> str:
    """What a file was rendered from; a changed text or voice renders it again."""
    return hashlib.sha256(f"{voice}\n{SAMPLE_RATE_HZ}\n{text}".encode()).hexdigest()[:16]


def read_manifest(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


@dataclass(frozen=True, slots=True)
class SoundStatus:
    """How a folder's files compare with what would be rendered now (keys in ``texts``
    order)."""

    missing: list[str]  # no file: the dialplan plays its fallback instead
    stale: list[str]  # a file rendered from other words or another voice (or not by us)

    @property
    def current(self) -> bool:
        return not self.missing and not self.stale


def sound_status(folder: Path, texts: Mapping[str, str], voice: str) -> SoundStatus:
    """Which of ``texts``' files are missing from ``folder``, and which say other words or
    speak with another voice than ``voice`` (a voice id): the manifest's record is
    compared, nothing is synthesised (`spillway doctor` asks this; a new version's changed or added
    prompts show up here until they are rendered again)."""
    manifest = read_manifest(folder)
    missing: list[str] = []
    stale: list[str] = []
    for key, text in texts.items():
        if not (folder / f"{key}.wav").is_file():
            missing.append(key)
        elif manifest.get(key) != fingerprint(voice, text):
            stale.append(key)
    return SoundStatus(missing, stale)


def stale_keys(folder: Path, texts: Mapping[str, str], voice: str) -> list[str]:
    """The keys whose file is missing or was rendered from other words or another voice."""
    status = sound_status(folder, texts, voice)
    todo = {*status.missing, *status.stale}
    return [key for key in texts if key in todo]


def wav_bytes(pcm: bytes) -> bytes:
    """8 kHz 16-bit mono PCM as a WAV file's bytes."""
    import io

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE_HZ)
        w.writeframes(pcm)
    return out.getvalue()


def _replace(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` all at once (Asterisk never plays half a file)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def write_sounds(folder: Path, rendered: Mapping[str, tuple[str, bytes]], voice: str) -> list[Path]:
    """Write each key's PCM (with the text it says) as ``<key>.wav``; update the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(folder)
    written = []
    for key, (text, pcm) in rendered.items():
        path = folder / f"{key}.wav"
        _replace(path, wav_bytes(pcm))
        manifest[key] = fingerprint(voice, text)
        written.append(path)
    _replace(folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
    return written
