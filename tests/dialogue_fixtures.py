"""Fixtures shared by the dialogue tests: the pack's fallback classifier, the demo shop,
and the prompts' language put back to English after each test.

tests/conftest.py loads this module as a plugin, so the fixtures reach every test
module by name; a module asks for ``english_after`` with
``pytestmark = pytest.mark.usefixtures("english_after")`` and imports the plain
helpers (``NOW``, ``fallback_nlu``, ``fallback_model``). ``demo`` seeds the demo shop at
``demo_now``, which a module overrides with a fixture of that name to run at
another moment, and knows the calling rules of ``demo_rules`` (none unless overridden).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from bot.backends import Backends
from bot.backends.demo_data import seed_demo
from bot.backends.local import local_backends
from bot.dialogue import prompts
from bot.dialogue.inputs import CallerInput, TextTurn
from bot.dialogue.machine import Dialogue, DialogueConfig
from bot.nlu.data import load_nlu_data, project_dir
from bot.nlu.engine import NluEngine
from bot.nlu.fallback import FallbackNlu
from bot.nlu.fallback_cache import load_or_train
from scheduler.rules import CallingRules
from spillway import paths
from spillway.errors import BackendError
from spillway.storage import AsyncStore, SqliteStore

NOW = 1_750_000_000.0


@functools.cache
def fallback_model(language: str) -> FallbackNlu:
    """``language``'s pack classifier (loaded once per test run from the Spillway cache,
    like the Rasa models and the sandbox PBX; trained there on a miss)."""
    data = load_nlu_data(project_dir(language))
    return load_or_train(data, paths.cache_dir(), language=language)


class FailingOrders:
    """A shop whose order API is down: every look-up fails (the bot hands over)."""

    async def find_order(self, number: str) -> None:
        raise BackendError("shop API down")

    async def orders_for_phone(self, phone: str) -> list[object]:
        raise BackendError("shop API down")


@functools.cache
def fallback_nlu(language: str) -> NluEngine:
    """``language``'s pack classifier without Rasa (:func:`fallback_model`)."""
    return NluEngine(fallback_model(language))


async def call_saying(
    backends: Backends,
    language: str,
    *said: str | CallerInput,
    caller_id: str | None = None,
    call_id: str = "call1",
    sms: bool = True,
) -> Dialogue:
    """A call at ``NOW`` on ``language``'s pack classifier, greeted, then ``said`` turn by
    turn (a string is words); ``caller_id`` None: a number the bot does not know;
    ``sms``: whether a text message reaches callers."""
    d = Dialogue(
        fallback_nlu(language),
        backends,
        DialogueConfig(language=language, sms=sms),
        caller_id=caller_id,
        call_id=call_id,
        clock=lambda: NOW,
    )
    await d.start()
    for line in said:
        await d.handle(TextTurn(line) if isinstance(line, str) else line)
    return d


@pytest.fixture
def english_after() -> Iterator[None]:
    """A test may speak another language; the next one starts in English."""
    yield
    prompts.use_language("en")


@pytest.fixture
def demo_now() -> float:
    """The moment the demo shop is seeded at and its back-ends read the clock."""
    return NOW


@pytest.fixture
def demo_rules() -> CallingRules | None:
    """The calling rules the demo shop's back-ends know (None: none)."""
    return None


@pytest_asyncio.fixture
async def demo(
    store: SqliteStore, demo_now: float, demo_rules: CallingRules | None
) -> AsyncIterator[Backends]:
    """The demo shop's back-ends over the test's SQLite store."""
    seed_demo(store, demo_now)
    db = AsyncStore(store)
    yield local_backends(db, clock=lambda: demo_now, rules=demo_rules)
    db.close()


def requested_phones(store: SqliteStore) -> list[str]:
    """The numbers of the callback requests recorded so far, in order."""
    return [r["phone"] for r in store.query("SELECT phone FROM callback_requests")]
