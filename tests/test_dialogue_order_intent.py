"""The caller's request survives the order-number step, and the case follows the order
the caller gave (bot/dialogue/actions.py, bot/dialogue/orders.py).

The English caller audit of December 2026: "my vase arrived broken | 10043 | yes" read
the delivery status and ended "resolved" with no case; "I want to return a jacket |
10045 | but it's broken | yes" opened the case on the caller's boots order, not the
jacket order 10045 they had just given.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends, Order
from bot.dialogue.machine import State
from bot.dialogue.order_choice import names_item, order_request, pick_order
from bot.dialogue.prompts import say
from bot.dialogue.result import Outcome
from spillway.storage import SqliteStore
from tests.dialogue_fixtures import call_saying

pytestmark = pytest.mark.usefixtures("english_after")

DEMO_CALLER = "+4520123456"
YES = {"en": "yes", "da": "ja"}
BROKEN_VASE = {"en": "my vase arrived broken", "da": "min vase kom i stykker"}
LATE = {
    "en": "I want to complain, my order is two weeks late",
    "da": "jeg vil klage, min ordre er to uger forsinket",
}
RETURN_JACKET = {"en": "I want to return a jacket", "da": "jeg vil returnere en jakke"}
BROKEN = {"en": "but it's broken", "da": "men den er i stykker"}


def case_orders(store: SqliteStore) -> list[str | None]:
    return [r["order_number"] for r in store.query("SELECT order_number FROM cases")]


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize(("opening", "number"), [(BROKEN_VASE, "10043"), (LATE, "10044")])
async def test_a_complaint_goes_on_after_the_order_number(
    language: str, opening: dict[str, str], number: str, demo: Backends, store: SqliteStore
) -> None:
    said = (opening[language], number)
    d = await call_saying(demo, language, *said, caller_id=DEMO_CALLER)
    readback = d.turns[-1].reply
    # The complaint read back with the order given, not that order's delivery status.
    assert readback.action == "confirm_complaint" and d.state is State.CONFIRM_ACTION
    assert " ".join(number) in readback.text and not case_orders(store)
    d = await call_saying(demo, language, *said, YES[language], caller_id=DEMO_CALLER)
    assert d.result is not None and d.result.outcome is Outcome.HANDOFF
    assert d.turns[-1].reply.action == "complaint_case" and case_orders(store) == [number]


@pytest.mark.parametrize("language", ["en", "da"])
async def test_an_unknown_number_leads_back_to_the_complaint(
    language: str, demo: Backends, store: SqliteStore
) -> None:
    y = YES[language]
    d = await call_saying(demo, language, BROKEN_VASE[language], "10049", "10043", y, y)
    assert [t.reply.action for t in d.turns[1:]] == [
        "order_not_found",
        "confirm_order_number",
        "confirm_complaint",
        "complaint_case",
    ]
    assert case_orders(store) == ["10043"]


@pytest.mark.parametrize("language", ["en", "da"])
async def test_the_case_follows_the_number_the_caller_last_gave(
    language: str, demo: Backends, store: SqliteStore
) -> None:
    said = (RETURN_JACKET[language], "10045", BROKEN[language])
    d = await call_saying(demo, language, *said, caller_id=DEMO_CALLER)
    proposal = d.turns[-1].reply.text
    assert "1 0 0 4 5" in proposal and "1 0 0 4 6" not in proposal, proposal
    await call_saying(demo, language, *said, YES[language], caller_id=DEMO_CALLER)
    assert case_orders(store) == ["10045"]


# -- what only a colleague can do (bot/dialogue/order_choice.py) ----------------------

CANNOT = [
    ("en", "I want to cancel my order", "cancel"),
    ("en", "I need to change my delivery address", "address"),
    ("en", "where is my refund", "refund"),
    ("da", "jeg vil annullere min ordre", "cancel"),
    ("da", "jeg skal ændre min leveringsadresse", "address"),
    ("da", "hvor bliver min refusion af", "refund"),
    # A return already sent back (the Danish audit: its delivery status was read out).
    ("en", "what's the status of my return", "returned"),
    ("da", "status på min returnering", "returned"),
    ("da", "har I modtaget min returpakke", "returned"),
]


@pytest.mark.parametrize(("language", "said", "kind"), CANNOT)
def test_requests_only_a_colleague_can_do_are_recognised(
    language: str, said: str, kind: str
) -> None:
    assert order_request(said, language) == kind


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "where is my order"),
        ("en", "I want to return the vase"),
        ("en", "the headphones I got are broken"),
        ("da", "hvor er min ordre"),
        ("da", "jeg vil returnere vasen"),
        ("en", "how do I return my boots"),
        ("da", "hvordan returnerer jeg mine støvler"),
    ],
)
def test_other_order_questions_are_not(language: str, said: str) -> None:
    assert order_request(said, language) == ""


@pytest.mark.parametrize(("language", "said", "kind"), CANNOT)
async def test_the_bot_says_it_cannot_and_hands_over_with_the_order(
    language: str, said: str, kind: str, demo: Backends
) -> None:
    y = YES[language]
    d = await call_saying(demo, language, said, "10044", y, caller_id=DEMO_CALLER)
    offer = d.turns[-1].reply
    # Not the order's delivery status and "anything else?": what only a colleague can do.
    assert offer.action == f"cannot_{kind}" and d.state is State.OFFER_HUMAN, offer.text
    assert "1 0 0 4 4" in offer.text and not offer.transfer
    d = await call_saying(demo, language, said, "10044", y, y, caller_id=DEMO_CALLER)
    assert d.result is not None and d.result.outcome is Outcome.HANDOFF
    assert d.handover_context().order_number == "10044"


@pytest.mark.parametrize(("language", "said", "kind"), CANNOT)
async def test_the_offered_order_is_one_the_request_can_concern(
    language: str, said: str, kind: str, demo: Backends
) -> None:
    d = await call_saying(demo, language, said, YES[language], caller_id=DEMO_CALLER)
    # The demo caller's open order (headphones) for a cancellation or a new address, the
    # delivered one (boots) for a refund or a return sent back; yes to it reaches the
    # colleague's offer.
    assert d.turns[0].reply.action == "offer_order"
    expected = "1 0 0 4 6" if kind in ("refund", "returned") else "1 0 0 4 2"
    assert expected in d.turns[0].reply.text
    assert d.turns[-1].reply.action == f"cannot_{kind}"


# -- which of the caller's orders (bot/dialogue/order_choice.py) ----------------------

SHIPPED = Order("10042", "shipped", ("wireless headphones",))
DELIVERED = Order("10046", "delivered", ("leather boots",))


@pytest.mark.parametrize(
    ("purpose", "product", "said", "expected"),
    [
        ("late", "", "", SHIPPED),  # a late parcel is one on its way
        ("complaint", "", "", DELIVERED),  # a fault in something received
        ("complaint", "wireless headphones", "", SHIPPED),  # the product decides
        ("complaint", "ceramic vase", "", None),  # not theirs: not the boots either
        ("status", "parcel", "", SHIPPED),  # not a product of theirs: the purpose decides
        ("status", "leather boots", "", DELIVERED),
        ("complaint", "wireless headphones", "høretelefonerne er i stykker", SHIPPED),
        ("refund", "", "", DELIVERED),
        ("cancel", "", "", SHIPPED),
    ],
)
def test_pick_order(purpose: str, product: str, said: str, expected: Order | None) -> None:
    assert pick_order([SHIPPED, DELIVERED], purpose, product, said) == expected


def test_a_danish_word_with_an_ending_names_the_item() -> None:
    boots = Order("10046", "delivered", ("læderstøvler",))
    assert names_item(boots, "støvlerne") and names_item(boots, "det er støvlerne")
    assert not names_item(boots, "hvor er min ordre")


WHERE = {"en": "where is my order", "da": "hvor er min ordre"}
NO = {"en": "nope", "da": "nej"}
BOOTS = {"en": "the boots", "da": "støvlerne"}


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_late_order_is_one_not_yet_delivered(language: str, demo: Backends) -> None:
    d = await call_saying(demo, language, LATE[language], caller_id=DEMO_CALLER)
    # The demo caller's shipped headphones (10042), not the boots delivered days ago.
    proposal = d.turns[-1].reply.text
    assert "1 0 0 4 2" in proposal and "1 0 0 4 6" not in proposal, proposal


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_product_named_picks_the_callers_order(language: str, demo: Backends) -> None:
    said = (WHERE[language], NO[language], BOOTS[language])
    d = await call_saying(demo, language, *said, caller_id=DEMO_CALLER)
    offer = d.turns[-1].reply
    assert offer.action == "offer_order" and "1 0 0 4 6" in offer.text, offer.text
    d = await call_saying(demo, language, *said, YES[language], caller_id=DEMO_CALLER)
    assert d.turns[-1].reply.action == "order_status"


# -- the photo link said before the yes (bot/dialogue/actions.py) ---------------------

HEADPHONES_BROKEN = {
    "en": "the headphones I got are broken",
    "da": "høretelefonerne jeg fik er i stykker",
}


@pytest.mark.parametrize("language", ["en", "da"])
async def test_the_text_message_is_said_before_the_yes(
    language: str, demo: Backends, store: SqliteStore
) -> None:
    d = await call_saying(demo, language, HEADPHONES_BROKEN[language], caller_id=DEMO_CALLER)
    proposal = d.turns[-1].reply.text
    # What the yes covers: the problem with the caller's headphones order, and the SMS.
    assert "1 0 0 4 2" in proposal and say("complaint_sms_ahead") in proposal, proposal
    said = (HEADPHONES_BROKEN[language], YES[language])
    d = await call_saying(demo, language, *said, caller_id=DEMO_CALLER)
    assert case_orders(store) == ["10042"] and len(d.sms) == 1
    assert say("complaint_sms_sent") in d.turns[-1].reply.text


@pytest.mark.parametrize("language", ["en", "da"])
async def test_no_text_message_is_promised_to_an_unknown_number(
    language: str, demo: Backends
) -> None:
    d = await call_saying(demo, language, BROKEN_VASE[language])
    assert say("complaint_sms_ahead") not in d.turns[-1].reply.text
