"""Checks of bench/policy_bound.py on one world: is the bound's signal likelihood the
simulator's, what does `segment_oracle`'s curve gain over the generator's mean, and
where does `predicted` decide otherwise than the bound.

docs/PERFORMANCE.md, "Why the bound fell below `segment_oracle` on `mixed_sparse`",
gives what these found:

- ``likelihood``: every customer's events of one segment over whole weeks (history
  and run, rates scaled up), their local hour of the week against the bound's
  likelihood (a share ``fidelity`` in proportion to the customer's true curve, the
  rest on waking hours): the chi-square and its degrees of freedom;
- ``generator_mean``: the slot policy fed each segment's exact mean under the world's
  generator (what the bound knows of a customer with no history and no signals)
  against `segment_oracle`, by :func:`bench.policy_bound.first_attempts`;
- ``decisions``: the requests whose first call `predicted` places in another hour (or
  day) than the bound with signals, grouped, with the first-attempt contact each group
  loses (points of all requests, the true probabilities, no answer draws).

    PYTHONPATH=. python -m bench.bound_check configs/worlds/signals_apart/mixed_sparse.yaml \\
        --seeds 1,2,3
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.policy_bound import BoundPolicyFactory, first_attempts, first_calls, prior_samples
from bench.signals_ablation import scaled
from scheduler.rules import HOUR_S, RequestFacts
from scheduler.simulation.signal_world import WAKING, SimSignals
from scheduler.simulation.simulator import PolicyFactory, PolicyName, simulate
from scheduler.simulation.world import (
    Population,
    World,
    load_world,
    patience_hours,
    population,
    season_of,
    true_season_factor,
)
from scheduler.timing.contact_model import SLOTS, FloatArray
from scheduler.timing.policy import Policy
from scheduler.timing.signal_evidence import local_slots
from scheduler.timing.slot_policy import SlotPolicy, fixed_probabilities

WEEK_S = 7 * 86400.0


def likelihood(world: World, segment: int, scale: float = 20.0) -> dict[str, float]:
    """Chi-square of a segment's events per hour of the week against the bound's model."""
    world = scaled(world, scale)
    block = world.segments[segment].signals
    if block is None:
        raise ValueError(f"segment {segment} has no signals")
    people = population(world, np.random.default_rng(world.seed))
    signals = SimSignals(world, people, world.rules.calling_rules().expiry_s)
    # Whole weeks only: the generator spreads events over whole weeks and trims the
    # last one, so a part week would over-count its first days.
    weeks = (block.history_days + world.days) // 7
    end = world.start.timestamp() - block.history_days * 86400.0 + weeks * WEEK_S
    seen, expected = np.zeros(SLOTS), np.zeros(SLOTS)
    waking = WAKING / WAKING.sum()
    for customer in np.flatnonzero(people.segment == segment).tolist():
        events = [e.at_s for e in signals.until(customer, end) if e.kind != "inbound_call"]
        seen += np.bincount(local_slots(events, people.timezone[customer]), minlength=SLOTS)
        truth = people.truth[customer]
        share = block.fidelity * truth / truth.sum() + (1 - block.fidelity) * waking
        expected += len(events) * share
    cells = expected > 0
    chi2 = float((((seen - expected) ** 2)[cells] / expected[cells]).sum())
    return {"events": float(seen.sum()), "chi2": chi2, "dof": float(cells.sum() - 1)}


def generator_mean_factory(samples: int, chunk: int = 20_000) -> PolicyFactory:
    """A policy factory: the slot policy fed each segment's mean under the generator
    (``samples`` draws, ``chunk`` at a time)."""

    def factory(world: World, people: Population, running: Callable[[], object]) -> Policy:
        rng = np.random.default_rng([world.seed, 7])
        means = []
        for segment in world.segments:
            total = np.zeros(SLOTS)
            for _ in range(max(1, samples // chunk)):
                total += prior_samples(segment, chunk, rng).sum(axis=0)
            means.append(total / (max(1, samples // chunk) * chunk))
        index = {pid: i for i, pid in enumerate(people.ids)}

        def row(facts: RequestFacts) -> FloatArray:
            return means[int(people.segment[index[facts.phone]])]

        return SlotPolicy(
            "generator_mean",
            fixed_probabilities(row),
            patience_hours(world) * HOUR_S,
            explores=False,
            season_of=season_of(world),
            season_factor=true_season_factor(world),
        )

    return factory


def decisions(world: World, seeds: list[int], samples: int, top: int) -> list[dict[str, object]]:
    """The groups of requests `predicted` calls first in another hour than the bound:
    (segment, predicted's hour, the bound's hour, each with whole days after the
    request) -> requests, and the contact and rule value lost, in points of all requests."""
    groups: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    requests = 0

    def when(hour: int, wait_s: float) -> str:
        return f"{hour:02d}:00 +{int(wait_s // 86400)}d"

    for seed in seeds:
        seeded = world.model_copy(update={"seed": seed})
        bound = first_calls(simulate(seeded, BoundPolicyFactory(samples, signals=True)))
        predicted = first_calls(simulate(seeded, PolicyName.PREDICTED))
        requests += len(bound)
        for request, theirs in bound.items():
            mine = predicted.get(request)
            if mine is None:
                continue
            key = (
                theirs.segment,
                when(mine.local_hour, mine.wait_s),
                when(theirs.local_hour, theirs.wait_s),
            )
            if key[1] == key[2]:
                continue
            groups[key][0] += 1
            groups[key][1] += theirs.p - mine.p
            groups[key][2] += theirs.p * theirs.lead - mine.p * mine.lead
    ranked = sorted(groups.items(), key=lambda kv: -kv[1][1])[:top]
    return [
        {
            "segment": segment,
            "predicted": mine,
            "bound": theirs,
            "requests": int(n),
            "contact_points": round(100 * lost / (requests or 1), 2),
            "rule_value_points": round(100 * value / (requests or 1), 2),
        }
        for (segment, mine, theirs), (n, lost, value) in ranked
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("world", type=Path)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--samples", type=int, default=5000, help="the bound's")
    parser.add_argument("--segment", type=int, default=0, help="for the likelihood check")
    parser.add_argument("--top", type=int, default=12, help="decision groups shown")
    args = parser.parse_args()
    world = load_world(args.world)
    seeds = [int(s) for s in args.seeds.split(",") if s]
    print(json.dumps({"likelihood": likelihood(world, args.segment)}), flush=True)
    for seed in seeds:
        seeded = world.model_copy(update={"seed": seed})
        runs = {
            "segment_oracle": simulate(seeded, PolicyName.SEGMENT_ORACLE),
            "generator_mean": simulate(seeded, generator_mean_factory(200_000)),
        }
        found = {k: first_attempts(run) for k, run in runs.items()}
        print(json.dumps({"seed": seed, "first_attempts": found}), flush=True)
    for group in decisions(world, seeds, args.samples, args.top):
        print(json.dumps(group), flush=True)


if __name__ == "__main__":
    main()
