"""Render the prompts Asterisk plays itself (DTMF menu, callback announcement) with our voice.

Why here: the words are the shop's language pack's (``shop.language``,
``spillway/languages/<code>/prompts.yaml``) and the voice is the bot's (Piper,
or espeak-ng for a language without an installed Piper voice; floor 3), while
the keys the dialplan plays, their folder and the file format are the dialplan's
(``dialplan/sounds.py``, floor 1, which cannot import the bot). The CLI is
the floor that may use both, and it is what runs at `dialplan render` /
`install` and `pbx sandbox up` time.

Renders go through the bot's prompt cache (one rendering per voice and
text, shared with `spillway serve`), and a folder whose files already match
the words and voice is left alone, so re-running costs nothing. Without a
voice nothing is written and the reason is returned: the dialplan then
plays Asterisk's own sounds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dialplan.callback_promise import promise_sound_texts, settings_windows
from dialplan.sounds import SOUND_KEYS, sound_dirs, stale_keys, write_sounds
from models.voice import VoiceChoice, installed_voice
from spillway.audio import SLIN8, AudioFormat
from spillway.console_text import ConsoleText
from spillway.errors import ModelError, SpillwayError
from spillway.language_pack import load_pack
from spillway.settings import Settings
from spillway.wording import Wording, say, worded

if TYPE_CHECKING:
    from bot.speech.espeak_tts import EspeakTts
    from bot.speech.piper_tts import PiperTts


@dataclass(frozen=True, slots=True)
class SoundsResult:
    folder: Path
    written: list[Path] = field(default_factory=list)
    # Why nothing could be rendered: words for the admin's language, or a library's own.
    missing: Wording | SpillwayError | str | None = None
    # The voice, when it is espeak-ng standing in for the language's Piper voice.
    weak: VoiceChoice | None = None


def sound_texts(settings: Settings) -> dict[str, str]:
    """What each prompt Asterisk plays says, in the shop's words and language (by file
    name: the callback promise's hours and weekdays are a file each)."""
    pack = load_pack(settings.shop.language)
    shop = settings.shop.name
    texts = {key: pack.say(key, shop=shop) for key in SOUND_KEYS}
    windows = settings_windows(settings)
    deadline_hours = settings.callbacks.deadline_business_hours
    return {**texts, **promise_sound_texts(pack, windows, deadline_hours, shop=shop)}


def expected_sounds(settings: Settings) -> tuple[dict[str, str], str]:
    """What the prompts would be rendered from now: each file's text
    (:func:`sound_texts`) and the voice id of the shop language's voice. Nothing is
    loaded or synthesised: `spillway doctor` compares these with the manifest."""
    return sound_texts(settings), _voice(settings).voice_id


def _voice(settings: Settings) -> VoiceChoice:
    return installed_voice(settings.shop.language, settings.speech, settings.paths.models_dir)


class _LazyVoice:
    """The bot's voice for the shop's language at 8 kHz, loaded only if something must be
    rendered."""

    output_format: AudioFormat = SLIN8

    def __init__(self, settings: Settings, voice_id: str) -> None:
        self.settings = settings
        self.voice_id = voice_id
        self._tts: PiperTts | EspeakTts | None = None

    async def synthesize(self, text: str) -> bytes:
        from bot.assembly import load_tts

        if self._tts is None:
            # Not logged in English: render_sounds' result says it in the admin's words.
            self._tts = await asyncio.to_thread(load_tts, self.settings, SLIN8, log_weak=False)
        return await self._tts.synthesize(text)

    def close(self) -> None:
        if self._tts is not None:
            self._tts.close()


async def render_sounds(settings: Settings, folder: Path | None = None) -> SoundsResult:
    """Render every stale prompt into ``folder`` (default: where Asterisk plays them from)."""
    from bot.speech.prompt_cache import PromptCache

    target = folder or sound_dirs(settings).local
    choice = _voice(settings)
    texts, voice = sound_texts(settings), choice.voice_id
    weak = choice if choice.weak else None
    todo = await asyncio.to_thread(stale_keys, target, texts, voice)
    if not todo:
        return SoundsResult(target, weak=weak)
    tts = _LazyVoice(settings, voice)
    cache = PromptCache(settings.paths.cache_dir / "prompts", tts)
    try:
        rendered = {key: (texts[key], await cache.get(texts[key])) for key in todo}
    except (ModelError, ImportError) as exc:
        return SoundsResult(target, missing=exc if isinstance(exc, ModelError) else str(exc))
    finally:
        tts.close()
    try:
        written = await asyncio.to_thread(write_sounds, target, rendered, voice)
    except OSError as exc:  # not Asterisk's sounds folder, or not ours to write
        cannot = worded("cli.sounds.cannot_write", problem=exc.strerror or exc)
        return SoundsResult(target, missing=cannot)
    return SoundsResult(target, written, weak=weak)


def describe(result: SoundsResult, text: ConsoleText) -> str:
    """One line for the console, in ``text``'s language."""
    if result.missing:
        why = say(result.missing, text)
        return text("cli.sounds.not_rendered", folder=result.folder, why=why)
    if not result.written:
        return text("cli.sounds.up_to_date", folder=result.folder)
    return text.count("cli.sounds.rendered", len(result.written), folder=result.folder)


def weak_voice(result: SoundsResult, text: ConsoleText, *, host: bool = False) -> str | None:
    """A warning when the prompts in the folder are espeak-ng's robotic voice, naming the
    command that fetches the language's own (then `dialplan install` renders them again:
    their manifest names the voice), in ``text``'s language; None when they are not.

    ``host`` (``pbx.mode: host``): the fetch is the services' user's, into their folders,
    which root's `dialplan install` reads only when it is given the same."""
    choice = result.weak
    if choice is None or result.missing:
        return None
    why = say(choice.why, text)
    if not choice.piper:
        return text("cli.sounds.weak_voice_no_model", why=why)
    key = "cli.sounds.weak_voice_host" if host else "cli.sounds.weak_voice"
    return text(key, why=why, model=choice.piper)
