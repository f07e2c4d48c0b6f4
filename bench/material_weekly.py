"""Week by week against the material: `predicted` beside the material's AI column and `traditional`.

On a world (by default ``configs/worlds/signals/calibrated_traditional.yaml``:
the world calibrated to the material's traditional figures, with the office
customers' signals of configs/worlds/signals/), over several seeds, the same
customers, requests and answers under ``traditional``, ``predicted`` without
the signals, ``predicted`` with them, and the ``segment_oracle`` and
``oracle`` ceilings. For each week of request and for the month: first-attempt
contact, overall contact, attempts per contact, and hours from the request to
first contact (median and mean over the contacted), each the mean over seeds.
It prints one JSON line per seed and a Markdown table with the material's
AI column (38% first-attempt, 72% overall, 1.8 attempts, 6 h) beside.

    PYTHONPATH=. python -m bench.material_weekly --seeds 1,2,3,4,5 [--rate-scale 28]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.signals_ablation import scaled
from scheduler.simulation.report import by_week
from scheduler.simulation.signal_world import without_signals
from scheduler.simulation.simulator import PolicyName, SimRequest, SimRun, simulate
from scheduler.simulation.world import World, load_world

WORLD = Path("configs/worlds/signals/calibrated_traditional.yaml")
# The material's AI column, as the material states it.
MATERIAL_AI = {
    "first_attempt_contact": 0.38,
    "contact": 0.72,
    "attempts_per_contact": 1.8,
    "mean_hours_to_contact": 6.0,
}
MEASURES = (
    "first_attempt_contact",
    "contact",
    "attempts_per_contact",
    "median_hours_to_contact",
    "mean_hours_to_contact",
)


def figures(requests: Sequence[SimRequest], first_answered: set[int]) -> dict[str, float]:
    """The four measures over ``requests`` (hours over the contacted ones only)."""
    n = max(len(requests), 1)
    contacted = [r for r in requests if r.contacted_at is not None]
    hours = [(r.contacted_at - r.created_at) / 3600 for r in contacted if r.contacted_at]
    return {
        "first_attempt_contact": sum(r.id in first_answered for r in requests) / n,
        "contact": len(contacted) / n,
        "attempts_per_contact": sum(len(r.attempts) for r in requests) / max(len(contacted), 1),
        "median_hours_to_contact": statistics.median(hours) if hours else float("nan"),
        "mean_hours_to_contact": statistics.fmean(hours) if hours else float("nan"),
    }


def weekly(run: SimRun) -> dict[str, dict[str, float]]:
    """Week number (1-based, and "month") -> the measures over that week's requests."""
    first_answered = {a.request for a in run.attempts if a.attempt_no == 1 and a.answered}
    weeks = by_week(run)
    found = {str(w + 1): figures(weeks[w], first_answered) for w in sorted(weeks)}
    found["month"] = figures(run.requests, first_answered)
    return found


def arms(world: World) -> dict[str, Callable[[], SimRun]]:
    return {
        "traditional": lambda: simulate(world, PolicyName.TRADITIONAL),
        "predicted_no_signals": lambda: simulate(without_signals(world), PolicyName.PREDICTED),
        "predicted_signals": lambda: simulate(world, PolicyName.PREDICTED),
        "segment_oracle": lambda: simulate(world, PolicyName.SEGMENT_ORACLE),
        "oracle": lambda: simulate(world, PolicyName.ORACLE),
    }


def mean_over_seeds(runs: list[dict[str, dict[str, dict[str, float]]]]) -> dict[str, Any]:
    """Arm -> week -> measure -> mean over the seeds that have that week."""
    out: dict[str, Any] = {}
    for arm in runs[0]:
        out[arm] = {}
        for week in runs[0][arm]:
            rows = [r[arm][week] for r in runs if week in r[arm]]
            out[arm][week] = {m: float(np.nanmean([row[m] for row in rows])) for m in MEASURES}
    return out


def markdown(mean: dict[str, Any]) -> str:
    lines = [
        "| week | policy | first-attempt contact | overall contact | attempts per contact "
        "| hours to first contact, median / mean |",
        "|---|---|---|---|---|---|",
    ]
    for week in mean["traditional"]:
        for arm in mean:
            if week != "month" and arm in ("segment_oracle", "oracle"):
                continue
            f = mean[arm].get(week)
            if f is None:
                continue
            lines.append(
                f"| {week} | {arm} | {100 * f['first_attempt_contact']:.1f}% "
                f"| {100 * f['contact']:.1f}% | {f['attempts_per_contact']:.2f} "
                f"| {f['median_hours_to_contact']:.1f} / {f['mean_hours_to_contact']:.1f} |"
            )
    m = MATERIAL_AI
    lines.append(
        f"| the material | AI | {100 * m['first_attempt_contact']:.0f}% "
        f"| {100 * m['contact']:.0f}% | {m['attempts_per_contact']} "
        f"| {m['mean_hours_to_contact']:.0f} (the material's figure) |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("world", nargs="?", type=Path, default=WORLD)
    parser.add_argument("--seeds", default="1,2,3,4,5", help="comma-separated")
    parser.add_argument("--rate-scale", type=float, default=1.0, help="every signal rate times")
    args = parser.parse_args()
    base = scaled(load_world(args.world), args.rate_scale)
    runs = []
    for seed in [int(s) for s in args.seeds.split(",") if s]:
        world = base.model_copy(update={"seed": seed})
        found = {arm: weekly(run()) for arm, run in arms(world).items()}
        runs.append(found)
        print(json.dumps({"seed": seed, "load": os.getloadavg()[0], "weekly": found}), flush=True)
    print(markdown(mean_over_seeds(runs)))


if __name__ == "__main__":
    main()
