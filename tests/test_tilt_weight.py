"""A segment's calls weigh its customers' own signal tilt (scheduler/timing/tilt_weight.py):
with no evidence the tilt is kept whole; where the answers ignore it, it goes; where they
follow it more than it says, it is raised; the fit learns it per segment and the model
applies it; the simulator logs each attempt's tilt for the fit."""

from __future__ import annotations

import numpy as np

from scheduler.simulation.simulator import PolicyName, simulate
from scheduler.simulation.world import load_world
from scheduler.timing import tilt_weight
from scheduler.timing.contact_model import SLOTS, AttemptLog, fit
from scheduler.timing.tilt_weight import TILT_POWERS, at_slot, chosen_powers, powered
from spillway.paths import repo_root

CURVE = np.full(SLOTS, 0.3)
PEAKS = (100, 40)  # customers' own active slots: even customers 100, odd ones 40


def _factor(peak_slot: int = PEAKS[0], peak: float = 3.0) -> np.ndarray:
    """A tilt raising ``peak_slot``, scaled as the signal evidence scales it (mean 1)."""
    raw = np.ones(SLOTS)
    raw[peak_slot] = peak
    return raw * (CURVE.sum() / (CURVE * raw).sum())


def _attempts(
    n: int, answer_own: float, rng: np.random.Generator, peak: float = 3.0
) -> AttemptLog:
    """``n`` first attempts of segment "trades": each customer's signals point at their own
    peak (:data:`PEAKS`), each called half the time there and half at the other customers'
    peak. They answer ``answer_own`` at their own, 0.3 at the other: the segment's curve is
    the same at both, so only the customers' own signals can tell them apart."""
    customer = np.arange(n)
    own_peak = np.array(PEAKS)[customer % 2]
    other_peak = np.array(PEAKS)[(customer + 1) % 2]
    at_own = (customer // 2) % 2 == 0
    slot = np.where(at_own, own_peak, other_peak)
    p = np.where(at_own, answer_own, 0.3)
    rows = np.vstack(
        [at_slot(_factor(int(o), peak), CURVE, int(s)) for o, s in zip(own_peak, slot)]
    )
    return AttemptLog(
        customer=[f"c{i}" for i in customer],
        segment=["trades"] * n,
        slot=slot.astype(np.int64),
        attempt_no=np.ones(n, dtype=np.int64),
        answered=rng.random(n) < p,
        tilt=rows,
    )


def test_powered_keeps_reachability_and_power_zero_is_no_tilt() -> None:
    factor = _factor()
    for power in TILT_POWERS:
        moved = powered(factor, CURVE, power)
        assert np.isclose((CURVE * moved).sum(), (CURVE * factor).sum())
    assert np.allclose(powered(factor, CURVE, 0.0), 1.0)
    assert powered(factor, CURVE, 1.0) is factor
    assert powered(factor, CURVE, 2.0)[PEAKS[0]] > factor[PEAKS[0]]


def test_without_evidence_the_tilt_is_kept_whole() -> None:
    # No attempts at all, and attempts of customers without signals (rows of ones).
    none = chosen_powers(np.zeros(0, dtype=np.int64), 2, np.zeros(0), np.zeros(0), np.ones((0, 7)))
    assert list(none) == [1.0, 1.0]
    ones = np.ones((50, len(TILT_POWERS)))
    answered = (np.arange(50) % 3 == 0).astype(float)
    flat = chosen_powers(np.zeros(50, dtype=np.int64), 1, np.full(50, 0.3), answered, ones)
    assert list(flat) == [1.0]


def test_a_few_calls_are_not_enough_to_drop_the_tilt() -> None:
    rng = np.random.default_rng(3)
    log = _attempts(12, answer_own=0.3, rng=rng)
    assert fit(log, now=0.0, gbm=False).tilt_power == {}


def test_calls_that_ignore_the_signals_take_the_tilt_away() -> None:
    rng = np.random.default_rng(1)
    model = fit(_attempts(4000, answer_own=0.3, rng=rng), now=0.0, gbm=False)
    assert model.tilt_power["trades"] == 0.0
    # The model then plans a customer with that tilt as one without signals (the tilt
    # scaled to the segment's curve, as the signal evidence scales it).
    curve = model.segment_mean("trades")
    factor = _factor() * curve.sum() / (curve * _factor()).sum()
    tilted = model.mean("new", "trades", tilt=factor)
    assert np.allclose(tilted, model.mean("new", "trades"))
    # Kept whole, the same tilt would have tripled the customer's peak.
    object.__setattr__(model, "tilt_power", {})
    assert model.mean("new", "trades", tilt=factor)[PEAKS[0]] > 2 * tilted[PEAKS[0]]


def test_calls_that_partly_confirm_the_signals_weaken_the_tilt() -> None:
    # The tilt says 3 x at a customer's own peak; they answer 0.6 there against 0.3.
    rng = np.random.default_rng(2)
    model = fit(_attempts(4000, answer_own=0.6, rng=rng), now=0.0, gbm=False)
    assert 0.0 < model.tilt_power["trades"] < 1.0


def test_calls_that_follow_the_signals_more_than_the_tilt_says_raise_it() -> None:
    # A weak tilt (1.2 x at the peak), and customers who answer 0.95 there against 0.3.
    rng = np.random.default_rng(2)
    model = fit(_attempts(4000, answer_own=0.95, rng=rng, peak=1.2), now=0.0, gbm=False)
    assert model.tilt_power["trades"] > 1.0


def test_the_margin_and_the_powers_are_the_only_levers() -> None:
    # One power (the whole tilt) is the code before this change: nothing is learned.
    rng = np.random.default_rng(1)
    original = tilt_weight.TILT_POWERS
    tilt_weight.TILT_POWERS = (1.0,)
    try:
        rows = _attempts(4000, answer_own=0.3, rng=rng)
        log = AttemptLog(
            rows.customer,
            rows.segment,
            rows.slot,
            rows.attempt_no,
            rows.answered,
            tilt=np.ones((len(rows), 1)),
        )
        assert fit(log, now=0.0, gbm=False).tilt_power == {}
    finally:
        tilt_weight.TILT_POWERS = original


def test_the_simulator_logs_each_attempts_tilt_for_predicted_only() -> None:
    path = repo_root() / "configs" / "worlds" / "signals_apart" / "mixed_sparse.yaml"
    world = load_world(path).model_copy(update={"days": 4, "seed": 2})
    predicted = simulate(world, PolicyName.PREDICTED)
    rows = [a.tilt for a in predicted.attempts if a.tilt is not None]
    assert rows, "no attempt of a customer with signals logged its tilt"
    assert all(len(r) == len(TILT_POWERS) for r in rows)
    # Power 0 is no tilt: ones; the whole tilt differs from 1 somewhere.
    assert all(np.isclose(r[TILT_POWERS.index(0.0)], 1.0) for r in rows)
    assert any(r[0] != 1.0 for r in rows)
    traditional = simulate(world, PolicyName.TRADITIONAL)
    assert all(a.tilt is None for a in traditional.attempts)
    silent = simulate(world, PolicyName.PREDICTED, signals=None)
    assert all(a.tilt is None for a in silent.attempts)
