"""A customer's own signals as evidence about their hours: a tilt of the contact model's prior.

A customer who opened our e-mails on three Tuesday afternoons, or called us
at 14:05 last week, is telling us when they are around. Each signal (web
visit, e-mail open, inbound call, SMS reply, a shop's own kind) counts in
the hour of the week it fell in, in the customer's local time, weighted by
its age: ``0.5 ** (age / callbacks.signal_half_life_days)``, and not at all
past ``callbacks.signal_horizon_days``.

The tilt of slot ``s`` is a Gamma-Poisson posterior mean of how much more
(or less) active the customer is there than a customer of their segment
would be::

    tilt_s = ((weighted events in s + a) / (weighted events * share_s + a)) ** strength

``share_s`` is the share of a typical customer's events expected in ``s``:
half in proportion to the segment's answer curve (activity goes with
reachability), half spread over waking hours (07-23), since people browse
and read mail at hours they would not take a call. ``a`` (``PSEUDO_EVENTS``)
is how many events a slot needs before it moves much, and ``strength``
(``callbacks.signal_strength``) how far the evidence moves the prior (0: not
at all). The tilt is scaled so that the customer's overall reachability,
weighted by the segment's curve, is unchanged: signals say *when*, not
*whether*. With no signals inside the horizon there is no tilt at all, so a
customer without signals is planned exactly as before.

The same tilt, of the events of all of a segment's customers pooled
(:func:`segment_tilt`), moves the segment's cold-start prior before the
first call outcomes are in: a segment whose customers are active at other
hours than the defaults expect starts from there (the contact model keeps the
plain shape as the alternative the call outcomes may choose).

Pure functions over data; tested without sockets (tests/test_signal_evidence.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from scheduler.signals import SignalEvent
from scheduler.timing.contact_model import SLOTS, FloatArray
from spillway.callback_settings import CallbackSettings

DAY_S = 86400.0
HOUR_S = 3600.0
# Pseudo-events per slot behind the segment's shape: with about as many events in a slot
# as expected plus this many, the slot is left alone; each further event raises it.
PSEUDO_EVENTS = 2.0
# The share of a typical customer's events that follows the segment's answer curve.
CURVE_SHARE = 0.5
WAKING_HOURS = (7, 23)  # local [start, end): when the rest of the activity falls
# Parts of the day an explanation names ("Tuesday afternoons"): [start, end) hours.
PARTS_OF_DAY = (("night", 0, 5), ("morning", 5, 12), ("afternoon", 12, 17), ("evening", 17, 22))


@dataclass(frozen=True, slots=True)
class SignalSettings:
    """``callbacks.signal_*``: how signals weigh (seconds, and the tilt's exponent)."""

    half_life_s: float = 14 * DAY_S
    horizon_s: float = 90 * DAY_S
    strength: float = 1.0

    @classmethod
    def from_settings(cls, cb: CallbackSettings) -> SignalSettings:
        return cls(
            half_life_s=cb.signal_half_life_days * DAY_S,
            horizon_s=cb.signal_horizon_days * DAY_S,
            strength=cb.signal_strength,
        )


def _waking() -> FloatArray:
    hours = np.arange(SLOTS) % 24
    awake = ((hours >= WAKING_HOURS[0]) & (hours < WAKING_HOURS[1])).astype(np.float64)
    return np.asarray(awake / awake.sum(), dtype=np.float64)


WAKING_SHARE = _waking()


# The zones' UTC offsets (seconds) by UTC hour since the epoch: the customers of one
# deployment share a few zones and the hours of the signal horizon (90 days are 2,160
# hours), so planning 100,000 requests asks for the same few thousand again and again.
_OFFSETS: dict[str, dict[int, float]] = {}
_OFFSETS_KEPT = 1 << 17  # hours kept per zone before its table is started again


def _utc_offset_s(timezone: str, hour: int) -> float:
    """The zone's UTC offset in the UTC hour ``hour`` since the epoch (DST changes on hours)."""
    delta = datetime.fromtimestamp(hour * HOUR_S, ZoneInfo(timezone)).utcoffset()
    return delta.total_seconds() if delta else 0.0


def local_slots(at_s: Sequence[float] | FloatArray, timezone: str) -> np.ndarray:
    """The local hour-of-week slot of each moment (Monday 00-01 is 0)."""
    at = np.asarray(at_s, dtype=np.float64).reshape(-1)
    known = _OFFSETS.get(timezone)
    if known is None:
        ZoneInfo(timezone)  # an unknown zone raises here, as it always did, moments or not
        known = _OFFSETS.setdefault(timezone, {})
    if len(known) > _OFFSETS_KEPT:
        known.clear()
    offsets = np.array(
        [
            known[h] if h in known else known.setdefault(h, _utc_offset_s(timezone, h))
            for h in np.floor_divide(at, HOUR_S).astype(np.int64).tolist()
        ],
        dtype=np.float64,
    )
    local_hours = np.floor_divide(at + offsets, HOUR_S).astype(np.int64)
    # 1970-01-01 was a Thursday: slot 3 * 24 of the week.
    return np.asarray((local_hours + 3 * 24) % SLOTS, dtype=np.int64)


def weights(signals: Sequence[SignalEvent], now_s: float, settings: SignalSettings) -> FloatArray:
    """Each signal's weight now: halved every half-life, 0 past the horizon or in the future."""
    return weights_at(np.array([s.at_s for s in signals], dtype=np.float64), now_s, settings)


def weights_at(at: FloatArray, now_s: float, settings: SignalSettings) -> FloatArray:
    """:func:`weights` of the signals' times ``at`` (epoch seconds)."""
    age = now_s - at
    w = 0.5 ** (np.maximum(age, 0.0) / settings.half_life_s)
    return np.asarray(np.where((age >= 0) & (age <= settings.horizon_s), w, 0.0))


def expected_share(segment_curve: FloatArray) -> FloatArray:
    """Where a typical customer of the segment has their events, by slot (sums to 1)."""
    curve = np.asarray(segment_curve, dtype=np.float64)
    total = curve.sum()
    shaped = curve / total if total > 0 else WAKING_SHARE
    return np.asarray(CURVE_SHARE * shaped + (1 - CURVE_SHARE) * WAKING_SHARE, dtype=np.float64)


def slot_weights(
    signals: Sequence[SignalEvent], *, now_s: float, timezone: str, settings: SignalSettings
) -> FloatArray:
    """The weighted events per local slot."""
    counts = np.zeros(SLOTS)
    if signals:
        at = np.array([s.at_s for s in signals], dtype=np.float64)
        np.add.at(counts, local_slots(at, timezone), weights_at(at, now_s, settings))
    return counts


def tilt(
    signals: Sequence[SignalEvent],
    segment_curve: FloatArray,
    *,
    now_s: float,
    timezone: str,
    settings: SignalSettings,
) -> FloatArray | None:
    """The factor on each slot of the customer's prior; None when no signal counts."""
    if not signals or settings.strength == 0:
        return None
    counts = slot_weights(signals, now_s=now_s, timezone=timezone, settings=settings)
    return segment_tilt(counts, segment_curve, settings.strength)


def segment_tilt(
    counts: FloatArray, segment_curve: FloatArray, strength: float = 1.0
) -> FloatArray | None:
    """The factor per slot on ``segment_curve`` from weighted event ``counts`` per local
    slot: one customer's (:func:`tilt`), or all of a segment's customers' pooled, which
    moves the segment's cold-start prior (None when no event counts).

    ``((counts + a) / (expected + a)) ** strength``, scaled so that reachability
    weighted by the curve is unchanged: the events say *when*, not *whether*.
    """
    total = float(np.sum(counts))
    if total <= 0 or strength == 0:
        return None
    expected = total * expected_share(segment_curve)
    factor = ((counts + PSEUDO_EVENTS) / (expected + PSEUDO_EVENTS)) ** strength
    curve = np.asarray(segment_curve, dtype=np.float64)
    level = float((curve * factor).sum())
    if level > 0:
        factor *= curve.sum() / level  # the same reachability overall, moved in time
    return np.asarray(factor, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class SignalReason:
    """Signals of one kind near a slot: what an explanation names."""

    kind: str
    count: int  # events of this kind in the slot's hour or the hours beside it
    weekday: int  # Monday is 0
    part_of_day: str  # night, morning, afternoon, evening


def part_of_day(hour: int) -> str:
    for name, start, end in PARTS_OF_DAY:
        if start <= hour < end:
            return name
    return "night"


def reasons(
    signals: Sequence[SignalEvent],
    slot: int,
    *,
    now_s: float,
    timezone: str,
    settings: SignalSettings,
) -> list[SignalReason]:
    """The signals that count near ``slot`` (its hour and the hours beside it, that weekday),
    by kind, most first: what raised that slot."""
    if not signals:
        return []
    w = weights(signals, now_s, settings)
    slots = local_slots([s.at_s for s in signals], timezone)
    near = (np.abs(slots - slot) <= 1) & (slots // 24 == slot // 24) & (w > 0)
    by_kind: dict[str, int] = {}
    for event, hit in zip(signals, near, strict=True):
        if hit:
            by_kind[event.kind] = by_kind.get(event.kind, 0) + 1
    hour = slot % 24
    return [
        SignalReason(kind, count, slot // 24, part_of_day(hour))
        for kind, count in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
