"""Simulated worlds: the YAML format, and the population and requests a world makes.

A world file (see ``simulations/worlds/*.yaml`` and the format in
docs/SIMULATION.md) describes segments of customers with their true answer
probability by local weekday and hour, and how often they ask for a
callback. Reading it checks every field and names the bad one
(``segments.0.answer_prob: 7 rows needed``). :func:`population` and
:func:`arrivals` turn it into customers and requests with the world's seed,
so a world always makes the same month.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import numpy as np
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from scheduler.rules import HOUR_S, CallingRules, RequestFacts
from scheduler.timing.contact_model import SLOTS, FloatArray
from spillway.callback_settings import DEFAULT_PATIENCE_HOURS
from spillway.errors import InputError
from spillway.paths import repo_root
from spillway.settings_types import TimeZoneName

MAX_PROB = 0.95
# Where a customer's personal peak hours may fall: weekdays 08-18 local.
PEAK_SLOTS = [d * 24 + h for d in range(5) for h in range(8, 18)]
Hours = tuple[float, float] | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CallingHours(_Strict):
    weekdays: Hours = (8.0, 20.0)
    saturday: Hours = (10.0, 16.0)
    sunday: Hours = None


class WorldRules(_Strict):
    calling_hours: CallingHours = CallingHours()
    holidays: str | None = "DK"
    max_attempts: int = Field(6, ge=1)
    max_per_number_day: int = Field(3, ge=1)
    max_per_number_week: int = Field(8, ge=1)
    min_gap_minutes: float = Field(60, ge=0)
    retry_backoff_minutes: float = Field(120, ge=0)  # the traditional policy's wait
    deadline_hours: float = Field(4, gt=0)  # business (calling-window) hours
    expiry_hours: float = Field(72, gt=0)
    agents: int = Field(5, ge=1)
    talk_minutes: float = Field(6, gt=0)

    def calling_rules(self) -> CallingRules:
        h = self.calling_hours
        return CallingRules(
            windows=(h.weekdays,) * 5 + (h.saturday, h.sunday),
            holiday_country=self.holidays,
            max_attempts=self.max_attempts,
            max_per_number_day=self.max_per_number_day,
            max_per_number_week=self.max_per_number_week,
            min_gap_s=self.min_gap_minutes * 60,
            deadline_business_hours=self.deadline_hours,
            expiry_s=self.expiry_hours * HOUR_S,
        )


class PersonalPeak(_Strict):
    hours: int = Field(2, ge=0, le=24)
    boost: float = Field(3.0, gt=0)


class SegmentSignals(_Strict):
    """The customers' own signals (:mod:`scheduler.simulation.signal_world` draws them).

    Rates are mean events per customer per week; 0 means none of that kind.
    ``fidelity``: the share of events drawn from the customer's own hourly
    answer curve (personal peaks and noise included); the rest fall uniformly
    on waking hours (07-23 local). ``inbound_call_share``: the share of
    requests that came through the overflow bot, whose own time is an
    ``inbound_call`` signal.
    """

    history_days: float = Field(28, ge=0, le=366)  # events before the start, visible then
    web_visits_per_week: float = Field(0.0, ge=0, le=1000)
    email_opens_per_week: float = Field(0.0, ge=0, le=1000)
    app_opens_per_week: float = Field(0.0, ge=0, le=1000)
    fidelity: float = Field(0.8, ge=0, le=1)
    inbound_call_share: float = Field(0.0, ge=0, le=1)


class SeasonSpec(_Strict):
    """A season of a segment: from ``from`` to ``to`` (local dates, inclusive) its customers
    answer ``answer_factor`` times as often. The policies know the season's name and dates
    (the configured calendar of a real deployment), never the factor."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field("holiday", min_length=1, max_length=64)
    first: date = Field(alias="from")
    last: date = Field(alias="to")
    answer_factor: float = Field(ge=0, le=10)

    @model_validator(mode="after")
    def _ordered(self) -> SeasonSpec:
        if self.last < self.first:
            raise ValueError(f"'to' ({self.last}) is before 'from' ({self.first})")
        return self


class Segment(_Strict):
    name: str = Field(min_length=1, max_length=64)
    count: int = Field(ge=1, le=1_000_000)
    timezone: TimeZoneName = "Europe/Copenhagen"
    industry: str | None = None
    answer_prob: list[Annotated[list[float], Field(min_length=24, max_length=24)]]
    customer_noise: float = Field(0.0, ge=0, le=3)
    personal_peak: PersonalPeak | None = None
    requests_per_day: float = Field(ge=0)
    # Each request is for a new customer drawn from the whole segment (False), or
    # for one of the segment's customers who asked before, when there are any.
    repeat_share: float = Field(0.0, ge=0, le=1)
    # The share of requests whose caller names a window ("this afternoon", "tomorrow
    # morning"; :mod:`scheduler.simulation.told_window`); 0: none does.
    asks_window: float = Field(0.0, ge=0, le=1)
    signals: SegmentSignals | None = None  # missing: the customers send no signals
    seasons: list[SeasonSpec] = Field(default_factory=list)  # school holidays and the like

    def season_on(self, day: date) -> SeasonSpec | None:
        """The segment's season on a local date (None: an ordinary day)."""
        return next((p for p in self.seasons if p.first <= day <= p.last), None)

    @field_validator("answer_prob")
    @classmethod
    def _seven_rows(cls, rows: list[list[float]]) -> list[list[float]]:
        if len(rows) != 7:
            raise ValueError(f"7 rows needed (Monday first), got {len(rows)}")
        for row in rows:
            for value in row:
                if not 0 <= value <= 1:
                    raise ValueError(f"probabilities are between 0 and 1, got {value}")
        return rows

    def matrix(self) -> FloatArray:
        return np.asarray(self.answer_prob, dtype=np.float64).reshape(SLOTS)


class World(_Strict):
    start: datetime
    days: int = Field(ge=1, le=366)
    seed: int = 0
    lead_half_life_hours: float = Field(24, gt=0)  # the leads' true worth (mean_lead_value)
    # The policies' patience (callbacks.patience_hours); null: the scheduler's default.
    patience_hours: float | None = Field(None, gt=0, le=24 * 30)
    rules: WorldRules = WorldRules()
    segments: list[Segment] = Field(min_length=1)

    @field_validator("start")
    @classmethod
    def _with_offset(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("an ISO 8601 time with its offset, e.g. 2026-03-02T00:00:00+01:00")
        return value


def patience_hours(world: World) -> float:
    """The patience the world's policies plan with (its own, else the scheduler's default)."""
    return DEFAULT_PATIENCE_HOURS if world.patience_hours is None else world.patience_hours


# The worlds ship in the source checkout's configs/worlds/, not in the installed package.
EXAMPLE_WORLD = Path("configs/worlds/pilot/consumers_evening.yaml")


def world_example(asked: Path) -> Path:
    """A world file's full path to suggest for ``asked``, which is not there: the same
    name in the checkout this package was installed from (an editable install run from
    another folder), else the checkout's example world, else where it lies in a checkout."""
    checkout = repo_root()
    same = [] if asked.is_absolute() else [checkout / asked]
    for candidate in (*same, checkout / EXAMPLE_WORLD):
        if candidate.is_file():
            return candidate
    return Path("/path/to/spillway") / EXAMPLE_WORLD


def load_world(path: Path) -> World:
    """Read and check a world file; :class:`InputError` names the file and the bad key."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError.worded("no_world", path=path, example=world_example(path)) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the world {path}: {exc}") from exc
    try:
        return World.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise InputError(f"{path}: {where}: {first['msg']}") from exc


@dataclass(frozen=True, slots=True)
class Population:
    """Every simulated customer: id, segment, zone and true probabilities by slot."""

    ids: list[str]
    segment: np.ndarray  # [customers] segment index
    timezone: list[str]
    truth: FloatArray  # [customers, 168], clipped to [0, 0.95]


def population(world: World, rng: np.random.Generator) -> Population:
    """Customers with their own matrices: the segment's, times noise, plus personal peaks."""
    ids: list[str] = []
    seg_index: list[int] = []
    zones: list[str] = []
    rows: list[FloatArray] = []
    for s, segment in enumerate(world.segments):
        base = segment.matrix()
        noise = segment.customer_noise
        person = np.exp(rng.normal(0, noise, size=(segment.count, 1)))
        cell = np.exp(rng.normal(0, noise / 2, size=(segment.count, SLOTS)))
        matrix = base * person * cell
        if segment.personal_peak is not None and segment.personal_peak.hours:
            for row in matrix:
                peak = rng.choice(PEAK_SLOTS, size=segment.personal_peak.hours, replace=False)
                row[peak] *= segment.personal_peak.boost
        rows.extend(np.clip(matrix, 0.0, MAX_PROB))
        ids.extend(f"{segment.name}-{i:06d}" for i in range(segment.count))
        seg_index.extend([s] * segment.count)
        zones.extend([segment.timezone] * segment.count)
    return Population(ids, np.array(seg_index), zones, np.vstack(rows))


@dataclass(frozen=True, slots=True)
class Arrival:
    at: float
    customer: int  # index into the population


def arrivals(world: World, people: Population, rng: np.random.Generator) -> list[Arrival]:
    """Requests: Poisson per segment and local weekday, uniform over 08-18 local, by time."""
    found: list[Arrival] = []
    offset = 0
    for segment in world.segments:
        members = np.arange(offset, offset + segment.count)
        offset += segment.count
        asked: list[int] = []
        tz = ZoneInfo(segment.timezone)
        first = world.start.astimezone(tz).date()
        for day in range(world.days):
            today = first + timedelta(days=day)
            if today.weekday() >= 5:
                continue
            opening = datetime(today.year, today.month, today.day, 8, tzinfo=tz).timestamp()
            for _ in range(int(rng.poisson(segment.requests_per_day))):
                at = opening + float(rng.uniform(0, 10 * HOUR_S))
                if asked and rng.random() < segment.repeat_share:
                    customer = int(asked[int(rng.integers(len(asked)))])
                else:
                    customer = int(rng.choice(members))
                asked.append(customer)
                found.append(Arrival(at, customer))
    start = world.start.timestamp()
    end = start + world.days * 86400.0
    found = [a for a in found if start <= a.at < end]
    found.sort(key=lambda a: (a.at, a.customer))
    return found


def has_seasons(world: World) -> bool:
    return any(s.seasons for s in world.segments)


def season_of(world: World) -> Callable[[RequestFacts, date], str | None] | None:
    """What a policy knows of the world's seasons: the name on each local date of the
    customer's segment (a deployment's calendar); None when the world has no seasons."""
    if not has_seasons(world):
        return None
    by_name = {s.name: s for s in world.segments}

    def named(facts: RequestFacts, day: date) -> str | None:
        found = by_name[facts.segment or ""].season_on(day)
        return None if found is None else found.name

    return named


def true_season_factor(world: World) -> Callable[[RequestFacts, str], float]:
    """A season's true factor for the customer's segment (what the oracles know)."""
    by_name = {s.name: s for s in world.segments}
    return lambda facts, season: next(
        (p.answer_factor for p in by_name[facts.segment or ""].seasons if p.name == season), 1.0
    )


def segment_truth(world: World) -> FloatArray:
    """Each segment's true mean matrix ``[segments, 168]`` (what segment_oracle knows)."""
    return np.vstack([np.clip(s.matrix(), 0, MAX_PROB) for s in world.segments])


def lead_value(hours: float, half_life_hours: float) -> float:
    return math.pow(0.5, hours / half_life_hours)
