"""The power on a segment's pooled-signal tilt, chosen by the segment's answers."""

from __future__ import annotations

import numpy as np

from scheduler.timing.tilt_power import chosen_power, powered_tilt, shape_log_likelihood

SLOTS = 168
POWERS = (1.0, 0.5, 2.0, 3.0)


def _prior() -> np.ndarray:
    return np.full(SLOTS, 0.2)


def _tilt() -> np.ndarray:
    """A tilt that doubles the first 20 slots and halves the rest, before rescaling."""
    tilt = np.full(SLOTS, 0.5)
    tilt[:20] = 2.0
    return tilt


def test_powered_tilt_keeps_reachability_and_sharpens() -> None:
    prior, tilt = _prior(), _tilt()
    squared = powered_tilt(prior, tilt, 2.0)
    assert np.isclose((prior * squared).sum(), prior.sum())
    assert squared[0] / squared[-1] == np.float64(16.0)
    assert powered_tilt(prior, tilt, 1.0) is tilt
    assert np.allclose(powered_tilt(prior, tilt, 0.0), 1.0)


def test_shape_log_likelihood_judges_the_shape_not_the_level() -> None:
    tries = np.full(SLOTS, 10.0)
    answers = np.where(np.arange(SLOTS) < 20, 6.0, 1.0)
    shape = np.where(np.arange(SLOTS) < 20, 0.6, 0.1)
    assert shape_log_likelihood(shape, tries, answers) == shape_log_likelihood(
        shape / 2, tries, answers
    )
    assert shape_log_likelihood(shape, tries, answers) > shape_log_likelihood(
        np.full(SLOTS, 0.3), tries, answers
    )
    assert shape_log_likelihood(shape, np.zeros(SLOTS), np.zeros(SLOTS)) == 0.0


def test_answers_sharper_than_the_tilt_choose_a_higher_power() -> None:
    prior, tilt = _prior(), _tilt()
    truth = np.clip(prior * powered_tilt(prior, tilt, 3.0), 0.001, 0.97)
    tries = np.full(SLOTS, 20.0)
    answers = np.round(tries * truth)
    assert chosen_power(prior, tilt, tries, answers, POWERS, 2.0) == 3.0


def test_answers_that_ignore_the_tilt_choose_a_lower_power() -> None:
    prior, tilt = _prior(), _tilt()
    tries = np.full(SLOTS, 20.0)
    answers = np.round(tries * prior)
    assert chosen_power(prior, tilt, tries, answers, POWERS, 2.0) == 0.5


def test_without_calls_or_clear_evidence_the_first_power_stays() -> None:
    prior, tilt = _prior(), _tilt()
    none = np.zeros(SLOTS)
    assert chosen_power(prior, tilt, none, none, POWERS, 2.0) == 1.0
    few = np.zeros(SLOTS)
    few[0], few[30] = 1.0, 1.0
    assert chosen_power(prior, tilt, few, few * 0, POWERS, 2.0) == 1.0
