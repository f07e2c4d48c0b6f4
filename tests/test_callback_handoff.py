"""A caller who booked a callback with the bot and is then handed to the queue (asked for
a colleague, pressed 0) in the same call: the callback stays booked unless a colleague
takes the call, and the caller hears so; the agent's context names it; when the queue
puts the caller through to an agent, the controller closes it (cancelled,
``served_inbound``) so the dialler never rings them about it; a caller who leaves the
queue first keeps it. Closing is one guarded statement: a second report changes nothing,
and a request being dialled or already closed is left as it is.

Before: the hand-over said nothing of the callback, the agent was not told, and the
customer was called back later about what the colleague had already dealt with.

English and Danish; no sockets: the dialogue over the demo shop, the controller's
routes with a fake AGI session, the close on a test store, the rendered dialplan.
"""

from __future__ import annotations

import pytest

from agi.controller import CallController
from agi.handoff import held_callback
from bot.backends import Backends
from bot.bot_outcome import outcome
from bot.dialogue.inputs import Dtmf
from bot.dialogue.machine import Dialogue
from bot.dialogue.prompts import say, use_language
from scheduler.requests import RequestStatus, close_served
from spillway.call import (
    MAX_SUMMARY_CHARS,
    BotOutcome,
    CallEventKind,
    CallOutcome,
    HandoffContext,
    Route,
    clean_value,
)
from spillway.console_text import load_console_text
from spillway.handover_words import agent_words
from spillway.language_pack import load_pack
from spillway.request_problem import SERVED_INBOUND, problem_code
from spillway.storage import AsyncStore, SqliteStore
from tests.conftest import make_settings
from tests.dialogue_fixtures import call_saying
from tests.fakes import RecordingSink
from tests.test_pbx_sounds import extensions
from tests.test_workers import _session
from web.event_words import event_words

pytestmark = pytest.mark.usefixtures("english_after")

LANGUAGES = ("en", "da")
CALLER = "+4520123456"
# The caller's words: a callback asked for, its number confirmed, a person asked for.
SAID = {
    "en": ("I'd like a callback", "yes", "I'd like to talk to a person"),
    "da": ("jeg vil gerne ringes op", "ja", "jeg vil tale med et menneske"),
}
# What the caller is told, in each pack's own words (not the English ones translated).
KEPT = {
    "en": "We'll still call you back as booked, unless a colleague helps you now.",
    "da": "Vi ringer dig stadig op som aftalt, medmindre en kollega hjælper dig nu.",
}


async def _booked_then_person(demo: Backends, language: str) -> Dialogue:
    """A callback booked (recorded, asked when), then a colleague asked for."""
    return await call_saying(
        demo, language, *SAID[language], caller_id=CALLER, call_id=f"handoff-{language}"
    )


async def _booked_id(demo: Backends, language: str) -> tuple[Dialogue, int]:
    """:func:`_booked_then_person`, and the id of the request it booked."""
    d = await _booked_then_person(demo, language)
    assert d.callback_id is not None
    return d, d.callback_id


def _status(store: SqliteStore, request_id: int) -> dict[str, object]:
    [row] = store.query(
        "SELECT status, last_error, closed_at FROM callback_requests WHERE id = :id",
        {"id": request_id},
    )
    return dict(row)


def _controller(store: SqliteStore) -> tuple[CallController, RecordingSink]:
    sink = RecordingSink()
    return CallController(make_settings(), AsyncStore(store), sink, None), sink


async def _handed_over(controller: CallController, call_id: str, bot: BotOutcome) -> dict[str, str]:
    """The call arrives, the bot ends with ``bot``, the dialplan asks what next."""
    await controller.inbound(_session(call_id, "inbound", "0", "3"))
    controller.calls[call_id].outcome = bot
    after = _session(call_id, "after-bot", "SUCCESS")
    await controller.after_bot(after)
    return after.set


# -- what the caller hears, and what the bot hands on ---------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_caller_with_a_booked_callback_hears_it_stays_unless_served_now(
    demo: Backends, language: str
) -> None:
    d = await _booked_then_person(demo, language)
    reply = d.turns[-1].reply
    assert reply.transfer and d.callback_id is not None
    assert reply.text.startswith(say("transfer"))
    assert reply.text.endswith(KEPT[language])
    assert say("transfer_callback_kept") == KEPT[language]
    # The fixed opener is still played from the prompt cache.
    assert reply.cached_prefix == say("transfer")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_key_zero_with_a_booked_callback_says_so_too(demo: Backends, language: str) -> None:
    d = await call_saying(
        demo,
        language,
        *SAID[language][:2],
        Dtmf("0"),
        caller_id=CALLER,
    )
    assert d.turns[-1].reply.transfer
    assert d.turns[-1].reply.text.endswith(KEPT[language])


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_hand_over_without_a_callback_says_nothing_of_one(
    demo: Backends, language: str
) -> None:
    d = await call_saying(demo, language, SAID[language][2], caller_id=CALLER)
    reply = d.turns[-1].reply
    assert reply.transfer and d.callback_id is None
    assert reply.text == say("transfer")
    ended = outcome(d)
    assert ended.callback_id is None and ended.handoff.callback_id is None
    assert ended.handoff.channel_variables()["__SPILLWAY_HELD_CALLBACK"] == ""
    # Nothing of a booked callback (the pack's sentence after its id).
    held = load_pack(language).prompts["agent_callback_held"].text.split("{callback}")[1]
    assert held.strip() and held not in ended.handoff.summary


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_agent_and_the_call_record_are_told_of_the_booked_callback(
    demo: Backends, language: str
) -> None:
    d = await _booked_then_person(demo, language)
    ended = outcome(d)
    assert (ended.route, ended.call_outcome) == (Route.HANDOFF, CallOutcome.HANDOFF)
    assert ended.callback_id == d.callback_id == ended.handoff.callback_id
    # In the caller's language, as the agent reads it (tests/test_agent_summary.py).
    held = agent_words(language).say("callback_held", callback=d.callback_id)
    assert held in ended.handoff.summary
    variables = ended.handoff.channel_variables()
    assert variables["__SPILLWAY_HELD_CALLBACK"] == str(d.callback_id)
    assert clean_value(held, MAX_SUMMARY_CHARS) in variables["__SPILLWAY_SUMMARY"]


# -- the pure decision and the close ---------------------------------------------------


def test_only_a_hand_over_holds_its_callback_for_the_agent() -> None:
    held = BotOutcome(Route.HANDOFF, HandoffContext(callback_id=7), callback_id=7)
    assert held_callback(Route.HANDOFF, held) == 7
    # Back to the queue another way (a broken media leg): never closed on a guess.
    assert held_callback(Route.WAIT, held) is None
    assert held_callback(Route.HANDOFF, None) is None
    assert held_callback(Route.HANDOFF, BotOutcome(Route.HANDOFF)) is None


async def test_closing_as_served_is_once_and_only_for_a_pending_request(
    demo: Backends, store: SqliteStore
) -> None:
    _, request_id = await _booked_id(demo, "en")
    assert _status(store, request_id)["status"] == RequestStatus.PENDING.value
    with store.transaction() as tx:
        assert close_served(tx, request_id, now=123.0)
    closed = _status(store, request_id)
    assert (closed["status"], closed["closed_at"]) == (RequestStatus.CANCELLED.value, 123.0)
    assert problem_code(str(closed["last_error"])) == SERVED_INBOUND
    # A second report (the same call's agent route again): nothing changes.
    with store.transaction() as tx:
        assert not close_served(tx, request_id, now=456.0)
    assert _status(store, request_id) == closed
    # One the dialler is calling now is the dialler's: left as it is.
    with store.transaction() as tx:
        tx.execute(
            "UPDATE callback_requests SET status = 'dialling', closed_at = NULL, "
            "last_error = NULL WHERE id = :id",
            {"id": request_id},
        )
        assert not close_served(tx, request_id, now=789.0)
    assert _status(store, request_id)["status"] == RequestStatus.DIALLING.value


# -- the controller: an agent takes the call, or the caller leaves -----------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_agent_taking_the_call_closes_the_booked_callback(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d, request_id = await _booked_id(demo, language)
    use_language("en")
    controller, sink = _controller(store)
    told = await _handed_over(controller, "q1", outcome(d))
    assert told["SPILLWAY_ROUTE"] == "handoff"
    assert told["__SPILLWAY_HELD_CALLBACK"] == str(request_id)
    # Waiting in the queue: still booked.
    assert _status(store, request_id)["status"] == RequestStatus.PENDING.value
    await controller.agent(_session("q1", "agent"))
    assert _status(store, request_id)["status"] == RequestStatus.CANCELLED.value
    [event] = [e for e in sink.events if e.kind is CallEventKind.AGENT]
    assert event.data == {"callback_id": request_id, "closed": True}
    # Asked again (a second connect, a repeated AGI): nothing more happens.
    closed = _status(store, request_id)
    await controller.agent(_session("q1", "agent"))
    assert _status(store, request_id) == closed
    assert len([e for e in sink.events if e.kind is CallEventKind.AGENT]) == 1


async def test_a_caller_who_leaves_the_queue_keeps_the_callback(
    demo: Backends, store: SqliteStore
) -> None:
    d, request_id = await _booked_id(demo, "da")
    use_language("en")
    controller, _ = _controller(store)
    await _handed_over(controller, "q2", outcome(d))
    await controller.hangup(_session("q2", "hangup", "wait"))
    assert _status(store, request_id)["status"] == RequestStatus.PENDING.value
    # The call is gone from the controller: a late agent report closes nothing.
    await controller.agent(_session("q2", "agent"))
    assert _status(store, request_id)["status"] == RequestStatus.PENDING.value


async def test_an_agent_on_a_call_without_a_held_callback_closes_nothing(
    demo: Backends, store: SqliteStore
) -> None:
    booked = await call_saying(demo, "en", *SAID["en"][:2], caller_id=CALLER)
    request_id = booked.callback_id
    assert request_id is not None
    controller, sink = _controller(store)
    # Another call handed over with nothing booked, its agent answers.
    told = await _handed_over(controller, "q3", BotOutcome(Route.HANDOFF, reason="asked"))
    assert told["__SPILLWAY_HELD_CALLBACK"] == ""
    await controller.agent(_session("q3", "agent"))
    assert _status(store, request_id)["status"] == RequestStatus.PENDING.value
    assert not [e for e in sink.events if e.kind is CallEventKind.AGENT]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["callback request: 5", "callback request closed, served by this call: yes"]),
        ("da", ["tilbagekald: 5", "tilbagekaldet lukket, klaret i dette opkald: ja"]),
    ],
)
def test_the_call_page_says_the_agent_event_in_the_readers_language(
    language: str, words: list[str]
) -> None:
    said = event_words(load_console_text(language), {"callback_id": 5, "closed": True})
    assert [f"{s.label}: {s.value}" for s in said] == words
    assert load_console_text(language)(f"event.{CallEventKind.AGENT.value}")


# -- the dialplan asks the agent route only after such a hand-over -------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_queue_asks_the_agent_route_only_for_a_held_callback(language: str) -> None:
    text = extensions(make_settings(shop={"language": language}))
    wait = text[text.index("exten => wait,1,") : text.index("exten => handoff,1,")]
    lines = [line.strip() for line in wait.splitlines() if "=>" in line]
    check = lines.index(
        'same => n,GotoIf($["${SPILLWAY_HELD_CALLBACK}" = "" | "${SPILLWAY_AGI}" = ""]?join)'
    )
    assert lines[check - 1] == "same => n,Set(SPILLWAY_ON_AGENT=)"
    assert lines[check + 1] == "same => n,Set(SPILLWAY_ON_AGENT=${SPILLWAY_AGI}/agent)"
    # Queue's sixth argument: an AGI run on the caller's channel once an agent answers.
    assert lines[check + 2].startswith("same => n(join),Queue(")
    assert lines[check + 2].endswith(",,,,,${SPILLWAY_ON_AGENT})")
    handoff = text[text.index("exten => handoff,1,") :].splitlines()[1]
    assert "CallbackId: ${SPILLWAY_HELD_CALLBACK}" in handoff
