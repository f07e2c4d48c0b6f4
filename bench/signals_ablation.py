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

It reports mean first-attempt contact and the share of the traditional-oracle
gap each closes (by the means over seeds), and attempts per contact.
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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.policy_bound import BoundPolicyFactory, gap_closed
from scheduler.simulation.report import kpis
from scheduler.simulation.signal_world import RATES, kinds_sent, only_kinds, without_signals
from scheduler.simulation.simulator import PolicyName, SimRun, Withheld, simulate
from scheduler.simulation.world import World, load_world
from scheduler.timing.signal_evidence import SignalSettings

ARMS = (
    "traditional",
    "predicted_no_signals",
    "predicted_signals",
    "segment_oracle",
    "oracle",
)


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


def events_per_week(world: World) -> float:
    """Mean signal events per customer per week (requests' own inbound calls not counted)."""
    rates = [sum(getattr(s.signals, key) for _, key in RATES) for s in world.segments if s.signals]
    return float(np.mean(rates)) if rates else 0.0


def per_source(world: World, settings: SignalSettings) -> dict[str, Callable[[], SimRun]]:
    """The predicted runs of the ablation per data source, by row name."""

    def predicted(shown: World, *withheld: Withheld) -> Callable[[], SimRun]:
        return lambda: simulate(
            shown, PolicyName.PREDICTED, signals=settings, withheld=frozenset(withheld)
        )

    runs = {"predicted_no_signals": predicted(without_signals(world))}
    for kind in kinds_sent(world):
        runs[f"only_{kind}"] = predicted(only_kinds(world, {kind}))
    runs["predicted_signals"] = predicted(world)
    runs["no_industry"] = predicted(world, Withheld.INDUSTRY)
    runs["no_time_zone"] = predicted(world, Withheld.TIME_ZONE)
    return runs


def one_seed(
    world: World, settings: SignalSettings, bound_samples: int | None, by_source: bool = False
) -> dict[str, Any]:
    runs: dict[str, Callable[[], SimRun]] = {
        "traditional": lambda: simulate(world, PolicyName.TRADITIONAL)
    }
    if by_source:
        runs.update(per_source(world, settings))
    else:
        runs["predicted_no_signals"] = lambda: simulate(
            without_signals(world), PolicyName.PREDICTED
        )
        runs["predicted_signals"] = lambda: simulate(world, PolicyName.PREDICTED, signals=settings)
    runs["segment_oracle"] = lambda: simulate(world, PolicyName.SEGMENT_ORACLE)
    runs["oracle"] = lambda: simulate(world, PolicyName.ORACLE)
    if bound_samples:
        runs["bound_no_signals"] = lambda: simulate(
            without_signals(world), BoundPolicyFactory(bound_samples)
        )
        runs["bound_signals"] = lambda: simulate(
            world, BoundPolicyFactory(bound_samples, signals=True)
        )
    found: dict[str, dict[str, Any]] = {}
    seconds: dict[str, float] = {}
    for name, run in runs.items():
        started = time.perf_counter()
        found[name] = kpis(run())
        seconds[name] = round(time.perf_counter() - started, 2)
    return {
        "seed": world.seed,
        "first_attempt_contact_rate": {
            k: v["first_attempt_contact_rate"] for k, v in found.items()
        },
        "attempts_per_contact": {k: v["mean_attempts_per_contact"] for k, v in found.items()},
        "rule_violations": {k: v["rule_violations"] for k, v in found.items()},
        "seconds": seconds,
    }


def ablation(
    world: World,
    seeds: list[int],
    settings: SignalSettings,
    bound_samples: int | None,
    by_source: bool = False,
) -> dict[str, Any]:
    per_seed = [
        one_seed(world.model_copy(update={"seed": seed}), settings, bound_samples, by_source)
        for seed in seeds
    ]
    names = list(per_seed[0]["first_attempt_contact_rate"])
    mean = {
        k: float(np.mean([r["first_attempt_contact_rate"][k] for r in per_seed])) for k in names
    }
    closed = {k: gap_closed(mean[k], mean["traditional"], mean["oracle"]) for k in names}
    per_seed_closed = [
        gap_closed(
            r["first_attempt_contact_rate"]["predicted_signals"],
            r["first_attempt_contact_rate"]["traditional"],
            r["first_attempt_contact_rate"]["oracle"],
        )
        for r in per_seed
    ]
    return {
        "events_per_week": round(events_per_week(world), 2),
        "seeds": seeds,
        "mean_first_attempt_contact_rate": {k: round(v, 4) for k, v in mean.items()},
        "gap_closed_by_the_means": {
            k: None if v is None else round(v, 3) for k, v in closed.items()
        },
        "signals_gap_closed_per_seed": [
            None if c is None else round(c, 3) for c in per_seed_closed
        ],
        "mean_attempts_per_contact": {
            k: round(float(np.mean([r["attempts_per_contact"][k] for r in per_seed])), 3)
            for k in names
        },
        "runs": per_seed,
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
    tables = []
    for path in args.worlds:
        world = scaled(load_world(path), args.rate_scale)
        if args.days:
            world = world.model_copy(update={"days": args.days})
        result = ablation(world, seeds, settings, args.bound or None, args.ablation)
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
