"""What the bot says about an order to someone whose number is not the one on it: the
general state only, the tracking number by SMS to the order's number or a colleague
(bot/dialogue/disclosure.py), in English and Danish. A complaint is read back with the
order's items to its customer only; anyone else still reports on the number they give."""

from __future__ import annotations

import pytest

from bot.backends import Backends, Order
from bot.backends.demo_data import (
    DEMO_CALLER,
    JACKET_CUSTOMER,
    SHOES_CUSTOMER,
    VASE_CUSTOMER,
)
from bot.dialogue.config import State
from bot.dialogue.disclosure import caller_owns, general_view, phone_on_order, shown_to
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


def test_each_caller_is_shown_what_they_may_hear() -> None:
    assert shown_to("20 12 34 56", _ORDER, "DK") is _ORDER
    for caller in (STRANGER, None):
        assert shown_to(caller, _ORDER, "DK") == general_view(_ORDER)


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


# Order 10043, the vase customer's (VASE_CUSTOMER): its item in either language, and
# (language -> a fault said without an order number, a product no order of theirs holds).
VASE = ("ceramic vase", "keramikvase")
FAULT = {
    "en": ("my vase arrived broken", "the lamp arrived broken"),
    "da": ("min vase kom i stykker", "lampen kom i stykker"),
}


def _vase_said(text: str) -> bool:
    return any(item in text for item in VASE)


def _case_orders(store: SqliteStore) -> list[str | None]:
    return [r["order_number"] for r in store.query("SELECT order_number FROM cases")]


@pytest.mark.parametrize("caller", [STRANGER, DEMO_CALLER, None])
@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_strangers_complaint_is_read_back_without_the_items(
    demo: Backends, store: SqliteStore, language: str, caller: str | None
) -> None:
    fault, _ = FAULT[language]
    _, yes, _ = WORDS[language]
    d = await call_saying(demo, language, fault, "10043", caller_id=caller)
    readback = d.turns[-1].reply
    assert readback.action == "confirm_complaint" and d.state is State.CONFIRM_ACTION
    assert "1 0 0 4 3" in readback.text and not _vase_said(readback.text), readback.text
    # The report still goes on the order they gave, and they are put through.
    assert (await d.handle(TextTurn(yes))).action == "complaint_case"
    assert _case_orders(store) == ["10043"]
    assert not any(_vase_said(t.reply.text) for t in d.turns)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_customers_complaint_is_read_back_with_the_items(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    fault, _ = FAULT[language]
    _, yes, _ = WORDS[language]
    d = await call_saying(demo, language, fault, caller_id=VASE_CUSTOMER)
    # Their one delivered order, found from their number and named with its vase.
    first = d.turns[-1].reply
    assert first.action == "confirm_complaint" and "1 0 0 4 3" in first.text
    assert _vase_said(first.text), first.text
    d = await call_saying(demo, language, fault, "10043", yes, caller_id=VASE_CUSTOMER)
    assert _vase_said(d.turns[-2].reply.text) and _case_orders(store) == ["10043"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_naming_a_product_tells_a_stranger_nothing_of_the_order(
    demo: Backends, language: str
) -> None:
    # A stranger who gave 10043 then names a product: whether it is the vase or not, the
    # complaint is read back on the order they gave, alike (matching it to the items
    # would tell them what is in someone else's order).
    ask, yes, _ = WORDS[language]
    readbacks = []
    for fault in FAULT[language]:
        d = await call_saying(demo, language, ask, Dtmf("10043#"), yes, fault, caller_id=STRANGER)
        readbacks.append(d.turns[-1].reply)
    assert [r.action for r in readbacks] == ["confirm_complaint"] * 2
    assert readbacks[0].text == readbacks[1].text and "1 0 0 4 3" in readbacks[0].text
    assert not _vase_said(readbacks[0].text)


# The other demo customers' orders, each with its item in either language.
THEIR_ORDERS = [
    (VASE_CUSTOMER, "10043", VASE),
    (SHOES_CUSTOMER, "10044", ("running shoes", "løbesko")),
    (JACKET_CUSTOMER, "10045", ("winter jacket", "vinterjakke")),
]


@pytest.mark.parametrize(("customer", "number", "item"), THEIR_ORDERS)
@pytest.mark.parametrize("language", LANGUAGES)
async def test_every_demo_order_tells_its_own_customer_its_items(
    demo: Backends, language: str, customer: str, number: str, item: tuple[str, ...]
) -> None:
    # The order keyed in: its customer hears what is in it, the demo caller does not.
    ask, yes, _ = WORDS[language]
    said = (ask, Dtmf(f"{number}#"), yes)
    own = (await call_saying(demo, language, *said, caller_id=customer)).turns[-1].reply
    other = (await call_saying(demo, language, *said, caller_id=DEMO_CALLER)).turns[-1].reply
    assert own.action == "order_status" and any(i in own.text for i in item), own.text
    assert other.action == "order_status_general" and not any(i in other.text for i in item)
