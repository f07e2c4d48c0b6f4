"""The overflow offer: its words, and the caller's answer mapped to a route.

A caller who waited past ``max_wait`` hears that every colleague is busy and
chooses, by voice or key: talk to the bot, keep waiting, or be called back.
:func:`offer_answer` is a pure function over the keys or the words and their
NLU intent, so every phrasing is unit-tested without a call.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from bot.dialogue.pack_phrases import phrase_choice, said_words
from bot.nlu.data import grammar_doc, grammar_path
from bot.nlu.intents import SELF_SERVICE, Intent
from spillway.call import MENU_CHOICES, Route, menu_key_route
from spillway.errors import NluError
from spillway.language_pack import DEFAULT_LANGUAGE
from spillway.offer_reason import OfferReason, OfferWhy

# Silence or not understood this many times at the offer: keep waiting.
OFFER_ATTEMPTS = 2

# Intents that mean "I want the bot": a request it can serve (that request is
# carried into the dialogue as its first turn) or a plain yes.
OFFER_BOT_REQUESTS = SELF_SERVICE
# What the offer's own words sound like, in the pack's ``grammar.yaml`` (``offer_*``).
# Checked before the NLU intent: the shop's NLU has no "wait" intent and reads "stay in
# the queue" as a stock question, "jeg bliver i køen" as a complaint, or "talk to you" as
# a request for a person.
_CALLBACK, _WAIT, _BOT = "offer_callback", "offer_wait", "offer_bot"
# How many words before a phrase a negation turns it round ("I don't want to stay ...").
_NEGATION_REACH = 3


@functools.cache
def _spoken_digits(language: str) -> dict[str, str]:
    """The offer's digits said as words ("one", "tre"), cleaned as the answer is."""
    table = grammar_doc(language).get("offer_digits")
    if not isinstance(table, dict) or not table:
        raise NluError(f"{grammar_path(language)}: grammar offer_digits must map words to keys")
    return {said_words(str(word)): str(key) for word, key in table.items()}


@functools.cache
def _digit_answer(language: str) -> re.Pattern[str]:
    """A key said alone, perhaps after "number" or before "please" ("nummer et", "to tak")."""
    words = "|".join(re.escape(w) for w in sorted(_spoken_digits(language), key=len, reverse=True))
    before = phrase_choice(language, "offer_digit_prefixes")
    after = phrase_choice(language, "offer_digit_suffixes")
    return re.compile(rf"(?:(?:{before}) )?(?P<key>{words}|[0-9])(?: (?:{after}))?")


@functools.cache
def _phrases(language: str, key: str) -> re.Pattern[str]:
    """One of the pack's ``key`` phrases as whole words ("ikke" is not in "ikkeeee")."""
    return re.compile(rf"(?<![\w'])(?:{phrase_choice(language, key)})(?![\w'])")


def _uses(words: str, language: str, key: str) -> set[bool]:
    """For each of the pack's ``key`` phrases in ``words``: whether a negation among the
    few words before it turns it round ("jeg vil ikke blive i køen")."""
    negation = _phrases(language, "offer_negations")
    return {
        negation.search(" ".join(words[: found.start()].split()[-_NEGATION_REACH:])) is not None
        for found in _phrases(language, key).finditer(words)
    }


def _says(words: str, language: str, key: str) -> bool:
    """Whether ``words`` hold one of the pack's ``key`` phrases, not turned round."""
    return False in _uses(words, language, key)


def _key_said(words: str, language: str) -> str | None:
    """The menu key the caller said ("two", "nummer et", "3"), or None."""
    said = _digit_answer(language).fullmatch(words)
    if said is None:
        return None
    key = said["key"]
    return _spoken_digits(language).get(key, key)


def _wants_to_wait(words: str, language: str) -> bool:
    """Waiting said alone ("jeg venter"), or "keep my place" anywhere, not turned round."""
    alone = _phrases(language, "offer_wait_alone").fullmatch(words) is not None
    return alone or _says(words, language, _WAIT)


@dataclass(frozen=True, slots=True)
class OfferAnswer:
    """What the caller chose at the offer; ``route`` None means not understood.

    ``carry`` is set when the answer was a request the bot can serve: the
    dialogue takes that utterance as its first turn, so the caller need not
    repeat it. ``guessed``: a callback asked for in words rather than by key or
    menu number: the dialogue reads it back and asks before recording it.
    """

    route: Route | None
    why: OfferReason  # stored as its code, said to the agent in the shop's words
    carry: bool = False
    guessed: bool = False

    @property
    def reason(self) -> str:
        """The reason as stored (the call event's ``why``): "pressed 2"."""
        return self.why.stored


def offer_answer(
    *,
    digits: str | None = None,
    intent: str | None = None,
    text: str = "",
    language: str = DEFAULT_LANGUAGE,
) -> OfferAnswer:
    """Map a key press or an utterance (its NLU intent and words) to bot, wait or callback.

    Keys: 1 the bot, 2 keep waiting, 3 a callback, pressed or said ("two",
    "nummer et"). Words (``language``'s pack): a callback request is a callback;
    "keep waiting", "hold", "stay in the queue", "jeg bliver i køen", asking for
    a person, or "no" is waiting; a request the bot serves, or "yes", is the
    bot. The pack's words for waiting are read before the classifier's request,
    so a caller who keeps their place keeps it. Anything else is not understood
    (the caller is asked once more and then keeps waiting: never dropped).
    """
    if digits is not None:
        key, route = menu_key_route(digits)
        return OfferAnswer(route, OfferReason.pressed(key))
    words = said_words(text)
    said = _key_said(words, language)
    if said in MENU_CHOICES:
        return OfferAnswer(MENU_CHOICES[said], OfferReason(OfferWhy.SAID_KEY, said))
    if _says(words, language, _CALLBACK):
        return OfferAnswer(Route.CALLBACK, OfferReason(OfferWhy.CALLBACK), guessed=True)
    if _wants_to_wait(words, language):
        return OfferAnswer(Route.WAIT, OfferReason(OfferWhy.WAIT))
    if intent == Intent.CALLBACK_REQUEST:
        return OfferAnswer(Route.CALLBACK, OfferReason(OfferWhy.CALLBACK), guessed=True)
    if _says(words, language, _BOT):
        return OfferAnswer(Route.BOT, OfferReason(OfferWhy.BOT))
    if True in _uses(words, language, _WAIT):
        # "I don't want to stay in the queue": not to wait, but not the request the
        # classifier may read into it either (a complaint); asked again.
        return OfferAnswer(None, OfferReason.not_understood(intent))
    if intent == Intent.HUMAN_AGENT:
        return OfferAnswer(Route.WAIT, OfferReason(OfferWhy.PERSON))
    if intent == Intent.DENY:
        return OfferAnswer(Route.WAIT, OfferReason(OfferWhy.NO_TO_BOT))
    if intent in OFFER_BOT_REQUESTS:
        return OfferAnswer(Route.BOT, OfferReason(OfferWhy.BOT_REQUEST, str(intent)), carry=True)
    if intent == Intent.AFFIRM:
        return OfferAnswer(Route.BOT, OfferReason(OfferWhy.YES_TO_BOT))
    return OfferAnswer(None, OfferReason.not_understood(intent))
