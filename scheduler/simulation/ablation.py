"""Which data matters: the ablation per data source, and the share of the gap each closes.

The same customers, requests and answers (one world, one seed) under the
conventional rule, the slot policies fed the true probabilities, and
``predicted`` knowing more or less of the data a deployment has:

- ``predicted_no_signals``: the call log, the industry and the time zones, no signals;
- ``only_<kind>``: one signal kind the world sends alone (the others' rates set to 0);
- ``predicted_signals``: every signal the world sends (left out on a world with none:
  it would be the row above again);
- ``no_industry``: all signals, the segments' industry left out (the business-hours
  prior for every segment);
- ``no_time_zone``: all signals, every customer taken to live in the shop's zone (the
  calling rules still hold in their own, :class:`Withheld`).

Only what ``predicted`` knows changes, never the world. Each row's mean
first-attempt contact over the seeds is set against the gap between
``traditional`` and ``oracle``: ``(row - traditional) / (oracle - traditional)``,
by the means over seeds (a mean of per-seed shares would weigh a seed with a
narrow gap as much as one with a wide one); the per-seed shares show the spread.

`spillway simulate report --ablation` and bench/signals_ablation.py use it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scheduler.simulation.report import kpis
from scheduler.simulation.signal_world import (
    RATES,
    has_signals,
    kinds_sent,
    only_kinds,
    without_signals,
)
from scheduler.simulation.simulator import PolicyName, SimRun, Withheld, simulate
from scheduler.simulation.world import World
from scheduler.timing.signal_evidence import SignalSettings

TRADITIONAL = "traditional"
NO_SIGNALS = "predicted_no_signals"
ONLY = "only_"  # + the signal kind
ALL_SIGNALS = "predicted_signals"
NO_INDUSTRY = "no_industry"
NO_TIME_ZONE = "no_time_zone"
SEGMENT_ORACLE = "segment_oracle"
ORACLE = "oracle"

# A run of a world, for rows this module does not know (the bench's posterior bound).
Runner = Callable[[World], SimRun]
# (row name, share of that run done 0-1)
Progress = Callable[[str, float], None]


@dataclass(frozen=True, slots=True)
class Variant:
    """One row: a policy and what it is shown of the world.

    ``kinds``: the signal kinds shown (None: all the world sends; empty: none).
    ``withheld``: the data sources the policy and its model are denied.
    """

    name: str
    policy: PolicyName
    kinds: frozenset[str] | None = None
    withheld: frozenset[Withheld] = frozenset()

    @property
    def kind(self) -> str | None:
        """The one signal kind of an ``only_<kind>`` row, else None."""
        return self.name.removeprefix(ONLY) if self.name.startswith(ONLY) else None


def _predicted(name: str, kinds: frozenset[str] | None, *withheld: Withheld) -> Variant:
    return Variant(name, PolicyName.PREDICTED, kinds, frozenset(withheld))


def per_source(world: World) -> tuple[Variant, ...]:
    """The predicted rows of the ablation per data source, in order."""
    rows = [_predicted(NO_SIGNALS, frozenset())]
    rows += [_predicted(f"{ONLY}{kind}", frozenset({kind})) for kind in kinds_sent(world)]
    if has_signals(world):
        rows.append(_predicted(ALL_SIGNALS, None))
    rows.append(_predicted(NO_INDUSTRY, None, Withheld.INDUSTRY))
    rows.append(_predicted(NO_TIME_ZONE, None, Withheld.TIME_ZONE))
    return tuple(rows)


def with_and_without_signals() -> tuple[Variant, ...]:
    """The two predicted rows of the signals' worth: none, and all the world sends."""
    return (_predicted(NO_SIGNALS, frozenset()), _predicted(ALL_SIGNALS, None))


def variants(world: World, *, by_source: bool = True) -> tuple[Variant, ...]:
    """Every row: ``traditional``, the predicted rows, ``segment_oracle``, ``oracle``."""
    predicted = per_source(world) if by_source else with_and_without_signals()
    return (
        Variant(TRADITIONAL, PolicyName.TRADITIONAL),
        *predicted,
        Variant(SEGMENT_ORACLE, PolicyName.SEGMENT_ORACLE),
        Variant(ORACLE, PolicyName.ORACLE),
    )


def shown_world(world: World, variant: Variant) -> World:
    """``world`` as ``variant`` shows it: the signal kinds it names, or all, or none."""
    if variant.kinds is None:
        return world
    if not variant.kinds:
        return without_signals(world)
    return only_kinds(world, set(variant.kinds))


def run_variant(
    world: World,
    variant: Variant,
    settings: SignalSettings,
    progress: Callable[[float], None] | None = None,
) -> SimRun:
    """One row's run of ``world`` (its own seed)."""
    return simulate(
        shown_world(world, variant),
        variant.policy,
        progress=progress,
        signals=settings,
        withheld=variant.withheld,
    )


def gap_closed(policy: float, traditional: float, oracle: float) -> float | None:
    """The share of the ``traditional``-``oracle`` gap that ``policy`` closes (None: no gap;
    below 0: worse than ``traditional``)."""
    gap = oracle - traditional
    return None if gap <= 0 else (policy - traditional) / gap


@dataclass(frozen=True, slots=True)
class SeedResult:
    """Every row's figures on one seed (rates 0-1)."""

    seed: int
    first_attempt_contact_rate: Mapping[str, float]
    attempts_per_contact: Mapping[str, float]
    rule_violations: Mapping[str, int]
    seconds: Mapping[str, float] = field(default_factory=dict)  # only the runs made here
    # first attempts outside the window the caller was told (the exceptions), by row
    told_window_exceptions: Mapping[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "first_attempt_contact_rate": dict(self.first_attempt_contact_rate),
            "attempts_per_contact": dict(self.attempts_per_contact),
            "rule_violations": dict(self.rule_violations),
            "first_attempts_outside_told_window": dict(self.told_window_exceptions),
            "seconds": dict(self.seconds),
        }


def measure_seed(
    world: World,
    rows: Sequence[Variant],
    settings: SignalSettings,
    *,
    known: Mapping[str, SimRun] | None = None,
    extra: Mapping[str, Runner] | None = None,
    progress: Progress | None = None,
) -> SeedResult:
    """Run every row of ``rows`` on ``world`` (its own seed), then ``extra``'s.

    ``known``: runs already made of this world and seed, by row name, not made again.
    """
    found: dict[str, dict[str, Any]] = {}
    seconds: dict[str, float] = {}
    known = known or {}

    def timed(name: str, make: Callable[[], SimRun]) -> None:
        started = time.perf_counter()
        found[name] = kpis(make())
        seconds[name] = round(time.perf_counter() - started, 2)

    for row in rows:
        if row.name in known:
            found[row.name] = kpis(known[row.name])
            continue
        step = functools.partial(progress, row.name) if progress else None
        timed(row.name, functools.partial(run_variant, world, row, settings, step))
    for name, runner in (extra or {}).items():
        timed(name, functools.partial(runner, world))
    return SeedResult(
        seed=world.seed,
        first_attempt_contact_rate={k: v["first_attempt_contact_rate"] for k, v in found.items()},
        attempts_per_contact={k: v["mean_attempts_per_contact"] for k, v in found.items()},
        rule_violations={k: v["rule_violations"] for k, v in found.items()},
        seconds=seconds,
        told_window_exceptions={
            k: v["first_attempts_outside_told_window"] for k, v in found.items()
        },
    )


@dataclass(frozen=True, slots=True)
class AblationRow:
    """One row over the seeds: mean first-attempt contact and the share of the gap closed."""

    name: str
    kind: str | None  # the signal kind of an ``only_<kind>`` row
    first_attempt_contact_rate: float  # mean over seeds, 0-1
    gap_closed_share: float | None  # by the means; None: oracle no better than traditional
    gap_closed_share_per_seed: tuple[float | None, ...]
    attempts_per_contact: float  # mean over seeds
    rule_violations: int  # over all seeds
    told_window_exceptions: int = 0  # first attempts outside the told window, over all seeds


@dataclass(frozen=True, slots=True)
class Ablation:
    """One world's ablation: every row, over ``seeds``."""

    seeds: tuple[int, ...]
    events_per_week: float  # mean signal events per customer per week
    rows: tuple[AblationRow, ...]
    runs: tuple[SeedResult, ...]

    def row(self, name: str) -> AblationRow:
        return next(r for r in self.rows if r.name == name)

    def as_json(self) -> dict[str, Any]:
        """The figures as bench/signals_ablation.py has always printed them, rounded."""

        def share(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        found: dict[str, Any] = {
            "events_per_week": round(self.events_per_week, 2),
            "seeds": list(self.seeds),
            "mean_first_attempt_contact_rate": {
                r.name: round(r.first_attempt_contact_rate, 4) for r in self.rows
            },
            "gap_closed_by_the_means": {r.name: share(r.gap_closed_share) for r in self.rows},
            "gap_closed_per_seed": {
                r.name: [share(c) for c in r.gap_closed_share_per_seed] for r in self.rows
            },
            "mean_attempts_per_contact": {
                r.name: round(r.attempts_per_contact, 3) for r in self.rows
            },
            "rule_violations": {r.name: r.rule_violations for r in self.rows},
            "first_attempts_outside_told_window": {
                r.name: r.told_window_exceptions for r in self.rows
            },
        }
        if any(r.name == ALL_SIGNALS for r in self.rows):
            found["signals_gap_closed_per_seed"] = found["gap_closed_per_seed"][ALL_SIGNALS]
        found["runs"] = [r.as_json() for r in self.runs]
        return found


def events_per_week(world: World) -> float:
    """Mean signal events per customer per week over the segments with signals (requests'
    own inbound calls not counted)."""
    rates = [sum(getattr(s.signals, key) for _, key in RATES) for s in world.segments if s.signals]
    return float(np.mean(rates)) if rates else 0.0


def summarise(world: World, rows: Sequence[Variant], per_seed: Sequence[SeedResult]) -> Ablation:
    """The rows over the seeds (``per_seed`` must hold ``traditional`` and ``oracle``);
    names in ``per_seed`` that ``rows`` lacks (the bench's extra rows) follow them."""
    if not per_seed:
        raise ValueError("an ablation needs at least one seed")
    kinds = {r.name: r.kind for r in rows}
    names = list(per_seed[0].first_attempt_contact_rate)

    def mean(values: Sequence[float]) -> float:
        return float(np.mean(values))

    rate = {k: mean([s.first_attempt_contact_rate[k] for s in per_seed]) for k in names}
    found = []
    for name in names:
        found.append(
            AblationRow(
                name=name,
                kind=kinds.get(name),
                first_attempt_contact_rate=rate[name],
                gap_closed_share=gap_closed(rate[name], rate[TRADITIONAL], rate[ORACLE]),
                gap_closed_share_per_seed=tuple(
                    gap_closed(
                        s.first_attempt_contact_rate[name],
                        s.first_attempt_contact_rate[TRADITIONAL],
                        s.first_attempt_contact_rate[ORACLE],
                    )
                    for s in per_seed
                ),
                attempts_per_contact=mean([s.attempts_per_contact[name] for s in per_seed]),
                rule_violations=sum(s.rule_violations[name] for s in per_seed),
                told_window_exceptions=sum(s.told_window_exceptions.get(name, 0) for s in per_seed),
            )
        )
    return Ablation(
        seeds=tuple(s.seed for s in per_seed),
        events_per_week=events_per_week(world),
        rows=tuple(found),
        runs=tuple(per_seed),
    )


def ablation(
    world: World,
    seeds: Sequence[int],
    settings: SignalSettings = SignalSettings(),
    *,
    by_source: bool = True,
    known: Mapping[str, SimRun] | None = None,
    extra: Mapping[str, Runner] | None = None,
    progress: Progress | None = None,
) -> Ablation:
    """``world``'s rows (:func:`variants`) over ``seeds``, and what each closes of the gap.

    ``known``: runs already made of ``world`` with its own seed, by row name, with the
    same ``settings`` (`spillway simulate report` passes its four policies' runs).
    """
    rows = variants(world, by_source=by_source)
    per_seed = []
    for seed in seeds:
        seeded = world.model_copy(update={"seed": seed})
        made = known if seed == world.seed else None
        per_seed.append(
            measure_seed(seeded, rows, settings, known=made, extra=extra, progress=progress)
        )
    return summarise(world, rows, per_seed)
