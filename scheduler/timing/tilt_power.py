"""How strongly a segment's pooled signals tilt its cold-start prior, chosen by its calls.

A segment's pooled activity (:mod:`scheduler.timing.segment_activity`) is a mix:
events drawn from when its customers are around, and events at any waking hour
(people browse and read mail at hours they would not take a call). The tilt
``events / expected events`` per slot is so pulled towards 1 by the second
part, by how much depends on the shop's customers, not on anything the model
knows. A power on the tilt undoes that: ``tilt ** power``, rescaled so the
reachability the prior gives overall is unchanged.

The segment's own call outcomes choose the power. Each power's shape (the
cold-start curve times the powered tilt) is scored by how well it explains the
segment's answers slot by slot, its level scaled to the answers the segment
got (the shape is judged, not the level), as a Bernoulli log-likelihood. The
signals never saw these answers, so this is a held-out check of each shape.
The first power is kept until another explains the answers better by a
margin, as the prior's strength is chosen
(:func:`scheduler.timing.contact_model.prior_choice`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def powered_tilt(prior: FloatArray, tilt: FloatArray, power: float) -> FloatArray:
    """``tilt ** power``, scaled so that reachability weighted by ``prior`` is unchanged
    (power 1: ``tilt`` itself; 0: no tilt)."""
    if power == 1.0:
        return tilt
    factor = np.asarray(tilt, dtype=np.float64) ** power
    level = float((prior * factor).sum())
    if level > 0:
        factor = factor * (float(prior.sum()) / level)
    return np.asarray(factor, dtype=np.float64)


def shape_log_likelihood(shape: FloatArray, tries: FloatArray, answers: FloatArray) -> float:
    """Bernoulli log-likelihood of ``answers`` of ``tries`` per slot under ``shape``
    scaled to the answers got (``answers.sum()`` expected in all); 0 with no tries."""
    expected = float((tries * shape).sum())
    if expected <= 0 or float(tries.sum()) <= 0:
        return 0.0
    scale = max(float(answers.sum()), 0.5) / expected
    p = np.clip(shape * scale, 1e-3, 1 - 1e-3)
    return float((answers * np.log(p) + (tries - answers) * np.log1p(-p)).sum())


def chosen_power(
    prior: FloatArray,
    tilt: FloatArray,
    tries: FloatArray,
    answers: FloatArray,
    powers: Sequence[float],
    margin_nats: float,
) -> float:
    """The power of ``tilt`` whose shape explains the segment's ``answers`` of ``tries``
    best: ``powers[0]`` unless a later one beats every one kept before it by more than
    ``margin_nats`` (so with no calls, ``powers[0]``)."""
    best_power = powers[0]
    best = _score(prior, tilt, tries, answers, best_power)
    for power in powers[1:]:
        score = _score(prior, tilt, tries, answers, power)
        if score > best + margin_nats:
            best_power, best = power, score
    return best_power


def _score(
    prior: FloatArray, tilt: FloatArray, tries: FloatArray, answers: FloatArray, power: float
) -> float:
    shape = np.clip(prior * powered_tilt(prior, tilt, power), 0.001, 0.97)
    return shape_log_likelihood(shape, tries, answers)
