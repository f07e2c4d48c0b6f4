"""How a call ended, in one vocabulary (spillway.call.CallOutcome) everywhere.

The call record, `spillway chat --json`, `spillway call --json` and
``/metrics`` say resolved, handoff, callback (with the request's id, merged
or not), hangup or failed. The old words in a database are mapped by
migration 7; the same conversation, typed and on a call, ends in the same word.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agi.call_log import CallLog
from agi.call_session import run_bot_call
from bot.assembly import DialogueFactory, SpeechModels, build_nlu
from bot.backends.demo_data import DEMO_CALLER, seed_demo
from bot.listener import ListenerConfig
from bot.voice_bot import SpeechBot, VoiceBotConfig
from cli.commands.chat import NluChoice, parse_script, run_script
from cli.spoken_call import call_records
from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from spillway import storage
from spillway.call import (
    BOT_END_ROUTES,
    BotOutcome,
    CallContext,
    CallOutcome,
    Route,
    containment,
)
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.fakes import MemoryMedia
from tests.voice_caller import speech_models

__all__ = ["speech_models"]  # the fixture


def test_every_end_route_says_what_happened_unless_the_bot_says_more() -> None:
    implied = {route: BotOutcome(route).call_outcome for route in BOT_END_ROUTES}
    assert implied == {
        Route.DONE: CallOutcome.RESOLVED,
        Route.HANDOFF: CallOutcome.HANDOFF,
        Route.WAIT: CallOutcome.HANDOFF,  # the caller chose the queue: a person takes over
        Route.OFFER: CallOutcome.HANDOFF,
        Route.CALLBACK: CallOutcome.CALLBACK,
    }
    # A bot that failed still hands over; the call failed.
    failed = BotOutcome(Route.HANDOFF, outcome=CallOutcome.FAILED)
    assert failed.call_outcome is CallOutcome.FAILED
    assert {o.value for o in CallOutcome} == {"resolved", "handoff", "callback", "hangup", "failed"}


def test_containment_is_resolved_over_the_ended_bot_calls() -> None:
    counts = {"resolved": 3, "handoff": 2, "callback": 1, "hangup": 1, "failed": 1}
    assert containment({**counts, "in_progress": 5}) == 3 / 8
    assert containment({"in_progress": 2}) is None


# (old word, an event the call left, its summary) -> the word now
LEGACY = [
    ("bot:done", None, None, "resolved"),
    ("bot:done", None, "callback request 1 recorded by the bot", "callback"),
    ("bot:done", "caller_gone", None, "hangup"),
    ("bot:handoff", None, "bot: transfer", "handoff"),
    ("bot:handoff", "bot_error", "bot: media error", "failed"),
    ("bot:wait", None, None, "handoff"),
    ("bot:offer", None, None, "handoff"),
    ("bot:callback", None, None, "callback"),
    ("callback", None, None, "callback"),
    ("bot:failed", None, None, "failed"),
    ("controller restarted", None, None, "failed"),
    (None, None, None, None),  # never reached the bot
]


def test_old_words_in_the_database_are_mapped_by_the_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqliteStore(tmp_path / "old.db")
    [at] = [
        i
        for i, m in enumerate(storage.MIGRATIONS)
        if m.name.startswith("call outcomes in one vocabulary")
    ]
    with monkeypatch.context() as before:
        before.setattr(storage, "MIGRATIONS", storage.MIGRATIONS[:at])
        store.migrate()
    # As the bot recorded it then (today's intake code needs the tables of today).
    store.execute(
        "INSERT INTO callback_requests (phone, source, call_id, created_at) "
        "VALUES ('+4520123456', 'bot', 'call-1', 1.0)"
    )
    for n, (word, event, summary, _now) in enumerate(LEGACY):
        store.execute(
            "INSERT INTO calls (call_id, started_at, ended_at, outcome, summary) "
            "VALUES (?, 1, 2, ?, ?)",
            (f"call-{n}", word, summary),
        )
        if event:
            store.execute(
                "INSERT INTO call_events (call_id, at, kind) VALUES (?, 1.5, ?)",
                (f"call-{n}", event),
            )
    assert storage.MIGRATIONS[at].version in [m.version for m in store.migrate()]
    rows = store.query("SELECT call_id, outcome, callback_id FROM calls ORDER BY started_at")
    by_id = {r["call_id"]: r for r in rows}
    got = [by_id[f"call-{n}"]["outcome"] for n in range(len(LEGACY))]
    assert got == [now for *_, now in LEGACY]
    assert set(got) - {None} <= {o.value for o in CallOutcome}
    # The request the bot recorded on that call is found again.
    assert by_id["call-1"]["callback_id"] == 1
    store.close()


class CallerOnTheLine(CallLog):
    """The real call log; after the bot's n-th line the caller presses keys or hangs up."""

    def __init__(self, store: AsyncStore, media: MemoryMedia, plan: dict[int, str]) -> None:
        super().__init__(store)
        self.media = media
        self.plan = plan
        self.bot_lines = 0

    async def turn(self, call_id: str, speaker: str, text: str, **kw: Any) -> None:
        await super().turn(call_id, speaker, text, **kw)
        if speaker != "bot":
            return
        self.bot_lines += 1
        action = self.plan.get(self.bot_lines)
        if action == "hangup":
            self.media.caller_hangs_up()
        else:
            for key in action or "":
                self.media.press(key)


# outcome -> (the caller's keys, typed as a chat script; after which bot line they hang up)
CONVERSATIONS = {
    "resolved": (["4#"], 2),  # opening hours; hangs up on "anything else?"
    "handoff": (["0#"], None),  # a person, please
    "callback": (["9#"], 2),  # a callback; hangs up once the number is read back
    "hangup": (["4#", "1#"], 3),  # hangs up in the middle of the second question
}


@pytest.mark.speech
@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("expected", sorted(CONVERSATIONS))
async def test_chat_json_and_call_json_say_the_same_word(
    tmp_path: Path, speech_models: SpeechModels, expected: str
) -> None:
    keys, hangs_up_after = CONVERSATIONS[expected]
    results = []
    for side in ("chat", "call"):
        path = tmp_path / f"{side}.db"
        store = SqliteStore(path)
        store.migrate()
        seed_demo(store)
        with store.transaction() as tx:
            # The caller already waits for a callback: a new one joins that request.
            earlier = intake.record(
                tx,
                NewRequest(DEMO_CALLER, RequestSource.MENU, "queue overflow"),
                region="DK",
                now=1,
            ).id
        settings = Settings(storage={"sqlite_path": str(path)})
        if side == "chat":
            store.close()
            script = "\n".join(f"<dtmf {k}>" for k in keys)
            records = await run_script(
                settings,
                parse_script(script),
                caller_id=DEMO_CALLER,
                nlu_choice=NluChoice.fallback,
                source="t",
            )
            results.append(records[-1])
            continue
        results.append(await _spoken(settings, store, speech_models, keys, hangs_up_after))
        store.close()
    chat, call = results
    assert chat["outcome"] == call["outcome"] == expected, (chat, call)
    # The request's id, also when it joined the one already open (merged).
    want = earlier if expected == "callback" else None
    assert chat["callback_id"] == call["callback_id"] == want, (chat, call)


async def _spoken(
    settings: Settings,
    store: SqliteStore,
    models: SpeechModels,
    keys: list[str],
    hangs_up_after: int | None,
) -> dict[str, Any]:
    """The keys on a call to the real speech bot over an in-memory line; `call --json`'s result."""
    astore = AsyncStore(store)
    nlu = build_nlu(settings, use_rasa=False)
    bot = SpeechBot(
        models,
        DialogueFactory.from_settings(settings, nlu, store),
        VoiceBotConfig(listen=ListenerConfig(no_input_timeout_s=5.0)),
    )
    media = MemoryMedia()
    plan = {n: key for n, key in enumerate(keys, start=1)}
    if hangs_up_after is not None:
        plan[hangs_up_after] = "hangup"
    log = CallerOnTheLine(astore, media, plan)
    call = CallContext(call_id="spoken-1", caller=DEMO_CALLER, transport="memory")
    try:
        await log.start(call.call_id, caller=call.caller, channel="", transport="memory")
        await run_bot_call(bot, media, call, log, time_limit_s=60)
        await log.flush()
        [result] = call_records(store, call.call_id, [])
        return result
    finally:
        await nlu.aclose()
        astore.close()
