"""Why a callback is planned when it is: the facts behind `spillway callbacks explain ID`.

This is also the customer's right of access to how their callback time is
computed, so everything here is said in plain words. :func:`explain` is pure:
the request, its attempts, the rules and the model in, an
:class:`Explanation` out; the CLI only draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.contact_model import SLOTS, ContactModel, slot_of
from scheduler.rules import CallingRules, RequestFacts, deadline, expiry, refusal
from spillway.phone import timezone_choice

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class HourCell:
    """One hour of the coming week, in the customer's local time."""

    weekday: int
    hour: int
    starts_at: float
    probability: float  # the model's P(answer) for this customer in this hour of the week
    allowed: bool
    reason: str  # why a refused hour is refused


@dataclass(frozen=True, slots=True)
class Explanation:
    request_id: int
    timezone: str
    status: str
    policy: str  # who plans this request's calls
    planned_at: float | None
    plan_probability: float | None
    plan_reason: str | None
    deadline_at: float
    expires_at: float
    factors: list[str]
    week: list[HourCell] = field(default_factory=list)  # the next 168 hours

    def best_hours(self, n: int = 3) -> list[HourCell]:
        allowed = [c for c in self.week if c.allowed]
        return sorted(allowed, key=lambda c: c.probability, reverse=True)[:n]

    def as_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "timezone": self.timezone,
            "status": self.status,
            "policy": self.policy,
            "planned_at": self.planned_at,
            "plan_probability": self.plan_probability,
            "plan_reason": self.plan_reason,
            "deadline_at": self.deadline_at,
            "expires_at": self.expires_at,
            "factors": self.factors,
            "week": [
                {
                    "day": DAYS[c.weekday],
                    "hour": c.hour,
                    "probability": round(c.probability, 4),
                    "allowed": c.allowed,
                    "reason": c.reason,
                }
                for c in self.week
            ],
        }


def explain(
    row: dict[str, Any],
    facts: RequestFacts,
    rules: CallingRules,
    model: ContactModel,
    *,
    now: float,
    configured_policy: str,
) -> Explanation:
    """The plain-words explanation of one request's timing (pure)."""
    traditional = bool(row.get("traditional"))
    policy = "traditional" if traditional or configured_policy == "traditional" else "predicted"
    probabilities = model.mean(facts.phone, facts.segment, facts.attempts + 1)
    tz = ZoneInfo(facts.timezone)
    start = datetime.fromtimestamp(now, tz).replace(minute=0, second=0, microsecond=0)
    week = []
    for offset in range(SLOTS):
        local = start + timedelta(hours=offset)
        at = max(local.timestamp(), now)
        why = refusal(rules, facts, at)
        slot = slot_of(local.weekday(), local.hour)
        week.append(
            HourCell(
                local.weekday(),
                local.hour,
                at,
                float(probabilities[slot]),
                why is None,
                why.reason if why else "",
            )
        )
    return Explanation(
        request_id=int(row["id"]),
        timezone=facts.timezone,
        status=str(row["status"]),
        policy=policy,
        planned_at=row.get("not_before"),
        plan_probability=row.get("plan_probability"),
        plan_reason=row.get("plan_reason"),
        deadline_at=deadline(rules, facts.created_at, facts.timezone),
        expires_at=expiry(rules, facts),
        factors=_factors(row, facts, model, policy, traditional),
        week=week,
    )


def _factors(
    row: dict[str, Any],
    facts: RequestFacts,
    model: ContactModel,
    policy: str,
    traditional: bool,
) -> list[str]:
    said = []
    if traditional:
        said.append(
            "You asked for a traditional callback: we call as soon as the calling rules "
            "allow, and try again after a fixed wait. No prediction is used."
        )
    elif policy == "traditional":
        said.append(
            "This call centre uses the conventional rule: as soon as the calling rules "
            "allow, then again after a fixed wait."
        )
    else:
        said.append(
            "We pick the hour in which you are most likely to answer, sooner rather than "
            "later: a callback is worth less the longer you wait for it, and after the "
            "deadline we promised it counts for less still."
        )
    segment = facts.segment or "default"
    seg_index = model.segments.get(segment)
    if seg_index is None:
        industry = model.industry.get(segment)
        shape = f"the usual pattern for {industry}" if industry else "ordinary business hours"
        said.append(
            f"We have no past calls for customers like you ({segment}) yet, so we assume {shape}."
        )
    else:
        said.append(
            f"Customers like you ({segment}): how often they answered at each hour of the "
            f"week, learned from {model.attempts} past calls to all customers."
        )
    person = model.customers.get(facts.phone)
    if person is None:
        said.append(
            "We have not called this number before, so nothing about you personally is used."
        )
    else:
        tries = int(model.cust_tries[person].sum())
        answers = int(model.cust_answers[person].sum())
        said.append(
            f"Your own history with us: {answers} of {tries} calls answered; an hour in "
            "which you did not answer counts against that hour for you."
        )
    said.append(
        "The calling rules always come first: only calling hours in your local time, no "
        "public holidays, no number on the do-not-call list, a limit on attempts and a "
        "gap between them."
    )
    if row.get("not_after"):
        said.append("The time window you asked for is kept.")
    said.append(f"Your local time is taken to be {facts.timezone} ({_zone_why(facts)}).")
    return said


def _zone_why(facts: RequestFacts) -> str:
    """How the request's time zone was chosen: given with it, or from the number."""
    zone, why = timezone_choice(facts.phone, "")
    if zone == facts.timezone:
        return why
    return "the time zone given with your request" if zone else "the shop's time zone"
