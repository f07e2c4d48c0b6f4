"""Why a callback is planned when it is: the facts behind `spillway callbacks explain ID`.

This is also the customer's right of access to how their callback time is
computed, so everything here is said in plain words, in the shop's language:
every sentence to the customer is a language-pack key (``explain_*`` in
spillway/languages/<lang>/prompts.yaml). :func:`explain` is pure: the
request, its attempts, the rules and the model in, an :class:`Explanation`
out; the CLI only draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.rules import (
    CallingRules,
    Refusal,
    RequestFacts,
    Rule,
    expiry,
    promised_by,
    refusal,
)
from scheduler.timing.choice import Timing, TimingReason, planned_timing, policy_word
from scheduler.timing.contact_model import SLOTS, ContactModel, slot_of
from scheduler.timing.plan_timeline import (
    OPEN_STATUSES,
    PlanLine,
    said_to_customer,
    status_word,
    timeline,
)
from scheduler.timing.signal_evidence import SignalReason, SignalSettings, reasons, tilt
from scheduler.timing.slot_policy import SeasonOf, told_by
from spillway.console_text import load_console_text
from spillway.language_pack import DEFAULT_LANGUAGE, LanguagePack, load_pack
from spillway.phone import timezone_choice

# The weekdays as the admin's views and the JSON's ``day`` field name them; the
# sentences to the customer take theirs from the language pack.
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Fewer past calls than hours in the week (one each, on average) teach the model
# next to nothing: its cold-start prior alone weighs PRIOR_STRENGTH calls per hour.
MIN_CALLS_TO_LEARN = SLOTS
HOUR_S = 3600.0
# A season's learned effect is named only when it is at least this (a tenth more or less).
SEASON_WORTH_SAYING = 0.1
# Why a request has its timing, for admins (the CLI, the console's request page).
TIMING_REASONS = {
    # Chosen once, at intake: a later change of callbacks.policy does not move it.
    TimingReason.POLICY.value: "callbacks.policy when the request arrived",
    TimingReason.PILOT.value: "drawn by the pilot split at intake",
    TimingReason.CUSTOMER.value: "the customer asked for a plain callback",
}


# Who reads an explanation: the customer (`callbacks explain`, a subject-access export) or
# the team lead (the console's request page), who is told about the customer instead.
CUSTOMER = "customer"
TEAM_LEAD = "team_lead"
LEAD_PREFIX = "explain_lead_"


def about_the_customer(pack: LanguagePack) -> LanguagePack:
    """``pack`` with each sentence that speaks to the customer (``explain_X``) replaced by
    its wording for the team lead (``explain_lead_X``), where it has one."""
    prompts = dict(pack.prompts)
    for key, prompt in pack.prompts.items():
        if key.startswith(LEAD_PREFIX):
            prompts["explain_" + key[len(LEAD_PREFIX) :]] = prompt
    return replace(pack, prompts=MappingProxyType(prompts))


def reader_pack(language: str, reader: str) -> LanguagePack:
    """The pack an explanation for ``reader`` is said from."""
    pack = load_pack(language)
    return about_the_customer(pack) if reader == TEAM_LEAD else pack


def timing_text(timing: str, timing_reason: str | None) -> str:
    """Which timing a request has and why, in a few words (`callbacks show`, `explain`,
    the console)."""
    default = "callbacks.policy (recorded before intake chose)"
    return f"{timing} ({TIMING_REASONS.get(timing_reason or '', default)})"


def last_call_moment(expires_at: float, window_end: float | None) -> float:
    """When a request is given up: at the end of the customer's window when that comes
    first (no moment after it is allowed, :func:`scheduler.rules.refusal`), else at
    its expiry."""
    return expires_at if window_end is None else min(expires_at, window_end)


def window_end_first(facts: RequestFacts, expires_at: float) -> float | None:
    """The end of the window ``facts`` named, when it comes before ``expires_at``."""
    ends = facts.not_after
    return ends if ends is not None and ends < expires_at else None


@dataclass(frozen=True, slots=True)
class Hour:
    """One hour of the coming week, in the customer's local time, and whether a call may
    fall in it (``refused``: the rule that says no)."""

    weekday: int
    hour: int
    starts_at: float
    refused: Refusal | None

    @property
    def allowed(self) -> bool:
        return self.refused is None


@dataclass(frozen=True, slots=True)
class Promise:
    """What a request was promised and when its next call is: the part of the explanation
    that needs no contact model, and all that `callbacks show` says of the plan."""

    request_id: int
    timezone: str  # the customer's: the timeline's times are in it
    status: str
    timing: str  # predicted or conventional
    timing_reason: str | None
    planned_at: float | None
    deadline_at: float  # the scheduler's target for the first call
    expires_at: float
    hours: list[Hour]  # the next 168
    # What happens next and what was promised, each line true of this request: said to
    # the customer, and as facts for another reader's words (the console's).
    timeline: list[str]
    plan_lines: list[PlanLine]
    # The same lines as said just before the week's hours are listed: one may point at them.
    timeline_before_hours: list[str] = field(default_factory=list)
    # What the customer was told: the deadline, or for a request timed by prediction
    # (told its day, not its hour) the close of that day's calling hours.
    promised_by: float = 0.0
    # The end of the window the customer named, when it comes before the expiry: the
    # rules refuse every moment after it, so the dialer closes the request unreached
    # there (at its last failed call, or when it next looks) and never calls later.
    window_end: float | None = None

    def timing_text(self) -> str:
        return timing_text(self.timing, self.timing_reason)

    @property
    def given_up_at(self) -> float:
        """The last moment a call may come: the window's end, else the expiry."""
        return last_call_moment(self.expires_at, self.window_end)


@dataclass(frozen=True, slots=True)
class CallHistory:
    """The calls made to a request's number so far, as the attempts table holds them
    (finished ones: an attempt that never started is no call)."""

    own: int = 0  # for this request
    calls: int = 0  # for the number, this request's included
    answered: int = 0  # of ``calls``
    simulated: bool = False  # the request is a simulated one (the model never learns from it)


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
    # How often the policy's draws pick the planned time (its propensity): kept for
    # `--json`, never shown as a chance (the plan's chance is in its reason).
    plan_pick_share: float | None
    plan_reason: str | None
    deadline_at: float  # the scheduler's target for the first call
    expires_at: float
    factors: list[str]
    week: list[HourCell] = field(default_factory=list)  # the next 168 hours
    # What happens next and what was promised, each line true of this request: said
    # alone (`timeline`), and just before the week's hours are listed (Promise's).
    timeline: list[str] = field(default_factory=list)
    plan_lines: list[PlanLine] = field(default_factory=list)
    timeline_before_hours: list[str] = field(default_factory=list)
    timing: str = Timing.PREDICTED.value  # predicted or conventional
    timing_reason: str | None = None  # policy, pilot, customer; None: from before it was kept
    # Which contact model gave the probabilities (scheduler.timing.model_source): "stored"
    # (the scheduler's last refit) or why one was fitted now; when it was fitted; in words.
    model_source: str | None = None
    model_fitted_at: float | None = None
    model_note: str = ""
    promised_by: float = 0.0  # what the customer was told (Promise.promised_by)
    window_end: float | None = None  # Promise.window_end

    def timing_text(self) -> str:
        """Which timing the request has and why, in a few words (CLI, console)."""
        return timing_text(self.timing, self.timing_reason)

    @property
    def given_up_at(self) -> float:
        """The last moment a call may come (Promise.given_up_at)."""
        return last_call_moment(self.expires_at, self.window_end)

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
            "plan_pick_share": self.plan_pick_share,
            "plan_reason": self.plan_reason,
            "promised_by": self.promised_by,
            "deadline_at": self.deadline_at,
            "expires_at": self.expires_at,
            "given_up_at": self.given_up_at,
            "factors": self.factors,
            "timeline": self.timeline,
            "model_source": self.model_source,
            "model_fitted_at": self.model_fitted_at,
            "model_note": self.model_note,
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


def promise(
    row: dict[str, Any],
    facts: RequestFacts,
    rules: CallingRules,
    *,
    now: float,
    configured_policy: str,
    first_attempt_at: float | None = None,
    language: str = DEFAULT_LANGUAGE,
    reader: str = CUSTOMER,
) -> Promise:
    """When ``row`` was promised a first call, when its next call is and when it is given
    up (pure): what `callbacks show` and `callbacks explain` both say of it.

    ``first_attempt_at``: when the first call to this request started (None: none yet).
    ``language``: the shop's, which the timeline is said in; ``reader``: to whom (a
    closed request's status is "not reached" to the team lead, not "we did not reach you").
    """
    pack = reader_pack(language, reader)
    timing = planned_timing(
        row.get("timing"), traditional=bool(row.get("traditional")), policy=configured_policy
    )
    status = str(row["status"])
    tz = ZoneInfo(facts.timezone)
    if status == "pending" and row.get("planned_by") is None and row.get("not_before"):
        # Not planned yet: not_before is still the start of the time the customer asked
        # for (or the rules' next allowed moment), so no hour before it is offered.
        facts = replace(facts, not_before=row["not_before"])
    start = datetime.fromtimestamp(now, tz).replace(minute=0, second=0, microsecond=0)
    hours = []
    for offset in range(SLOTS):
        local = start + timedelta(hours=offset)
        at = max(local.timestamp(), now)
        why = refusal(rules, facts, at)
        if status not in OPEN_STATUSES:
            why = Refusal(
                Rule.EXPIRED, "explain_hour_closed", (("status", status_word(status, pack)),)
            )
        hours.append(Hour(local.weekday(), local.hour, at, why))
    # A deadline stored with the request (the simulator's, or one counted from the window
    # the customer asked for) is the one it was given, as a stored expiry is
    # (rules.expiry); else the shop's rules say it: the one the dialer aims at.
    deadline_at = row.get("deadline") or promised_by(rules, facts)
    # A request timed by prediction was told its deadline's day, not its hour ("today at
    # the latest", scheduler.stored_promise), and the policy keeps that day for a first
    # call: the promise is judged, and said, by the end of that day's calling hours. A
    # window the customer named is its own promise, whatever the timing.
    promised = told_by(
        rules,
        deadline_at,
        facts.timezone,
        predicted=timing is Timing.PREDICTED,
        own_window=row.get("deadline") is not None,
    )
    lines = timeline(row, hours, now=now, deadline_at=promised, first_attempt_at=first_attempt_at)
    expires_at = expiry(rules, facts)
    return Promise(
        request_id=int(row["id"]),
        timezone=facts.timezone,
        status=status,
        timing=timing.value,
        timing_reason=row.get("timing_reason"),
        planned_at=row.get("not_before") if status == "pending" else None,
        deadline_at=deadline_at,
        expires_at=expires_at,
        hours=hours,
        timeline=said_to_customer(lines, tz, pack),
        plan_lines=lines,
        timeline_before_hours=said_to_customer(lines, tz, pack, hours_follow=True),
        promised_by=promised,
        window_end=window_end_first(facts, expires_at),
    )


def explain(
    row: dict[str, Any],
    facts: RequestFacts,
    rules: CallingRules,
    model: ContactModel,
    *,
    now: float,
    configured_policy: str,
    history: CallHistory,
    first_attempt_at: float | None = None,
    signal_settings: SignalSettings | None = None,
    language: str = DEFAULT_LANGUAGE,
    season_of: SeasonOf | None = None,
    reader: str = CUSTOMER,
) -> Explanation:
    """The plain-words explanation of one request's timing (pure): its :func:`promise`,
    with the factors and the chance of an answer in each hour of the coming week.

    ``first_attempt_at``: when the first call to this request started (None: none yet).
    ``history``: the calls made to the number so far (:func:`history_words` says them).
    ``signal_settings``:
    how the customer's signals (``facts.signals``) weigh, as the predicted policy weighs
    them (None: not used).
    ``language``: the shop's; the timeline and the factors are said in it.
    ``season_of``: the configured season calendar (school holidays); a season that
    moved the planned time is named.
    ``reader``: :data:`CUSTOMER` (spoken to) or :data:`TEAM_LEAD` (told about the customer,
    :func:`about_the_customer`).
    """
    planned = promise(
        row,
        facts,
        rules,
        now=now,
        configured_policy=configured_policy,
        first_attempt_at=first_attempt_at,
        language=language,
        reader=reader,
    )
    traditional = bool(row.get("traditional"))
    policy = "traditional" if planned.timing == Timing.CONVENTIONAL else "predicted"
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
    pack = reader_pack(language, reader)

    def season_factor(starts_at: float) -> float:
        if season_of is None:
            return 1.0
        season = season_of(facts, datetime.fromtimestamp(starts_at, tz).date())
        return model.season_factor(facts.segment, season)

    week = [
        HourCell(
            h.weekday,
            h.hour,
            h.starts_at,
            float(probabilities[slot_of(h.weekday, h.hour)]) * season_factor(h.starts_at),
            h.refused is None,
            h.refused.said(pack) if h.refused else "",
        )
        for h in planned.hours
    ]
    factors = _factors(row, facts, model, policy, traditional, history, pack)
    if moved is not None and signal_settings is not None and policy == "predicted":
        chosen = _chosen_slot(planned.planned_at, week, tz)
        if chosen is not None:
            found = reasons(
                facts.signals, chosen, now_s=now, timezone=facts.timezone, settings=signal_settings
            )
            raised = moved[chosen] > 1.0 and bool(found)
            factors.insert(-1, signal_words(found, len(facts.signals), raised, pack))
    if season_of is not None and policy == "predicted":
        said = season_words(facts, week, planned.planned_at, tz, model, season_of, pack)
        if said is not None:
            factors.insert(-1, said)
    return Explanation(
        request_id=planned.request_id,
        timezone=planned.timezone,
        status=planned.status,
        policy=policy,
        planned_at=planned.planned_at,
        plan_pick_share=row.get("plan_pick_share"),
        plan_reason=row.get("plan_reason"),
        deadline_at=planned.deadline_at,
        promised_by=planned.promised_by,
        expires_at=planned.expires_at,
        window_end=planned.window_end,
        factors=factors,
        timing=planned.timing,
        timing_reason=planned.timing_reason,
        week=week,
        timeline=planned.timeline,
        plan_lines=planned.plan_lines,
        timeline_before_hours=planned.timeline_before_hours,
    )


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
        key = "explain_signals_unused_one" if total == 1 else "explain_signals_unused"
        return pack.say(key, count=total)
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


def _factors(
    row: dict[str, Any],
    facts: RequestFacts,
    model: ContactModel,
    policy: str,
    traditional: bool,
    history: CallHistory,
    pack: LanguagePack,
) -> list[str]:
    said = []
    reason = row.get("timing_reason")
    if reason == TimingReason.PILOT.value:
        way = pack.say(f"explain_way_{policy_word(policy)}")
        said.append(pack.say("explain_pilot", way=way))
    if reason == TimingReason.CUSTOMER.value:
        said.append(pack.say("explain_plain_asked"))
    elif traditional:
        # Who set the flag is not recorded (the customer, or a pilot's CSV): say what is.
        door = row.get("source") or pack.say("explain_door_unknown")
        said.append(pack.say("explain_marked_conventional", door=door))
    elif policy == "traditional":
        pilot = reason == TimingReason.PILOT.value
        said.append(pack.say("explain_conventional_pilot" if pilot else "explain_conventional"))
    else:
        said.append(pack.say("explain_predicted"))
    segment = facts.segment or "default"
    industry = model.industry.get(segment)
    shape = (
        pack.say("explain_shape_industry", industry=industry)
        if industry
        else pack.say("explain_shape_business_hours")
    )
    # The stored name "default" in the pack's word for it, as the console's pages say it.
    named = pack.say("explain_segment_default") if segment == "default" else segment
    if model.segments.get(segment) is None:
        said.append(pack.say("explain_segment_new", segment=named, shape=shape))
    elif model.attempts < MIN_CALLS_TO_LEARN:
        said.append(
            pack.say("explain_segment_few", calls=model.attempts, segment=named, shape=shape)
        )
    else:
        calls = written_count(pack, model.attempts)
        said.append(pack.say("explain_segment_learned", segment=named, calls=calls))
    said.append(history_words(history, learned=facts.phone in model.customers, pack=pack))
    said.append(pack.say("explain_rules_first"))
    if row.get("not_after"):
        said.append(pack.say("explain_window_kept"))
    said.append(pack.say("explain_zone", zone=facts.timezone, why=_zone_why(facts, pack)))
    return said


def written_count(pack: LanguagePack, n: int) -> str:
    """A count as the pack's language writes numbers ("1.234" in Danish, "1,234" in
    English): the explanation is read, on the console and from `callbacks explain`."""
    return load_console_text(pack.code).number(n)


def history_words(history: CallHistory, *, learned: bool, pack: LanguagePack) -> str:
    """The calls made to the number so far, counted from the attempts themselves, and
    whether the model learned from them, in the pack's words."""
    if not history.calls:
        return pack.say("explain_history_none")
    said = pack.say(
        "explain_history_calls",
        calls=written_count(pack, history.calls),
        own=written_count(pack, history.own),
        other=written_count(pack, history.calls - history.own),
        answered=written_count(pack, history.answered),
    )
    if learned:
        used = "explain_history_learned"
    elif history.simulated:
        used = "explain_history_simulated"
    else:
        used = "explain_history_not_learned"
    return f"{said} {pack.say(used)}"


def _zone_why(facts: RequestFacts, pack: LanguagePack) -> str:
    """How the request's time zone was chosen: given with it, or from the number."""
    choice = timezone_choice(facts.phone, "")
    if choice.zone == facts.timezone:
        return pack.say(
            f"explain_zone_{choice.how.value}", count=choice.zones, region=choice.region
        )
    return pack.say("explain_zone_given" if choice.zone else "explain_zone_shop")
