"""Why a caller at the overflow offer goes where they go: a code, and its detail.

The voice bot's offer (bot/dialogue/offer.py) and the menu bot's (agi/menu_bot.py) both
record why the caller went back to the queue, to the bot or to a callback. The reason is
stored as a short English code, as before (a call event's ``why``, the call's reason
``offer: pressed 2``): machines and old rows read it. What the agent who takes the call
reads is the language pack's words for it (``offer_reason.<why>`` in console.yaml, via
:meth:`spillway.handover_words.AgentWords.offer`), in the shop's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["OFFER_PREFIX", "OfferReason", "OfferWhy", "read_stored"]

# A call's hand-over reason when the caller went back to the queue from the offer:
# this, then the code ("offer: pressed 2").
OFFER_PREFIX = "offer: "


class OfferWhy(StrEnum):
    """What the caller did at the offer (the value is the pack's key)."""

    PRESSED = "pressed"  # a key (detail: the key)
    PRESSED_NOTHING = "pressed_nothing"  # the key wait ended with none
    SAID_KEY = "said_key"  # a menu number said aloud (detail: the number)
    CALLBACK = "callback"
    WAIT = "wait"
    BOT = "bot"
    PERSON = "person"  # asked for a person: keeps waiting for one
    NO_TO_BOT = "no_to_bot"
    BOT_REQUEST = "bot_request"  # a request the bot serves (detail: its intent)
    YES_TO_BOT = "yes_to_bot"
    NOT_UNDERSTOOD = "not_understood"  # (detail: the NLU's intent)
    NOT_UNDERSTOOD_NO_INTENT = "not_understood_no_intent"
    SILENCE = "silence"
    NO_ANSWER = "no_answer"  # no attempt was made


# The code each is stored as ({detail} filled in): unchanged, so old rows read alike.
STORED = {
    OfferWhy.PRESSED: "pressed {detail}",
    OfferWhy.PRESSED_NOTHING: "pressed (nothing)",
    OfferWhy.SAID_KEY: "said {detail}",
    OfferWhy.CALLBACK: "asked to be called back",
    OfferWhy.WAIT: "said they will keep waiting",
    OfferWhy.BOT: "asked for the bot",
    OfferWhy.PERSON: "wants a person: keeps waiting",
    OfferWhy.NO_TO_BOT: "said no to the bot",
    OfferWhy.BOT_REQUEST: "asked the bot: {detail}",
    OfferWhy.YES_TO_BOT: "said yes to the bot",
    OfferWhy.NOT_UNDERSTOOD: "not understood ({detail})",
    OfferWhy.NOT_UNDERSTOOD_NO_INTENT: "not understood (no intent)",
    OfferWhy.SILENCE: "silence",
    OfferWhy.NO_ANSWER: "no answer",
}
# Each code read back: those without a detail first, so "pressed (nothing)" is not taken
# for the key "(nothing)".
_READ = tuple(
    (why, re.compile(re.escape(code).replace(re.escape("{detail}"), "(?P<detail>.+)")))
    for why, code in sorted(STORED.items(), key=lambda item: "{detail}" in item[1])
)
# The reasons whose detail is an NLU intent (said in the console's words for it).
INTENT_DETAIL = frozenset({OfferWhy.BOT_REQUEST, OfferWhy.NOT_UNDERSTOOD})


@dataclass(frozen=True, slots=True)
class OfferReason:
    why: OfferWhy
    detail: str = ""  # the key pressed or said, or an intent (see OfferWhy)

    @property
    def stored(self) -> str:
        """The code as stored: "pressed 2", "said they will keep waiting"."""
        return STORED[self.why].format(detail=self.detail)

    @classmethod
    def pressed(cls, key: str) -> OfferReason:
        """A key pressed at the offer ("": none before the wait ended)."""
        return cls(OfferWhy.PRESSED, key) if key else cls(OfferWhy.PRESSED_NOTHING)

    @classmethod
    def not_understood(cls, intent: str | None) -> OfferReason:
        if intent:
            return cls(OfferWhy.NOT_UNDERSTOOD, intent)
        return cls(OfferWhy.NOT_UNDERSTOOD_NO_INTENT)


def read_stored(code: str) -> OfferReason | None:
    """The reason a stored code says ("pressed 2"), or None when it is no offer's code."""
    for why, pattern in _READ:
        found = pattern.fullmatch(code)
        if found:
            return OfferReason(why, found.groupdict().get("detail") or "")
    return None
