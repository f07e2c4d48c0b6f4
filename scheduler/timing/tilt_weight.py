"""How far a segment's calls have confirmed its customers' own signals: a power on their tilt.

A customer's signals tilt their prior (:mod:`scheduler.timing.signal_evidence`):
the hours where they are active are raised, the rest lowered. Whether that is
right depends on the segment. A tradesperson's web visits fall where they
answer; an older customer's only signal may be the time they reached the
overflow bot, which says little about when they pick up a callback.

So each refit weighs the tilt per segment by what the segment's own call
outcomes say. Every attempt carries the customer's tilt in the attempt's slot
as it was when the call was placed, under each power of :data:`TILT_POWERS`
(``tilt ** power``, scaled again so that reachability is unchanged: signals
say *when*, not *whether*). The power whose tilts explain the segment's
answers best (Bernoulli log-likelihood, each attempt's expected answers from
the segment's fitted curve times its tilt) is kept, but only when it beats
the full tilt (power 1, the behaviour before) by :data:`TILT_MARGIN_NATS`:
with no attempts, or attempts of customers without signals, or evidence
that could be chance, the tilt stays as it was.

Pure functions over arrays; tested in tests/test_tilt_weight.py.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# The powers a segment's tilt may get; the first (the full tilt) is kept without evidence.
TILT_POWERS: tuple[float, ...] = (1.0, 0.0, 0.25, 0.5, 0.75, 1.5, 2.0)
# How much better (log-likelihood, nats) another power must explain the segment's answers.
TILT_MARGIN_NATS = 2.0
_CLIP = (1e-3, 0.97)  # probabilities, as the contact model clips a tilted curve


def powered(factor: FloatArray, curve: FloatArray, power: float) -> FloatArray:
    """``factor ** power`` per slot, scaled so that reachability weighted by ``curve`` is as
    with ``factor`` (power 1: ``factor`` itself; power 0: no tilt)."""
    if power == 1.0:
        return factor
    raised = np.asarray(factor, dtype=np.float64) ** power
    level = float((curve * raised).sum())
    if level > 0:
        raised = raised * (float((curve * factor).sum()) / level)
    return np.asarray(raised, dtype=np.float64)


def at_slot(factor: FloatArray | None, curve: FloatArray, slot: int) -> FloatArray:
    """One attempt's row for the fit: the tilt in ``slot`` under each of :data:`TILT_POWERS`
    (ones when the customer had no signal that counted)."""
    if factor is None:
        return np.ones(len(TILT_POWERS))
    return np.array([float(powered(factor, curve, p)[slot]) for p in TILT_POWERS])


def chosen_powers(
    segment: NDArray[np.int64],
    segments: int,
    expected: FloatArray,
    answered: FloatArray,
    tilts: FloatArray,
    margin_nats: float = TILT_MARGIN_NATS,
) -> FloatArray:
    """Each segment's power on its customers' tilt (one per segment, index order).

    ``segment``: each attempt's segment index; ``expected``: its P(answer) before
    any tilt (the segment's fitted curve); ``answered``: 1 or 0; ``tilts``:
    ``[attempts, len(TILT_POWERS)]`` rows of :func:`at_slot`.
    """
    p = np.clip(expected[:, None] * tilts, *_CLIP)
    y = answered[:, None]
    rows = y * np.log(p) + (1 - y) * np.log(1 - p)  # [attempts, powers]
    evidence = np.zeros((segments, len(TILT_POWERS)))
    np.add.at(evidence, segment, rows)
    best = np.argmax(evidence, axis=1)
    beats = evidence[np.arange(segments), best] > evidence[:, 0] + margin_nats
    choice = np.where(beats, best, 0)
    return np.asarray(np.array(TILT_POWERS)[choice], dtype=np.float64)
