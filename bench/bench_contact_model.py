"""Benchmarks for the best-time-to-call model and the simulator.

1. Fitting the contact model on 1,000,000 attempts (both parts, and the
   Beta-binomial part alone).
2. Scoring 100,000 pending callbacks over all 168 hour-of-week slots: in one
   batch, and one request at a time as the dialer plans (a sample of 5,000,
   scaled).
3. Simulation speed: every shipped world under every policy.

Synthetic attempts: 100,000 customers in 5 segments, answer probabilities
from the cold-start shapes with noise. Prints JSON; figures go into
docs/PERFORMANCE.md. Run: ``python -m bench.bench_contact_model --runs 3``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.harness import machine, write_report
from scheduler.simulation.report import kpis
from scheduler.simulation.simulator import PolicyName, simulate
from scheduler.simulation.world import load_world
from scheduler.timing.contact_model import SLOTS, AttemptLog, cold_start_prior, fit
from spillway.paths import repo_root

SEGMENTS = ("it", "consumer", "wholesale", "retail", "public")


def synthetic_log(n: int, customers: int, seed: int = 0) -> AttemptLog:
    rng = np.random.default_rng(seed)
    seg_of_customer = rng.integers(0, len(SEGMENTS), size=customers)
    who = rng.integers(0, customers, size=n)
    slots = rng.integers(0, SLOTS, size=n)
    truth = np.vstack([cold_start_prior(s) for s in SEGMENTS])
    p = truth[seg_of_customer[who], slots]
    return AttemptLog(
        customer=[f"+45{c:08d}" for c in who],
        segment=[SEGMENTS[s] for s in seg_of_customer[who]],
        slot=slots.astype(np.int64),
        attempt_no=rng.integers(1, 7, size=n).astype(np.int64),
        answered=rng.random(n) < p,
        industry={s: s for s in SEGMENTS},
    )


def _median(samples: list[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(samples), 3),
        "min_s": round(min(samples), 3),
        "max_s": round(max(samples), 3),
    }


def bench_fit(runs: int, attempts: int) -> dict[str, Any]:
    log = synthetic_log(attempts, 100_000)
    found: dict[str, Any] = {"attempts": attempts}
    for label, gbm in (("beta_binomial_only", False), ("with_gradient_boosting", True)):
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            model = fit(log, now=time.time(), gbm=gbm)
            samples.append(time.perf_counter() - started)
        found[label] = {**_median(samples), "boosted_share": model.gbm_weight}
    return found


def bench_scoring(runs: int, pending: int) -> dict[str, Any]:
    log = synthetic_log(1_000_000, 100_000, seed=1)
    model = fit(log, now=time.time())
    rng = np.random.default_rng(2)
    # Half the pending customers have history, half are new.
    customers = [
        f"+45{int(c):08d}" if i % 2 else f"+46{i:08d}"
        for i, c in enumerate(rng.integers(0, 100_000, size=pending))
    ]
    segments = [SEGMENTS[int(s)] for s in rng.integers(0, len(SEGMENTS), size=pending)]
    batch = []
    for _ in range(runs):
        started = time.perf_counter()
        scores = model.mean_many(customers, segments)
        batch.append(time.perf_counter() - started)
    assert scores.shape == (pending, SLOTS)
    one_by_one = []
    sample = 5_000
    for _ in range(runs):
        started = time.perf_counter()
        for c, s in zip(customers[:sample], segments[:sample], strict=True):
            model.mean(c, s)
        one_by_one.append((time.perf_counter() - started) * pending / sample)
    return {
        "pending": pending,
        "batch": _median(batch),
        "one_at_a_time_scaled": _median(one_by_one),
        "boosted_share": model.gbm_weight,
    }


def bench_simulation(runs: int) -> list[dict[str, Any]]:
    found = []
    for path in sorted((repo_root() / "configs" / "worlds").glob("*.yaml")):
        world = load_world(path)
        for policy in PolicyName:
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                run = simulate(world, policy)
                samples.append(time.perf_counter() - started)
            result = kpis(run)
            found.append(
                {
                    "world": path.stem,
                    "days": world.days,
                    "policy": policy.value,
                    "requests": result["requests"],
                    "calls": result["calls_placed"],
                    **_median(samples),
                }
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    report = {
        "machine": machine(),
        "runs": args.runs,
        "fit": bench_fit(args.runs, args.attempts),
        "scoring": bench_scoring(args.runs, args.pending),
        "simulation": bench_simulation(args.runs),
    }
    write_report(report, args.out)


if __name__ == "__main__":
    main()
