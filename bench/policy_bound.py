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

What the bound bounds: the rule picks the hour of the best *P(answer) x lead value*
(scheduler/timing/slot_policy.py), so the posterior mean makes it the best any
learner can do on that product (``rule_value`` below), not on first-attempt contact
alone. A belief that is wrong in the right direction buys contact with time: on
``mixed_sparse`` the tradespeople's 15:00 (0.45) against 12:00 (0.30), when 15:00 is
past the deadline, is worth 1.5 x 0.917 x 0.75 = 1.03 times 12:00 by the segment's
curve, but 0.996 times by the generator's mean (the 0.95 ceiling clips the high
hours' noise more), so ``segment_oracle`` calls at 15:00 and the bound at 12:00:
equal in the rule's value, 15 points apart in contact. Each policy's first attempts
are therefore also given without the answer's draw: ``expected_first_attempt_contact``
(the customer's true probability in the hour called, a season's factor included)
and ``rule_value`` (that times the lead value the rule weighed it by), each with the
share of the traditional-oracle gap it closes. ``--patience-hours`` runs the bound
with a longer patience than the world's: the same rule trading more time for contact.

    PYTHONPATH=. python -m bench.policy_bound configs/worlds/*.yaml
    PYTHONPATH=. python -m bench.policy_bound configs/worlds/signals_apart/mixed_sparse.yaml \
        --signals --seeds 1,2,3 --samples 5000
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from scheduler.timing.slot_policy import PAST_DEADLINE, SlotPolicy

NAME = "posterior_bound"
PEAKS = np.array(PEAK_SLOTS)
# The measures of :func:`first_attempts`, by their keys.
WORTH = ("expected_first_attempt_contact", "rule_value", "hours_to_first_attempt")


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
    """The simulator's policy factory for the bound; keeps the beliefs for their statistics.

    ``patience_hours``: the rule's patience (None: the world's, as every other policy's)."""

    def __init__(
        self, samples: int, signals: bool = False, patience_hours: float | None = None
    ) -> None:
        self.samples = samples
        self.signals = signals
        self.patience_hours = patience_hours
        self.beliefs: PosteriorBeliefs | None = None

    def __call__(self, world: World, people: Population, running: Callable[[], Any]) -> Policy:
        beliefs = PosteriorBeliefs(
            world, people, lambda: running().attempts, self.samples, self.signals
        )
        self.beliefs = beliefs

        def probabilities(facts: RequestFacts, rng: np.random.Generator, draws: int) -> FloatArray:
            row = beliefs.mean(beliefs.index[facts.phone], facts.signals)
            return np.repeat(row.reshape(1, SLOTS), draws, axis=0)

        patience = self.patience_hours or patience_hours(world)
        return SlotPolicy(
            NAME,
            probabilities,
            patience * HOUR_S,
            explores=False,
            season_of=season_of(world),
            season_factor=true_season_factor(world),
        )


@dataclass(frozen=True, slots=True)
class FirstCall:
    """A request's first call, by the customer's truth: what it was worth undrawn."""

    segment: str
    local_hour: int
    wait_s: float  # from the request to the call
    p: float  # the true P(answer) in the hour called, a season's true factor included
    lead: float  # the lead value the slot policy weighs the hour by


def first_calls(run: SimRun) -> dict[int, FirstCall]:
    """Each called request's first call (by request id): the customer's true probability
    in its hour and the lead value (halved every patience from the request, a quarter
    less past its deadline) that the slot policy multiplies it by."""
    world, people = run.world, run.people
    patience_s = patience_hours(world) * HOUR_S
    found: dict[int, FirstCall] = {}
    for attempt in run.attempts:
        if attempt.attempt_no != 1:
            continue
        request = run.requests[attempt.request]
        segment = world.segments[int(people.segment[attempt.customer])]
        slot = slot_of(attempt.local_weekday, attempt.local_hour)
        p = float(people.truth[attempt.customer, slot])
        if attempt.season is not None:
            factor = next(s.answer_factor for s in segment.seasons if s.name == attempt.season)
            p = min(MAX_PROB, p * factor)
        wait_s = attempt.at - request.created_at
        lead = 0.5 ** (wait_s / patience_s)
        if attempt.at > request.deadline_at:
            lead *= PAST_DEADLINE
        found[attempt.request] = FirstCall(segment.name, attempt.local_hour, wait_s, p, lead)
    return found


def first_attempts(run: SimRun) -> dict[str, float]:
    """What the first attempts were worth by the customers' true probabilities, without
    the answers' draws (every request counts, one never called as 0):

    - ``expected_first_attempt_contact``: the mean true P(answer) in the hour of each
      request's first call, a season's true factor included;
    - ``rule_value``: that times the lead value the slot policy weighs the hour by: the
      quantity the rule maximises, so the bound's is at least any learner's;
    - ``hours_to_first_attempt``: the mean wait for the first call (requests called).
    """
    calls = list(first_calls(run).values())
    n = len(run.requests) or 1
    return {
        "expected_first_attempt_contact": sum(c.p for c in calls) / n,
        "rule_value": sum(c.p * c.lead for c in calls) / n,
        "hours_to_first_attempt": sum(c.wait_s for c in calls) / HOUR_S / (len(calls) or 1),
    }


def compare(
    world: World, samples: int, signals: bool = False, bound_patience: float | None = None
) -> dict[str, object]:
    """Every policy and the bound on one world: first-attempt contact and the gap closed
    (``signals``: the bound also sees the customers' signals; ``bound_patience``: its
    patience in hours, None: the world's)."""
    runs: dict[str, SimRun] = {}
    seconds: dict[str, float] = {}
    for name in PolicyName:
        started = time.perf_counter()
        runs[name.value] = simulate(world, name)
        seconds[name.value] = time.perf_counter() - started
    factory = BoundPolicyFactory(samples, signals, bound_patience)
    started = time.perf_counter()
    runs[NAME] = simulate(world, factory)
    seconds[NAME] = time.perf_counter() - started
    found = {k: kpis(run) for k, run in runs.items()}
    worth = {k: first_attempts(run) for k, run in runs.items()}
    ess = factory.beliefs.ess if factory.beliefs is not None else []
    return {
        "seed": world.seed,
        "first_attempt_contact_rate": {
            k: v["first_attempt_contact_rate"] for k, v in found.items()
        },
        **{key: {k: v[key] for k, v in worth.items()} for key in WORTH},
        "attempts_per_contact": {k: v["mean_attempts_per_contact"] for k, v in found.items()},
        "posterior_effective_samples_median": float(np.median(ess)) if ess else None,
        "posteriors_with_history": len(ess),
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
    }


def over_seeds(
    world: World,
    seeds: list[int],
    samples: int,
    signals: bool = False,
    bound_patience: float | None = None,
) -> dict[str, object]:
    """:func:`compare` on ``world`` re-drawn with each seed; the gap closed by the means,
    of first-attempt contact and of each measure of :func:`first_attempts` but the wait."""
    per_seed = [
        compare(world.model_copy(update={"seed": seed}), samples, signals, bound_patience)
        for seed in seeds
    ]
    names = [p.value for p in PolicyName] + [NAME]

    def means(key: str) -> dict[str, float]:
        return {k: float(np.mean([r[key][k] for r in per_seed])) for k in names}  # type: ignore[index]

    def closed(mean: dict[str, float]) -> dict[str, float | None]:
        return {k: gap_closed(mean[k], mean["traditional"], mean["oracle"]) for k in names}

    mean = means("first_attempt_contact_rate")
    found: dict[str, object] = {
        "mean_first_attempt_contact_rate": mean,
        "gap_closed_by_the_means": closed(mean),
    }
    for key in WORTH:
        found[f"mean_{key}"] = means(key)
        if key != "hours_to_first_attempt":
            found[f"{key}_gap_closed_by_the_means"] = closed(means(key))
    found["runs"] = per_seed
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("worlds", nargs="+", type=Path)
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--seeds", default="", help="comma-separated; default: the world's own")
    parser.add_argument("--signals", action="store_true", help="the bound sees the signals")
    parser.add_argument(
        "--patience-hours", type=float, default=None, help="the bound's (default: the world's)"
    )
    args = parser.parse_args()
    for path in args.worlds:
        world = load_world(path)
        seeds = [int(s) for s in args.seeds.split(",") if s] or [world.seed]
        result = over_seeds(world, seeds, args.samples, args.signals, args.patience_hours)
        print(json.dumps({"world": path.stem, **result}), flush=True)


if __name__ == "__main__":
    main()
