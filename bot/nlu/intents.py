"""The one vocabulary of intents: what a caller can want, by name.

The dialogue, its DTMF menu, the overflow offer and the fallback classifier
use these names, and the Rasa project (``spillway/languages/<code>/nlu``) must declare exactly
these (``tests/test_intents.py`` checks ``domain.yml`` and the training data).
Adding an intent: a member here, its examples in each pack's ``nlu/data/nlu.yml``, its
name in ``nlu/domain.yml``, and its flow in :mod:`bot.dialogue.machine`.
"""

from __future__ import annotations

from enum import StrEnum


class Intent(StrEnum):
    """An intent the NLU can name."""

    ORDER_STATUS = "order_status"
    STOCK_CHECK = "stock_check"
    RETURN_ITEM = "return_item"
    COMPLAINT = "complaint"
    HUMAN_AGENT = "human_agent"
    OPENING_HOURS = "opening_hours"
    CALLBACK_REQUEST = "callback_request"
    AFFIRM = "affirm"
    DENY = "deny"
    GOODBYE = "goodbye"
    OUT_OF_SCOPE = "out_of_scope"


# The shop's topics: reasons for calling that start a flow of their own.
TOPICS = frozenset(
    {
        Intent.ORDER_STATUS,
        Intent.STOCK_CHECK,
        Intent.RETURN_ITEM,
        Intent.COMPLAINT,
        Intent.OPENING_HOURS,
        Intent.CALLBACK_REQUEST,
        Intent.HUMAN_AGENT,
    }
)
# Answers to a question, not topics: left out of a hand-over's intent.
ANSWERS = frozenset({Intent.AFFIRM, Intent.DENY, Intent.OUT_OF_SCOPE})
# Requests the bot can serve itself (the overflow offer carries them into the dialogue).
SELF_SERVICE = frozenset(
    {
        Intent.ORDER_STATUS,
        Intent.STOCK_CHECK,
        Intent.RETURN_ITEM,
        Intent.COMPLAINT,
        Intent.OPENING_HOURS,
    }
)
