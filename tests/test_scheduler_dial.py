"""Over the real sandbox: the dialer calls customers (Local channels that answer, are
busy or ring out, by AstDB), records what Asterisk says happened, and reschedules."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from scheduler import do_not_call, intake
from scheduler.dialer import Dialer, DialerConfig
from scheduler.intake import NewRequest
from scheduler.originate import AmiOriginator
from scheduler.requests import RequestSource
from scheduler.rules import CallingRules
from spillway.storage import AsyncStore, SqliteStore
from tests.call_harness import apply_settings, clear_channels, routing_settings
from tests.conftest import PbxHandle

pytestmark = [pytest.mark.asterisk, pytest.mark.asyncio(loop_scope="session")]

ALWAYS = CallingRules(windows=((0.0, 24.0),) * 7, holiday_country=None, min_gap_s=0, expiry_s=3600)


@dataclass
class Scene:
    pbx: PbxHandle
    store: SqliteStore
    db: AsyncStore

    def add(self, phone: str, mode: str = "answer", **kw: Any) -> int:
        with self.store.transaction() as tx:
            return intake.record(
                tx, NewRequest(phone, RequestSource.API, "test", **kw), region="DK", now=time.time()
            ).id

    async def customer(self, phone: str, mode: str, hold_s: int = 2) -> None:
        digits = phone.lstrip("+")
        for family, value in (("spillway-sim", mode), ("spillway-sim-hold", str(hold_s))):
            await self.pbx.ami.action(
                {"Action": "DBPut", "Family": family, "Key": digits, "Val": value}
            )

    def dialer(self, rules: CallingRules = ALWAYS, **config: Any) -> Dialer:
        cfg = DialerConfig(
            queue=self.pbx.settings.queue.name,
            ring_s=config.pop("ring_s", 4),
            agent_wait_s=3,
            poll_interval_s=0.2,
            retry_backoff_s=600,
            node="test",
            **config,
        )
        return Dialer(
            self.db,
            AmiOriginator(self.pbx.ami),
            rules,
            cfg,
        )

    def row(self, request_id: int) -> dict[str, Any]:
        return dict(
            self.store.query("SELECT * FROM callback_requests WHERE id = ?", (request_id,))[0]
        )

    def attempts(self, request_id: int) -> list[dict[str, Any]]:
        return [
            dict(r)
            for r in self.store.query(
                "SELECT * FROM callback_attempts WHERE request_id = ? ORDER BY started_at",
                (request_id,),
            )
        ]


@pytest_asyncio.fixture(loop_scope="session")
async def scene(pbx: PbxHandle, tmp_path: Path) -> AsyncIterator[Scene]:
    settings = routing_settings(pbx.settings, agents=3)
    await apply_settings(pbx, settings)
    store = SqliteStore(tmp_path / "cb.db")
    store.migrate()
    db = AsyncStore(store)
    try:
        yield Scene(pbx, store, db)
    finally:
        await clear_channels(pbx)
        db.close()
        store.close()


async def test_outcomes_come_from_asterisk_and_failures_are_rescheduled(scene: Scene) -> None:
    answer, busy, ring = "+4520123401", "+4520123402", "+4520123403"
    await scene.customer(answer, "answer")
    await scene.customer(busy, "busy")
    await scene.customer(ring, "noanswer")
    ids = {phone: scene.add(phone) for phone in (answer, busy, ring)}
    with scene.pbx.ami.subscribe("UserEvent") as events:
        dialer = scene.dialer()
        started = time.time()
        assert await dialer.tick() == 3
        await dialer.wait_idle(30)
    dialled = []
    while not events.empty():
        event = events.get_nowait()
        if event.get("UserEvent") == "SpillwayCallbackDial":
            dialled.append(int(event["RequestId"]))
    assert sorted(dialled) == sorted(ids.values())  # Asterisk's own record: one dial each
    outcomes = {p: [a["outcome"] for a in scene.attempts(i)] for p, i in ids.items()}
    assert outcomes == {answer: ["answered"], busy: ["busy"], ring: ["no_answer"]}
    assert scene.row(ids[answer])["status"] == "done"
    for phone in (busy, ring):
        row = scene.row(ids[phone])
        assert row["status"] == "pending" and row["attempts"] == 1
        assert row["not_before"] >= started + 600  # the fixed back-off
    [attempt] = scene.attempts(ids[answer])
    assert attempt["policy"] == "traditional" and attempt["attempt_no"] == 1
    assert 0 <= attempt["local_weekday"] <= 6 and 0 <= attempt["local_hour"] <= 23


async def test_never_more_in_flight_than_agents_free_plus_pacing(scene: Scene) -> None:
    phones = [f"+45201235{i:02d}" for i in range(6)]
    for phone in phones:
        # Long enough to hear who is calling and reach an agent.
        await scene.customer(phone, "answer", hold_s=12)
        scene.add(phone)
    dialer = scene.dialer(pacing=0, max_in_flight=20)
    # Three agents, none busy: three callbacks at a time, never more.
    assert await dialer.tick() == 3
    assert await dialer.tick() == 0
    await dialer.wait_idle(30)
    # Answered: the three customers now talk to the three agents, so none is free.
    assert await dialer.pbx.free_agents(scene.pbx.settings.queue.name) == 0
    assert await dialer.tick() == 0
    deadline = time.monotonic() + 20
    while await dialer.pbx.free_agents(scene.pbx.settings.queue.name) < 3:
        assert time.monotonic() < deadline, "the agents never became free"
        await asyncio.sleep(0.2)
    assert await dialer.tick() == 3
    await dialer.wait_idle(30)
    rows = scene.store.query("SELECT status FROM callback_requests")
    assert [r["status"] for r in rows] == ["done"] * 6


async def test_nothing_is_dialled_outside_the_calling_hours_or_to_an_opted_out_number(
    scene: Scene,
) -> None:
    # Open one hour a day, two hours from now (Copenhagen time, the number's zone).
    hour = datetime.now(ZoneInfo("Europe/Copenhagen")).hour
    opens = (hour + 2) % 24
    closed = CallingRules(
        windows=((float(opens), float(opens + 1)),) * 7, holiday_country=None, expiry_s=7 * 86400
    )
    later = scene.add("+4520123601")
    with scene.store.transaction() as tx:
        do_not_call.opt_out(tx, "+4520123602", source="test", now=time.time(), region="DK")
    blocked = scene.add("+4520123602")
    with scene.pbx.ami.subscribe("UserEvent") as events:
        assert await scene.dialer(rules=closed).tick() == 0
        assert await scene.dialer().tick() == 0  # the opted-out one, with every hour open
        await asyncio.sleep(0.5)
        assert [e for e in _drain(events) if e.get("UserEvent") == "SpillwayCallbackDial"] == []
    row = scene.row(later)
    assert row["status"] == "pending" and row["attempts"] == 0
    opening = datetime.fromtimestamp(row["not_before"], ZoneInfo("Europe/Copenhagen"))
    assert (opening.hour, opening.minute) == (opens, 0) and row["not_before"] > time.time()
    assert scene.row(blocked)["status"] == "cancelled"


def _drain(queue: asyncio.Queue[Any]) -> list[Any]:
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


def _in_order(events: asyncio.Queue[Any]) -> list[dict[str, str]]:
    found = []
    while not events.empty():
        found.append(dict(events.get_nowait()))
    return found


async def test_agent_first_puts_an_agent_on_the_line_before_the_customer_rings(
    scene: Scene,
) -> None:
    phone = "+4520123471"
    await scene.customer(phone, "answer")
    request_id = scene.add(phone)
    with scene.pbx.ami.subscribe("UserEvent", "Newchannel", "AgentConnect") as events:
        dialer = scene.dialer(agent_first=True)
        assert await dialer.tick() == 1
        await dialer.wait_idle(30)
    seen = _in_order(events)
    # app_queue's own word that an agent took the attempt.
    agent = next(i for i, e in enumerate(seen) if e.get("Event") == "AgentConnect")
    dial = next(i for i, e in enumerate(seen) if e.get("UserEvent") == "SpillwayCallbackDial")
    customer = next(
        i
        for i, e in enumerate(seen)
        if e.get("Event") == "Newchannel" and e.get("Context") == "spillway-sim-customer"
    )
    assert agent < dial < customer, seen
    assert seen[dial]["First"] == "agent"
    assert [a["outcome"] for a in scene.attempts(request_id)] == ["answered"]
    assert scene.row(request_id)["status"] == "done"


async def test_agent_first_with_no_agent_free_never_rings_the_customer(scene: Scene) -> None:
    await apply_settings(scene.pbx, routing_settings(scene.pbx.settings, agents=0))
    phone = "+4520123472"
    await scene.customer(phone, "answer")
    request_id = scene.add(phone)
    with scene.pbx.ami.subscribe("Newchannel") as events:
        dialer = scene.dialer(agent_first=True)
        dialer.pbx.free_agents = _always_free  # type: ignore[method-assign]
        assert await dialer.tick() == 1
        await dialer.wait_idle(30)
    contexts = {e.get("Context") for e in _in_order(events)}
    assert "spillway-sim-customer" not in contexts
    assert [a["outcome"] for a in scene.attempts(request_id)] == ["no_agent"]
    row = scene.row(request_id)
    assert row["status"] == "pending" and row["attempts"] == 1  # tried again later


async def _always_free(queue: str) -> int:
    # The capacity check would hold the attempt back (no agent is free); this test
    # is about what Asterisk does when the queue has nobody to take it.
    return 1


async def test_with_amd_an_answering_machine_is_recorded_and_tried_again(scene: Scene) -> None:
    base = routing_settings(scene.pbx.settings, agents=3)
    settings = base.model_copy(
        update={"callbacks": base.callbacks.model_copy(update={"amd": True})}
    )
    await apply_settings(scene.pbx, settings)
    machine, person = "+4520123481", "+4520123482"
    await scene.customer(machine, "machine")
    await scene.customer(person, "answer", hold_s=3)
    ids = {phone: scene.add(phone) for phone in (machine, person)}
    with scene.pbx.ami.subscribe("UserEvent") as events:
        dialer = scene.dialer(ring_s=8)
        assert await dialer.tick() == 2
        await dialer.wait_idle(40)
    seen = _in_order(events)
    assert [e["UserEvent"] for e in seen if e.get("UserEvent") == "SpillwayCallbackMachine"] == [
        "SpillwayCallbackMachine"
    ]
    assert [a["outcome"] for a in scene.attempts(ids[machine])] == ["machine"]
    assert scene.row(ids[machine])["status"] == "pending"  # tried again later
    assert [a["outcome"] for a in scene.attempts(ids[person])] == ["answered"]
    assert scene.row(ids[person])["status"] == "done"


async def test_nothing_is_dialled_on_a_holiday_and_the_next_day_is_planned(scene: Scene) -> None:
    zone = ZoneInfo("Europe/Copenhagen")
    today = datetime.now(zone).date()
    rules = CallingRules(
        windows=((0.0, 24.0),) * 7,
        holiday_country=None,
        extra_holidays=frozenset({today}),
        min_gap_s=0,
        expiry_s=3 * 86400,
    )
    phone = "+4520123491"
    await scene.customer(phone, "answer")
    request_id = scene.add(phone)
    with scene.pbx.ami.subscribe("UserEvent") as events:
        dialer = scene.dialer(rules)
        assert await dialer.tick() == 0
        await asyncio.sleep(0.5)
    assert not [e for e in _in_order(events) if e.get("UserEvent") == "SpillwayCallbackDial"]
    row = scene.row(request_id)
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time(), zone)
    assert row["status"] == "pending" and row["not_before"] == tomorrow.timestamp()
    assert scene.attempts(request_id) == []
