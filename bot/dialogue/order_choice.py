"""Which of the caller's orders a request is about, and what a caller asks of an order
that the bot cannot do (pure).

The English caller audit of December 2026 found callers led to the wrong order or
to the wrong answer: "I want to cancel my order", "I need to change my delivery
address" and "where is my refund" were read as order-status questions and answered
with a delivery status (and the call recorded as resolved); "my parcel is late" was
offered an order delivered days ago; "the headphones I got are broken" was not
linked to the caller's headphones order because it had not been delivered yet.

- :func:`order_request`: a cancellation, a change of delivery address or a refund,
  from the pack's phrase lists (``grammar.yaml``: ``order_request_cancel``,
  ``order_request_address``, ``order_request_refund``, ``order_request_returned``: a
  return already sent back, asked after), found anywhere in the words.
  The bot cannot do these; the order flow finds the order and offers a colleague.
- :func:`sounds_late`: "late", "hasn't arrived" (``order_late``): a complaint about
  an order that has not reached the caller is about an undelivered one.
- :func:`said_item`: the word a caller names after "my" ("where is my winter jacket")
  when it is not a word for the order itself (the pack's ``order_possessives``,
  ``order_general_words`` and ``order_qualifiers``): an item the classifier does not
  know, for which only an order holding it may be offered (the Danish caller audit:
  "hvor er min vinterjakke" was offered the caller's headphones order).
- :func:`says_missing`: "delivered, but I haven't got it" (``order_said_delivered`` and
  ``order_late``): the status is read, and a report of the missing parcel offered.
- :func:`pick_order`: among the caller's orders, the one a product named is in (of
  any status); else the only undelivered one for a status question, a late parcel, a
  cancellation or a new address; the only delivered one for a return, a refund or a fault.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from bot.backends import Order
from bot.dialogue.pack_phrases import phrase_choice, said_words
from bot.nlu.data import grammar_list

__all__ = [
    "CANNOT_DO",
    "has_item",
    "holding",
    "names_item",
    "order_request",
    "pick_order",
    "said_item",
    "says_missing",
    "sounds_late",
]

# What a caller may ask of an order that only a colleague can do, in the order tried.
CANNOT_DO = ("cancel", "address", "refund", "returned")
# The purposes an order is wanted for that concern an order on its way (a refund, a
# return or a fault concern one delivered).
_UNDELIVERED_PURPOSES = frozenset({"status", "late", "cancel", "address"})


@functools.cache
def _pattern(language: str, key: str) -> re.Pattern[str]:
    """The pack's phrases ``key`` as whole words anywhere in a sentence (read once)."""
    return re.compile(rf"(?:^| )(?:{phrase_choice(language, key)})(?: |$)")


def _says(text: str, language: str, key: str) -> bool:
    return _pattern(language, key).search(said_words(text)) is not None


def order_request(text: str, language: str) -> str:
    """ "cancel", "address", "refund" or "returned" when ``text`` asks for one of them,
    else ""."""
    return next((kind for kind in CANNOT_DO if _says(text, language, f"order_request_{kind}")), "")


def sounds_late(text: str, language: str) -> bool:
    """Whether ``text`` says an order is late or has not arrived."""
    return _says(text, language, "order_late")


def says_missing(text: str, language: str) -> bool:
    """Whether ``text`` says an order was delivered but the caller has not got it
    ("pakken blev leveret, men jeg har ikke fået den"): ``order_said_delivered`` and
    ``order_late`` both."""
    return _says(text, language, "order_said_delivered") and sounds_late(text, language)


def has_item(order: Order, product: str) -> bool:
    """Whether ``order`` holds the product named: the names contain one another, or a
    word of four letters or more of the product is in an item's name ("mine støvler"
    and "læderstøvler", "the boots" and "leather boots")."""
    product = product.lower()
    words = [w for w in product.split() if len(w) >= 4]
    return any(
        product in item or item in product or any(w in item for w in words)
        for item in (i.lower() for i in order.items)
    )


def names_item(order: Order, said: str) -> bool:
    """Whether a word the caller said names an item of ``order``, allowing an ending
    ("støvlerne" for "læderstøvler", "jakken" for "vinterjakke"): for an order's items
    in the shop's language where the classifier's product is the English name."""
    items = [i.lower() for i in order.items]
    for word in said_words(said).split():
        stems = {word[: len(word) - cut] for cut in (0, 1, 2)}
        if any(len(stem) >= 4 and stem in item for stem in stems for item in items):
            return True
    return False


@functools.cache
def _words(language: str, key: str) -> frozenset[str]:
    return frozenset(said_words(w) for w in grammar_list(language, key))


def said_item(text: str, language: str) -> str:
    """The word ``text`` names after "my" ("my new winter jacket": "winter"), or "" when
    there is none or it names the order itself ("my parcel", "my order")."""
    words = said_words(text).split()
    possessives = _words(language, "order_possessives")
    qualifiers = _words(language, "order_qualifiers")
    general = _words(language, "order_general_words")
    for at, word in enumerate(words):
        if word not in possessives:
            continue
        named = next((w for w in words[at + 1 :] if w not in qualifiers), "")
        if named and named not in general and named not in possessives:
            return named
    return ""


def holding(orders: Sequence[Order], product: str, said: str = "") -> list[Order]:
    """The orders holding ``product``, or an item a word of ``said`` names."""
    return [o for o in orders if has_item(o, product) or (said and names_item(o, said))]


def pick_order(
    orders: Sequence[Order], purpose: str, product: str = "", said: str = ""
) -> Order | None:
    """The caller's order ``purpose`` ("status", "late", "return", "complaint" or one of
    :data:`CANNOT_DO`) is about, or None when it is not clear which (then asked for).

    A product named picks the one order holding it, whatever its status (a fault in
    headphones still on their way is about them); named in several, nothing is
    guessed; in none (the words may not be a product at all: "my parcel"), the purpose
    decides as if none had been named, except for a fault: "my vase arrived broken"
    from a caller with no vase is not about their boots. ``said``: the caller's words,
    whose item names count too (:func:`names_item`).
    """
    named = holding(orders, product, said) if product else []
    if named or (product and purpose == "complaint"):
        return named[0] if len(named) == 1 else None
    if purpose in _UNDELIVERED_PURPOSES:
        candidates = [o for o in orders if o.is_open]
    else:
        candidates = [o for o in orders if o.status == "delivered"]
    return candidates[0] if len(candidates) == 1 else None
