"""What the agent who takes a call reads: the hand-over summary in the shop's language.

When the bot, the key menu or a callback hands a caller to a person, the agent is told
what is known (``HandoffContext.summary``: the channel's ``__SPILLWAY_SUMMARY``, the
``SpillwayHandoff`` / ``SpillwayAgentAnswered`` events, the calls table). Its labels and
fixed sentences are the language pack's ``agent_*`` prompts (written, never spoken); the
reasons and intents in it are the console's own words for them (``handoff_reason.*``,
``intent.*`` in ``console.yaml``), so the agent and the console name a reason alike;
what the caller did at the overflow offer is ``offer_reason.*`` there
(:mod:`spillway.offer_reason`: stored as its code, said in words only here).

The stored reasons are the system's own codes: the dialogue's action
(``transfer_no_match``), the voice bot's and the menu's phrases (``too many turns``,
``media idle``, ``bot error: TimeoutError``, ``pressed 0``). :func:`handoff_words`
names one; the part a code carries that has no words (an error's class name, a dialogue
step the pack does not name) stays beside them as detail. The machine fields (intent,
case id, callback id) stay as they are; only this text follows the language.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from spillway.call import MAX_SUMMARY_CHARS
from spillway.console_text import ConsoleText, load_console_text
from spillway.language_pack import LanguagePack, load_pack
from spillway.offer_reason import INTENT_DETAIL, OFFER_PREFIX, OfferReason, read_stored

__all__ = ["AgentWords", "ReasonWords", "agent_words", "code_key", "handoff_words"]


@dataclass(frozen=True, slots=True)
class ReasonWords:
    """A stored reason as a page shows it."""

    words: str  # in the console's language
    detail: str  # what the code carries beyond the words ("" when nothing)
    stored: str  # the value as stored (for a tooltip, and the CSV export)


def code_key(stored: str) -> str:
    """A stored phrase as a pack key: "too many turns" is ``too_many_turns``."""
    return re.sub(r"\W+", "_", stored.strip().lower()).strip("_")


# Codes with a part the pack has no words for: (pattern, the pack key, the group with the detail).
_HANDOFF_PATTERNS = (
    (re.compile(r"bot error: (?P<detail>.+)"), "bot_error"),
    (re.compile(r"media (?P<detail>\w+)"), "media"),
    (re.compile(r"transfer_(?P<detail>\w+)"), "transfer_other"),
)


def handoff_words(text: ConsoleText, stored: str | None) -> ReasonWords:
    """A call's hand-over reason (``None`` or "unknown": none was recorded)."""
    raw = (stored or "").strip()
    key = code_key(raw) or "unknown"
    if f"handoff_reason.{key}" in text.strings:
        return ReasonWords(text(f"handoff_reason.{key}"), "", raw)
    for pattern, group in _HANDOFF_PATTERNS:
        found = pattern.fullmatch(raw)
        if found:
            return ReasonWords(text(f"handoff_reason.{group}"), found.group("detail"), raw)
    offer = read_stored(raw.removeprefix(OFFER_PREFIX)) if raw.startswith(OFFER_PREFIX) else None
    if offer is not None:
        return ReasonWords(text("handoff_reason.offer"), offer_words(text, offer), raw)
    return ReasonWords(text("handoff_reason.unlisted"), raw, raw)


def offer_words(text: ConsoleText, reason: OfferReason) -> str:
    """What the caller did at the overflow offer, in the pack's words
    (``offer_reason.<why>``): the key, or the intent in the console's words for it."""
    intent = intent_words(text, [reason.detail]) if reason.why in INTENT_DETAIL else ""
    return text(f"offer_reason.{reason.why}", key=reason.detail, intent=intent)


def intent_words(text: ConsoleText, intents: Iterable[str]) -> str:
    """Intents in the console's words ("ordrestatus/ja"), an unnamed one as its code."""
    return "/".join(text.strings.get(f"intent.{i}", i) for i in intents)


# Fewer of the caller's words than this tell the agent nothing: left out instead.
_FEWEST_SAID_CHARS = 12


@dataclass(frozen=True, slots=True)
class AgentWords:
    """One language's words for the agent's summary: the pack's ``agent_*`` sentences and
    the console's words for reasons and intents."""

    pack: LanguagePack
    text: ConsoleText

    def say(self, key: str, /, **values: object) -> str:
        """The pack's ``agent_<key>`` sentence with ``values`` filled in."""
        return self.pack.say(f"agent_{key}", **values)

    def reason(self, stored: str) -> str:
        """A hand-over reason in words, its detail beside them ("the bot failed
        (TimeoutError)"); a reason no pack names is given as stored."""
        said = handoff_words(self.text, stored)
        if said.detail == said.stored:  # not named: the words would only say "another reason"
            return said.stored
        return f"{said.words} ({said.detail})" if said.detail else said.words

    def offer(self, reason: OfferReason) -> str:
        """What the caller did at the overflow offer, in the pack's words
        (``offer_reason.<why>``): the key, or the intent in the console's words for it."""
        return offer_words(self.text, reason)

    def intents(self, intents: Iterable[str]) -> str:
        """Intents in the console's words ("ordrestatus/ja"), an unnamed one as its code."""
        return intent_words(self.text, intents)

    def summary(self, parts: Iterable[str], said: str = "") -> str:
        """The parts as sentences, then the caller's last words, within
        :data:`MAX_SUMMARY_CHARS`: the caller's words are cut (with "…") or left out so
        that the parts stand whole; the channel variable keeps no more."""
        text = ". ".join(p for p in parts if p)
        if said:
            room = MAX_SUMMARY_CHARS - len(text) - len(". ") - len(self.say("said", text=""))
            if len(said) > room:
                said = said[: room - 1].rstrip() + "…" if room > _FEWEST_SAID_CHARS else ""
            if said:
                text = ". ".join(p for p in (text, self.say("said", text=said)) if p)
        return text[:MAX_SUMMARY_CHARS]


@functools.cache
def agent_words(language: str) -> AgentWords:
    """The summary's words in ``language`` (ConfigError when there is no such pack)."""
    return AgentWords(load_pack(language), load_console_text(language))
