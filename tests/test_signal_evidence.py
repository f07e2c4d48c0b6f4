"""The customer's own signals tilt their prior (scheduler/timing/signal_evidence.py), without
sockets: signals move the plan towards the customer's active hours, an old signal weighs
less and one past the horizon not at all, no signals change nothing, and the dialer reads
the signals in the transaction it plans in."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from scheduler import intake
from scheduler.dialer import Dialer, DialerConfig
from scheduler.intake import NewRequest
from scheduler.outcomes import AttemptOutcome
from scheduler.requests import RequestSource
from scheduler.rules import CallingRules, RequestFacts
from scheduler.signals import SignalEvent, record
from scheduler.timing.contact_model import AttemptLog, ContactModel, cold_start_prior, fit, slot_of
from scheduler.timing.policy import Plan
from scheduler.timing.signal_evidence import (
    SignalSettings,
    local_slots,
    reasons,
    tilt,
)
from scheduler.timing.slot_policy import SlotPolicy, model_probabilities
from spillway.config_file import load_settings
from spillway.errors import ConfigError
from spillway.storage import AsyncStore, SqliteStore
from tests.test_dialer_logic import FakePbx

CPH = ZoneInfo("Europe/Copenhagen")
PHONE = "+4520123456"
RULES = CallingRules(holiday_country=None)
DAY_S = 86400.0


def _at(day: int, hour: int, minute: int = 10) -> float:
    """A moment in March 2026, Copenhagen (2 March is a Monday)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=CPH).timestamp()


def _empty_model(now: float) -> ContactModel:
    log = AttemptLog(
        customer=[],
        segment=[],
        slot=np.zeros(0, dtype=np.int64),
        attempt_no=np.zeros(0, dtype=np.int64),
        answered=np.zeros(0, dtype=np.bool_),
    )
    return fit(log, now=now, gbm=False)


def _visits(hour: int, days: list[int], kind: str = "email_open") -> tuple[SignalEvent, ...]:
    return tuple(SignalEvent(PHONE, kind, _at(d, hour)) for d in days)


def test_local_slots_follow_the_customers_zone_across_summer_time() -> None:
    # Monday 2 March 10:10 and Monday 30 March 10:10 (after the change to summer time).
    assert list(local_slots([_at(2, 10), _at(30, 10)], "Europe/Copenhagen")) == [10, 10]
    assert list(local_slots([_at(5, 15)], "Europe/Copenhagen")) == [slot_of(3, 15)]


@pytest.mark.parametrize(
    "zone", ["Europe/Copenhagen", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
)
def test_local_slots_agree_with_the_clock_on_the_wall_every_half_hour_of_a_year(
    zone: str,
) -> None:
    # Every half hour of 2026 (both DST changes; Lord Howe's are of half an hour), each read
    # at once and against the local time datetime gives: the slot is that weekday and hour.
    start = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")).timestamp()
    moments = start + 1800.0 * np.arange(2 * 24 * 365, dtype=np.float64) + 7.0
    wall = [datetime.fromtimestamp(t, ZoneInfo(zone)) for t in moments.tolist()]
    expected = [slot_of(w.weekday(), w.hour) for w in wall]
    assert local_slots(moments, zone).tolist() == expected
    assert local_slots(moments.tolist()[::-1], zone).tolist() == expected[::-1]


def test_signals_move_a_customers_plan_towards_their_active_hours() -> None:
    now = _at(23, 8, 0)  # Monday 23 March, 08:00
    model = _empty_model(now)
    facts = RequestFacts(phone=PHONE, timezone="Europe/Copenhagen", created_at=now)
    # Opened our e-mails on the last three Monday afternoons at 15:10.
    active = replace(facts, signals=_visits(15, [2, 9, 16]))
    policy = SlotPolicy(
        "predicted",
        model_probabilities(lambda: model, now=lambda: now, max_age_s=DAY_S, sharpen=1e6),
        explores=False,
    )
    plain = policy.plan(facts, now, None, RULES)
    moved = policy.plan(active, now, None, RULES)
    assert plain.at is not None and moved.at is not None
    assert datetime.fromtimestamp(plain.at, CPH).hour == 9  # business hours, soonest
    assert datetime.fromtimestamp(moved.at, CPH).hour == 15  # their own hour


def test_an_old_signal_weighs_less_and_one_past_the_horizon_not_at_all() -> None:
    curve = cold_start_prior()
    settings = SignalSettings(half_life_s=7 * DAY_S, horizon_s=60 * DAY_S)
    now = _at(30, 8, 0)
    slot = slot_of(0, 15)
    fresh = tilt(
        _visits(15, [23]), curve, now_s=now, timezone="Europe/Copenhagen", settings=settings
    )
    old = tilt(
        (SignalEvent(PHONE, "web_visit", datetime(2026, 2, 23, 15, 10, tzinfo=CPH).timestamp()),),
        curve,
        now_s=now,
        timezone="Europe/Copenhagen",
        settings=settings,
    )
    assert fresh is not None and old is not None
    # Both raise Monday 15-16 above Monday 14-15 (the same prior), the five-week-old less.
    beside = slot_of(0, 14)
    assert fresh[slot] / fresh[beside] > old[slot] / old[beside] > 1.0
    gone = (SignalEvent(PHONE, "web_visit", now - 61 * DAY_S),)
    assert tilt(gone, curve, now_s=now, timezone="Europe/Copenhagen", settings=settings) is None
    future = (SignalEvent(PHONE, "web_visit", now + 3600),)
    assert tilt(future, curve, now_s=now, timezone="Europe/Copenhagen", settings=settings) is None


def test_the_tilt_moves_hours_and_keeps_the_customers_reachability() -> None:
    curve = cold_start_prior()
    factor = tilt(
        _visits(15, [2, 9, 16]),
        curve,
        now_s=_at(23, 8),
        timezone="Europe/Copenhagen",
        settings=SignalSettings(),
    )
    assert factor is not None
    assert float((curve * factor).sum()) == pytest.approx(float(curve.sum()))
    assert factor[slot_of(0, 15)] > 1.5 > 1.0 > factor[slot_of(2, 10)]
    off = SignalSettings(strength=0.0)
    assert tilt(_visits(15, [2]), curve, now_s=_at(23, 8), timezone="UTC", settings=off) is None


def test_without_signals_the_models_draws_are_unchanged() -> None:
    now = _at(23, 8)
    model = _empty_model(now)
    facts = RequestFacts(phone=PHONE, timezone="Europe/Copenhagen", created_at=now)
    drawn = model_probabilities(lambda: model, now=lambda: now, max_age_s=DAY_S)
    a = drawn(facts, np.random.default_rng(5), 4)
    b = model.sample(np.random.default_rng(5), PHONE, None, 1, 4, 16.0)
    assert np.array_equal(a, b)


def test_reasons_name_the_signals_near_the_hour() -> None:
    found = reasons(
        _visits(15, [2, 9]) + _visits(14, [16], "web_visit") + _visits(9, [10], "web_visit"),
        slot_of(0, 15),
        now_s=_at(23, 8),
        timezone="Europe/Copenhagen",
        settings=SignalSettings(),
    )
    assert [(r.kind, r.count, r.weekday, r.part_of_day) for r in found] == [
        ("email_open", 2, 0, "afternoon"),
        ("web_visit", 1, 0, "afternoon"),
    ]


def test_signal_settings_are_read_and_a_bad_one_names_its_key(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("callbacks:\n  signal_half_life_days: 7\n  signal_horizon_days: 30\n")
    cb = load_settings(config).callbacks
    assert SignalSettings.from_settings(cb) == SignalSettings(7 * DAY_S, 30 * DAY_S, 1.0)
    config.write_text("callbacks:\n  signal_strength: -1\n")
    with pytest.raises(ConfigError, match=r"callbacks\.signal_strength = -1"):
        load_settings(config)


class SeeingPolicy:
    """Records the facts the dialer plans with."""

    name = "predicted"

    def __init__(self) -> None:
        self.seen: list[RequestFacts] = []

    def plan(
        self, facts: RequestFacts, now: float, last: AttemptOutcome | None, rules: CallingRules
    ) -> Plan:
        self.seen.append(facts)
        return Plan(now, self.name, 1.0, "now")


@pytest.mark.asyncio(loop_scope="session")
async def test_the_dialer_plans_with_the_customers_recent_signals(store: SqliteStore) -> None:
    now = time.time()
    with store.transaction() as tx:
        intake.record(tx, NewRequest(PHONE, RequestSource.API, "t"), region="DK", now=now)
        record(tx, "e1", SignalEvent(PHONE, "email_open", now - 2 * DAY_S), source="t", now_s=now)
        record(tx, "e2", SignalEvent(PHONE, "web_visit", now - 40 * DAY_S), source="t", now_s=now)
        record(
            tx, "e3", SignalEvent("+4520999999", "web_visit", now - DAY_S), source="t", now_s=now
        )
    db = AsyncStore(store)
    policy = SeeingPolicy()
    always = CallingRules(windows=((0.0, 24.0),) * 7, holiday_country=None, min_gap_s=0)
    cfg = DialerConfig(status_poll_s=0.01, node="t", signal_horizon_s=30 * DAY_S)
    dialer = Dialer(db, FakePbx(), always, cfg, policy=policy, clock=lambda: now)
    assert await dialer.tick() == 1
    await dialer.wait_idle(5)
    db.close()
    [facts] = policy.seen
    assert [(s.kind, s.phone) for s in facts.signals] == [("email_open", PHONE)]
    assert timedelta(seconds=now - facts.signals[0].at_s) == timedelta(days=2)
