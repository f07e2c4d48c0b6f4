"""Which timing a callback request gets, chosen once at intake (issue 21 item 2, issue 22 item 6).

The pure choice (pilot split from a hash of the id, queue limit, the
customer's word first), then intake storing it, the permanent opt-out of AI
timing, and the dialer planning each request by its own timing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from scheduler import intake
from scheduler.dialer import Dialer, DialerConfig
from scheduler.intake import NewRequest
from scheduler.outcomes import AttemptOutcome
from scheduler.requests import RequestSource
from scheduler.rules import CallingRules, RequestFacts
from scheduler.timing import optout as timing_optout
from scheduler.timing.choice import (
    Timing,
    TimingConfig,
    TimingReason,
    choose_timing,
    pilot_draw,
    planned_timing,
)
from scheduler.timing.policy import Plan
from spillway.erasure import forget
from spillway.storage import AsyncStore, SqliteStore
from tests.test_dialer_logic import FakePbx

ALWAYS = CallingRules(windows=((0.0, 24.0),) * 7, holiday_country=None, min_gap_s=0)
PILOT = TimingConfig(share_predicted=0.5, default_queue="support")


def _choose(config: TimingConfig, request_id: int, *, queue: str = "support") -> Timing:
    return choose_timing(config, request_id=request_id, customer_asked=False, queue=queue).timing


def test_the_pilot_split_is_reproducible_from_the_id_and_near_the_share() -> None:
    for share in (0.5, 0.3):
        config = TimingConfig(share_predicted=share)
        first = [_choose(config, i) for i in range(1, 1001)]
        assert first == [_choose(config, i) for i in range(1, 1001)]  # the same every time
        predicted = first.count(Timing.PREDICTED) / 1000
        # Binomial(1000, share): 4 standard deviations are under 0.065.
        assert abs(predicted - share) < 0.065, (share, predicted)
    # A hash of the id, not a generator's state: asking out of order changes nothing.
    assert pilot_draw(777) == pilot_draw(777) and 0 <= pilot_draw(777) < 1
    assert {_choose(PILOT, i) for i in range(1, 50)} == set(Timing)
    reasons = {
        choose_timing(PILOT, request_id=i, customer_asked=False, queue="support").reason
        for i in range(1, 50)
    }
    assert reasons == {TimingReason.PILOT}


def test_a_pilot_limited_to_queues_leaves_the_others_to_the_policy() -> None:
    config = TimingConfig(
        policy=Timing.PREDICTED, share_predicted=0.0, pilot_queues=("sales",), default_queue="x"
    )
    sales = choose_timing(config, request_id=1, customer_asked=False, queue="sales")
    other = choose_timing(config, request_id=1, customer_asked=False, queue="support")
    assert sales == choose_timing(config, request_id=1, customer_asked=False, queue="sales")
    assert (sales.timing, sales.reason) == (Timing.CONVENTIONAL, TimingReason.PILOT)
    assert (other.timing, other.reason) == (Timing.PREDICTED, TimingReason.POLICY)


def test_the_customer_is_always_conventional_pilot_or_not() -> None:
    for config in (TimingConfig(), TimingConfig(share_predicted=1.0)):
        choice = choose_timing(config, request_id=5, customer_asked=True, queue="support")
        assert (choice.timing, choice.reason) == (Timing.CONVENTIONAL, TimingReason.CUSTOMER)


def test_stored_timing_decides_the_plan_and_old_rows_follow_the_policy() -> None:
    assert planned_timing("conventional", traditional=False, policy="predicted") is (
        Timing.CONVENTIONAL
    )
    assert planned_timing("predicted", traditional=False, policy="traditional") is (
        Timing.PREDICTED
    )
    assert planned_timing(None, traditional=False, policy="traditional") is Timing.CONVENTIONAL
    assert planned_timing(None, traditional=False, policy="predicted") is Timing.PREDICTED
    assert planned_timing(None, traditional=True, policy="predicted") is Timing.CONVENTIONAL


def _record(
    store: SqliteStore, phone: str, *, timing: TimingConfig | None = None, **given: object
) -> int:
    with store.transaction() as tx:
        request = NewRequest(phone, RequestSource.API, "t", **given)  # type: ignore[arg-type]
        return intake.record(tx, request, region="DK", now=time.time(), timing=timing).id


def _timing(store: SqliteStore, request_id: int) -> tuple[str, str]:
    [row] = store.query(
        "SELECT timing, timing_reason FROM callback_requests WHERE id = ?", (request_id,)
    )
    return row["timing"], row["timing_reason"]


def test_intake_stores_the_pilot_draw_and_the_customers_word(store: SqliteStore) -> None:
    drawn = [_record(store, f"+452012{n:04d}", timing=PILOT) for n in range(40)]
    for request_id in drawn:
        expected = _choose(PILOT, request_id)
        assert _timing(store, request_id) == (expected.value, "pilot")
    asked = _record(store, "+4520129999", timing=PILOT, traditional=True)
    assert _timing(store, asked) == ("conventional", "customer")
    plain_policy = TimingConfig(policy=Timing.CONVENTIONAL)
    assert _timing(store, _record(store, "+4520128888", timing=plain_policy)) == (
        "conventional",
        "policy",
    )


def test_an_ai_timing_opt_out_makes_every_later_request_conventional(
    store: SqliteStore,
) -> None:
    with store.transaction() as tx:
        open_before = intake.record(
            tx, NewRequest("+4520127777", RequestSource.BOT, "t"), region="DK", now=1.0
        ).id
        assert timing_optout.add(tx, "20 12 77 77", source="admin", now=2.0, region="DK") == (
            "+4520127777"
        )
    # The open request follows at once, and so does every later one, whatever the door.
    assert _timing(store, open_before) == ("conventional", "customer")
    store.execute("UPDATE callback_requests SET status = 'done'")
    for source in RequestSource:
        with store.transaction() as tx:
            later = intake.record(
                tx, NewRequest("+4520127777", source, "t"), region="DK", now=3.0, timing=PILOT
            ).id
        assert _timing(store, later) == ("conventional", "customer"), source
        store.execute("UPDATE callback_requests SET status = 'done'")
    with store.transaction() as tx:
        assert timing_optout.remove(tx, "+4520127777", region="DK") == ("+4520127777", True)
    after = _record(store, "+4520127777")
    assert _timing(store, after) == ("predicted", "policy")


def test_forget_removes_the_ai_timing_opt_out(store: SqliteStore) -> None:
    with store.transaction() as tx:
        timing_optout.add(tx, "+4520126666", source="admin", now=1.0, region="DK")
    forget(store, "+4520126666", key=b"k" * 32, actor="test", now=2.0)
    assert store.query("SELECT phone FROM ai_timing_optout") == []


@dataclass
class FarAway:
    """A predicting policy that always picks a time a day away."""

    name: str = "predicted"

    def plan(
        self, facts: RequestFacts, now: float, last: AttemptOutcome | None, rules: CallingRules
    ) -> Plan:
        return Plan(now + 86400, self.name, 0.5, "the model's best hour")


@pytest.mark.asyncio(loop_scope="session")
async def test_the_dialer_plans_each_request_by_its_own_timing(store: SqliteStore) -> None:
    plain = _record(store, "+4520125551", timing=TimingConfig(policy=Timing.CONVENTIONAL))
    model = _record(store, "+4520125552", timing=TimingConfig(policy=Timing.PREDICTED))
    old = _record(store, "+4520125553")
    store.execute("UPDATE callback_requests SET timing = NULL WHERE id = ?", (old,))
    db = AsyncStore(store)
    pbx = FakePbx()
    # callbacks.policy traditional: the NULL row follows it; the stored ones their own.
    config = DialerConfig(status_poll_s=0.01, node="t", policy="traditional")
    dialer = Dialer(db, pbx, ALWAYS, config, policy=FarAway())
    assert await dialer.tick() == 2
    await dialer.wait_idle(5)
    rows = {
        r["id"]: r
        for r in store.query("SELECT id, status, planned_by, not_before FROM callback_requests")
    }
    assert rows[plain]["status"] == "done" and rows[plain]["planned_by"] == "traditional"
    assert rows[old]["status"] == "done" and rows[old]["planned_by"] == "traditional"
    assert rows[model]["status"] == "pending" and rows[model]["planned_by"] == "predicted"
    assert rows[model]["not_before"] > time.time() + 80000
    db.close()
