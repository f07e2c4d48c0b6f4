"""A request timed by prediction is told its deadline's day ("today at the latest"),
and the predicted policy keeps it: no first call after that day while it has an
allowed hour (:func:`scheduler.timing.slot_policy.first_call_by`). A later attempt, and
a request whose day has no allowed hour left, may go past it, as before."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from scheduler.outcomes import AttemptOutcome
from scheduler.rules import CallingRules, RequestFacts
from scheduler.timing.contact_model import SLOTS, slot_of
from scheduler.timing.slot_policy import HOUR_S, SlotPolicy, first_call_by, fixed_probabilities

CPH = ZoneInfo("Europe/Copenhagen")
RULES = CallingRules(expiry_s=3 * 86400)  # weekdays 8-20, four calling hours to the deadline


def _at(day: int, hour: int) -> float:
    return datetime(2026, 3, day, hour, tzinfo=CPH).timestamp()


def _tuesday_morning_policy() -> SlotPolicy:
    """A customer who answers almost only on Tuesday at 10:00, with all the patience there
    is: the policy would wait a night for that hour."""
    probabilities = np.full(SLOTS, 0.01)
    probabilities[slot_of(1, 10)] = 0.9
    return SlotPolicy(
        "predicted",
        fixed_probabilities(lambda _facts: probabilities),
        patience_s=1000 * HOUR_S,
        explores=False,
    )


def _facts(created_at: float) -> RequestFacts:
    return RequestFacts(phone="+4520123456", timezone="Europe/Copenhagen", created_at=created_at)


def test_the_first_call_is_planned_by_the_end_of_the_deadlines_day() -> None:
    monday_9 = _at(2, 9)  # Monday 2 March 2026: deadline 13:00 today
    facts = _facts(monday_9)
    assert first_call_by(RULES, facts) == _at(3, 0)  # midnight, Monday to Tuesday
    plan = _tuesday_morning_policy().plan(facts, monday_9, None, RULES)
    assert plan.at is not None and monday_9 <= plan.at < _at(3, 0)
    # A second attempt is not bound by what the first was promised: Tuesday 10:00.
    retry = _tuesday_morning_policy().plan(
        facts, monday_9 + HOUR_S, AttemptOutcome.NO_ANSWER, RULES
    )
    assert retry.at == _at(3, 10)


def test_a_deadline_on_the_next_day_keeps_that_day() -> None:
    monday_19 = _at(2, 19)  # one calling hour left today: the deadline is Tuesday 11:00
    facts = _facts(monday_19)
    assert first_call_by(RULES, facts) == _at(4, 0)
    plan = _tuesday_morning_policy().plan(facts, monday_19, None, RULES)
    assert plan.at == _at(3, 10)  # the likely hour, inside the promised day


def test_a_day_with_no_allowed_hour_left_does_not_block_the_call() -> None:
    facts = _facts(_at(2, 21))  # Monday after hours: the deadline is Tuesday 12:00
    assert first_call_by(RULES, facts) == _at(4, 0)
    # Planned (again) at 23:00 on Tuesday, the promised day, with none of its hours left
    # (no agent was free, say): the first allowed hour after it, Wednesday 08:00.
    plan = _tuesday_morning_policy().plan(facts, _at(3, 23), None, RULES)
    assert plan.at == _at(4, 8)
