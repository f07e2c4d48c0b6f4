"""The dialogue state machine, driven by the real NLU engine (fallback classifier)
over the local back-ends with the demo data."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from bot.backends import Backends
from bot.backends.demo_data import DAY_S, DEMO_CALLER, seed_demo
from bot.backends.local import local_backends
from bot.dialogue.inputs import Dtmf, Silence, TextTurn
from bot.dialogue.machine import Dialogue, DialogueConfig, State
from bot.dialogue.phrasing import case_text
from bot.dialogue.result import Outcome
from bot.nlu.engine import NluEngine
from bot.types import ParsedIntent
from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from spillway.errors import NluError
from spillway.request_problem import in_english
from spillway.storage import AsyncStore, SqliteStore
from tests.dialogue_fixtures import FailingOrders, fallback_model

NOW = 1_750_000_000.0


@pytest.fixture(scope="module")
def nlu() -> NluEngine:
    return NluEngine(fallback_model("en"))


@pytest_asyncio.fixture
async def backends(store: SqliteStore) -> AsyncIterator[Backends]:
    seed_demo(store, NOW)
    db = AsyncStore(store)
    yield local_backends(db, clock=lambda: NOW)
    db.close()


@pytest.fixture
def make(nlu: NluEngine, backends: Backends) -> Iterator[object]:
    def factory(caller_id: str | None = None, **config: object) -> Dialogue:
        return Dialogue(
            nlu,
            backends,
            DialogueConfig(**config),  # type: ignore[arg-type]
            caller_id=caller_id,
            call_id="t1",
            clock=lambda: NOW,
        )

    yield factory


async def talk(d: Dialogue, *inputs: str | Silence | Dtmf | TextTurn) -> list[str]:
    await d.start()
    actions = []
    for item in inputs:
        event = TextTurn(item) if isinstance(item, str) else item
        actions.append((await d.handle(event)).action)
    return actions


async def test_order_offered_from_caller_id(make) -> None:  # type: ignore[no-untyped-def]
    d = make("20 12 34 56")
    assert await talk(d, "where is my package", "yes") == ["offer_order", "order_status"]
    text = d.turns[-1].reply.text
    assert "GLS" in text and "tomorrow" in text and "text message" in text
    # The 17-digit tracking number: offered by SMS; "no" reads it out in groups.
    assert (await d.handle(TextTurn("no"))).action == "tracking_read"
    assert "0 0 3 4, 0 4 3 4, 1 6 1, 0 9 4, 0 4 2" in d.turns[-1].reply.text
    assert d.state is State.ANYTHING_ELSE and d.sms == []
    assert (await d.handle(TextTurn("no thanks"))).end_call
    assert d.result is not None and d.result.outcome is Outcome.RESOLVED


async def test_order_number_by_dtmf_confirmed_then_looked_up(make) -> None:  # type: ignore[no-untyped-def]
    d = make()
    actions = await talk(d, "where is my order", Dtmf("10043#"), "yes")
    # No caller id: the order's general state (bot/dialogue/disclosure.py).
    assert actions == ["ask_order_number", "confirm_order_number", "order_status_general"]
    assert "delivered yesterday" in d.turns[-1].reply.text


async def test_denied_number_is_asked_again(make) -> None:  # type: ignore[no-untyped-def]
    d = make()
    actions = await talk(d, "status of order one zero zero four four", "no", Dtmf("10044#"), "yes")
    assert actions == [
        "confirm_order_number", "ask_order_number", "confirm_order_number", "order_status_general"
    ]  # fmt: skip
    assert "being packed" in d.turns[-1].reply.text


async def test_unknown_order_hands_over_after_two_retries(make) -> None:  # type: ignore[no-untyped-def]
    d = make()
    actions = await talk(
        d, "where is order 99999", "yes", Dtmf("11111#"), "yes", Dtmf("22222#"), "yes"
    )
    assert actions.count("order_not_found") == 2
    assert d.turns[-1].reply.transfer
    assert d.result is not None and d.result.outcome is Outcome.HANDOFF


async def test_stock_sold_out_gives_restock_date(make) -> None:  # type: ignore[no-untyped-def]
    d = make()
    await talk(d, "is the red kettle in stock")
    assert "sold out" in d.turns[-1].reply.text and "in 7 days" in d.turns[-1].reply.text
    await d.handle(TextTurn("do you have the grey sofa"))
    assert "one left" in d.turns[-1].reply.text


async def test_return_within_window_sends_label(make, store: SqliteStore) -> None:  # type: ignore[no-untyped-def]
    d = make(DEMO_CALLER)
    actions = await talk(d, "I want to return my boots", "yes", "yes")
    assert actions == ["offer_order", "return_eligible", "return_label_sent"]
    rows = store.query("SELECT * FROM sms_outbox")
    assert len(rows) == 1 and "10046" in rows[0]["body"] and rows[0]["phone"] == DEMO_CALLER


async def test_return_outside_window_respects_config(make) -> None:  # type: ignore[no-untyped-def]
    d = make()
    await talk(d, "I want to return something", Dtmf("10045#"), "yes")
    assert d.turns[-1].reply.action == "return_ineligible"
    assert "40 days ago" in d.turns[-1].reply.text
    # With a 60-day window the same order is returnable.
    longer = make(return_window_days=60)
    await talk(longer, "I want to return something", Dtmf("10045#"), "yes")
    # (a colleague, not a label by SMS: the caller's number is not the one on the order)
    assert longer.turns[-1].reply.action == "return_eligible_no_sms"


async def test_complaint_creates_case_sms_and_transfers(make, store: SqliteStore) -> None:  # type: ignore[no-untyped-def]
    d = make(DEMO_CALLER)
    await talk(d, "my vase arrived broken and I am not happy", "yes")
    assert d.turns[0].reply.action == "confirm_complaint"
    reply = d.turns[-1].reply
    assert reply.transfer and d.result is not None
    assert d.result.outcome is Outcome.HANDOFF and d.result.case_id is not None
    # The caller hears the case as the pack says it; the SMS carries the id as it is.
    assert case_text(d.result.case_id) in reply.text and "case number" in reply.text
    case = store.query("SELECT * FROM cases")[0]
    assert case["case_id"] == d.result.case_id and case["phone"] == DEMO_CALLER
    body = store.query("SELECT body FROM sms_outbox")[0]["body"]
    assert "photos" in body and d.result.case_id in body


async def test_callback_without_caller_id_asks_number(make, store: SqliteStore) -> None:  # type: ignore[no-untyped-def]
    d = make()
    actions = await talk(d, "please call me back", Dtmf("12#"), Dtmf("20123456#"), "any time")
    # "12" is told it is too short (tests/test_dialogue_number_refused.py), then asked again.
    assert actions == ["ask_phone", "number_refused", "callback_confirm", "callback_recorded"]
    assert d.result is not None and d.result.outcome is Outcome.CALLBACK
    row = store.query("SELECT * FROM callback_requests")[0]
    assert (row["phone"], row["source"], row["status"], row["call_id"]) == (
        "+4520123456", "bot", "pending", "t1"
    )  # fmt: skip
    assert json.loads(row["context"])["intents"] == ["callback_request"]


async def test_silent_caller_reprompted_twice_then_handed_over(make) -> None:  # type: ignore[no-untyped-def]
    d = make()
    actions = await talk(d, Silence(), TextTurn("   "), Silence())
    # Told they were not heard, not that they were not understood.
    assert actions == ["reprompt", "reprompt", "transfer_no_input"]
    assert d.result is not None and d.result.outcome is Outcome.HANDOFF
    assert (await d.handle(TextTurn("hello?"))).action == "ended"


async def test_bad_input_is_handled_in_the_flow(make) -> None:  # type: ignore[no-untyped-def]
    d = make()
    long_text = "please " * 2000 + "where is my order"
    actions = await talk(
        d,
        "'; DROP TABLE orders; --",
        long_text,
        Dtmf("10042#"),
        "yes",
    )
    assert actions == ["reprompt", "reprompt", "confirm_order_number", "order_status_general"]
    assert len(d.turns[1].intent.text) <= 500


async def test_swearing_calms_then_hands_over(make) -> None:  # type: ignore[no-untyped-def]
    d = make()
    await talk(d, "where is my damn order")
    first = d.turns[-1].reply
    assert first.text.startswith("I understand you're frustrated") and not first.transfer
    await d.handle(TextTurn("this is shit"))
    assert d.turns[-1].reply.action == "transfer_upset"


async def test_injected_entities_are_not_trusted(backends: Backends) -> None:
    class Evil:
        async def parse(self, text: str) -> ParsedIntent:
            return ParsedIntent(
                "stock_check",
                0.99,
                {"product": "'; DROP TABLE products; --", "order_number": "1 OR 1=1"},
                "rasa",
                text,
            )

    d = Dialogue(Evil(), backends, caller_id=None, call_id="t2", clock=lambda: NOW)
    await d.start()
    reply = await d.handle(TextTurn("x"))
    assert reply.action == "product_not_found" and "DROP" not in reply.text


async def test_backend_and_nlu_failures_hand_over(backends: Backends) -> None:
    class Broken:
        async def parse(self, text: str) -> ParsedIntent:
            raise NluError("down")

    d = Dialogue(Broken(), backends, call_id="t3", clock=lambda: NOW)
    await d.start()
    assert (await d.handle(TextTurn("I have a question"))).action == "reprompt"

    from dataclasses import replace

    broken = replace(backends, orders=FailingOrders())  # type: ignore[arg-type]
    d2 = Dialogue(NluEngine(fallback_model("en")), broken, caller_id=DEMO_CALLER)
    await d2.start()
    reply = await d2.handle(TextTurn("where is my order"))
    assert reply.transfer and reply.action == "backend_error"


async def test_dtmf_menu_and_hangup_outcome(make) -> None:  # type: ignore[no-untyped-def]
    d = make()
    assert await talk(d, Dtmf("4")) == ["opening_hours"]
    assert d.hang_up().outcome is Outcome.RESOLVED
    quiet = make()
    await quiet.start()
    assert quiet.hang_up().outcome is Outcome.HANGUP
    _ = DAY_S


async def test_a_premium_rate_number_is_not_taken_for_a_callback(  # type: ignore[no-untyped-def]
    make, store: SqliteStore
) -> None:
    # A caller calling from a premium-rate number is told it cannot be called back and
    # asked for another one; a premium-rate number keyed in is refused, saying why.
    d = make("+4590123456")
    actions = await talk(
        d, "please call me back", Dtmf("90123456#"), Dtmf("20123456#"), "yes", "yes"
    )
    assert actions == [
        "caller_number_refused",
        "number_refused",
        "callback_confirm",
        "callback_check_when",  # a bare yes to "when?": no preference, read back
        "callback_recorded",
    ]
    [row] = store.query("SELECT phone, status FROM callback_requests")
    assert (row["phone"], row["status"]) == ("+4520123456", "pending")


@pytest.mark.parametrize(
    ("allowed", "actions"),
    [
        ((), ["ask_phone", "number_refused"]),
        (("DK", "SE"), ["ask_phone", "callback_confirm", "callback_check_when"]),
    ],
)
async def test_the_bot_takes_a_number_from_every_country_callbacks_may_dial(
    nlu: NluEngine, store: SqliteStore, allowed: tuple[str, ...], actions: list[str]
) -> None:
    # The bot allowed only the shop's country where the API, CSV and spool allowed
    # callbacks.allowed_countries: a Swedish customer of a Danish shop was refused by phone.
    # Its back-end takes the same countries (bot.backends.choice): the request is recorded
    # open, not closed as abroad behind a promise.
    seed_demo(store, NOW)
    db = AsyncStore(store)
    backends = local_backends(db, clock=lambda: NOW, allowed_countries=allowed or None)
    config = DialogueConfig(allowed_countries=allowed)
    d = Dialogue(nlu, backends, config, call_id="t1", clock=lambda: NOW)
    try:
        said = await talk(d, "please call me back", Dtmf("0046701234567#"), "yes")
    finally:
        db.close()
    assert said[: len(actions)] == actions
    rows = store.query("SELECT phone, status FROM callback_requests")
    assert [(r["phone"], r["status"]) for r in rows] == (
        [("+46701234567", "pending")] if allowed else []
    )


async def test_a_number_with_its_country_code_is_a_phone_not_an_order(  # type: ignore[no-untyped-def]
    make, nlu: NluEngine, store: SqliteStore
) -> None:
    intent = await nlu.parse("where is my order (+45) 2012 3456")
    assert "order_number" not in intent.entities
    assert intent.entities["phone"] == "+4520123456"
    # Asked for a callback number, the caller may say it that way (read back first:
    # a number said aloud is a guess).
    d = make()
    assert await talk(d, "please call me back", "it's +45 20 12 34 56", "yes", "yes", "yes") == [
        "ask_phone",
        "confirm_spoken_phone",
        "callback_confirm",
        "callback_check_when",
        "callback_recorded",
    ]
    [row] = store.query("SELECT phone, reason, context FROM callback_requests")
    assert (row["phone"], row["reason"]) == ("+4520123456", "callback_request")


async def test_a_callback_keeps_its_reason_and_what_it_was_about(  # type: ignore[no-untyped-def]
    make, store: SqliteStore
) -> None:
    d = make(DEMO_CALLER)
    await talk(d, "where is my order", "actually just call me back", "yes")
    [row] = store.query("SELECT reason, context FROM callback_requests")
    assert row["reason"] == "callback_request"
    assert json.loads(row["context"])["topic"] == "order_status"


async def test_a_callback_reads_the_number_back_and_asks_when(  # type: ignore[no-untyped-def]
    make, store: SqliteStore
) -> None:
    d = make("20 12 34 56")
    actions = await talk(d, "can someone call me back", "yes", "tomorrow morning please")
    assert actions == ["confirm_callback", "callback_confirm", "callback_recorded"]
    assert "20 12 34 56" in d.turns[0].reply.text  # read back before anything is recorded
    assert "tomorrow morning, between eight and twelve" in d.turns[-1].reply.text
    [row] = store.query("SELECT phone, not_before, not_after, status FROM callback_requests")
    assert row["phone"] == "+4520123456" and row["status"] == "pending"
    assert row["not_after"] - row["not_before"] == 4 * 3600


async def test_a_time_the_classifier_reads_as_a_complaint_still_answers_when(  # type: ignore[no-untyped-def]
    make, store: SqliteStore
) -> None:
    # Heard over the phone as "This afternoon is best." (the recogniser's
    # punctuation): the classifier calls it a complaint; it is the answer.
    d = make("20 12 34 56")
    actions = await talk(d, "can someone call me back", "yes", "This afternoon is best.")
    assert actions == ["confirm_callback", "callback_confirm", "callback_recorded"]
    [row] = store.query("SELECT not_before, not_after FROM callback_requests")
    assert row["not_before"] is not None and row["not_after"] is not None
    assert store.query("SELECT * FROM cases") == []


async def test_a_time_named_with_the_request_is_confirmed_not_asked(  # type: ignore[no-untyped-def]
    make, store: SqliteStore
) -> None:
    d = make("20 12 34 56")
    assert await talk(d, "call me back after seven", "yes") == [
        "confirm_callback",
        "callback_recorded",
    ]
    assert "after seven" in d.turns[0].reply.text and "is that right?" in d.turns[0].reply.text
    [row] = store.query("SELECT not_before, not_after FROM callback_requests")
    assert row["not_before"] is not None and row["not_after"] is None


async def test_a_wrong_number_is_corrected_and_the_request_follows(  # type: ignore[no-untyped-def]
    make, store: SqliteStore
) -> None:
    d = make("20 12 34 56")
    actions = await talk(d, "please call me back", Dtmf("30123456#"), "any time")
    assert actions == ["confirm_callback", "callback_confirm", "callback_recorded"]
    assert "30 12 34 56" in d.turns[1].reply.text
    [row] = store.query("SELECT phone FROM callback_requests")
    assert row["phone"] == "+4530123456"  # one request, its number corrected


async def test_a_changed_number_with_an_open_request_joins_it(  # type: ignore[no-untyped-def]
    make, store: SqliteStore
) -> None:
    # The person already waits for a callback on their other number (they
    # pressed 3 at the queue's menu earlier); changing to it during the call
    # must not leave two pending requests for them.
    with store.transaction() as tx:
        earlier = intake.record(
            tx, NewRequest("30123456", RequestSource.MENU, "queue overflow"), region="DK", now=NOW
        ).id
    d = make("20 12 34 56")
    actions = await talk(d, "please call me back", "yes", Dtmf("30123456#"), "any time")
    assert actions == [
        "confirm_callback",  # what it understood, asked first (a callback is a side effect)
        "callback_confirm",
        "callback_confirm",
        "callback_recorded",
    ]
    pending = store.query(
        "SELECT id, phone, context FROM callback_requests WHERE status = 'pending'"
    )
    assert [(r["id"], r["phone"]) for r in pending] == [(earlier, "+4530123456")]
    [joined] = json.loads(pending[0]["context"])["merged"]
    assert (joined["source"], joined["call_id"]) == ("bot", "t1")
    [bots] = store.query(
        "SELECT status, last_error FROM callback_requests WHERE id <> :e", {"e": earlier}
    )
    assert bots["status"] == "cancelled"
    assert in_english(bots["last_error"]) == f"merged into request {earlier}"
    # The call's callback is the request that will be dialled.
    assert d.callback_id == earlier and d.hang_up().callback_id == earlier


async def test_hanging_up_before_saying_when_keeps_the_request(  # type: ignore[no-untyped-def]
    make, store: SqliteStore
) -> None:
    d = make("20 12 34 56")
    assert await talk(d, "please call me back", "yes") == ["confirm_callback", "callback_confirm"]
    assert d.hang_up().outcome is Outcome.CALLBACK
    [row] = store.query("SELECT status FROM callback_requests")
    assert row["status"] == "pending"
