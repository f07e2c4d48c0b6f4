"""Why a callback is planned when it is: the facts behind `spillway callbacks explain ID`.

This is also the customer's right of access to how their callback time is
computed, so everything here is said in plain words. :func:`explain` is pure:
the request, its attempts, the rules and the model in, an
:class:`Explanation` out; the CLI only draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.rules import (
    CallingRules,
    Refusal,
    RequestFacts,
    Rule,
    deadline,
    expiry,
    refusal,
)
from scheduler.timing.choice import Timing, TimingReason, planned_timing
from scheduler.timing.contact_model import SLOTS, ContactModel, slot_of
from scheduler.timing.signal_evidence import SignalReason, SignalSettings, reasons, tilt
from scheduler.timing.slot_policy import SeasonOf
from spillway.language_pack import DEFAULT_LANGUAGE, LanguagePack, load_pack
from spillway.phone import timezone_choice

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
OPEN_STATUSES = ("pending", "dialling")
# Fewer past calls than hours in the week (one each, on average) teach the model
# next to nothing: its cold-start prior alone weighs PRIOR_STRENGTH calls per hour.
MIN_CALLS_TO_LEARN = SLOTS
HOUR_S = 3600.0
# A season's learned effect is named only when it is at least this (a tenth more or less).
SEASON_WORTH_SAYING = 0.1
# Why a request has its timing, for admins (the CLI, the console's request page).
TIMING_REASONS = {
    TimingReason.POLICY.value: "callbacks.policy",
    TimingReason.PILOT.value: "drawn by the pilot split at intake",
    TimingReason.CUSTOMER.value: "the customer asked for a plain callback",
}


def _when(ts: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, zone).strftime("%a %d %b %H:%M")


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
    # What happens next and what was promised, each line true of this request.
    timeline: list[str] = field(default_factory=list)
    timing: str = Timing.PREDICTED.value  # predicted or conventional
    timing_reason: str | None = None  # policy, pilot, customer; None: from before it was kept

    def timing_text(self) -> str:
        """Which timing the request has and why, in a few words (CLI, console)."""
        default = "callbacks.policy (recorded before intake chose)"
        return f"{self.timing} ({TIMING_REASONS.get(self.timing_reason or '', default)})"

    def best_hours(self, n: int = 3) -> list[HourCell]:
        allowed = [c for c in self.week if c.allowed]
        return sorted(allowed, key=lambda c: c.probability, reverse=True)[:n]

    def as_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "timezone": self.timezone,
            "status": self.status,
            "policy": self.policy,
            "timing": self.timing,
            "timing_reason": self.timing_reason,
            "planned_at": self.planned_at,
            "plan_probability": self.plan_probability,
            "plan_reason": self.plan_reason,
            "deadline_at": self.deadline_at,
            "expires_at": self.expires_at,
            "factors": self.factors,
            "timeline": self.timeline,
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
    first_attempt_at: float | None = None,
    signal_settings: SignalSettings | None = None,
    language: str = DEFAULT_LANGUAGE,
    season_of: SeasonOf | None = None,
) -> Explanation:
    """The plain-words explanation of one request's timing (pure).

    ``first_attempt_at``: when the first call to this request started (None: none yet).
    ``signal_settings``: how the customer's signals (``facts.signals``) weigh, as the
    predicted policy weighs them (None: not used); the signals that raised the chosen
    hour are named in the shop's ``language``. ``season_of``: the configured season
    calendar (school holidays); a season that moved the planned time is named.
    """
    traditional = bool(row.get("traditional"))
    timing = planned_timing(row.get("timing"), traditional=traditional, policy=configured_policy)
    policy = "traditional" if timing is Timing.CONVENTIONAL else "predicted"
    status = str(row["status"])
    moved = None
    if signal_settings is not None and facts.signals:
        moved = tilt(
            facts.signals,
            model.segment_mean(facts.segment),
            now_s=now,
            timezone=facts.timezone,
            settings=signal_settings,
        )
    probabilities = model.mean(facts.phone, facts.segment, facts.attempts + 1, moved)
    tz = ZoneInfo(facts.timezone)
    if status == "pending" and row.get("planned_by") is None and row.get("not_before"):
        # Not planned yet: not_before is still the start of the time the customer asked
        # for (or the rules' next allowed moment), so no hour before it is offered.
        facts = replace(facts, not_before=row["not_before"])
    start = datetime.fromtimestamp(now, tz).replace(minute=0, second=0, microsecond=0)
    week = []
    for offset in range(SLOTS):
        local = start + timedelta(hours=offset)
        at = max(local.timestamp(), now)
        why = refusal(rules, facts, at)
        if status not in OPEN_STATUSES:
            why = Refusal(Rule.EXPIRED, f"the request is {status.replace('_', ' ')}: no more calls")
        slot = slot_of(local.weekday(), local.hour)
        season = season_of(facts, local.date()) if season_of is not None else None
        week.append(
            HourCell(
                local.weekday(),
                local.hour,
                at,
                float(probabilities[slot]) * model.season_factor(facts.segment, season),
                why is None,
                why.reason if why else "",
            )
        )
    deadline_at = deadline(rules, facts.created_at, facts.timezone)
    planned_at = row.get("not_before") if status == "pending" else None
    factors = _factors(row, facts, model, policy, traditional)
    if moved is not None and signal_settings is not None and policy == "predicted":
        chosen = _chosen_slot(planned_at, week, tz)
        if chosen is not None:
            found = reasons(
                facts.signals, chosen, now_s=now, timezone=facts.timezone, settings=signal_settings
            )
            raised = moved[chosen] > 1.0 and bool(found)
            factors.insert(-1, signal_words(found, len(facts.signals), raised, load_pack(language)))
    if season_of is not None and policy == "predicted":
        said = season_words(facts, week, planned_at, tz, model, season_of, load_pack(language))
        if said is not None:
            factors.insert(-1, said)
    return Explanation(
        request_id=int(row["id"]),
        timezone=facts.timezone,
        status=status,
        policy=policy,
        planned_at=planned_at,
        plan_probability=row.get("plan_probability"),
        plan_reason=row.get("plan_reason"),
        deadline_at=deadline_at,
        expires_at=expiry(rules, facts),
        factors=factors,
        timing=timing.value,
        timing_reason=row.get("timing_reason"),
        week=week,
        timeline=_timeline(
            row, week, tz, now=now, deadline_at=deadline_at, first_attempt_at=first_attempt_at
        ),
    )


def _timeline(
    row: dict[str, Any],
    week: list[HourCell],
    zone: ZoneInfo,
    *,
    now: float,
    deadline_at: float,
    first_attempt_at: float | None,
) -> list[str]:
    """The next call and the promise, said so that neither contradicts the other."""
    status = str(row["status"])
    if status not in OPEN_STATUSES:
        why = f" ({row['last_error']})" if row.get("last_error") else ""
        return [f"No further calls: this request is {status.replace('_', ' ')}{why}."]
    if first_attempt_at is not None and first_attempt_at <= deadline_at:
        promise = (
            f"Promised a first call by {_when(deadline_at, zone)}: kept "
            f"(first call {_when(first_attempt_at, zone)})."
        )
    elif deadline_at < now:
        promise = f"Promised a first call by {_when(deadline_at, zone)}: not kept."
    else:
        promise = f"Promised a first call by {_when(deadline_at, zone)}."
    lines = [promise]
    planned_at = row.get("not_before")
    if status == "dialling":
        lines.append("A call to you is under way now.")
    elif not planned_at or planned_at <= now:
        # Due, but only callable now if the rules allow this hour: else the first that does.
        opens = next((c.starts_at for c in week if c.allowed and c.starts_at + 3600 > now), None)
        if opens is not None and opens <= now:
            lines.append("Next call: now, as soon as an agent is free.")
        elif opens is not None:
            lines.append(
                f"Next call: {_when(opens, zone)}, when calls are allowed again "
                "(not now: see the hours below)."
            )
        else:
            lines.append("Next call: none allowed in the coming week (see the hours below).")
    else:
        # A time the customer asked for (not before 22:00) may fall in an hour the
        # calling rules refuse: the dialler then waits for the first allowed hour.
        cell = next((c for c in week if c.starts_at <= planned_at < c.starts_at + 3600), None)
        if cell is not None and not cell.allowed:
            opens = next(
                (c.starts_at for c in week if c.allowed and c.starts_at > planned_at), None
            )
            if opens is None:
                lines.append("Next call: none allowed in the coming week (see the hours below).")
                return lines
            lines.append(
                f"Next call: {_when(opens, zone)}, the first hour the calling rules allow "
                f"after {_when(planned_at, zone)} (see the hours below)."
            )
            return lines
        line = f"Next call planned: {_when(planned_at, zone)}"
        if first_attempt_at is None and planned_at > deadline_at >= now:
            if any(c.allowed and c.starts_at < deadline_at for c in week):
                line += (
                    ", later than promised: that hour is judged the likelier to reach you"
                    if row.get("planned_by") == "predicted"
                    else ", later than promised"
                )
            else:
                line += (
                    ", later than promised: the calling rules and the time you asked for "
                    "allow no call before then"
                )
        lines.append(line + ".")
    return lines


def _chosen_slot(planned_at: float | None, week: list[HourCell], zone: ZoneInfo) -> int | None:
    """The slot of the planned call, else of the best allowed hour of the coming week."""
    if planned_at:
        when = datetime.fromtimestamp(planned_at, zone)
        return slot_of(when.weekday(), when.hour)
    best = max((c for c in week if c.allowed), key=lambda c: c.probability, default=None)
    return None if best is None else slot_of(best.weekday, best.hour)


def signal_words(found: list[SignalReason], total: int, raised: bool, pack: LanguagePack) -> str:
    """The signals that raised the chosen hour, in the pack's words (or that none did)."""
    if not raised:
        return pack.say("explain_signals_unused", count=total)
    said = []
    for reason in found[:3]:
        when = pack.say(
            "explain_signal_when",
            day=pack.reading.weekdays[reason.weekday],
            part=pack.say(f"explain_part_{reason.part_of_day}"),
        )
        key = f"explain_signal_{reason.kind}"
        if key not in pack.prompts:
            key = "explain_signal_other"
        said.append(pack.say(key, when=when, count=reason.count, kind=reason.kind))
    return pack.say("explain_signals_moved", signals="; ".join(said))


def season_words(
    facts: RequestFacts,
    week: list[HourCell],
    planned_at: float | None,
    zone: ZoneInfo,
    model: ContactModel,
    season_of: SeasonOf,
    pack: LanguagePack,
) -> str | None:
    """The season that moved the planned time, in the pack's words; None when none did.

    A season moved it when the first allowed hour lies in a season the model learned
    the segment answers less in, and the plan waits until after it (or the plan lies
    in a season they answer more in, and the first allowed hour does not)."""
    first = next((c.starts_at for c in week if c.allowed), None)
    if planned_at is None or first is None or planned_at < first + HOUR_S:
        return None
    then = season_of(facts, datetime.fromtimestamp(first, zone).date())
    planned = season_of(facts, datetime.fromtimestamp(planned_at, zone).date())
    if then == planned:
        return None
    if then is not None:
        factor = model.season_factor(facts.segment, then)
        if factor <= 1 - SEASON_WORTH_SAYING:
            return pack.say(
                "explain_season_avoided", season=then, percent=round(100 - 100 * factor)
            )
    if planned is not None:
        factor = model.season_factor(facts.segment, planned)
        if factor >= 1 + SEASON_WORTH_SAYING:
            return pack.say(
                "explain_season_sought", season=planned, percent=round(100 * factor - 100)
            )
    return None


def policy_words(policy: str) -> str:
    """A policy's name as a customer reads it."""
    return "conventional" if policy == "traditional" else "predicted"


def _factors(
    row: dict[str, Any],
    facts: RequestFacts,
    model: ContactModel,
    policy: str,
    traditional: bool,
) -> list[str]:
    said = []
    reason = row.get("timing_reason")
    if reason == TimingReason.PILOT.value:
        said.append(
            "This call centre is comparing two ways of timing callbacks; this request was "
            f"drawn at random for the {policy_words(policy)} way, and keeps it."
        )
    if reason == TimingReason.CUSTOMER.value:
        said.append(
            "You asked for a plain callback, without AI timing: we call as soon as the "
            "calling rules allow, and try again after a fixed wait. No prediction is used."
        )
    elif traditional:
        # Who set the flag is not recorded (the customer, or a pilot's CSV): say what is.
        said.append(
            f"This request is marked for a traditional callback (it came in through "
            f"{row.get('source') or 'an unknown door'}): we call as soon as the calling rules "
            "allow, and try again after a fixed wait. No prediction is used."
        )
    elif policy == "traditional":
        said.append(
            ("It" if reason == TimingReason.PILOT.value else "This call centre")
            + " uses the conventional rule: as soon as the calling rules "
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
    elif model.attempts < MIN_CALLS_TO_LEARN:
        industry = model.industry.get(segment)
        shape = f"the usual pattern for {industry}" if industry else "ordinary business hours"
        said.append(
            f"Only {model.attempts} past calls so far: too few to learn when customers like "
            f"you ({segment}) answer, so we still mostly assume {shape}."
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
