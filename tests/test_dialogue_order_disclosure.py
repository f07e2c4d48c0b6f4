"""What the bot says about an order to someone whose number is not the one on it: the
general state only, the tracking number by SMS to the order's number or a colleague
(bot/dialogue/disclosure.py), in English and Danish."""

from __future__ import annotations

import pytest

from bot.backends import Backends, Order
from bot.backends.demo_data import DEMO_CALLER
from bot.dialogue.config import State
from bot.dialogue.disclosure import caller_owns, general_view, phone_on_order
from bot.dialogue.inputs import Dtmf, TextTurn
from spillway.storage import SqliteStore
from tests.dialogue_fixtures import call_saying

pytestmark = pytest.mark.usefixtures("english_after")

STRANGER = "+4522334455"
# language -> (where is my order, yes, no)
WORDS = {
    "en": ("where is my parcel", "yes", "no"),
    "da": ("hvor er min pakke", "ja", "nej"),
}
# The items of orders 10042 and 10046 in either language (the demo back-ends here name
# them in English).
HEADPHONES = ("wireless headphones", "trådløse høretelefoner")
BOOTS = ("leather boots", "læderstøvler")
TRACKING = "00340434161094042"
LANGUAGES = sorted(WORDS)

_ORDER = Order("10042", "shipped", ("kettle",), "+4520123456", "GLS", TRACKING)


def test_only_the_number_on_the_order_owns_it() -> None:
    assert caller_owns("+4520123456", _ORDER, "DK")
    assert caller_owns("20 12 34 56", _ORDER, "DK")  # the same number, written otherwise
    assert not caller_owns(STRANGER, _ORDER, "DK")
    assert not caller_owns(None, _ORDER, "DK")
    no_phone = Order("10043", "delivered", ("vase",))
    assert not caller_owns("+4520123456", no_phone, "DK")
    assert phone_on_order(no_phone, "DK") is None
    assert phone_on_order(_ORDER, "DK") == "+4520123456"


def test_the_general_view_keeps_the_state_and_drops_the_details() -> None:
    view = general_view(_ORDER)
    assert (view.number, view.status, view.customer_phone) == ("10042", "shipped", "+4520123456")
    assert (view.items, view.carrier, view.tracking_number) == ((), None, None)


def _details_said(text: str) -> list[str]:
    return [d for d in (*HEADPHONES, "GLS", "0 0 3 4", TRACKING) if d in text]


@pytest.mark.parametrize("caller", [STRANGER, None])
@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_stranger_hears_the_state_and_the_tracking_number_goes_to_the_order(
    demo: Backends, store: SqliteStore, language: str, caller: str | None
) -> None:
    ask, yes, _ = WORDS[language]
    d = await call_saying(demo, language, ask, Dtmf("10042#"), yes, caller_id=caller)
    reply = d.turns[-1].reply
    assert reply.action == "order_status_general" and d.state is State.CONFIRM_ACTION
    assert "1 0 0 4 2" in reply.text and _details_said(reply.text) == []
    assert (await d.handle(TextTurn(yes))).action == "tracking_sms_sent_order_phone"
    [sms] = store.query("SELECT phone, body FROM sms_outbox")
    assert sms["phone"] == DEMO_CALLER and TRACKING in sms["body"]
    assert _details_said(d.turns[-1].reply.text) == []


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_stranger_who_says_no_hears_no_tracking_number(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    ask, yes, no = WORDS[language]
    d = await call_saying(demo, language, ask, Dtmf("10042#"), yes, no, caller_id=STRANGER)
    reply = d.turns[-1].reply
    assert reply.action == "tracking_withheld" and d.state is State.ANYTHING_ELSE
    assert _details_said(reply.text) == []
    assert store.query("SELECT id FROM sms_outbox") == []


@pytest.mark.parametrize("language", LANGUAGES)
async def test_without_sms_a_stranger_is_offered_a_colleague(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    ask, yes, _ = WORDS[language]
    d = await call_saying(demo, language, ask, Dtmf("10042#"), yes, caller_id=STRANGER, sms=False)
    reply = d.turns[-1].reply
    assert reply.action == "order_status_general" and d.state is State.ANYTHING_ELSE
    assert _details_said(reply.text) == [] and "0" in reply.text
    assert (await d.handle(Dtmf("0"))).transfer


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_customer_still_hears_every_detail(demo: Backends, language: str) -> None:
    ask, yes, _ = WORDS[language]
    d = await call_saying(demo, language, ask, Dtmf("10042#"), yes, caller_id=DEMO_CALLER)
    reply = d.turns[-1].reply
    assert reply.action == "order_status"
    assert any(item in reply.text for item in HEADPHONES) and "GLS" in reply.text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_stranger_gets_no_return_label_and_no_items(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    _, yes, _ = WORDS[language]
    ask_return = {"en": "I want to return something", "da": "jeg vil returnere en vare"}
    d = await call_saying(
        demo, language, ask_return[language], Dtmf("10046#"), yes, caller_id=STRANGER
    )
    reply = d.turns[-1].reply
    assert reply.action == "return_eligible_no_sms" and not any(b in reply.text for b in BOOTS)
    assert store.query("SELECT id FROM sms_outbox") == []
