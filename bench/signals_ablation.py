"""What the customers' own signals are worth: `predicted` with and without them, against the bound.

On each world with signals (configs/worlds/signals/), over several seeds, the
same customers, requests and answers under:

- ``traditional``: the conventional rule;
- ``predicted_no_signals``: the contact model alone (the world's signals dropped);
- ``predicted_signals``: the contact model tilted by each customer's signals;
- ``segment_oracle`` and ``oracle``: the slot policy fed the segment's and the
  customer's true probabilities (the issue's goal is set against ``oracle``);
- with ``--bound N``: the posterior bound of bench/policy_bound.py with N
  samples, without and with the signals (what any learner of the attempt log,
  and of the attempt log and the signals, could reach with this decision rule).

With ``--ablation`` the predicted rows are one per data source instead (the
issue's "80/20", measured): no signals, each signal kind the world sends alone
(``only_<kind>``), all signals, and all signals with the segments' industry
left out (``no_industry``: the business-hours prior for every segment) or the
customers' time zones (``no_time_zone``: everyone assumed in the shop's zone;
the calling rules still hold in their own). It also prints a Markdown table.

The rows, the runs and the gap-closed arithmetic are the library's
(scheduler/simulation/ablation.py, which `spillway simulate report --ablation`
also uses); this adds the bound rows, the rate scale and the Markdown table.
It reports mean first-attempt contact and the share of the traditional-oracle
gap each closes (by the means over seeds), attempts per contact, and, over
the seeds, the calling rules broken and the first attempts outside the window
the caller was told (both must be 0).
``--rate-scale`` multiplies every signal rate (100 events a week and more show
what signals could do if there were many).

    PYTHONPATH=. python -m bench.signals_ablation configs/worlds/signals/*.yaml --seeds 1,2,3
    PYTHONPATH=. python -m bench.signals_ablation configs/worlds/signals/*.yaml \
        configs/worlds/time_zones.yaml --ablation
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from bench.policy_bound import BoundPolicyFactory
from scheduler.simulation.ablation import Runner, ablation
from scheduler.simulation.signal_world import RATES, without_signals
from scheduler.simulation.simulator import simulate
from scheduler.simulation.world import World, load_world
from scheduler.timing.signal_evidence import SignalSettings


def scaled(world: World, factor: float) -> World:
    """``world`` with every signal rate times ``factor``."""
    segments = []
    for s in world.segments:
        if s.signals is None:
            segments.append(s)
            continue
        update = {key: getattr(s.signals, key) * factor for _, key in RATES}
        segments.append(s.model_copy(update={"signals": s.signals.model_copy(update=update)}))
    return world.model_copy(update={"segments": segments})


def bound_rows(samples: int) -> dict[str, Runner]:
    """The posterior bound without and with the signals (bench/policy_bound.py)."""
    return {
        "bound_no_signals": lambda w: simulate(without_signals(w), BoundPolicyFactory(samples)),
        "bound_signals": lambda w: simulate(w, BoundPolicyFactory(samples, signals=True)),
    }


def markdown(world: str, result: dict[str, Any]) -> str:
    """One world's rows: first-attempt contact, gap closed, attempts per contact, by row."""
    rate = result["mean_first_attempt_contact_rate"]
    closed = result["gap_closed_by_the_means"]
    per_contact = result["mean_attempts_per_contact"]
    lines = [
        f"| {world} | {name} | {100 * rate[name]:.1f}% | "
        + ("" if closed[name] is None else f"{100 * closed[name]:.0f}%")
        + f" | {per_contact[name]:.2f} |"
        for name in rate
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("worlds", nargs="+", type=Path)
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated")
    parser.add_argument("--rate-scale", type=float, default=1.0)
    parser.add_argument("--days", type=int, default=0, help="shorter months (0: the world's)")
    parser.add_argument("--half-life-days", type=float, default=14.0)
    parser.add_argument("--horizon-days", type=float, default=90.0)
    parser.add_argument("--strength", type=float, default=1.0)
    parser.add_argument("--bound", type=int, default=0, help="posterior-bound samples (0: none)")
    parser.add_argument("--ablation", action="store_true", help="one predicted row per source")
    args = parser.parse_args()
    settings = SignalSettings(
        half_life_s=args.half_life_days * 86400,
        horizon_s=args.horizon_days * 86400,
        strength=args.strength,
    )
    seeds = [int(s) for s in args.seeds.split(",") if s]
    extra = bound_rows(args.bound) if args.bound else None
    tables = []
    for path in args.worlds:
        world = scaled(load_world(path), args.rate_scale)
        if args.days:
            world = world.model_copy(update={"days": args.days})
        found = ablation(world, seeds, settings, by_source=args.ablation, extra=extra)
        result = found.as_json()
        load = os.getloadavg()[0]
        print(
            json.dumps({"world": path.stem, "rate_scale": args.rate_scale, "load": load, **result}),
            flush=True,
        )
        tables.append(markdown(path.stem, result))
    if args.ablation:
        print("| world | row | first-attempt contact | gap closed | attempts per contact |")
        print("|---|---|---|---|---|")
        print("\n".join(tables))


if __name__ == "__main__":
    main()
