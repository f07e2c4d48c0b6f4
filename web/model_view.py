"""The Model page: the contact model's age and fallbacks, its calibration from real outcomes,
and the learned hour-of-week heatmap per segment.

The calibration (reliability) curve is pure: each predicted attempt's
chance of an answer, as the model stated it for the planned hour
(``callback_attempts.chance``), against whether the customer answered, in ten
bins. A calibrated model's points lie on the diagonal. It is drawn from real
customers' attempts; the simulated ones (`spillway simulate --store`) are left
out and counted, and only when no real predicted attempt has ended does the
curve come from them, said as such (:func:`calibration`). Attempts logged
before the chance was kept (migration 26) kept only how often the policy's
draws picked the hour, which is no chance of an answer: they are left out and
counted too. The heatmaps are the model the console fits from the real
customers' attempts (the same fit the scheduler refits with); with none, they
are its starting values, and the page says so (:func:`learned`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scheduler.timing.contact_model import ContactModel, slot_of
from scheduler.timing.explain import DAYS
from spillway.storage import Store

BINS = 10
# The attempts a calibration reads at most (the newest).
CALIBRATION_ROWS = 200_000


@dataclass(frozen=True, slots=True)
class CalibrationBin:
    low: float
    high: float
    attempts: int
    mean_predicted: float
    observed: float  # the share answered


def reliability(pairs: Iterable[tuple[float, bool]], bins: int = BINS) -> list[CalibrationBin]:
    """Predicted probability against the observed answer rate, per probability bin (pure)."""
    counts = [0] * bins
    predicted = [0.0] * bins
    answered = [0] * bins
    for p, was_answered in pairs:
        b = min(int(p * bins), bins - 1) if p >= 0 else 0
        counts[b] += 1
        predicted[b] += p
        answered[b] += bool(was_answered)
    return [
        CalibrationBin(
            b / bins,
            (b + 1) / bins,
            counts[b],
            round(predicted[b] / counts[b], 4),
            round(answered[b] / counts[b], 4),
        )
        for b in range(bins)
        if counts[b]
    ]


# The predicted attempts that ended, of real (0) or simulated (1) requests; an attempt
# whose request is gone (forgotten) counts as real.
_ENDED_PREDICTED = (
    "FROM callback_attempts a LEFT JOIN callback_requests r ON r.id = a.request_id "
    "WHERE a.policy = 'predicted' AND a.outcome IS NOT NULL "
    "AND a.outcome NOT IN ('not_started', 'lost') AND COALESCE(r.simulated, 0) = :simulated"
)
_WITH_CHANCE = f"{_ENDED_PREDICTED} AND a.chance IS NOT NULL"
_WITHOUT_CHANCE = f"{_ENDED_PREDICTED} AND a.chance IS NULL"


@dataclass(frozen=True, slots=True)
class Calibration:
    """What the calibration curve is drawn from."""

    pairs: list[tuple[float, bool]]  # (chance of an answer stated, answered), newest first
    simulated: bool  # the pairs are simulated attempts' (no real predicted attempt has ended)
    simulated_left_out: int  # simulated predicted attempts not counted beside real ones
    # Predicted attempts of the same kind (real, or simulated when drawn from those) that
    # kept no chance: logged before it was kept. Left out; the page says how many.
    without_chance: int = 0


def calibration_pairs(store: Store, *, simulated: bool = False) -> list[tuple[float, bool]]:
    """The ended predicted attempts' stated chances and outcomes, of real requests or of
    simulated ones (worker thread)."""
    rows = store.query(
        f"SELECT a.chance, a.outcome {_WITH_CHANCE} ORDER BY a.started_at DESC LIMIT :n",
        {"n": CALIBRATION_ROWS, "simulated": int(simulated)},
    )
    return [(float(r["chance"]), r["outcome"] == "answered") for r in rows]


def _count(store: Store, where: str, simulated: bool) -> int:
    [row] = store.query(f"SELECT COUNT(*) AS n {where}", {"simulated": int(simulated)})
    return int(row["n"])


def calibration(store: Store) -> Calibration:
    """Real attempts first; the simulated ones only when there is no real one (worker thread)."""
    real = calibration_pairs(store)
    real_without = _count(store, _WITHOUT_CHANCE, simulated=False)
    if real or real_without:
        left_out = _count(store, _ENDED_PREDICTED, simulated=True)
        return Calibration(real, False, left_out, real_without)
    pairs = calibration_pairs(store, simulated=True)
    without = _count(store, _WITHOUT_CHANCE, simulated=True)
    return Calibration(
        pairs, simulated=bool(pairs or without), simulated_left_out=0, without_chance=without
    )


@dataclass(frozen=True, slots=True)
class Learned:
    """What the heatmaps were learned from: the real customers' ended attempts the fit
    read, and the segments they taught (the fit never reads a simulated attempt)."""

    attempts: int
    segments: list[str]  # the segments with attempts of their own, stored names
    simulated_attempts: int  # simulated attempts in the database, never learned from


def learned(model: ContactModel, store: Store) -> Learned:
    """What ``model`` learned from (worker thread)."""
    [row] = store.query(
        "SELECT COUNT(*) AS n FROM callback_attempts WHERE request_id IN "
        "(SELECT id FROM callback_requests WHERE simulated = 1)"
    )
    segments = sorted(model.segments, key=lambda s: (s != "default", s))
    return Learned(model.attempts, segments if model.attempts else [], int(row["n"]))


def segment_heatmaps(model: ContactModel) -> list[tuple[str, list[tuple[str, list[float]]]]]:
    """Per segment the model knows (``default`` first), 7 days of 24 hourly probabilities."""
    names = sorted(set(model.segments) | {"default"}, key=lambda s: (s != "default", s))
    maps = []
    for name in names:
        mean = model.segment_mean(name)
        days = [(DAYS[d], [float(mean[slot_of(d, h)]) for h in range(24)]) for d in range(7)]
        maps.append((name, days))
    return maps


def model_facts(model: ContactModel) -> dict[str, Any]:
    return {
        "fitted_at": model.fitted_at,
        "attempts": model.attempts,
        "segments": len(model.segments),
        "customers": len(model.customers),
        "gbm_weight": model.gbm_weight,
        "holdout_log_loss": model.holdout_log_loss,
    }
