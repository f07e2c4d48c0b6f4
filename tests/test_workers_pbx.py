"""Over the real sandbox: two workers behind one PBX, one of them killed (kill -9) mid-call.

Each worker is its own process (bench/worker_process.py: `running_controller`
with the DTMF menu bot), both sharing one database. Worker ``a`` holds one bot
call at most, so the second caller is passed on to ``b``; when ``a`` dies its
caller reaches the human queue while ``b``'s caller goes on with the bot, and
new calls go to ``b``. ``a`` restarting closes its own open call only.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bench.worker_process import WorkerProcess, as_worker_with_limit, local_workers
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.call_harness import Harness, apply_settings, clear_channels, routing_settings, wait_event
from tests.conftest import PbxHandle

pytestmark = [pytest.mark.asterisk, pytest.mark.asyncio(loop_scope="session")]


@contextlib.asynccontextmanager
async def two_workers(
    pbx: PbxHandle, tmp_path: Path, transport: str, limits: tuple[int, int] = (1, 4), **queue: Any
) -> AsyncIterator[tuple[Harness, Settings, dict[str, WorkerProcess]]]:
    base = routing_settings(pbx.settings, transport, agents=0, overflow_min_waiting=0, **queue)
    settings = local_workers(base, ("a", "b"))
    await apply_settings(pbx, settings)
    db = tmp_path / "calls.db"
    store = SqliteStore(db)
    store.migrate()
    procs: dict[str, WorkerProcess] = {}
    try:
        for name, limit in zip(("a", "b"), limits, strict=True):
            procs[name] = WorkerProcess(as_worker_with_limit(settings, name, limit), db)
        for proc in procs.values():
            await proc.ready()
        harness = Harness(pbx, settings, None, store, None)  # type: ignore[arg-type]
        yield harness, settings, procs
    finally:
        await clear_channels(pbx)
        for proc in procs.values():
            proc.stop()
        store.close()


def row(store: SqliteStore, call_id: str) -> dict[str, Any]:
    rows = store.query("SELECT * FROM calls WHERE call_id = ?", (call_id,))
    return rows[0] if rows else {}


async def until(check: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("transport", ["websocket", "audiosocket"])
async def test_a_killed_worker_loses_no_caller_and_new_calls_go_to_the_other(
    pbx: PbxHandle, tmp_path: Path, transport: str
) -> None:
    # a takes one bot call at most: the second caller must be passed on to b.
    async with two_workers(pbx, tmp_path, transport) as (h, _settings, w):
        with pbx.ami.subscribe("QueueCallerJoin", "Hangup", "UserEvent") as events:
            first = await h.call("4511111111")
            await w["a"].reached_bot(first.call_id)
            # a is at its call limit: it says so and the dialplan asks b.
            second = await h.call("4522222222")
            await w["b"].reached_bot(second.call_id)
            assert second.call_id not in w["a"].reports("bot")
            await until(lambda: row(h.store, second.call_id).get("worker") == "b")
            assert row(h.store, first.call_id)["worker"] == "a"
            await asyncio.sleep(0.5)  # audio flows both ways on both calls

            w["a"].kill()
            join = await wait_event(events, 10, Event="QueueCallerJoin", Uniqueid=first.call_id)
            assert join["Queue"] == h.settings.queue.name
            # A new caller: a is down, so b takes it (its media address, not a's).
            third = await h.call("4533333333")
            await w["b"].reached_bot(third.call_id)
            bot_event = await wait_event(
                events, 5, Event="UserEvent", UserEvent="SpillwayBot", CallId=third.call_id
            )
            b = h.settings.pbx.workers[1]
            assert bot_event["Worker"] == f"agi://{b.fastagi}"
            await asyncio.sleep(1.0)
            seen: list[dict[str, str]] = []
            while not events.empty():
                seen.append({str(k): str(v) for k, v in dict(events.get_nowait()).items()})
            ids = (first.call_id, second.call_id, third.call_id)
            # Nobody was hung up on; b's callers are still with b's bot, not in the queue.
            assert [e for e in seen if e.get("Event") == "Hangup" and e["Uniqueid"] in ids] == []
            queued = {e["Uniqueid"] for e in seen if e.get("Event") == "QueueCallerJoin"}
            assert queued.isdisjoint({second.call_id, third.call_id})

        # a comes back: it closes its own open call, never b's live ones.
        w["a"] = WorkerProcess(as_worker_with_limit(h.settings, "a", 1), tmp_path / "calls.db")
        await w["a"].ready()
        assert row(h.store, first.call_id)["ended_at"] is not None
        assert row(h.store, first.call_id)["outcome"] == "failed"
        assert row(h.store, second.call_id)["ended_at"] is None
        assert row(h.store, third.call_id)["ended_at"] is None


async def getvar(pbx: PbxHandle, h: Harness, uniqueid: str, name: str) -> str:
    channel = await h.channel_of(uniqueid)
    reply = await pbx.ami.action({"Action": "Getvar", "Channel": channel, "Variable": name})
    return str(dict(reply).get("Value", ""))


async def test_every_worker_full_means_the_queue_then_the_menu_and_a_freed_worker_takes_key_1(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    async with two_workers(pbx, tmp_path, "websocket", limits=(1, 1), max_wait_s=2) as (h, _, w):
        with pbx.ami.subscribe("QueueCallerJoin", "Hangup", "UserEvent") as events:
            first, second = await h.call("4511111111"), await h.call("4522222222")
            await w["a"].reached_bot(first.call_id)
            await w["b"].reached_bot(second.call_id)
            # Both full: the third caller waits in the queue, then gets the DTMF
            # menu without the bot key (no worker could take it).
            third = await h.call("4533333333")
            await wait_event(events, 10, Event="QueueCallerJoin", Uniqueid=third.call_id)
            offer = await wait_event(events, 10, UserEvent="SpillwayOffer", CallId=third.call_id)
            assert offer["By"] == "menu"
            assert await getvar(pbx, h, third.call_id, "SPILLWAY_MENU_BOT") == "no"
            # b's caller leaves; key 1 at the menu now reaches b's bot.
            await h.hangup(second)
            await wait_event(events, 5, Event="Hangup", Uniqueid=second.call_id)
            await asyncio.sleep(0.5)  # b hears of the hangup (its `h` route)
            await h.press(third, "1")
            await w["b"].reached_bot(third.call_id)
            assert third.call_id not in w["a"].reports("bot")
            await until(lambda: row(h.store, third.call_id).get("worker") == "b")
