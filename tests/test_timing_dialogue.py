"""The bot says the callback's time is chosen to suit the caller and how to refuse it;
"a plain callback" is confirmed before the request is changed (issue 22 item 6)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.backends import Backends
from bot.backends.demo_data import seed_demo
from bot.backends.local import local_backends
from bot.dialogue.inputs import TextTurn
from bot.dialogue.machine import Dialogue, DialogueConfig
from bot.dialogue.plain_callback import asks_plain_callback
from bot.dialogue.prompts import say
from bot.nlu.engine import NluEngine
from scheduler.timing.choice import Timing, TimingConfig
from spillway.storage import AsyncStore, SqliteStore
from tests.dialogue_fixtures import fallback_model

ASYNC = pytest.mark.asyncio(loop_scope="session")
NOW = 1_750_000_000.0


@pytest.fixture(scope="module")
def nlu() -> NluEngine:
    return NluEngine(fallback_model("en"))


async def _backends(store: SqliteStore, timing: TimingConfig) -> AsyncIterator[Backends]:
    seed_demo(store, NOW)
    db = AsyncStore(store)
    yield local_backends(db, clock=lambda: NOW, timing=timing)
    db.close()


@pytest_asyncio.fixture
async def backends(store: SqliteStore) -> AsyncIterator[Backends]:
    async for b in _backends(store, TimingConfig(policy=Timing.PREDICTED)):
        yield b


async def _talk(nlu: NluEngine, backends: Backends, *said: str) -> tuple[Dialogue, list[str]]:
    d = Dialogue(nlu, backends, DialogueConfig(), caller_id="20 12 34 56", call_id="t1")
    d.clock = lambda: NOW
    await d.start()
    actions = [(await d.handle(TextTurn(text))).action for text in said]
    return d, actions


def _timing(store: SqliteStore) -> tuple[str, str]:
    [row] = store.query("SELECT timing, timing_reason FROM callback_requests")
    return row["timing"], row["timing_reason"]


def test_the_words_of_a_plain_callback() -> None:
    for text in (
        "just call me at any time",
        "a normal callback please",
        "Don't use the prediction.",
        "I'd like a plain call back",
        "without the AI, thanks",
    ):
        assert asks_plain_callback(text), text
    for text in ("any time", "tomorrow morning", "yes", "call me back this afternoon"):
        assert not asks_plain_callback(text), text


def test_the_danish_words_of_a_plain_callback() -> None:
    # The Danish pack's note says "sig bare almindeligt opkald".
    for text in ("almindeligt opkald", "bare et normalt opkald tak", "ring bare når som helst"):
        assert asks_plain_callback(text), text
    # The pack's word for a callback is "tilbagekald" (the explanations say "et almindeligt
    # tilbagekald"); callers also say "tilbageopkald".
    for text in ("et almindeligt tilbagekald", "bare et normalt tilbageopkald"):
        assert asks_plain_callback(text), text
    for text in ("når som helst", "i morgen formiddag", "ja", "ring tilbage i eftermiddag"):
        assert not asks_plain_callback(text), text


@ASYNC
async def test_the_confirmation_says_the_time_is_chosen_and_how_to_refuse(
    nlu: NluEngine, backends: Backends, store: SqliteStore
) -> None:
    d, actions = await _talk(nlu, backends, "can someone call me back", "yes")
    assert actions == ["confirm_callback", "callback_confirm"]
    assert say("callback_timing_note") in d.turns[-1].reply.text
    assert _timing(store) == ("predicted", "policy")


@ASYNC
async def test_a_plain_callback_is_confirmed_then_set(
    nlu: NluEngine, backends: Backends, store: SqliteStore
) -> None:
    d, actions = await _talk(
        nlu, backends, "can someone call me back", "yes", "just call me at any time", "yes"
    )
    assert actions == [
        "confirm_callback",
        "callback_confirm",
        "callback_plain_confirm",
        "callback_recorded",
    ]
    assert _timing(store) == ("conventional", "customer")
    assert d.result is not None and d.result.outcome.value == "callback"


@ASYNC
async def test_no_to_the_plain_callback_keeps_the_timing(
    nlu: NluEngine, backends: Backends, store: SqliteStore
) -> None:
    _d, actions = await _talk(
        nlu, backends, "can someone call me back", "yes", "a normal callback", "no"
    )
    assert actions[-2:] == ["callback_plain_confirm", "callback_recorded"]
    assert _timing(store) == ("predicted", "policy")


@ASYNC
async def test_no_note_when_the_call_is_not_timed_by_the_model(
    nlu: NluEngine, store: SqliteStore
) -> None:
    async for backends in _backends(store, TimingConfig(policy=Timing.CONVENTIONAL)):
        d, _actions = await _talk(nlu, backends, "can someone call me back", "yes")
        assert say("callback_timing_note") not in d.turns[-1].reply.text
        assert _timing(store) == ("conventional", "policy")
