"""The overflow offer: its words, and the caller's answer mapped to a route.

A caller who waited past ``max_wait`` hears that every colleague is busy and
chooses, by voice or key: talk to the bot, keep waiting, or be called back.
:func:`offer_answer` is a pure function over the keys or the words and their
NLU intent, so every phrasing is unit-tested without a call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.nlu.intents import SELF_SERVICE, Intent
from spillway.call import MENU_CHOICES, Route, menu_key_route
from spillway.offer_reason import OfferReason, OfferWhy

# Silence or not understood this many times at the offer: keep waiting.
OFFER_ATTEMPTS = 2

# Intents that mean "I want the bot": a request it can serve (that request is
# carried into the dialogue as its first turn) or a plain yes.
OFFER_BOT_REQUESTS = SELF_SERVICE
# What the offer's own words sound like. Checked before the NLU intent: the
# shop's NLU has no "wait" intent and reads "stay in the queue" as a stock
# question, or "talk to you" as a request for a person.
_SPOKEN_DIGITS = {"one": "1", "won": "1", "two": "2", "to": "2", "too": "2", "three": "3"}
_CALLBACK_RE = re.compile(r"\b(call(ing)? me back|call ?back|ring me back|phone me back)\b")
_WAIT_RE = re.compile(
    r"\b(keep (on )?(waiting|holding)|(i'?ll|i will|i can|i'd rather|i would rather|let me) "
    r"(just )?(wait|hold)|wait(ing)? (in|on) (the )?(queue|line)|stay(ing)? (in|on) (the )?"
    r"(queue|line|hold)|(on|keep|stay on) hold|keep (my )?place|still wait|wait for (a|an|the) "
    r"(person|human|colleague|agent))\b|^(i'?ll |i will )?(wait|hold)( please)?$"
)
_BOT_RE = re.compile(
    r"\b((talk|speak) (to|with) (you|the (bot|assistant|robot|machine))|the (bot|assistant)"
    r"|you can help)\b"
)


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
    *, digits: str | None = None, intent: str | None = None, text: str = ""
) -> OfferAnswer:
    """Map a key press or an utterance (its NLU intent and words) to bot, wait or callback.

    Keys: 1 the bot, 2 keep waiting, 3 a callback. Words: a callback request
    is a callback; "keep waiting", "hold", "stay in the queue", asking for a
    person, or "no" is waiting; a request the bot serves, or "yes", is the
    bot. Anything else is not understood (the caller is asked once more and
    then keeps waiting: never dropped).
    """
    if digits is not None:
        key, route = menu_key_route(digits)
        return OfferAnswer(route, OfferReason.pressed(key))
    words = " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())
    spoken = _SPOKEN_DIGITS.get(words, words)
    if spoken in MENU_CHOICES:
        return OfferAnswer(MENU_CHOICES[spoken], OfferReason(OfferWhy.SAID_KEY, spoken))
    if intent == Intent.CALLBACK_REQUEST or _CALLBACK_RE.search(words):
        return OfferAnswer(Route.CALLBACK, OfferReason(OfferWhy.CALLBACK), guessed=True)
    if _WAIT_RE.search(words):
        return OfferAnswer(Route.WAIT, OfferReason(OfferWhy.WAIT))
    if _BOT_RE.search(words):
        return OfferAnswer(Route.BOT, OfferReason(OfferWhy.BOT))
    if intent == Intent.HUMAN_AGENT:
        return OfferAnswer(Route.WAIT, OfferReason(OfferWhy.PERSON))
    if intent == Intent.DENY:
        return OfferAnswer(Route.WAIT, OfferReason(OfferWhy.NO_TO_BOT))
    if intent in OFFER_BOT_REQUESTS:
        return OfferAnswer(Route.BOT, OfferReason(OfferWhy.BOT_REQUEST, str(intent)), carry=True)
    if intent == Intent.AFFIRM:
        return OfferAnswer(Route.BOT, OfferReason(OfferWhy.YES_TO_BOT))
    return OfferAnswer(None, OfferReason.not_understood(intent))
