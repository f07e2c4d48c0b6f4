"""What any learner could reach on a world: the slot policy fed the exact Bayes posterior.

The issue's goal is set against ``oracle``, the slot policy fed each
customer's *true* probabilities, which include draws no policy can observe
(each customer's noise and personal peak hours). This benchmark asks how
far the same decision rule gets when it knows everything that *can* be
known: the world's own generator (the segment's matrix, its noise and its
peak settings, as written in the world file) and every answer the customer
gave so far. Its beliefs are the posterior mean of the customer's matrix,
by importance sampling from that generator: ``samples`` prior matrices per
segment, each weighted by the likelihood of the customer's attempt history.
For a customer never called this is the generator's mean, which is what
``segment_oracle`` knows plus the expected peaks and noise.

No learner that sees only the attempt log can beat this in expectation
with the same decision rule (up to the sampling error): where it closes
less than 70% of the traditional-oracle gap, no such policy can close more.

With ``signals=True`` (a world with a ``signals:`` block) each sample is also
weighted by the likelihood of the customer's signal events before now under
the world's own signal generator (a share ``fidelity`` in proportion to the
sampled matrix, the rest on waking hours): the bound for a learner that sees
the attempt log and the signals (bench/signals_ablation.py runs it).

A world with seasons (school holidays) is the generator too: an attempt made in a
season is weighed with the sampled probability times the season's true factor, and
the policy weighs each hour by it, as ``oracle`` and ``segment_oracle`` do.

    PYTHONPATH=. python -m bench.policy_bound configs/worlds/*.yaml
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from scheduler.rules import HOUR_S, RequestFacts
from scheduler.signals import SignalEvent
from scheduler.simulation.ablation import gap_closed
from scheduler.simulation.report import kpis
from scheduler.simulation.signal_world import WAKING
from scheduler.simulation.simulator import PolicyName, SimAttempt, SimRun, simulate
from scheduler.simulation.world import (
    MAX_PROB,
    PEAK_SLOTS,
    Population,
    Segment,
    World,
    load_world,
    patience_hours,
    season_of,
    true_season_factor,
)
from scheduler.timing.contact_model import SLOTS, FloatArray, slot_of
from scheduler.timing.policy import Policy
from scheduler.timing.signal_evidence import local_slots
from scheduler.timing.slot_policy import SlotPolicy

NAME = "posterior_bound"
PEAKS = np.array(PEAK_SLOTS)


def prior_samples(segment: Segment, samples: int, rng: np.random.Generator) -> FloatArray:
    """``[samples, 168]`` customer matrices, drawn as ``simulation.world.population`` draws."""
    noise = segment.customer_noise
    person = np.exp(rng.normal(0, noise, size=(samples, 1)))
    cell = np.exp(rng.normal(0, noise / 2, size=(samples, SLOTS)))
    matrix = segment.matrix() * person * cell
    peak = segment.personal_peak
    if peak is not None and peak.hours:
        chosen = np.argsort(rng.random((samples, len(PEAKS))), axis=1)[:, : peak.hours]
        rows = np.repeat(np.arange(samples), peak.hours)
        matrix[rows, PEAKS[chosen].ravel()] *= peak.boost
    return np.asarray(np.clip(matrix, 0.0, MAX_PROB), dtype=np.float64)


class PosteriorBeliefs:
    """Each customer's posterior mean matrix from their attempts in the running simulation."""

    def __init__(
        self,
        world: World,
        people: Population,
        attempts: Callable[[], Sequence[SimAttempt]],
        samples: int,
        signals: bool = False,
    ) -> None:
        rng = np.random.default_rng([world.seed, 99])
        self.prior = [prior_samples(s, samples, rng) for s in world.segments]
        self.log_p = [np.log(np.maximum(p, 1e-9)) for p in self.prior]
        self.log_q = [np.log(np.maximum(1 - p, 1e-9)) for p in self.prior]
        # Each segment's seasons' true factors, by name (the generator's, as the oracles know).
        self.factors = [{p.name: p.answer_factor for p in s.seasons} for s in world.segments]
        self.prior_mean = [p.mean(axis=0) for p in self.prior]
        # log P(an event falls in slot s | the sampled matrix), per segment with signals.
        self.log_share: list[FloatArray | None] = []
        for seg, segment in zip(self.prior, world.segments, strict=True):
            block = segment.signals
            if not signals or block is None:
                self.log_share.append(None)
                continue
            own = seg / np.maximum(seg.sum(axis=1, keepdims=True), 1e-12)
            share = block.fidelity * own + (1 - block.fidelity) * WAKING / WAKING.sum()
            self.log_share.append(np.log(np.maximum(share, 1e-12)))
        self.people = people
        self.index = {pid: i for i, pid in enumerate(people.ids)}
        self.attempts = attempts
        self.seen = 0
        # (slot, answered, the season's factor then: 1 outside every season)
        self.history: dict[int, list[tuple[int, bool, float]]] = {}
        self.ess: list[float] = []  # effective sample size of each posterior with history

    def _catch_up(self) -> None:
        log = self.attempts()
        for attempt in log[self.seen :]:
            slot = slot_of(attempt.local_weekday, attempt.local_hour)
            seg = int(self.people.segment[attempt.customer])
            factor = self.factors[seg].get(attempt.season, 1.0) if attempt.season else 1.0
            self.history.setdefault(attempt.customer, []).append((slot, attempt.answered, factor))
        self.seen = len(log)

    def mean(self, customer: int, signals: Sequence[SignalEvent] = ()) -> FloatArray:
        self._catch_up()
        seg = int(self.people.segment[customer])
        past = self.history.get(customer)
        log_share = self.log_share[seg]
        # The generator's own events (a request's inbound call says nothing about the hours).
        events = [e.at_s for e in signals if e.kind != "inbound_call"]
        if not past and (log_share is None or not events):
            return self.prior_mean[seg]
        log_w = np.zeros(len(self.prior[seg]))
        if past:
            slots = np.array([s for s, _, _ in past])
            answered = np.array([a for _, a, _ in past])
            factors = np.array([f for _, _, f in past])
            plain = factors == 1.0
            log_w += self.log_p[seg][:, slots[answered & plain]].sum(axis=1)
            log_w += self.log_q[seg][:, slots[~answered & plain]].sum(axis=1)
            if not plain.all():  # in a season: the sample's probability times its factor
                p = np.clip(self.prior[seg][:, slots[~plain]] * factors[~plain], 0.0, MAX_PROB)
                hit = answered[~plain]
                log_w += np.where(
                    hit, np.log(np.maximum(p, 1e-9)), np.log(np.maximum(1 - p, 1e-9))
                ).sum(axis=1)
        if log_share is not None and events:
            zone = self.people.timezone[customer]
            counts = np.bincount(local_slots(events, zone), minlength=SLOTS).astype(np.float64)
            log_w += log_share @ counts
        w = np.exp(log_w - log_w.max())
        w /= w.sum()
        self.ess.append(float(1.0 / np.sum(w**2)))
        return np.asarray(w @ self.prior[seg], dtype=np.float64)


class BoundPolicyFactory:
    """The simulator's policy factory for the bound; keeps the beliefs for their statistics."""

    def __init__(self, samples: int, signals: bool = False) -> None:
        self.samples = samples
        self.signals = signals
        self.beliefs: PosteriorBeliefs | None = None

    def __call__(self, world: World, people: Population, running: Callable[[], Any]) -> Policy:
        beliefs = PosteriorBeliefs(
            world, people, lambda: running().attempts, self.samples, self.signals
        )
        self.beliefs = beliefs

        def probabilities(facts: RequestFacts, rng: np.random.Generator, draws: int) -> FloatArray:
            row = beliefs.mean(beliefs.index[facts.phone], facts.signals)
            return np.repeat(row.reshape(1, SLOTS), draws, axis=0)

        return SlotPolicy(
            NAME,
            probabilities,
            patience_hours(world) * HOUR_S,
            explores=False,
            season_of=season_of(world),
            season_factor=true_season_factor(world),
        )


def compare(world: World, samples: int) -> dict[str, object]:
    """Every policy and the bound on one world: first-attempt contact and the gap closed."""
    runs: dict[str, SimRun] = {}
    seconds: dict[str, float] = {}
    for name in PolicyName:
        started = time.perf_counter()
        runs[name.value] = simulate(world, name)
        seconds[name.value] = time.perf_counter() - started
    factory = BoundPolicyFactory(samples)
    started = time.perf_counter()
    runs[NAME] = simulate(world, factory)
    seconds[NAME] = time.perf_counter() - started
    found = {k: kpis(run) for k, run in runs.items()}
    ess = factory.beliefs.ess if factory.beliefs is not None else []
    return {
        "seed": world.seed,
        "first_attempt_contact_rate": {
            k: v["first_attempt_contact_rate"] for k, v in found.items()
        },
        "attempts_per_contact": {k: v["mean_attempts_per_contact"] for k, v in found.items()},
        "posterior_effective_samples_median": float(np.median(ess)) if ess else None,
        "posteriors_with_history": len(ess),
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
    }


def over_seeds(world: World, seeds: list[int], samples: int) -> dict[str, object]:
    """:func:`compare` on ``world`` re-drawn with each seed; the gap closed by the means."""
    per_seed = [compare(world.model_copy(update={"seed": seed}), samples) for seed in seeds]
    names = [p.value for p in PolicyName] + [NAME]
    mean = {
        k: float(np.mean([r["first_attempt_contact_rate"][k] for r in per_seed]))  # type: ignore[index]
        for k in names
    }
    return {
        "mean_first_attempt_contact_rate": mean,
        "gap_closed_by_the_means": {
            k: gap_closed(mean[k], mean["traditional"], mean["oracle"]) for k in names
        },
        "runs": per_seed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("worlds", nargs="+", type=Path)
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--seeds", default="", help="comma-separated; default: the world's own")
    args = parser.parse_args()
    for path in args.worlds:
        world = load_world(path)
        seeds = [int(s) for s in args.seeds.split(",") if s] or [world.seed]
        result = over_seeds(world, seeds, args.samples)
        print(json.dumps({"world": path.stem, **result}), flush=True)


if __name__ == "__main__":
    main()
