"""What keeping the day a predicted request is told costs: `predicted` with and without
the first-call cap (:func:`scheduler.timing.slot_policy.first_call_by`).

A caller whose request is timed by prediction hears "we aim to call when you're most
likely to answer, today at the latest": no first call after the local day of the
request's deadline while that day has an allowed hour. This runs each world under
`predicted` for every seed twice in one process, as shipped and with the cap lifted
(the policy before it), and prints per world the mean over seeds of first-attempt
contact, contact by the deadline, and the share of first calls after the deadline's
hour and after its day, with the paired difference in first-attempt contact and its
standard error. Only the cap differs between the two runs of a seed.

    PYTHONPATH=. python -m bench.first_call_by configs/worlds/pilot/*.yaml --seeds 5
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.simulation.report import kpis
from scheduler.simulation.simulator import PolicyName, SimRun, simulate
from scheduler.simulation.world import load_world
from scheduler.timing import slot_policy


@contextmanager
def _cap_lifted() -> Iterator[None]:
    original = slot_policy.first_call_by
    slot_policy.first_call_by = lambda rules, facts: math.inf
    try:
        yield
    finally:
        slot_policy.first_call_by = original


def _late_first_calls(run: SimRun) -> tuple[float, float]:
    """The share of first calls after the deadline, and after the end of its local day."""
    after_hour = after_day = placed = 0
    for request in run.requests:
        if not request.attempts:
            continue
        placed += 1
        first = min(request.attempts)
        zone = ZoneInfo(run.people.timezone[request.customer])
        day = datetime.fromtimestamp(request.deadline_at, zone).date()
        day_end = datetime.combine(day + timedelta(days=1), time(), zone).timestamp()
        after_hour += first > request.deadline_at
        after_day += first >= day_end
    return after_hour / max(placed, 1), after_day / max(placed, 1)


def _one(path: Path, seed: int) -> dict[str, float]:
    world = load_world(path).model_copy(update={"seed": seed})
    run = simulate(world, PolicyName.PREDICTED)
    figures = kpis(run)
    after_hour, after_day = _late_first_calls(run)
    return {
        "first_attempt": 100 * figures["first_attempt_contact_rate"],
        "by_deadline": 100 * figures["contact_within_deadline_rate"],
        "after_hour": 100 * after_hour,
        "after_day": 100 * after_day,
    }


def compare(paths: list[Path], seeds: list[int]) -> list[dict[str, Any]]:
    rows = []
    for path in paths:
        shipped = [_one(path, seed) for seed in seeds]
        with _cap_lifted():
            lifted = [_one(path, seed) for seed in seeds]
        diffs = [
            a["first_attempt"] - b["first_attempt"] for a, b in zip(shipped, lifted, strict=True)
        ]
        row: dict[str, Any] = {"world": path.stem, "seeds": len(seeds)}
        for name, runs in (("capped", shipped), ("lifted", lifted)):
            row[name] = {k: round(statistics.mean(r[k] for r in runs), 2) for k in runs[0]}
        row["first_attempt_diff"] = round(statistics.mean(diffs), 2)
        row["first_attempt_diff_se"] = (
            round(statistics.stdev(diffs) / math.sqrt(len(diffs)), 2) if len(diffs) > 1 else None
        )
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("worlds", nargs="+", type=Path)
    parser.add_argument("--seeds", type=int, default=5, help="seeds 1..N")
    args = parser.parse_args()
    rows = compare(args.worlds, list(range(1, args.seeds + 1)))
    for row in rows:
        c, off = row["capped"], row["lifted"]
        print(
            f"{row['world']:26s} first-attempt {c['first_attempt']:5.1f}"
            f" vs {off['first_attempt']:5.1f}"
            f" (diff {row['first_attempt_diff']:+.2f} ± {row['first_attempt_diff_se']}),"
            f" by deadline {c['by_deadline']:5.1f} vs {off['by_deadline']:5.1f},"
            f" first calls after the deadline's hour {c['after_hour']:4.1f} vs"
            f" {off['after_hour']:4.1f} %, after its day {c['after_day']:3.1f} vs"
            f" {off['after_day']:3.1f} %"
        )
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
