"""The predicted policy: the best allowed hour, weighing contact probability against lead value.

Candidates are the allowed moments (hard rules first: :func:`scheduler.rules.refusal`)
from now to the request's expiry, one per local hour (the hour's first
allowed moment). Each is worth

    P(answer in that hour-of-week slot) x 0.5 ** (hours since the request / patience)

and a quarter less once past the deadline, times the season's factor on that
day (school holidays: how much more or less the segment answers then, as the
model learned it; 1 outside every season or with no calendar). A season only
weighs a candidate: it never removes one. The policy takes the best. The patience
(``callbacks.patience_hours``) is the trade-off of first-attempt contact
against time: a wait of that many hours for a likelier hour must double the
chance of an answer (shorter: sooner calls, fewer answered first). Where
the probabilities come from is the only difference between the policies
the simulator compares:

- ``predicted``: a Thompson draw from the contact model (it explores: a slot
  it knows little about is sometimes drawn high and tried);
- ``oracle``: the customer's true probabilities (an upper bound for this rule);
- ``segment_oracle``: the segment's true mean probabilities.

Each plan carries two numbers, logged with the attempt. Its ``chance`` is the
model's P(answer) in the planned hour (its mean, not the draw that won: the
winning draw is the highest of many, so it overstates the chance); that is what
the console calls the chance of an answer and calibrates. Its ``pick_share`` is
how often the policy picks that moment (the share of further Thompson draws
that pick it), so that policies can be compared offline (inverse propensity
scoring); an hour the model is sure of is picked by nearly every draw whatever
its chance, so the share is never shown as one. A missing or stale model
raises :class:`ModelUnavailable`, and the dialer falls back to the
conventional rule and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from scheduler.outcomes import AttemptOutcome
from scheduler.rules import (
    CallingRules,
    RequestFacts,
    expiry,
    next_allowed,
    promised_by,
    refusal,
)
from scheduler.timing import plan_reason
from scheduler.timing.contact_model import SLOTS, ContactModel, FloatArray, slot_of
from scheduler.timing.policy import Plan
from scheduler.timing.signal_evidence import SignalSettings, tilt
from spillway.callback_settings import DEFAULT_PATIENCE_HOURS
from spillway.errors import SpillwayError
from spillway.seasons import SeasonCalendar

HOUR_S = 3600.0
PROPENSITY_DRAWS = 32
PAST_DEADLINE = 0.75  # a contact after the deadline is worth a quarter less
# Thompson draws as if from this many times the data. Measured on the shipped
# worlds (docs/PERFORMANCE.md): plain Thompson sampling (1) spent about a fifth
# of first attempts exploring hours already known to be poor; every request
# teaches the segment's curve, so little exploration is needed. 16 keeps some.
THOMPSON_SHARPEN = 16.0


class ModelUnavailable(SpillwayError):
    """The contact model is missing, stale or failed: use the conventional rule."""

    code = "model_unavailable"


class ModelNotFittedYet(ModelUnavailable):
    """No contact model has been fitted yet (a new scheduler, before its first fit): the
    conventional rule times the request, as designed; a state, not a fault."""

    code = "model_not_fitted_yet"


@dataclass(frozen=True, slots=True)
class Candidate:
    at: float
    slot: int
    lead_value: float  # 0.5 ** (age / patience), a quarter less past the deadline
    season: str | None = None  # the season of the local date (school holidays); None: none


SeasonOf = Callable[[RequestFacts, date], "str | None"]
"""``(facts, local date) -> season name``: which season a request's local date is in."""
SeasonFactor = Callable[[RequestFacts, str], float]
"""``(facts, season) -> factor``: how much more (above 1) or less the customer answers then."""


def candidates(
    rules: CallingRules,
    facts: RequestFacts,
    earliest: float,
    *,
    patience_s: float,
    season_of: SeasonOf | None = None,
) -> list[Candidate]:
    """The first allowed moment of every local hour from ``earliest`` to the expiry."""
    end = expiry(rules, facts)
    deadline_at = promised_by(rules, facts)
    tz = ZoneInfo(facts.timezone)
    found: list[Candidate] = []
    at = earliest
    while at < end:
        local_hour = datetime.fromtimestamp(at, tz).replace(minute=0, second=0, microsecond=0)
        next_hour = (local_hour + timedelta(hours=1)).timestamp()
        why = refusal(rules, facts, at)
        if why is not None:
            later = next_allowed(rules, facts, at, refused=why)
            if later is None:
                break
            at = later  # straight to the next allowed moment (this hour or a later one)
            continue
        when = datetime.fromtimestamp(at, tz)
        value = 0.5 ** ((at - facts.created_at) / patience_s)
        if at > deadline_at:
            value *= PAST_DEADLINE
        season = season_of(facts, when.date()) if season_of is not None else None
        found.append(Candidate(at, slot_of(when.weekday(), when.hour), value, season))
        at = max(next_hour, at + 1.0)
    return found


def first_call_by(rules: CallingRules, facts: RequestFacts) -> float:
    """The end of the local day of the request's deadline: the latest a first call is
    planned while that day has an allowed hour (what the caller is told it comes by,
    :mod:`scheduler.stored_promise`)."""
    tz = ZoneInfo(facts.timezone)
    due = datetime.fromtimestamp(promised_by(rules, facts), tz).date()
    return datetime.combine(due + timedelta(days=1), time(), tz).timestamp()


def told_day_close(rules: CallingRules, deadline_at: float, timezone: str) -> float:
    """When the day a predicted request's caller was told ends for calls: the end of the
    calling hours on the deadline's local day (the deadline itself when later, or when the
    day has none). What `callbacks explain` and the console judge that promise by."""
    tz = ZoneInfo(timezone)
    day = datetime.fromtimestamp(deadline_at, tz).date()
    window = rules.window(day)
    if window is None:
        return deadline_at
    close = datetime.combine(day, time(), tz) + timedelta(hours=window[1])
    return max(deadline_at, close.timestamp())


def told_by(
    rules: CallingRules, deadline_at: float, timezone: str, *, predicted: bool, own_window: bool
) -> float:
    """The first call's promise as the customer was told it: a request timed by
    prediction was told its deadline's day (:mod:`scheduler.stored_promise`) and its first
    call is planned within that day, so it is kept by the day's close; a conventional
    one, or a window the customer named, by the deadline itself. The one moment `show`,
    its JSON, `list --json` and the console give as the deadline."""
    if predicted and not own_window:
        return told_day_close(rules, deadline_at, timezone)
    return deadline_at


Probabilities = Callable[[RequestFacts, np.random.Generator, int], FloatArray]
"""``(facts, rng, draws) -> [draws, 168]``: the probabilities a policy believes."""
Expected = Callable[[RequestFacts], FloatArray]
"""``facts -> [168]``: the P(answer) a policy expects in each hour (the model's mean)."""


@dataclass
class SlotPolicy:
    """Pick the candidate with the best probability x lead value."""

    name: str
    probabilities: Probabilities
    patience_s: float = DEFAULT_PATIENCE_HOURS * HOUR_S  # a contact's worth halves every N s
    explores: bool = True  # Thompson draws (the propensity is then estimated)
    seed: int = 0
    season_of: SeasonOf | None = None  # no calendar: no season weighs any hour
    season_factor: SeasonFactor | None = None
    # The plan's chance of an answer; None: the draws' mean in the planned hour (the one
    # row of a policy that knows its probabilities).
    expected: Expected | None = None
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def plan(
        self, facts: RequestFacts, now: float, last: AttemptOutcome | None, rules: CallingRules
    ) -> Plan:
        earliest = now if last is None else now + rules.min_gap_s
        options = candidates(
            rules, facts, earliest, patience_s=self.patience_s, season_of=self.season_of
        )
        if last is None:
            # The caller was told the deadline's day ("today at the latest"): a first
            # call after it only when that day has no allowed hour left.
            by = first_call_by(rules, facts)
            options = [c for c in options if c.at < by] or options
        if not options:
            return Plan(None, self.name, 1.0, plan_reason.no_time())
        slots = np.array([c.slot for c in options])
        values = np.array([c.lead_value for c in options])
        if self.season_factor is not None and any(c.season for c in options):
            seasonal = self.season_factor
            values = values * np.array(
                [seasonal(facts, c.season) if c.season else 1.0 for c in options]
            )
        draws = PROPENSITY_DRAWS + 1 if self.explores else 1
        probs = self.probabilities(facts, self.rng, draws)
        scores = probs[:, slots] * values
        picks = np.argmax(scores, axis=1)
        choice = int(picks[0])
        propensity = float(np.mean(picks[1:] == choice)) if self.explores else 1.0
        chosen = options[choice]
        if self.expected is not None:
            chance = float(self.expected(facts)[chosen.slot])
        else:
            chance = float(np.mean(probs[:, chosen.slot]))
        return Plan(
            chosen.at,
            self.name,
            # Never 0: the choice was made, so its share is at least one in the draws.
            max(propensity, 1.0 / (PROPENSITY_DRAWS + 1)),
            plan_reason.chance(chance, chosen.lead_value, chosen.season),
            chance=chance,
        )


def model_probabilities(
    model_source: Callable[[], ContactModel | None],
    *,
    now: Callable[[], float],
    max_age_s: float,
    sharpen: float = THOMPSON_SHARPEN,
    signals: SignalSettings | None = SignalSettings(),
) -> Probabilities:
    """Thompson draws from the latest model; :class:`ModelUnavailable` when missing or stale.

    The customer's own signals (``facts.signals``) tilt their prior as ``signals`` says
    (None: signals are not used)."""

    def probabilities(facts: RequestFacts, rng: np.random.Generator, draws: int) -> FloatArray:
        model = model_source()
        if model is None:
            raise ModelNotFittedYet("no contact model has been fitted yet")
        age_s = now() - model.fitted_at
        if age_s > max_age_s:
            raise ModelUnavailable(f"the contact model is {age_s / 3600:.1f} h old (stale)")
        moved = _signal_tilt(model, facts, now(), signals)
        return model.sample(
            rng, facts.phone, facts.segment, facts.attempts + 1, draws, sharpen, moved
        )

    return probabilities


def _signal_tilt(
    model: ContactModel, facts: RequestFacts, now_s: float, signals: SignalSettings | None
) -> FloatArray | None:
    """How the customer's own signals move their prior (None: no signals, or not used)."""
    if signals is None or not facts.signals:
        return None
    return tilt(
        facts.signals,
        model.segment_mean(facts.segment),
        now_s=now_s,
        timezone=facts.timezone,
        settings=signals,
    )


def model_expected(
    model_source: Callable[[], ContactModel | None],
    *,
    now: Callable[[], float],
    signals: SignalSettings | None = SignalSettings(),
) -> Expected:
    """The latest model's P(answer) per hour for a request, its signals weighed as
    :func:`model_probabilities` weighs them: the chance a predicted plan states. Called
    after the draws succeeded, so a model is there."""

    def expected(facts: RequestFacts) -> FloatArray:
        model = model_source()
        if model is None:
            raise ModelNotFittedYet("no contact model has been fitted yet")
        moved = _signal_tilt(model, facts, now(), signals)
        return model.mean(facts.phone, facts.segment, facts.attempts + 1, moved)

    return expected


def model_season_factor(model_source: Callable[[], ContactModel | None]) -> SeasonFactor:
    """The season factors the latest model learned (1 with no model)."""

    def factor(facts: RequestFacts, season: str) -> float:
        model = model_source()
        return 1.0 if model is None else model.season_factor(facts.segment, season)

    return factor


def calendar_season(calendar: SeasonCalendar) -> SeasonOf:
    """A configured calendar's season of a date (the deployment's region)."""
    return lambda _facts, day: calendar.season_on(day)


def fixed_probabilities(table: Callable[[RequestFacts], FloatArray]) -> Probabilities:
    """Known probabilities (the oracles): the same row for every draw."""

    def probabilities(facts: RequestFacts, rng: np.random.Generator, draws: int) -> FloatArray:
        row = np.asarray(table(facts), dtype=np.float64).reshape(1, SLOTS)
        return np.repeat(row, draws, axis=0)

    return probabilities
