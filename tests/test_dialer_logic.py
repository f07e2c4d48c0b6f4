"""The dialer's own decisions, with an in-memory PBX: a failing policy falls back to the
conventional rule for that request and says so; a broken row costs that request only;
an attempt Asterisk never started is dialled again and not counted; the contact model
dying mid-run (refit failing, model stale) hands planning to the conventional rule,
counted in `scheduler status`, until it comes back."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from scheduler import intake
from scheduler.dialer import Dialer, DialerConfig, status_report
from scheduler.intake import NewRequest
from scheduler.originate import DialOrder, originate_action
from scheduler.outcomes import AttemptOutcome
from scheduler.requests import RequestSource
from scheduler.rules import CallingRules, RequestFacts
from scheduler.timing.contact_model import fit
from scheduler.timing.model_keeper import ModelKeeper
from scheduler.timing.policy import Plan
from scheduler.timing.slot_policy import SlotPolicy, model_probabilities
from spillway.request_problem import in_english
from spillway.storage import AsyncStore, SqliteStore
from tests.prometheus import parse_exposition
from web.metrics import exposition, read_metrics

pytestmark = pytest.mark.asyncio(loop_scope="session")
ALWAYS = CallingRules(windows=((0.0, 24.0),) * 7, holiday_country=None, min_gap_s=0)


@dataclass
class FakePbx:
    """Asterisk as the dialer sees it: each number's scripted status, agents free."""

    statuses: dict[str, str | None] = field(default_factory=dict)
    by_attempt: dict[str, str | None] = field(default_factory=dict)
    dialled: list[str] = field(default_factory=list)

    async def originate(self, order: DialOrder) -> None:
        self.dialled.append(order.phone)
        self.by_attempt[order.attempt_id] = self.statuses.get(order.phone, "ANSWER")

    async def status(self, attempt_id: str) -> str | None:
        return self.by_attempt.get(attempt_id)

    async def live_attempts(self) -> set[str]:
        return set()

    async def free_agents(self, queue: str) -> int:
        return 10

    async def forget(self, attempt_id: str) -> None:
        return None


class BrokenPolicy:
    name = "predicted"

    def plan(
        self, facts: RequestFacts, now: float, last: AttemptOutcome | None, rules: CallingRules
    ) -> Plan:
        raise RuntimeError("model file missing")


def _add(store: SqliteStore, phone: str) -> int:
    with store.transaction() as tx:
        return intake.record(
            tx, NewRequest(phone, RequestSource.API, "t"), region="DK", now=time.time()
        ).id


async def test_a_failing_policy_falls_back_for_that_request_and_says_so(
    store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    pbx = FakePbx(statuses={"+4520123411": "BUSY"})
    busy, ok = _add(store, "+4520123411"), _add(store, "+4520123412")
    db = AsyncStore(store)
    cfg = DialerConfig(retry_backoff_s=900, status_poll_s=0.01, node="t")
    dialer = Dialer(db, pbx, ALWAYS, cfg, policy=BrokenPolicy())
    started = time.time()
    assert await dialer.tick() == 2
    await dialer.wait_idle(5)
    [retry] = store.query("SELECT * FROM callback_requests WHERE id = ?", (busy,))
    assert retry["status"] == "pending" and retry["not_before"] >= started + 900
    assert store.query("SELECT status FROM callback_requests WHERE id = ?", (ok,)) == [
        {"status": "done"}
    ]
    assert "policy predicted failed, using the conventional rule" in (dialer.last_error or "")
    assert "using the conventional rule" in caplog.text
    db.close()


async def test_a_broken_row_costs_that_request_only(store: SqliteStore) -> None:
    bad, good = _add(store, "+4520123421"), _add(store, "+4520123422")
    store.execute("UPDATE callback_requests SET timezone = 'Mars/Olympus' WHERE id = ?", (bad,))
    pbx = FakePbx()
    db = AsyncStore(store)
    dialer = Dialer(db, pbx, ALWAYS, DialerConfig(status_poll_s=0.01, node="t"))
    assert await dialer.tick() == 1
    await dialer.wait_idle(5)
    assert pbx.dialled == ["+4520123422"]
    rows = {r["id"]: r for r in store.query("SELECT * FROM callback_requests")}
    assert rows[good]["status"] == "done"
    assert rows[bad]["status"] == "unreached"
    assert (in_english(rows[bad]["last_error"]) or "").startswith("broken: ")
    db.close()


async def test_an_attempt_asterisk_never_started_is_dialled_again_uncounted(
    store: SqliteStore,
) -> None:
    request = _add(store, "+4520123431")
    pbx = FakePbx(statuses={"+4520123431": None})  # the Originate never reached the dialplan
    db = AsyncStore(store)
    # ring_s -15: the dialer's wait for the dial step (ring_s + 15 s) is over at once.
    dialer = Dialer(db, pbx, ALWAYS, DialerConfig(ring_s=-15, status_poll_s=0.01, node="t"))
    assert await dialer.tick() == 1
    await dialer.wait_idle(5)
    [row] = store.query("SELECT * FROM callback_requests WHERE id = ?", (request,))
    assert row["status"] == "pending" and row["attempts"] == 0
    assert store.query("SELECT * FROM callback_attempts") == []
    pbx.statuses["+4520123431"] = "ANSWER"
    assert await dialer.tick() == 1
    await dialer.wait_idle(5)
    assert pbx.dialled == ["+4520123431", "+4520123431"]
    [row] = store.query("SELECT status, attempts FROM callback_requests WHERE id = ?", (request,))
    assert (row["status"], row["attempts"]) == ("done", 1)
    db.close()


async def test_the_model_dying_mid_run_falls_back_to_the_conventional_rule_and_says_so(
    store: SqliteStore,
) -> None:
    clock = [datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen")).timestamp()]
    first, second, third = (_add(store, f"+452012345{i}") for i in (1, 2, 3))
    db = AsyncStore(store)
    keeper = ModelKeeper(db, refit_every_s=60, clock=lambda: clock[0])
    await keeper.refit()  # no attempts yet: the cold-start priors
    policy = SlotPolicy(
        "predicted",
        # Sharpened to the model's mean, so the choice is "now" (a flat office-hours curve).
        model_probabilities(keeper.current, now=lambda: clock[0], max_age_s=3600, sharpen=1e6),
    )
    dialer = Dialer(
        db,
        FakePbx(),
        CallingRules(holiday_country=None),
        DialerConfig(status_poll_s=0.01, node="t", max_in_flight=1),
        policy=policy,
        clock=lambda: clock[0],
    )
    dialer.model_fitted_at = keeper.fitted_at

    async def dial_one() -> dict[str, object]:
        assert await dialer.tick() == 1
        await dialer.wait_idle(5)
        [attempt] = store.query(
            "SELECT * FROM callback_attempts ORDER BY started_at DESC, rowid DESC LIMIT 1"
        )
        return attempt

    attempt = await dial_one()
    assert (attempt["request_id"], attempt["policy"]) == (first, "predicted")
    # The plan's chance of an answer (the model's, in the hour dialled) and its pick share.
    assert attempt["pick_share"] is not None and attempt["chance"] is not None

    # The model dies: its refit fails, and the one it has goes stale.
    def broken(*args: object, **kwargs: object) -> None:
        raise MemoryError("the model could not be fitted")

    keeper.fitter = broken  # type: ignore[assignment]
    with pytest.raises(MemoryError):
        await keeper.refit()
    clock[0] += 2 * 3600
    attempt = await dial_one()
    assert (attempt["request_id"], attempt["policy"]) == (second, "traditional")
    assert (attempt["chance"], attempt["pick_share"]) == (None, 1.0)  # the rule states none
    assert dialer.fallbacks == 1
    assert "stale" in (dialer.last_error or "")
    await db.run(dialer._heartbeat, False)
    [node] = status_report(store, clock[0])["nodes"]
    assert node["policy_fallbacks"] == 1 and node["model_age_h"] == 2.0
    # ... and so do the metrics Prometheus scrapes (GET /metrics).
    scraped = parse_exposition(exposition(read_metrics(store, clock[0]), stale_after_s=60))
    assert scraped["spillway_scheduler_policy_fallbacks_total"] == {(("node", "t"),): 1.0}
    assert scraped["spillway_scheduler_model_age_seconds"] == {(("node", "t"),): 7200.0}

    # It comes back: the next plan is the model's again.
    keeper.fitter = fit
    await keeper.refit()
    attempt = await dial_one()
    assert (attempt["request_id"], attempt["policy"]) == (third, "predicted")
    db.close()


async def test_the_originate_action_for_customer_first_and_agent_first() -> None:
    order = DialOrder("cb-1", 7, "+4520123456", "PJSIP/{e164}@trunk", "Shop <1>", 30, 60)
    first = originate_action(order)
    assert (first["Channel"], first["Context"], first["Timeout"]) == (
        "Local/s@spillway-callback-dial",
        "spillway-callback-connect",
        "40000",
    )
    agent = originate_action(dataclasses.replace(order, agent_first=True))
    # The attempt queues for an agent (up to agent_wait_s), then dials the customer.
    assert (agent["Channel"], agent["Context"], agent["Timeout"]) == (
        "Local/s@spillway-callback-agent",
        "spillway-callback-dial",
        "70000",
    )
    assert "__SPILLWAY_FIRST=agent" in agent["Variable"]
    assert "__SPILLWAY_FIRST=customer" in first["Variable"]
    assert (
        agent["ChannelId"] == "cb-1"
        and "__SPILLWAY_DIAL=PJSIP/+4520123456@trunk" in agent["Variable"]
    )


@dataclass
class SharedPbx(FakePbx):
    """One Asterisk for two dialer nodes: an attempt under way is live, a forgotten one gone."""

    async def live_attempts(self) -> set[str]:
        return {a for a, status in self.by_attempt.items() if status == "INTRO"}

    async def forget(self, attempt_id: str) -> None:
        self.by_attempt.pop(attempt_id, None)


async def test_a_node_watching_another_nodes_attempt_never_dials_it_again(
    store: SqliteStore,
) -> None:
    request = _add(store, "+4520123441")
    # The customer answered and hears the announcement: under way.
    pbx = SharedPbx(statuses={"+4520123441": "INTRO"})
    db = AsyncStore(store)
    a = Dialer(db, pbx, ALWAYS, DialerConfig(status_poll_s=0.01, node="a"))
    # Node b starts beside a and polls more slowly; ring_s -14: its wait for a status
    # (ring_s + 15 s) is 1 s, after which "no status, no channel" means never started.
    b = Dialer(db, pbx, ALWAYS, DialerConfig(ring_s=-14, status_poll_s=0.3, node="b"))
    assert await a.tick() == 1
    while not pbx.by_attempt:  # noqa: ASYNC110 (a's task originates it)
        await asyncio.sleep(0.01)
    assert await b.reconcile() == 1  # a's attempt, under way: b watches it too
    [attempt] = pbx.by_attempt
    await asyncio.sleep(0.05)  # b has looked once (under way) and waits for its next poll
    pbx.by_attempt[attempt] = "ANSWER"  # reached: a settles it and forgets its status
    await a.wait_idle(5)
    await b.wait_idle(5)  # b then reads no status at all
    assert pbx.dialled == ["+4520123441"]
    [row] = store.query("SELECT status, attempts FROM callback_requests WHERE id = ?", (request,))
    assert (row["status"], row["attempts"]) == ("done", 1)
    [done] = store.query("SELECT outcome FROM callback_attempts")
    assert done["outcome"] == "answered"
    assert await b.tick() == 0 and pbx.dialled == ["+4520123441"]
    db.close()
