"""The Model page: the contact model's age and fallbacks, its calibration from real outcomes,
and the learned hour-of-week heatmap per segment.

The calibration (reliability) curve is pure: each predicted attempt's
probability, as the policy expected it when it chose the hour, against
whether the customer answered, in ten bins. A calibrated model's points lie
on the diagonal. It is drawn from real customers' attempts; the simulated ones
(`spillway simulate --store`) are left out and counted, and only when no real
predicted attempt has ended does the curve come from them, said as such
(:func:`calibration`). The heatmaps are the model the console fits from the
attempts table (the same fit the scheduler refits with).
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
    "WHERE a.policy = 'predicted' AND a.probability IS NOT NULL AND a.outcome IS NOT NULL "
    "AND a.outcome NOT IN ('not_started', 'lost') AND COALESCE(r.simulated, 0) = :simulated"
)


@dataclass(frozen=True, slots=True)
class Calibration:
    """What the calibration curve is drawn from."""

    pairs: list[tuple[float, bool]]  # (probability expected, answered), newest first
    simulated: bool  # the pairs are simulated attempts' (no real predicted attempt has ended)
    simulated_left_out: int  # simulated predicted attempts not counted beside real ones


def calibration_pairs(store: Store, *, simulated: bool = False) -> list[tuple[float, bool]]:
    """The ended predicted attempts' probabilities and outcomes, of real requests or of
    simulated ones (worker thread)."""
    rows = store.query(
        f"SELECT a.probability, a.outcome {_ENDED_PREDICTED} ORDER BY a.started_at DESC LIMIT :n",
        {"n": CALIBRATION_ROWS, "simulated": int(simulated)},
    )
    return [(float(r["probability"]), r["outcome"] == "answered") for r in rows]


def calibration(store: Store) -> Calibration:
    """Real attempts first; the simulated ones only when there is no real one (worker thread)."""
    real = calibration_pairs(store)
    if real:
        [left_out] = store.query(f"SELECT COUNT(*) AS n {_ENDED_PREDICTED}", {"simulated": 1})
        return Calibration(real, simulated=False, simulated_left_out=int(left_out["n"]))
    pairs = calibration_pairs(store, simulated=True)
    return Calibration(pairs, simulated=bool(pairs), simulated_left_out=0)


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
