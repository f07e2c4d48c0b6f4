"""Language packs: one folder per language with what the bot says and how it reads things out.

Each pack is package data under ``spillway/languages/<code>/`` with the same
keys in every pack (tests/test_language_packs.py checks they match):

* ``pack.yaml`` - the language's name and locale, and the default recogniser
  and voice per engine (``recognisers``: engine -> model; ``voices``: engine
  -> voice), and the recogniser's initial prompt and beams (``recogniser_prompt``,
  ``recogniser_beam_size``), and what the demo's caller says (``demo_conversation``);
* ``prompts.yaml`` - every caller-facing sentence by id: a string, or
  ``{text: ..., fixed: true}`` for wording that carries no caller data (at
  most the shop's name) and may be played from the prompt cache;
* ``reading.yaml`` - how things are read aloud: weekday and month names,
  the countries callbacks may dial ("in Denmark"), the words for hours and the
  clock they are on (``clock``: 24 in Danish, "mellem klokken tolv og sytten";
  12 in English, "between twelve and five"), how many digits a group of a long
  number has;
* ``console.yaml`` - every word the operations console shows
  (:mod:`spillway.console_text` reads and checks it).

The NLU side of a pack (``nlu/``, ``heldout.yml``, grammar files) sits in the
same folder and is loaded by the NLU code. :func:`load_pack` reads a pack
once and keeps it; a missing file or key is a :class:`ConfigError` naming it.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from spillway.errors import ConfigError

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class Prompt:
    """One reply's wording; ``fixed``: no caller data, so it may be cached."""

    text: str
    fixed: bool = False

    def placeholders(self) -> frozenset[str]:
        """The ``{names}`` the wording fills in."""
        return frozenset(f for _, f, _, _ in string.Formatter().parse(self.text) if f)


@dataclass(frozen=True, slots=True)
class Reading:
    """How a language reads things out (the words the sentences are filled with)."""

    weekdays: tuple[str, ...]  # Monday first
    months: tuple[str, ...]  # January first
    hour_words: tuple[str, ...]  # the words for the hours 0-23 as the bot says them
    digit_group_chars: int  # at most this many digits per group of a long number
    # The clock the pack's spoken hours are on: 24 ("klokken sytten") or 12 ("five
    # o'clock", the words of 0-11 again for 12-23; the pack's hour_words must say so).
    clock_hours: int = 24
    # Where callbacks may dial, as a caller is told it: ISO code -> "in Denmark" ("i
    # Danmark"), each with the preposition the language gives it ("på Færøerne").
    countries: Mapping[str, str] = field(default_factory=dict)

    def hour_word(self, hour: float) -> str:
        """The whole hour of ``hour`` (local, 0-24) as the bot says it: 17.5 -> "sytten"
        on a 24-hour clock, "five" on a 12-hour one; 24 (midnight) as 0."""
        return self.hour_words[int(hour) % self.clock_hours]


@dataclass(frozen=True, slots=True)
class LanguagePack:
    code: str  # "en", "da"
    name: str  # "English", "Dansk"
    locale: str  # "en-US", "da-DK"
    recognisers: Mapping[str, str]  # engine -> default model ("whisper" -> "whisper-base")
    voices: Mapping[str, str]  # engine -> default voice ("piper" -> ..., "espeak" -> "da")
    # Whisper's initial prompt: the shop's topics in the language ({products} filled in).
    recogniser_prompt: str
    recogniser_beam_size: int  # Whisper's beams unless speech.whisper_beam_size says
    demo_conversation: tuple[str, ...]  # what `spillway demo`'s caller says, line by line
    # The engine in ``recognisers`` whose model is weak in this language ("": none); why
    # is cli.doctor.recogniser_weak_note.<code> in console.yaml, said in the admin's words.
    recogniser_weak: str
    prompts: Mapping[str, Prompt]
    reading: Reading

    def say(self, action: str, **values: object) -> str:
        """The wording of ``action`` with ``values`` filled in."""
        return self.prompts[action].text.format(**values)

    def clock(self, hour: int, minute: int = 0, second: int | None = None) -> str:
        """A time of day as the language writes it ("09.00" in Danish, "09:00" in English;
        ``clock_separator`` in prompts.yaml): every screen writes hours this one way."""
        parts = (hour, minute) if second is None else (hour, minute, second)
        return self.say("clock_separator").join(f"{part:02d}" for part in parts)

    def say_rule(self, key: str, values: Mapping[str, object]) -> str:
        """A calling rule's refusal (a ``rule_*`` key and its values) in this pack's words;
        ``weekday`` (0 = Monday) named as the pack names the day, ``opens``/``closes``
        (minutes after midnight) as the calling hours written on the pack's clock."""
        filled = dict(values)
        if "weekday" in filled:
            filled["day"] = self.reading.weekdays[int(str(filled.pop("weekday")))]
        if "opens" in filled:
            ends = (int(str(filled.pop(end))) for end in ("opens", "closes"))
            filled["hours"] = "-".join(self.clock(*divmod(minutes, 60)) for minutes in ends)
        return self.say(key, **filled)


def _root() -> Any:
    return resources.files("spillway") / "languages"


def pack_dir(code: str) -> Path:
    """The folder of pack ``code`` (the NLU engines read their Rasa project from it)."""
    return Path(str(_root() / code))


def available_languages() -> tuple[str, ...]:
    """The codes of the packs shipped with Spillway, sorted."""
    return tuple(sorted(p.name for p in _root().iterdir() if (p / "pack.yaml").is_file()))


def _read(code: str, filename: str) -> dict[str, Any]:
    path = _root() / code / filename
    where = f"language pack {code!r}: {filename}"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{where} is missing") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping at the top")
    return data


def read_pack_file(code: str, filename: str) -> dict[str, Any]:
    """A YAML file of pack ``code`` as a mapping; ConfigError when missing or malformed."""
    return _read(code, filename)


def _weak(pack: Mapping[str, Any], where: str) -> str:
    """``recogniser_weak``: one of the pack's recognisers, or "" for none."""
    weak = _need(pack, "recogniser_weak", str, where)
    if weak and weak not in _need(pack, "recognisers", dict, where):
        raise ConfigError(f"{where}: recogniser_weak {weak!r} is not one of its recognisers")
    return weak


def _need(data: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in data:
        raise ConfigError(f"{where}: the key {key!r} is missing")
    value = data[key]
    if not isinstance(value, kind):
        raise ConfigError(f"{where}: {key!r} must be a {kind.__name__}")
    return value


def _prompt(key: str, raw: object, where: str) -> Prompt:
    if isinstance(raw, str):
        return Prompt(raw)
    if isinstance(raw, dict) and isinstance(raw.get("text"), str) and set(raw) <= {"text", "fixed"}:
        return Prompt(raw["text"], bool(raw.get("fixed", False)))
    raise ConfigError(f"{where}: {key!r} must be a string or {{text: ..., fixed: true}}")


def _words(data: Mapping[str, Any], key: str, count: int, where: str) -> tuple[str, ...]:
    words = _need(data, key, list, where)
    if len(words) != count or not all(isinstance(w, str) and w for w in words):
        raise ConfigError(f"{where}: {key!r} must list {count} words")
    return tuple(words)


def _clock_hours(data: Mapping[str, Any], hour_words: tuple[str, ...], where: str) -> int:
    """``clock``: 12 or 24; a 12-hour pack's hour_words repeat after twelve hours."""
    clock = _need(data, "clock", int, where)
    if clock not in (12, 24):
        raise ConfigError(f"{where}: 'clock' must be 12 or 24")
    if clock == 12 and hour_words[:12] != hour_words[12:]:
        raise ConfigError(f"{where}: a 12-hour 'clock' says the same 'hour_words' after 12")
    return int(clock)


def _places(data: Mapping[str, Any], where: str) -> Mapping[str, str]:
    """``countries``: ISO code -> the words for "in that country"."""
    places = _need(data, "countries", dict, where)
    # A bare NO is YAML's false: the codes must be quoted strings.
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in places.items()):
        raise ConfigError(f"{where}: 'countries' must map quoted codes to words")
    return MappingProxyType(dict(places))


def _lines(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    lines = _need(data, key, list, where)
    # YAML reads a bare yes or no as a boolean: such a line must be quoted.
    if not lines or not all(isinstance(line, str) and line for line in lines):
        raise ConfigError(f"{where}: {key!r} must list quoted lines of text")
    return tuple(lines)


@functools.cache
def load_pack(code: str) -> LanguagePack:
    """The pack for ``code`` (read once); ConfigError naming the missing file or key."""
    if code not in available_languages():
        raise ConfigError(
            f"no language pack {code!r}", hint=f"known: {', '.join(available_languages())}"
        )
    pack = _read(code, "pack.yaml")
    where = f"language pack {code!r}: pack.yaml"
    prompts_where = f"language pack {code!r}: prompts.yaml"
    prompts = {
        str(k): _prompt(str(k), v, prompts_where) for k, v in _read(code, "prompts.yaml").items()
    }
    reading = _read(code, "reading.yaml")
    reading_where = f"language pack {code!r}: reading.yaml"
    hour_words = _words(reading, "hour_words", 24, reading_where)
    return LanguagePack(
        code=code,
        name=_need(pack, "name", str, where),
        locale=_need(pack, "locale", str, where),
        recognisers=MappingProxyType(dict(_need(pack, "recognisers", dict, where))),
        voices=MappingProxyType(dict(_need(pack, "voices", dict, where))),
        recogniser_prompt=_need(pack, "recogniser_prompt", str, where),
        recogniser_beam_size=_need(pack, "recogniser_beam_size", int, where),
        demo_conversation=_lines(pack, "demo_conversation", where),
        recogniser_weak=_weak(pack, where),
        prompts=MappingProxyType(prompts),
        reading=Reading(
            weekdays=_words(reading, "weekdays", 7, reading_where),
            months=_words(reading, "months", 12, reading_where),
            hour_words=hour_words,
            digit_group_chars=_need(reading, "digit_group_chars", int, reading_where),
            clock_hours=_clock_hours(reading, hour_words, reading_where),
            countries=_places(reading, reading_where),
        ),
    )
