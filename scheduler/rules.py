"""The hard calling rules, applied before any prediction: pure functions over data.

Every rule is checked in the customer's local time. :func:`refusal` says why
one moment is not allowed (None when it is); :func:`slots` gives every slot
of a period with its verdict, and :func:`next_allowed` the first moment a
request may be dialled. The dialer re-checks :func:`refusal` right before it
dials, so a number opted out after planning is never called.

Rules: calling windows per weekday, public holidays (the holidays package),
the do-not-call list, the countries callbacks may dial, attempts per request
and per number per day and per week, a minimum gap between attempts, and the
expiry (the hard stop). A request's deadline is not a rule: it is the promise
the policy aims at (:func:`deadline`, counted from the start of a later
window the customer asked for), and a request past it may still be
called until it expires. Agent
capacity is the dialer's (it needs the live queue).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import holidays
import phonenumbers

from scheduler.signals import SignalEvent
from spillway.language_pack import DEFAULT_LANGUAGE, LanguagePack, load_pack
from spillway.phone import destination_refusal
from spillway.settings import Settings

HOUR_S = 3600.0
DAY_S = 86400.0


@dataclass(frozen=True, slots=True)
class CallingRules:
    """The rules, as configured (``callbacks.*``); hours are local ``[start, end)``."""

    # Monday first; None: no calls that day.
    windows: tuple[tuple[float, float] | None, ...] = (
        (8.0, 20.0),
        (8.0, 20.0),
        (8.0, 20.0),
        (8.0, 20.0),
        (8.0, 20.0),
        (10.0, 16.0),
        None,
    )
    holiday_country: str | None = "DK"
    extra_holidays: frozenset[date] = frozenset()
    max_attempts: int = 6
    max_per_number_day: int = 3
    max_per_number_week: int = 8
    min_gap_s: float = HOUR_S
    deadline_business_hours: float = 4.0
    expiry_s: float = 72 * HOUR_S
    # Where a callback may dial (ISO country codes, "001" for satellite and other
    # non-geographic services); empty: not checked here (the settings always fill it).
    allowed_regions: frozenset[str] = frozenset()

    def window(self, day: date) -> tuple[float, float] | None:
        return self.windows[day.weekday()]


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the rules need to know about one request, at one moment."""

    phone: str
    timezone: str
    created_at: float
    attempts: int = 0
    last_attempt_at: float | None = None
    opted_out: bool = False
    # Attempts to this number (any request) by local day and ISO week.
    number_attempts_by_day: dict[date, int] = field(default_factory=dict)
    # The customer's own window ("this afternoon", "not before ten"), UNIX seconds.
    not_before: float | None = None
    not_after: float | None = None
    expires_at: float | None = None
    segment: str | None = None  # for the contact model; no rule reads it
    # The customer's own recent signals, oldest first, for the contact model's
    # per-customer tilt (scheduler/timing/signal_evidence.py); no rule reads them.
    signals: tuple[SignalEvent, ...] = ()
    # The promise made at intake (counted from the window the customer asked for);
    # None: counted from ``created_at`` (:func:`promised_by`).
    deadline_at: float | None = None


@functools.lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year).keys())


_HOLIDAY_MEMO: dict[tuple[str, date], bool] = {}


def is_holiday(rules: CallingRules, day: date) -> bool:
    if day in rules.extra_holidays:
        return True
    country = rules.holiday_country
    if country is None:
        return False
    # Planning asks this for every request: one dict look-up, not a cache call.
    key = (country, day)
    found = _HOLIDAY_MEMO.get(key)
    if found is None:
        found = _HOLIDAY_MEMO[key] = day in _holidays(country, day.year)
    return found


def local(at: float, timezone: str) -> datetime:
    return datetime.fromtimestamp(at, ZoneInfo(timezone))


def expiry(rules: CallingRules, facts: RequestFacts) -> float:
    """The hard stop: no attempt from this moment on (the deadline is only a target)."""
    if facts.expires_at is not None:
        return facts.expires_at
    return calling_expiry(rules, facts.created_at, facts.timezone)


# (id(rules), first day, last day) -> (rules, closed days): many requests share their days.
_CLOSED_MEMO: dict[tuple[int, date, date], tuple[CallingRules, int]] = {}


def calling_expiry(rules: CallingRules, start: float, timezone: str) -> float:
    """``expiry_s`` after ``start``, not counting days with no calling hours.

    A public holiday or a closed weekday (local) between ``start`` and the
    expiry moves the expiry a day later, so a request made before Christmas
    or a long weekend still has its ``expiry_s`` worth of calling days (a
    request made on 24 December after hours is not closed unreached on the
    27th without a call).
    """
    tz = ZoneInfo(timezone)
    end = start + rules.expiry_s
    first = datetime.fromtimestamp(start, tz).date()
    last = datetime.fromtimestamp(end, tz).date()
    return end + _closed_days(rules, first, last) * DAY_S


def _closed_days(rules: CallingRules, first: date, last: date) -> int:
    """Days without calling hours from ``first``, each one pushing ``last`` a day on."""
    key = (id(rules), first, last)
    found = _CLOSED_MEMO.get(key)
    if found is not None and found[0] is rules:
        return found[1]
    closed, day = 0, first
    while day <= last and closed < 400:  # a year of closed days is a configuration error
        if rules.window(day) is None or is_holiday(rules, day):
            closed += 1
            last += timedelta(days=1)
        day += timedelta(days=1)
    if len(_CLOSED_MEMO) > 100_000:
        _CLOSED_MEMO.clear()
    _CLOSED_MEMO[key] = (rules, closed)
    return closed


@functools.lru_cache(maxsize=4096)
def destination(phone: str, allowed: frozenset[str]) -> str:
    """Why ``phone`` (E.164) may not be dialled from here ('' when it may)."""
    try:
        parsed = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return "not a valid phone number"
    return destination_refusal(parsed, allowed)


class Rule(StrEnum):
    """Which rule refused a moment."""

    DO_NOT_CALL = "do_not_call"
    DESTINATION = "destination"
    MAX_ATTEMPTS = "max_attempts"
    EXPIRED = "expired"
    HOLIDAY = "holiday"
    CLOSED_DAY = "closed_day"
    OUTSIDE_HOURS = "outside_hours"
    CUSTOMER_WINDOW = "customer_window"
    MIN_GAP = "min_gap"
    NUMBER_PER_DAY = "number_per_day"
    NUMBER_PER_WEEK = "number_per_week"


# Refusals that no later moment can lift.
FINAL_RULES = frozenset({Rule.DO_NOT_CALL, Rule.DESTINATION, Rule.MAX_ATTEMPTS, Rule.EXPIRED})
# Refusals that hold until the next calling window opens.
WINDOW_RULES = frozenset({Rule.HOLIDAY, Rule.CLOSED_DAY, Rule.OUTSIDE_HOURS})


@dataclass(frozen=True, slots=True)
class Refusal:
    """A rule that refuses a moment: its pack wording (``rule_*`` keys) and their values.

    ``weekday`` (0 = Monday) is named in the pack's language when said.
    """

    rule: Rule
    key: str
    values: tuple[tuple[str, str | int], ...] = ()

    @property
    def reason(self) -> str:
        """In English: logs, a request's last error, the admin tools."""
        return self.said(load_pack(DEFAULT_LANGUAGE))

    def said(self, pack: LanguagePack) -> str:
        """In ``pack``'s words: what the customer reads (explain, export)."""
        return pack.say_rule(self.key, dict(self.values))


def refusal(
    rules: CallingRules, facts: RequestFacts, at: float, when: datetime | None = None
) -> Refusal | None:
    """Why ``facts`` may not be dialled at ``at``; None when it may.

    ``when``: ``at`` in the customer's zone, if the caller has it already.
    """
    if facts.opted_out:
        return Refusal(Rule.DO_NOT_CALL, "rule_do_not_call")
    if rules.allowed_regions and (far := destination(facts.phone, rules.allowed_regions)):
        return Refusal(Rule.DESTINATION, "rule_destination", (("why", far),))
    if facts.attempts >= rules.max_attempts:
        return Refusal(
            Rule.MAX_ATTEMPTS,
            "rule_max_attempts",
            (("made", facts.attempts), ("most", rules.max_attempts)),
        )
    # The plain expiry first: the days without calling hours only ever add to it.
    if (
        at >= facts.expires_at
        if facts.expires_at is not None
        else at >= facts.created_at + rules.expiry_s and at >= expiry(rules, facts)
    ):
        return Refusal(Rule.EXPIRED, "rule_expired")
    if when is None:
        when = local(at, facts.timezone)
    day = when.date()
    if is_holiday(rules, day):
        return Refusal(Rule.HOLIDAY, "rule_holiday", (("date", day.isoformat()),))
    window = rules.window(day)
    if window is None:
        return Refusal(Rule.CLOSED_DAY, "rule_closed_day", (("weekday", when.weekday()),))
    hour = when.hour + when.minute / 60 + when.second / 3600
    if not window[0] <= hour < window[1]:
        return Refusal(
            Rule.OUTSIDE_HOURS,
            "rule_outside_hours",
            # Minutes after midnight: each pack writes them on its own clock (09.00, 09:00).
            (
                ("opens", round(window[0] * 60)),
                ("closes", round(window[1] * 60)),
                ("weekday", when.weekday()),
            ),
        )
    if facts.not_before is not None and at < facts.not_before:
        return Refusal(Rule.CUSTOMER_WINDOW, "rule_before_asked")
    if facts.not_after is not None and at >= facts.not_after:
        return Refusal(Rule.CUSTOMER_WINDOW, "rule_after_asked")
    if facts.last_attempt_at is not None and at - facts.last_attempt_at < rules.min_gap_s:
        return Refusal(Rule.MIN_GAP, "rule_min_gap", (("minutes", f"{rules.min_gap_s / 60:g}"),))
    today = facts.number_attempts_by_day.get(day, 0)
    if today >= rules.max_per_number_day:
        return Refusal(
            Rule.NUMBER_PER_DAY,
            "rule_number_per_day",
            (("made", today), ("most", rules.max_per_number_day)),
        )
    this_week = day.isocalendar()[:2]
    week = sum(
        n for d, n in facts.number_attempts_by_day.items() if d.isocalendar()[:2] == this_week
    )
    if week >= rules.max_per_number_week:
        return Refusal(
            Rule.NUMBER_PER_WEEK,
            "rule_number_per_week",
            (("made", week), ("most", rules.max_per_number_week)),
        )
    return None


@dataclass(frozen=True, slots=True)
class SlotVerdict:
    """One slot (its start, UNIX seconds) and whether the rules allow it."""

    start: float
    allowed: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """One pending request, planned: dialable now, or its next allowed time (None: never)."""

    facts: RequestFacts
    now_allowed: bool
    next_at: float | None


def plan_pending(
    rules: CallingRules, pending: Sequence[RequestFacts], now: float
) -> list[PlannedRequest]:
    """Every pending request through the rules at ``now`` (the local time once per zone)."""
    by_zone: dict[str, datetime] = {}
    planned = []
    for facts in pending:
        when = by_zone.get(facts.timezone)
        if when is None:
            when = by_zone[facts.timezone] = local(now, facts.timezone)
        why = refusal(rules, facts, now, when)
        if why is None:
            planned.append(PlannedRequest(facts, True, now))
        else:
            later = next_allowed(rules, facts, now, refused=why)
            planned.append(PlannedRequest(facts, False, later))
    return planned


def slots(
    rules: CallingRules, facts: RequestFacts, start: float, end: float, step_s: float = HOUR_S
) -> list[SlotVerdict]:
    """Every slot from ``start`` to ``end``, with the reason each refused one is refused."""
    verdicts = []
    at = start
    while at < end:
        why = refusal(rules, facts, at)
        verdicts.append(SlotVerdict(at, why is None, why.reason if why else ""))
        at += step_s
    return verdicts


def next_allowed(
    rules: CallingRules,
    facts: RequestFacts,
    after: float,
    *,
    step_s: float = 300.0,
    refused: Refusal | None = None,
) -> float | None:
    """The first moment from ``after`` the request may be dialled; None if none before expiry.

    It walks in ``step_s`` steps but jumps to the next window's opening, so a
    search over days costs a few hundred checks.
    """
    at = after
    end = expiry(rules, facts)
    tz = ZoneInfo(facts.timezone)
    while at < end:
        # ``refused``: the caller already knows why ``after`` itself is refused.
        why, refused = (refused, None) if refused is not None else (refusal(rules, facts, at), None)
        if why is None:
            return at
        if why.rule in FINAL_RULES:
            return None
        jump = at + step_s
        if why.rule in WINDOW_RULES:
            jump = max(jump, _next_opening(rules, at, tz))
        elif why.rule is Rule.MIN_GAP and facts.last_attempt_at is not None:
            jump = max(jump, facts.last_attempt_at + rules.min_gap_s)
        elif why.rule is Rule.CUSTOMER_WINDOW and facts.not_before is not None:
            jump = max(jump, facts.not_before)
        at = jump
    return None


def _next_opening(rules: CallingRules, at: float, tz: ZoneInfo) -> float:
    """The start of the next calling window after ``at`` (any day, holidays ignored)."""
    when = datetime.fromtimestamp(at, tz)
    for days in range(0, 15):
        day = (when + timedelta(days=days)).date()
        window = rules.window(day)
        if window is None:
            continue
        opening = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(hours=window[0])
        if opening.timestamp() > at:
            return opening.timestamp()
    return at + DAY_S


def deadline(
    rules: CallingRules,
    created_at: float,
    timezone: str,
    *,
    not_before: float | None = None,
    not_after: float | None = None,
) -> float:
    """``deadline_business_hours`` of calling-window time after ``created_at`` (local).

    A customer who asked for a later window (``not_before``) is promised a first
    call within that many calling hours of the window's start, and never after
    its end (``not_after``): the promise a contact centre makes is "in the time
    you asked for", not a moment before the customer wants a call.
    """
    promised = _business_hours_after(rules, max(created_at, not_before or created_at), timezone)
    if not_after is not None and not_after < promised:
        return not_after
    return promised


def promised_by(rules: CallingRules, facts: RequestFacts) -> float:
    """The deadline ``facts`` was given at intake (stored), else the rules' from its creation."""
    if facts.deadline_at is not None:
        return facts.deadline_at
    return deadline(rules, facts.created_at, facts.timezone, not_after=facts.not_after)


def _business_hours_after(rules: CallingRules, created_at: float, timezone: str) -> float:
    """``deadline_business_hours`` of calling-window time after ``created_at`` (local)."""
    left_s = rules.deadline_business_hours * HOUR_S
    tz = ZoneInfo(timezone)
    at = created_at
    for _ in range(60):  # at most a couple of weeks of windows
        when = datetime.fromtimestamp(at, tz)
        day = when.date()
        window = None if is_holiday(rules, day) else rules.window(day)
        if window is not None:
            start = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(hours=window[0])
            stop = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(hours=window[1])
            begin = max(at, start.timestamp())
            if begin < stop.timestamp():
                available = stop.timestamp() - begin
                if available >= left_s:
                    return begin + left_s
                left_s -= available
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(days=1)
        at = midnight.timestamp()
    return at


def last_calling_day(rules: CallingRules, at: float, timezone: str) -> tuple[date, bool]:
    """The local day a request given up at ``at`` can last be called, and whether ``at``
    falls inside that day's calling hours (then it is a moment worth saying to the minute;
    else the calls end with the day's hours, and a time of night would tell the customer
    nothing). A day with no calling hours before ``at`` within two weeks: ``at``'s own."""
    tz = ZoneInfo(timezone)
    when = datetime.fromtimestamp(at, tz)
    day = when.date()
    for back in range(15):
        candidate = day - timedelta(days=back)
        window = None if is_holiday(rules, candidate) else rules.window(candidate)
        if window is None:
            continue
        start = datetime.combine(candidate, datetime.min.time(), tz) + timedelta(hours=window[0])
        if at <= start.timestamp():
            continue  # given up before this day's calls began
        stop = datetime.combine(candidate, datetime.min.time(), tz) + timedelta(hours=window[1])
        return candidate, at < stop.timestamp()
    return day, True


def attempts_by_day(started: Sequence[float], timezone: str) -> dict[date, int]:
    """Count attempt start times by the customer's local date."""
    counts: dict[date, int] = {}
    for at in started:
        day = local(at, timezone).date()
        counts[day] = counts.get(day, 0) + 1
    return counts


def rules_from_settings(settings: Settings) -> CallingRules:
    """The calling rules as configured (``callbacks.*``)."""
    cb = settings.callbacks
    weekdays = cb.weekdays
    return CallingRules(
        windows=(weekdays, weekdays, weekdays, weekdays, weekdays, cb.saturday, cb.sunday),
        holiday_country=cb.holidays,
        extra_holidays=frozenset(cb.extra_holidays),
        max_attempts=cb.max_attempts,
        max_per_number_day=cb.max_per_number_day,
        max_per_number_week=cb.max_per_number_week,
        min_gap_s=cb.min_gap_minutes * 60,
        deadline_business_hours=cb.deadline_business_hours,
        expiry_s=cb.expiry_hours * 3600,
        allowed_regions=settings.callback_countries(),
    )
