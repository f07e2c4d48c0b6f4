"""What Danish callers ask is understood (the Danish caller audit of December 2026,
group 6): "har I en vase" was a complaint, "kan jeg betale med mobilepay" an
unasked transfer, "lagerstatus" a product looked up, a late parcel's complaint read
back as "noget, du har modtaget", and "leveret, men jeg har ikke fået den" got the
status with no offer to report it. Phrased here apart from the audit's own words."""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.dialogue.machine import State
from bot.dialogue.order_choice import says_missing
from bot.dialogue.prompts import say
from bot.nlu.intents import Intent
from tests.dialogue_fixtures import call_saying

pytestmark = pytest.mark.usefixtures("english_after")

DEMO_CALLER = "+4520123456"


@pytest.mark.parametrize(
    ("said", "product"),
    [
        ("har I mon en elkedel", "red kettle"),
        ("har I en keramikvase", "ceramic vase"),
        ("har I et spisebord", "oak dining table"),
    ],
)
async def test_do_you_have_a_product_is_a_stock_question(
    demo: Backends, said: str, product: str
) -> None:
    d = await call_saying(demo, "da", said)
    heard = d.turns[-1].intent
    assert heard is not None and heard.name == Intent.STOCK_CHECK
    assert heard.entities.get("product") == product
    # A stock answer or "which product?" (a vase is not among the demo shop's), never
    # the complaint flow.
    assert d.turns[-1].reply.action != "confirm_complaint"


async def test_a_payment_question_is_out_of_scope_not_a_transfer(demo: Backends) -> None:
    d = await call_saying(demo, "da", "kan man betale med mobilepay")
    reply = d.turns[-1].reply
    assert not reply.transfer and not d.ended
    assert reply.action == "out_of_scope"
    assert "tryk 0 for en kollega" in reply.text


@pytest.mark.parametrize("said", ["hvor ligger jeres lager", "jeg har et spørgsmål om en regning"])
async def test_questions_the_bot_cannot_answer_offer_a_colleague(demo: Backends, said: str) -> None:
    d = await call_saying(demo, "da", said)
    assert d.turns[-1].reply.action == "out_of_scope", d.turns[-1].reply.text


async def test_stock_status_alone_asks_for_the_product(demo: Backends) -> None:
    d = await call_saying(demo, "da", "lagerstatus tak")
    reply = d.turns[-1].reply
    assert "lagerstatus" not in reply.text.lower().split("hedder")[-1]
    assert d.state is State.ASK_PRODUCT, reply.text


async def test_a_wrong_number_is_a_goodbye_not_a_complaint(demo: Backends) -> None:
    d = await call_saying(demo, "da", "undskyld, så har jeg vist tastet et forkert nummer")
    assert d.turns[-1].intent is not None
    assert d.turns[-1].intent.name != Intent.COMPLAINT
    assert d.case_id is None


async def test_a_late_parcel_complaint_is_not_read_back_as_received(demo: Backends) -> None:
    d = await call_saying(demo, "da", "jeg vil klage over at pakken er alt for forsinket")
    reply = d.turns[-1].reply
    assert reply.text.startswith(say("confirm_complaint_late", sms="")[:40])
    assert "har modtaget" not in reply.text


async def test_delivered_but_not_received_offers_a_missing_report(demo: Backends) -> None:
    d = await call_saying(
        demo,
        "da",
        "den står som leveret men jeg har ikke fået noget",
        "10042",
        "ja",
        caller_id=DEMO_CALLER,
    )
    offer = d.turns[-1].reply
    assert offer.action == "offer_report_missing"
    assert "Ordre 1 0 0 4 2" in offer.text and "savnet" in offer.text
    done = await call_saying(
        demo,
        "da",
        "den står som leveret men jeg har ikke fået noget",
        "10042",
        "ja",
        "ja",
        caller_id=DEMO_CALLER,
    )
    assert done.case_id is not None


async def test_a_no_to_the_missing_report_is_no_misunderstanding(demo: Backends) -> None:
    d = await call_saying(
        demo,
        "da",
        "pakken er afleveret siger de men jeg har den ikke modtaget",
        "10042",
        "ja",
        "nej",
        caller_id=DEMO_CALLER,
    )
    assert d.case_id is None
    assert d.state is State.ANYTHING_ELSE
    assert "misforstod" not in d.turns[-1].reply.text


@pytest.mark.parametrize(
    ("language", "said", "missing"),
    [
        ("da", "pakken blev udleveret men jeg har ikke modtaget den", True),
        ("da", "hvornår bliver min pakke leveret", False),  # not delivered yet
        ("da", "min pakke er forsinket", False),
        ("en", "it says delivered but i haven't received it", True),
        ("en", "when will it be delivered", False),
    ],
)
def test_delivered_but_not_received_is_told_apart(language: str, said: str, missing: bool) -> None:
    assert says_missing(said, language) is missing
