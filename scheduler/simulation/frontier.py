"""The patience frontier: first-attempt contact against time to contact, per setting.

The predicted policy's patience (``callbacks.patience_hours``) trades the two
against each other: a longer patience waits for likelier hours (more contacts
at the first attempt), a shorter one calls sooner (contact earlier, more often
within the promised deadline). :func:`frontier` turns runs of one world with
several patiences into that frontier, pooled over the runs of each setting
(every request of every seed counts once); :func:`run_frontier` makes the runs.
The ``traditional`` rule (call at once, then after a fixed wait) is the
reference point: the fastest, with no waiting for a better hour.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from scheduler.simulation.report import answered_first, hours_to_contact, within_deadline
from scheduler.simulation.simulator import PolicyName, SimRun, simulate
from scheduler.simulation.world import World

# The settings the report measures: from calling soon to waiting days for the best hour.
FRONTIER_PATIENCE_HOURS = (2.0, 4.0, 8.0, 12.0, 24.0, 72.0)


@dataclass(frozen=True, slots=True)
class FrontierPoint:
    """One setting over its runs (``patience_hours`` None: the traditional rule)."""

    patience_hours: float | None
    runs: int
    requests: int
    first_attempt_contact_rate: float  # 0-1
    contact_rate: float  # 0-1, at any attempt
    contact_within_deadline_rate: float  # 0-1, reached by the promised deadline
    median_hours_to_contact: float | None  # over the contacted requests; None: none
    mean_hours_to_contact: float | None


@dataclass(frozen=True, slots=True)
class Frontier:
    """One world's frontier: the traditional reference and the predicted policy per setting."""

    world: str
    seeds: tuple[int, ...]
    traditional: FrontierPoint | None
    points: tuple[FrontierPoint, ...]  # by patience, shortest first

    def as_json(self) -> dict[str, Any]:
        return {
            "world": self.world,
            "seeds": list(self.seeds),
            "traditional": None if self.traditional is None else asdict(self.traditional),
            "predicted": [asdict(p) for p in self.points],
        }


def frontier_point(patience_hours: float | None, runs: Sequence[SimRun]) -> FrontierPoint:
    """The figures of ``runs`` pooled: every request of every run counts once."""
    requests = sum(len(run.requests) for run in runs)
    whole = requests or 1
    hours = [h for run in runs for h in hours_to_contact(run)]
    return FrontierPoint(
        patience_hours=patience_hours,
        runs=len(runs),
        requests=requests,
        first_attempt_contact_rate=round(sum(len(answered_first(r)) for r in runs) / whole, 4),
        contact_rate=round(len(hours) / whole, 4),
        contact_within_deadline_rate=round(sum(within_deadline(r) for r in runs) / whole, 4),
        median_hours_to_contact=round(statistics.median(hours), 3) if hours else None,
        mean_hours_to_contact=round(statistics.fmean(hours), 3) if hours else None,
    )


def frontier(
    world: str,
    seeds: Sequence[int],
    by_patience: Mapping[float, Sequence[SimRun]],
    traditional: Sequence[SimRun] = (),
) -> Frontier:
    """The frontier of runs already made: ``by_patience`` the predicted runs per setting."""
    return Frontier(
        world=world,
        seeds=tuple(seeds),
        traditional=frontier_point(None, traditional) if traditional else None,
        points=tuple(frontier_point(h, by_patience[h]) for h in sorted(by_patience)),
    )


def run_frontier(
    name: str,
    world: World,
    seeds: Sequence[int],
    patiences: Sequence[float] = FRONTIER_PATIENCE_HOURS,
    *,
    known: Mapping[tuple[float | None, int], SimRun] | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> Frontier:
    """Run ``world`` under ``predicted`` with each patience and under ``traditional``, per
    seed; ``known``: runs already made, by (patience or None for traditional, seed)."""
    known = known or {}
    total = (len(patiences) + 1) * len(seeds)
    done = 0
    by_patience: dict[float, list[SimRun]] = {h: [] for h in patiences}
    traditional: list[SimRun] = []
    for seed in seeds:
        for hours in (None, *patiences):
            if progress is not None:
                label = "traditional" if hours is None else f"patience {hours:g} h"
                progress(f"{label}, seed {seed}", done / total)
            run = known.get((hours, seed))
            if run is None:
                shown = world.model_copy(update={"seed": seed, "patience_hours": hours})
                policy = PolicyName.TRADITIONAL if hours is None else PolicyName.PREDICTED
                run = simulate(shown, policy)
            (traditional if hours is None else by_patience[hours]).append(run)
            done += 1
    if progress is not None:
        progress("", 1.0)
    return frontier(name, seeds, by_patience, traditional)
