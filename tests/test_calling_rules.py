"""The hard calling rules, as pure functions: every refused slot says why."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from scheduler.rules import (
    CallingRules,
    RequestFacts,
    Rule,
    deadline,
    next_allowed,
    refusal,
    slots,
)

CPH = ZoneInfo("Europe/Copenhagen")
# A long expiry, so that each test sees the rule it is about.
RULES = CallingRules(expiry_s=30 * 86400)


def at(y: int, m: int, d: int, h: int, minute: int = 0, tz: ZoneInfo = CPH) -> float:
    return datetime(y, m, d, h, minute, tzinfo=tz).timestamp()


def facts(**kw: object) -> RequestFacts:
    base: dict[str, object] = {
        "phone": "+4520123456",
        "timezone": "Europe/Copenhagen",
        "created_at": at(2026, 3, 2, 9),  # a Monday
    }
    base.update(kw)
    return RequestFacts(**base)  # type: ignore[arg-type]


def rule_at(f: RequestFacts, moment: float) -> Rule | None:
    why = refusal(RULES, f, moment)
    return why.rule if why else None


def test_calling_windows_per_weekday_in_local_time() -> None:
    f = facts()
    assert rule_at(f, at(2026, 3, 2, 9)) is None  # Monday 09:00
    assert rule_at(f, at(2026, 3, 2, 7, 59)) is Rule.OUTSIDE_HOURS
    assert rule_at(f, at(2026, 3, 2, 20)) is Rule.OUTSIDE_HOURS  # [start, end)
    assert rule_at(f, at(2026, 3, 7, 11)) is None  # Saturday 10-16
    assert rule_at(f, at(2026, 3, 7, 17)) is Rule.OUTSIDE_HOURS
    assert rule_at(f, at(2026, 3, 8, 12)) is Rule.CLOSED_DAY  # Sunday
    why = refusal(RULES, f, at(2026, 3, 2, 21))
    assert why is not None and why.reason == (
        "outside the calling hours (08:00-20:00 on Mondays, local time)"
    )


def test_the_customers_own_time_zone_counts() -> None:
    # 09:00 in Copenhagen is 03:00 in New York: not a time to call that customer.
    ny = facts(timezone="America/New_York", phone="+12125550123")
    assert rule_at(ny, at(2026, 3, 2, 9)) is Rule.OUTSIDE_HOURS
    assert rule_at(ny, at(2026, 3, 2, 9, tz=ZoneInfo("America/New_York"))) is None


def test_public_holidays_danish_by_default() -> None:
    f = facts(created_at=at(2026, 4, 1, 9))
    assert rule_at(f, at(2026, 4, 2, 10)) is Rule.HOLIDAY  # Maundy Thursday
    assert rule_at(f, at(2026, 4, 6, 10)) is Rule.HOLIDAY  # Easter Monday
    assert rule_at(f, at(2026, 4, 7, 10)) is None
    swedish = CallingRules(holiday_country="SE", expiry_s=RULES.expiry_s)
    assert refusal(swedish, f, at(2026, 4, 2, 10)) is None  # not a holiday in Sweden
    extra = CallingRules(extra_holidays=frozenset({date(2026, 4, 7)}), expiry_s=RULES.expiry_s)
    why = refusal(extra, f, at(2026, 4, 7, 10))
    assert why is not None and why.rule is Rule.HOLIDAY


def test_do_not_call_attempt_caps_and_gap() -> None:
    moment = at(2026, 3, 2, 10)
    assert rule_at(facts(opted_out=True), moment) is Rule.DO_NOT_CALL
    assert rule_at(facts(attempts=6), moment) is Rule.MAX_ATTEMPTS
    assert rule_at(facts(last_attempt_at=moment - 1800), moment) is Rule.MIN_GAP
    assert rule_at(facts(last_attempt_at=moment - 3600), moment) is None
    today = {date(2026, 3, 2): 3}
    assert rule_at(facts(number_attempts_by_day=today), moment) is Rule.NUMBER_PER_DAY
    week = {date(2026, 3, 2): 2, date(2026, 3, 3): 2, date(2026, 3, 4): 2, date(2026, 3, 5): 2}
    assert rule_at(facts(number_attempts_by_day=week), at(2026, 3, 6, 10)) is Rule.NUMBER_PER_WEEK
    last_week = {date(2026, 2, 23): 8}
    assert rule_at(facts(number_attempts_by_day=last_week), moment) is None


def test_expiry_and_the_customers_window() -> None:
    f = facts(not_before=at(2026, 3, 2, 14), not_after=at(2026, 3, 2, 16))
    assert rule_at(f, at(2026, 3, 2, 10)) is Rule.CUSTOMER_WINDOW
    assert rule_at(f, at(2026, 3, 2, 15)) is None
    assert rule_at(f, at(2026, 3, 2, 16)) is Rule.CUSTOMER_WINDOW
    default = CallingRules()  # 72 h after the request
    expired = refusal(default, facts(), at(2026, 3, 5, 10))
    assert expired is not None and expired.rule is Rule.EXPIRED


def test_slots_give_every_refusal_its_reason() -> None:
    verdicts = slots(RULES, facts(), at(2026, 3, 2, 6), at(2026, 3, 2, 10))
    assert [v.allowed for v in verdicts] == [False, False, True, True]
    assert verdicts[0].reason.startswith("outside the calling hours")


def test_next_allowed_jumps_to_the_next_window() -> None:
    f = facts(created_at=at(2026, 3, 6, 19))  # Friday evening
    assert next_allowed(RULES, f, at(2026, 3, 6, 21)) == at(2026, 3, 7, 10)  # Saturday 10:00
    sat_late = at(2026, 3, 7, 17)
    assert next_allowed(RULES, f, sat_late) == at(2026, 3, 9, 8)  # Sunday closed: Monday
    gap = facts(last_attempt_at=at(2026, 3, 2, 10))
    assert next_allowed(RULES, gap, at(2026, 3, 2, 10, 5)) == at(2026, 3, 2, 11)
    assert next_allowed(RULES, facts(opted_out=True), at(2026, 3, 2, 10)) is None


def test_the_deadline_is_four_business_hours() -> None:
    assert deadline(RULES, at(2026, 3, 2, 9), "Europe/Copenhagen") == at(2026, 3, 2, 13)
    # Friday 18:00: two hours on Friday, two on Saturday from 10:00.
    assert deadline(RULES, at(2026, 3, 6, 18), "Europe/Copenhagen") == at(2026, 3, 7, 12)
    # Before Easter: Maundy Thursday and Good Friday are Danish holidays, so an
    # hour on Wednesday evening, then three on Saturday from 10:00.
    assert deadline(RULES, at(2026, 4, 1, 19), "Europe/Copenhagen") == at(2026, 4, 4, 13)


def test_a_later_window_is_promised_from_its_start_and_by_its_end() -> None:
    """Asked on Friday for Monday 13:00-16:00, the promise was Friday 19:50 (issue 19
    item 18); now it counts from the window's start and never runs past its end."""
    friday = at(2026, 3, 6, 15, 50)
    monday_13, monday_16 = at(2026, 3, 9, 13), at(2026, 3, 9, 16)
    zone = "Europe/Copenhagen"
    assert deadline(RULES, friday, zone, not_before=monday_13) == at(2026, 3, 9, 17)
    assert deadline(RULES, friday, zone, not_before=monday_13, not_after=monday_16) == monday_16
    # A window that has already begun changes nothing; a long one keeps the four hours.
    assert deadline(RULES, friday, zone, not_before=friday - 60) == deadline(RULES, friday, zone)
    late = at(2026, 3, 10, 20)
    assert deadline(RULES, friday, zone, not_before=monday_13, not_after=late) == at(2026, 3, 9, 17)


def test_the_policy_aims_at_the_promise_stored_with_the_request() -> None:
    """The dialer's policy counted its deadline from the creation too: every hour of a
    later window was "past the deadline" and worth a quarter less."""
    from scheduler.timing.slot_policy import PAST_DEADLINE, candidates

    f = facts(
        created_at=at(2026, 3, 6, 15, 50),
        not_before=at(2026, 3, 9, 13),
        not_after=at(2026, 3, 9, 16),
        deadline_at=at(2026, 3, 9, 16),
    )
    found = candidates(RULES, f, at(2026, 3, 9, 13), patience_s=1e12)
    assert [round(c.lead_value, 6) for c in found] == [1.0, 1.0, 1.0]
    # Without it (a request from a door that stores none), counted from the creation.
    plain = candidates(RULES, replace(f, deadline_at=None), at(2026, 3, 9, 13), patience_s=1e12)
    assert [round(c.lead_value, 6) for c in plain] == [PAST_DEADLINE] * 3


def test_planning_many_agrees_with_the_rules_one_by_one() -> None:
    import random

    from scheduler.rules import plan_pending

    rng = random.Random(5)
    now = at(2026, 3, 6, 19, 30)  # Friday evening: most are refused until Saturday
    zones = ("Europe/Copenhagen", "America/New_York", "Asia/Tokyo")
    pending = [
        facts(
            phone=f"+4520{i:06d}",
            timezone=zones[i % 3],
            created_at=now - rng.uniform(0, 40 * 3600),
            attempts=rng.randint(0, 6),
            last_attempt_at=now - rng.uniform(0, 7200) if rng.random() < 0.5 else None,
        )
        for i in range(300)
    ]
    planned = plan_pending(RULES, pending, now)
    for p in planned:
        alone = refusal(RULES, p.facts, now) is None
        assert p.now_allowed is alone
        assert p.next_at == (now if alone else next_allowed(RULES, p.facts, now))
    assert any(p.now_allowed for p in planned) and any(p.next_at is None for p in planned)
