"""First-attempt contact at a pilot's volume (20-30 requests a day), over several seeds.

Runs each world under each policy for every seed in one process and prints
mean and spread (sample standard deviation) of first-attempt contact, over
the month and week by week, plus how far ``predicted`` trails
``segment_oracle`` and how often a week of ``predicted`` fell below
``traditional`` of the same seed. Only the seed differs between runs of a
world, so every policy meets the same customers and requests per seed.

Under the table, ``predicted`` (then ``segment_oracle``) minus ``traditional`` week by week, paired
seed by seed, with a 95 % t interval over the seeds (:func:`week_differences`):
whether a week where the mean of ``predicted`` falls below ``traditional``'s
is more than the seeds' noise.

``--variant`` runs the same seeds with one experimental change (a
hypothesis about why ``predicted`` learns slowly at this volume); see
:data:`VARIANTS` and docs/SIMULATION.md ("Learning at pilot volume").

    PYTHONPATH=. python -m bench.bench_pilot_volume configs/worlds/pilot/*.yaml --seeds 5
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import patch

from scipy.stats import t as student_t

from scheduler.simulation import simulator
from scheduler.simulation.report import kpis
from scheduler.simulation.simulator import PolicyName, simulate
from scheduler.simulation.world import load_world
from scheduler.timing import contact_model, segment_activity

POLICIES = (PolicyName.TRADITIONAL, PolicyName.PREDICTED, PolicyName.SEGMENT_ORACLE)


def _sharpen(value: float) -> Any:
    """Thompson draws sharpened by ``value`` (x16 in the shipped simulator)."""
    sharpened = functools.partial(simulator.model_probabilities, sharpen=value)
    return patch.object(simulator, "model_probabilities", sharpened)


def _set(module: object, **values: Any) -> Any:
    """``module``'s constants set to ``values`` for the run, restored after it."""
    return patch.multiple(module, **values)


# One change each, against the code as it is ("today").
VARIANTS: dict[str, Callable[[], Any]] = {
    "today": nullcontext,
    # Thompson draws as sharp as the posterior says (no x16), and two in between.
    "sharpen_1": lambda: _sharpen(1.0),
    "sharpen_4": lambda: _sharpen(4.0),
    "sharpen_64": lambda: _sharpen(64.0),
    # The prior's strength fixed at its strongest (no choice on few counts), or its weakest.
    "prior_strong_only": lambda: _set(contact_model, STRENGTHS=(contact_model.STRENGTHS[0],)),
    "prior_weak_only": lambda: _set(contact_model, STRENGTHS=(contact_model.STRENGTHS[-1],)),
    # A weaker prior only when it explains the counts better by a margin (log evidence);
    # 0 is the plain maximum (the code before the pilot-volume work), 2 the default since.
    "prior_margin_0": lambda: _set(contact_model, STRENGTH_MARGIN_NATS=0.0),
    "prior_margin_2": lambda: _set(contact_model, STRENGTH_MARGIN_NATS=2.0),
    "prior_margin_5": lambda: _set(contact_model, STRENGTH_MARGIN_NATS=5.0),
    # A finer choice of strengths, and one with a stronger top.
    "prior_finer": lambda: _set(
        contact_model, STRENGTHS=((12.0, 24.0), (6.0, 12.0), (3.0, 6.0), (1.0, 2.0))
    ),
    "prior_stronger_top": lambda: _set(
        contact_model, STRENGTHS=((24.0, 48.0), *contact_model.STRENGTHS)
    ),
    # The refit every 6 hours instead of daily.
    "refit_6h": lambda: _set(simulator, REFIT_EVERY_S=6 * 3600.0),
    # A segment's pooled-signal tilt at the power before 2 (the whole tilt, 1), and at 3
    # (worlds with signals only; without signals no segment has a tilt).
    "pooled_tilt_1": lambda: _set(segment_activity, POOLED_TILT_POWER=1.0),
    "pooled_tilt_3": lambda: _set(segment_activity, POOLED_TILT_POWER=3.0),
    # Lighter borrowing from the neighbouring hours (0.5 of each today) offered to each
    # segment's marginal likelihood, chosen only by the margin over today's choice.
    "neighbour_eb_15": lambda: _set(contact_model, NEIGHBOUR_WEIGHTS_OFFERED=(0.15,)),
    "neighbour_eb_25_10": lambda: _set(contact_model, NEIGHBOUR_WEIGHTS_OFFERED=(0.25, 0.1)),
    "neighbour_eb_15_joint": lambda: _set(
        contact_model, NEIGHBOUR_WEIGHTS_OFFERED=(0.15,), NEIGHBOUR_JOINT=True
    ),
    "neighbour_eb_25_10_joint": lambda: _set(
        contact_model, NEIGHBOUR_WEIGHTS_OFFERED=(0.25, 0.1), NEIGHBOUR_JOINT=True
    ),
    # Borrowing between two hours cut where the segment's pooled signals step: not at all
    # (the code before 2026-12-06), by the ratio (the default since), by its square.
    "neighbour_step_0": lambda: _set(contact_model, NEIGHBOUR_STEP_POWER=0.0),
    "neighbour_step_1": lambda: _set(contact_model, NEIGHBOUR_STEP_POWER=1.0),
    "neighbour_step_2": lambda: _set(contact_model, NEIGHBOUR_STEP_POWER=2.0),
}


def run(
    paths: Sequence[Path],
    seeds: Sequence[int],
    variant: str = "today",
    policies: Sequence[PolicyName] = POLICIES,
) -> dict[str, dict[str, Any]]:
    """``{world: {policy: {"month": [rate per seed], "weeks": [[rate per seed] per week]}}}``."""
    results: dict[str, dict[str, Any]] = {}
    with VARIANTS[variant]():
        for path in paths:
            world = load_world(path)
            per_policy: dict[str, Any] = {}
            for policy in policies:
                month: list[float] = []
                weeks: list[list[float]] = []
                per_contact: list[float] = []
                broken = 0
                for seed in seeds:
                    figures = kpis(simulate(world.model_copy(update={"seed": seed}), policy))
                    month.append(figures["first_attempt_contact_rate"])
                    per_contact.append(figures["mean_attempts_per_contact"])
                    broken += figures["rule_violations"]
                    broken += figures["first_attempts_outside_told_window"]
                    for i, week in enumerate(figures["weekly"][:4]):
                        if len(weeks) <= i:
                            weeks.append([])
                        weeks[i].append(week["first_attempt_contact_rate"])
                per_policy[policy.value] = {
                    "month": month,
                    "weeks": weeks,
                    "attempts_per_contact": per_contact,
                    "rules_broken_or_outside_told_window": broken,
                }
            results[f"{path.parent.name}/{path.stem}"] = per_policy
    return results


def _pct(values: Sequence[float]) -> str:
    mean = statistics.fmean(values) * 100
    spread = statistics.stdev(values) * 100 if len(values) > 1 else 0.0
    return f"{mean:.1f} ± {spread:.1f}"


def table(results: dict[str, dict[str, Any]]) -> str:
    """A markdown table: month and weeks 1-4 per world and policy, mean ± sd over seeds (%)."""
    lines = [
        "| world | policy | month | week 1 | week 2 | week 3 | week 4 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, per_policy in results.items():
        for policy, figures in per_policy.items():
            weeks = [_pct(w) for w in figures["weeks"]]
            lines.append(f"| {name} | {policy} | {_pct(figures['month'])} | {' | '.join(weeks)} |")
        if not {"predicted", "segment_oracle", "traditional"} <= per_policy.keys():
            continue
        predicted, segment, traditional = (
            per_policy["predicted"],
            per_policy["segment_oracle"],
            per_policy["traditional"],
        )
        gap = [s - p for s, p in zip(segment["month"], predicted["month"], strict=True)]
        below = sum(
            p < t
            for pw, tw in zip(predicted["weeks"], traditional["weeks"], strict=True)
            for p, t in zip(pw, tw, strict=True)
        )
        oracle_below = sum(
            s < t
            for sw, tw in zip(segment["weeks"], traditional["weeks"], strict=True)
            for s, t in zip(sw, tw, strict=True)
        )
        weeks_run = sum(len(w) for w in predicted["weeks"])
        lines.append(
            f"| {name} | gap to segment_oracle | {_pct(gap)} | "
            f"weeks below traditional: predicted {below} of {weeks_run}, "
            f"segment_oracle {oracle_below} of {weeks_run} | | | |"
        )
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class WeekDifference:
    """One week's paired difference of first-attempt contact, in points, over the seeds."""

    week: int
    mean_points: float
    low_points: float  # the 95 % t interval of the mean (nan with one seed)
    high_points: float
    seeds_below: int  # seeds in which the first policy fell below the second
    seeds: int


def week_differences(
    first: Sequence[Sequence[float]], second: Sequence[Sequence[float]], confidence: float = 0.95
) -> list[WeekDifference]:
    """``first - second`` per week (rates per seed, paired by seed): mean, t interval, points."""
    found = []
    for i, (a, b) in enumerate(zip(first, second, strict=True)):
        diffs = [100 * (x - y) for x, y in zip(a, b, strict=True)]
        mean = statistics.fmean(diffs)
        if len(diffs) > 1:
            sem = statistics.stdev(diffs) / len(diffs) ** 0.5
            half = float(student_t.ppf((1 + confidence) / 2, len(diffs) - 1)) * sem
        else:
            half = float("nan")
        below = sum(d < 0 for d in diffs)
        found.append(WeekDifference(i + 1, mean, mean - half, mean + half, below, len(diffs)))
    return found


def difference_table(
    results: dict[str, dict[str, Any]], first: str = "predicted", second: str = "traditional"
) -> str:
    """A markdown table: ``first - second`` per world and week, mean [95 % t interval], points."""
    lines = [
        f"| world | {first} - {second}, points: week 1 | week 2 | week 3 | week 4 |",
        "|---|---|---|---|---|",
    ]
    for name, per_policy in results.items():
        if not {first, second} <= per_policy.keys():
            continue
        weeks = week_differences(per_policy[first]["weeks"], per_policy[second]["weeks"])
        cells = [
            f"{w.mean_points:+.1f} [{w.low_points:+.1f}, {w.high_points:+.1f}]"
            f" ({w.seeds_below}/{w.seeds} below)"
            for w in weeks
        ]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return "\n".join(lines)


def _se(diffs: Sequence[float]) -> str:
    """Mean ± standard error of paired differences in points, and the seeds up."""
    points = [100 * d for d in diffs]
    mean = statistics.fmean(points)
    se = statistics.stdev(points) / len(points) ** 0.5 if len(points) > 1 else float("nan")
    return f"{mean:+.1f} ± {se:.1f} ({sum(d > 0 for d in points)}/{len(points)} up)"


def paired(
    baseline: dict[str, dict[str, Any]], variant: dict[str, dict[str, Any]], policy: str
) -> str:
    """The variant's rates minus the baseline's, seed by seed: the month and weeks 1-4 in
    points (mean ± standard error, seeds up), the month's means, attempts per contact and
    the rules broken or first attempts outside the told window (summed over seeds)."""
    lines = [
        "| world | baseline → variant, month | variant - baseline: month | week 1 | week 2 "
        "| week 3 | week 4 | attempts per contact | rules broken + outside told window |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, per_policy in variant.items():
        mine, theirs = per_policy[policy], baseline[name][policy]
        month = [v - b for v, b in zip(mine["month"], theirs["month"], strict=True)]
        weeks = [
            _se([v - b for v, b in zip(vw, bw, strict=True)])
            for vw, bw in zip(mine["weeks"], theirs["weeks"], strict=True)
        ]
        lines.append(
            f"| {name} | {100 * statistics.fmean(theirs['month']):.1f} → "
            f"{100 * statistics.fmean(mine['month']):.1f} | {_se(month)} | {' | '.join(weeks)} | "
            f"{statistics.fmean(theirs['attempts_per_contact']):.2f} → "
            f"{statistics.fmean(mine['attempts_per_contact']):.2f} | "
            f"{theirs['rules_broken_or_outside_told_window']} / "
            f"{mine['rules_broken_or_outside_told_window']} |"
        )
    return "\n".join(lines)


def _merge(into: dict[str, dict[str, Any]], one: dict[str, dict[str, Any]]) -> None:
    """Append one seed's figures (a :func:`run` result) to ``into``, world by policy."""
    for name, per_policy in one.items():
        for policy, figures in per_policy.items():
            kept = into.setdefault(name, {}).setdefault(
                policy,
                {
                    "month": [],
                    "weeks": [],
                    "attempts_per_contact": [],
                    "rules_broken_or_outside_told_window": 0,
                },
            )
            kept["month"] += figures["month"]
            kept["attempts_per_contact"] += figures["attempts_per_contact"]
            kept["rules_broken_or_outside_told_window"] += figures[
                "rules_broken_or_outside_told_window"
            ]
            for i, week in enumerate(figures["weeks"]):
                if len(kept["weeks"]) <= i:
                    kept["weeks"].append([])
                kept["weeks"][i] += week


def interleaved(
    paths: Sequence[Path],
    seeds: Sequence[int],
    variant: str,
    against: str,
    policies: Sequence[PolicyName],
    lines: bool,
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """``variant`` and ``against`` seed by seed, world by world (so a run stopped early
    still pairs what it ran); with ``lines`` one JSON line per world and seed as it ends."""
    results: dict[str, dict[str, Any]] = {}
    baseline: dict[str, dict[str, Any]] = {}
    for path in paths:
        for seed in seeds:
            mine = run([path], [seed], variant, policies)
            theirs = run([path], [seed], against, policies)
            _merge(results, mine)
            _merge(baseline, theirs)
            if lines:
                print(json.dumps({"seed": seed, variant: mine, against: theirs}), flush=True)
    return results, baseline


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("worlds", nargs="+", type=Path)
    parser.add_argument("--seeds", type=int, default=5, help="seeds 1..N (default 5)")
    parser.add_argument("--first-seed", type=int, default=1, help="start at this seed (default 1)")
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="today")
    parser.add_argument(
        "--policies",
        default=",".join(p.value for p in POLICIES),
        help="comma-separated (default: traditional,predicted,segment_oracle)",
    )
    parser.add_argument(
        "--against",
        choices=sorted(VARIANTS),
        help="also run this variant on the same seeds; print paired differences of predicted",
    )
    parser.add_argument("--json", action="store_true", help="the raw rates as JSON")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    policies = [PolicyName(p) for p in args.policies.split(",")]
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    if args.against:
        results, baseline = interleaved(
            args.worlds, seeds, args.variant, args.against, policies, args.json
        )
        print(f"{args.variant} against {args.against}; seeds {seeds[0]}..{seeds[-1]}")
        print(paired(baseline, results, PolicyName.PREDICTED.value))
        print(f"({time.perf_counter() - started:.0f} s)")
        return
    results = run(args.worlds, seeds, args.variant, policies)
    if args.json:
        print(json.dumps(results))
    else:
        print(f"variant: {args.variant}; seeds {seeds[0]}..{seeds[-1]}; first-attempt contact, %")
        print(table(results))
        print()
        print(difference_table(results))
        print()
        print(difference_table(results, "segment_oracle"))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
