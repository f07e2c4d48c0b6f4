"""The seasons' effect on reachability, learned from the attempt log: a factor per segment
and season (school holidays, :mod:`spillway.seasons`).

A segment's factor for a season is a Gamma-Poisson posterior mean of its answers
in that season against what its curve expects there (the slot's probability,
times the attempt number's share)::

    factor = (answers in season + SEASON_STRENGTH) / (expected + SEASON_STRENGTH)

so it is 1 with no data and moves as the season's attempts come in (B2B
customers answer less in the summer holiday, a consumer segment perhaps
more). The contact model fits it in turn with the segment curve: a try in a
season counts as ``factor`` tries there, so the holiday weeks do not pull the
curve of ordinary weeks down. With no season in the log the model is exactly
what it was without this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# Pseudo-answers tying a season's factor to 1: a holiday week of a small segment
# (a few dozen attempts, about ten answers) moves it about halfway.
SEASON_STRENGTH = 8.0
# Refinements of the curve and the factors in turn, beyond the attempt numbers' rounds: the
# first curve is fitted with every try counted in full, so the first factor is too near 1.
SEASON_ROUNDS = 3


@dataclass(frozen=True, slots=True)
class SeasonEffect:
    """Learned factors ``[segments, seasons]`` (segments as the model numbers them)."""

    names: dict[str, int]
    factors: FloatArray
    answers: FloatArray  # the answers each factor was learned from
    expected: FloatArray

    def factor(self, segment_index: int, season: str | None) -> float:
        column = self.names.get(season) if season else None
        if column is None or segment_index >= self.factors.shape[0]:
            return 1.0
        return float(self.factors[segment_index, column])


@dataclass(frozen=True, slots=True)
class SeasonRows:
    """Which season each attempt of a log fell in (-1: none), and the segment's code."""

    names: dict[str, int]
    codes: NDArray[np.int64]
    segments: NDArray[np.int64]
    n_segments: int

    @classmethod
    def of(
        cls, seasons: Sequence[str], seg_codes: NDArray[np.int64], n_segments: int
    ) -> SeasonRows | None:
        """None when no attempt fell in a season (the model is then fitted without)."""
        if not any(seasons):
            return None
        names: dict[str, int] = {}
        codes = np.fromiter(
            (names.setdefault(s, len(names)) if s else -1 for s in seasons),
            dtype=np.int64,
            count=len(seasons),
        )
        return cls(names, codes, seg_codes, n_segments)

    def learn(self, answered: FloatArray, expected: FloatArray) -> SeasonEffect:
        """The factors, from each attempt's answer and the answers the curve expects."""
        inside = self.codes >= 0
        cell = self.segments[inside] * len(self.names) + self.codes[inside]
        size = self.n_segments * len(self.names)
        shape = (self.n_segments, len(self.names))
        got: FloatArray = np.asarray(
            np.bincount(cell, weights=answered[inside], minlength=size), dtype=np.float64
        ).reshape(shape)
        wanted: FloatArray = np.asarray(
            np.bincount(cell, weights=expected[inside], minlength=size), dtype=np.float64
        ).reshape(shape)
        # The curve the expectations come from was fitted on every week; how far off it is
        # outside the seasons corrects it inside them, so the first factor is already near
        # its mark instead of creeping there one refinement at a time.
        outside = ~inside
        level = (
            np.bincount(self.segments[outside], answered[outside], self.n_segments)
            + SEASON_STRENGTH
        ) / (
            np.bincount(self.segments[outside], expected[outside], self.n_segments)
            + SEASON_STRENGTH
        )
        wanted = wanted * level[:, None]
        factors = (got + SEASON_STRENGTH) / (wanted + SEASON_STRENGTH)
        return SeasonEffect(dict(self.names), factors, got, wanted)

    def per_attempt(self, effect: SeasonEffect) -> FloatArray:
        """Each attempt's factor (1 outside every season)."""
        out = np.ones(len(self.codes))
        inside = self.codes >= 0
        out[inside] = effect.factors[self.segments[inside], self.codes[inside]]
        return out
