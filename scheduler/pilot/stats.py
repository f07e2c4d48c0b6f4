"""The statistics of the pilot: intervals for a difference between two arms, and sample sizes.

Pure functions over numbers, tested against hand-computed values
(``tests/test_pilot_report.py``):

- :func:`wilson` and :func:`newcombe`: a proportion's Wilson score interval,
  and Newcombe's hybrid score interval for the difference of two independent
  proportions (method 10 of Newcombe 1998; it keeps its coverage near 95 % at
  the 20 to 30 callbacks a day a pilot starts with, where the Wald interval
  does not);
- :func:`ratio_difference`: the difference of two ratio estimators (attempts
  per contact: all attempts over the requests reached) with the delta
  method's variance for each arm and a normal (Welch-type, unequal
  variances) interval: it is a formula, so it can be checked by hand and
  costs nothing at 100,000 requests;
- :func:`mean_difference`: the difference of two means with a normal
  (Welch-type, unequal variances) interval: the money's per-callback gain,
  which is a mean over requests, so a formula, like the ratio's;
- :func:`bootstrap_difference`: a percentile bootstrap interval for the
  difference of any statistic of two independent samples (the median hours
  to contact has no simple variance); resampled requests, a fixed seed so
  that the same data give the same interval in the CLI and on the console;
- :func:`n_for_proportions` and :func:`n_for_means`: the size per arm needed
  to detect an effect with a two-sided test at ``alpha`` with ``power``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import norm

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20260
BOOTSTRAP_CELLS = 2_000_000  # resampled values held at once


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float

    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def _z(alpha: float) -> float:
    return float(norm.ppf(1 - alpha / 2))


def wilson(successes: int, n: int, alpha: float = 0.05) -> Interval:
    """The Wilson score interval of ``successes / n`` (n > 0)."""
    if n <= 0:
        raise ValueError("a proportion of nothing has no interval")
    z = _z(alpha)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def newcombe(x1: int, n1: int, x2: int, n2: int, alpha: float = 0.05) -> Interval:
    """Newcombe's hybrid score interval for ``x1/n1 - x2/n2``."""
    p1, p2 = x1 / n1, x2 / n2
    a, b = wilson(x1, n1, alpha), wilson(x2, n2, alpha)
    d = p1 - p2
    return Interval(
        d - math.sqrt((p1 - a.low) ** 2 + (b.high - p2) ** 2),
        d + math.sqrt((a.high - p1) ** 2 + (p2 - b.low) ** 2),
    )


def ratio_difference(
    top_a: Sequence[float],
    bottom_a: Sequence[float],
    top_b: Sequence[float],
    bottom_b: Sequence[float],
    alpha: float = 0.05,
) -> Interval:
    """Interval of ``sum(top_a)/sum(bottom_a) - sum(top_b)/sum(bottom_b)`` (per-unit pairs).

    Each ratio R = sum(t) / sum(b) over n units has the delta method's variance
    sum((t_i - R b_i)^2) / (n - 1) / (n mean(b)^2); needs n >= 2 and sum(b) > 0.
    """

    def ratio_and_variance(top: Sequence[float], bottom: Sequence[float]) -> tuple[float, float]:
        t, b = np.asarray(top, dtype=np.float64), np.asarray(bottom, dtype=np.float64)
        n = len(t)
        if n < 2 or b.sum() <= 0:
            raise ValueError("a ratio needs two units and a non-zero denominator")
        ratio = float(t.sum() / b.sum())
        residual = t - ratio * b
        return ratio, float((residual**2).sum() / (n - 1) / (n * b.mean() ** 2))

    ra, va = ratio_and_variance(top_a, bottom_a)
    rb, vb = ratio_and_variance(top_b, bottom_b)
    half = _z(alpha) * math.sqrt(va + vb)
    return Interval(ra - rb - half, ra - rb + half)


def mean_difference(a: Sequence[float], b: Sequence[float], alpha: float = 0.05) -> Interval:
    """Interval of ``mean(a) - mean(b)``: normal, each mean's variance its own (n >= 2 each)."""
    if len(a) < 2 or len(b) < 2:
        raise ValueError("a mean's variance needs two values")
    va = statistics.variance(a) / len(a)
    vb = statistics.variance(b) / len(b)
    d = statistics.fmean(a) - statistics.fmean(b)
    half = _z(alpha) * math.sqrt(va + vb)
    return Interval(d - half, d + half)


Statistic = Callable[[NDArray[np.float64]], NDArray[np.float64]]
"""Rows of resampled values ``[resamples, n]`` -> the statistic per row ``[resamples]``."""


def bootstrap_difference(
    a: Sequence[float] | NDArray[np.float64],
    b: Sequence[float] | NDArray[np.float64],
    statistic: Statistic,
    *,
    alpha: float = 0.05,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Interval:
    """Percentile bootstrap interval of ``statistic(a) - statistic(b)``.

    ``a`` and ``b`` may be 2-D (``[n, k]``: one row per request, as for a
    ratio of two sums); rows are resampled with replacement within each arm.
    """
    rng = np.random.default_rng(seed)
    xa, xb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    # In batches of resamples, so that a pilot of 100,000 requests needs tens of MB, not GB.
    batch = max(1, BOOTSTRAP_CELLS // max(len(xa), len(xb)))
    parts = []
    for start in range(0, resamples, batch):
        k = min(batch, resamples - start)
        da = statistic(xa[rng.integers(0, len(xa), size=(k, len(xa)))])
        db = statistic(xb[rng.integers(0, len(xb), size=(k, len(xb)))])
        parts.append(da - db)
    diffs = np.concatenate(parts)
    diffs = diffs[np.isfinite(diffs)]
    low, high = np.quantile(diffs, [alpha / 2, 1 - alpha / 2])
    return Interval(float(low), float(high))


def median(rows: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(np.median(rows, axis=-1), dtype=np.float64)


def n_for_proportions(baseline: float, effect: float, alpha: float, power: float) -> int:
    """Requests per arm to detect ``baseline`` -> ``baseline + effect`` (two-sided).

    The normal approximation with the pooled variance under the null
    (Fleiss, without continuity correction).
    """
    p1 = baseline
    p2 = min(max(baseline + effect, 0.0), 1.0)
    pbar = (p1 + p2) / 2
    numerator = _z(alpha) * math.sqrt(2 * pbar * (1 - pbar)) + float(norm.ppf(power)) * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2)
    )
    return math.ceil(numerator**2 / (p2 - p1) ** 2)


def n_for_means(sd: float, effect: float, alpha: float, power: float) -> int:
    """Units per arm to detect a shift of ``effect`` in a mean with standard deviation ``sd``."""
    return math.ceil(2 * ((_z(alpha) + float(norm.ppf(power))) * sd / effect) ** 2)
