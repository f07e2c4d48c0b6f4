"""A segment's pooled signals: its customers' activity moves its cold-start prior.

Before a segment has call outcomes, its contact model starts from a default
shape (business hours, or the industry's). A pilot's first week is then spent
learning that shape from a few hundred attempts: on the world written apart
``mixed_sparse``, `predicted` closed 25 % of `segment_oracle`'s lead over
`traditional` in week 1. Yet the shop already holds its customers' signals
(web visits, e-mail opens, calls to the bot): half an event a week per
customer is little for one customer, but a segment of a thousand has
thousands, and where they fall says when the segment is around.

So every refit pools the events of each segment's customers inside the signal
horizon, weighted by age as a customer's own are
(:func:`scheduler.timing.signal_evidence.slot_weights`), and turns them into a
factor on the segment's cold-start curve
(:func:`scheduler.timing.signal_evidence.segment_tilt`, the tilt of one
customer's signals, squared: :data:`POOLED_TILT_POWER`). The contact model
offers the tilted shape first and the plain one after it at each prior strength
(:func:`scheduler.timing.contact_model.fit`), so the call outcomes decide once
they are in.

A customer belongs to the segment (and time zone) of their callback requests;
events of numbers with no request are not counted. Reading is capped at the
most recent :data:`MAX_EVENTS` events inside the horizon.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from scheduler.timing.contact_model import SLOTS, FloatArray, cold_start_prior
from scheduler.timing.signal_evidence import SignalSettings, local_slots, segment_tilt, weights_at
from spillway.storage import Store

# The most recent events a refit pools (the older ones weigh little: 14-day half-life).
# Reading them took 2.2 s with 1,000,000 stored for 100,000 customers, 8.2 s at 500,000
# (SQLite, load ~10; bench/bench_segment_activity.py).
MAX_EVENTS = 100_000
# The pooled tilt is the segment's events over those expected, to this power. The events
# mix when customers are around with browsing at any waking hour, which pulls the ratio
# towards 1 (events a customer would make at random hours say nothing about calls), so the
# whole ratio under-states where the segment answers. Against power 1, paired by seed:
# mixed_sparse +0.8 points first-attempt (25 seeds; weeks 3-4 +1.6 / +1.8), nordic_webshop
# +0.9, the other four worlds with signals -0.2 to +0.1 (15 seeds); power 0.5 lost 1.6 on
# mixed_sparse (docs/PERFORMANCE.md, "A sharper pooled tilt"). A customer's own tilt
# keeps power 1.
POOLED_TILT_POWER = 2.0
DEFAULT_SEGMENT = "default"


def pooled_counts(
    events: Iterable[tuple[str, str, float]], *, now_s: float, settings: SignalSettings
) -> dict[str, FloatArray]:
    """``(segment, time zone, at)`` events as weighted counts per local slot, by segment."""
    by_zone: dict[tuple[str, str], list[float]] = {}
    for segment, zone, moment in events:
        by_zone.setdefault((segment, zone), []).append(moment)
    counts: dict[str, FloatArray] = {}
    for (segment, zone), times in by_zone.items():
        at = np.asarray(times, dtype=np.float64)
        row = counts.setdefault(segment, np.zeros(SLOTS))
        np.add.at(row, local_slots(at, zone), weights_at(at, now_s, settings))
    return counts


def prior_tilts(
    counts: Mapping[str, FloatArray], industry: Mapping[str, str], strength: float = 1.0
) -> dict[str, FloatArray]:
    """Each segment's factor on its cold-start prior from its pooled ``counts``, at
    :data:`POOLED_TILT_POWER` times ``strength`` (segments whose events all weigh 0 are
    left out: their prior stays as it is)."""
    tilts: dict[str, FloatArray] = {}
    for segment, row in counts.items():
        curve = cold_start_prior(industry.get(segment))
        found = segment_tilt(row, curve, strength * POOLED_TILT_POWER)
        if found is not None:
            tilts[segment] = found
    return tilts


def read_prior_tilts(
    store: Store,
    industry: Mapping[str, str],
    *,
    now_s: float,
    settings: SignalSettings,
    default_timezone: str = "Europe/Copenhagen",
    limit: int = MAX_EVENTS,
) -> dict[str, FloatArray]:
    """The stored signals inside the horizon, pooled by their customer's segment."""
    if settings.strength == 0:
        return {}
    rows = store.query(
        "SELECT r.segment AS segment, r.timezone AS timezone, s.at AS at "
        "FROM customer_signals s JOIN (SELECT phone, MAX(segment) AS segment, "
        "MAX(timezone) AS timezone FROM callback_requests GROUP BY phone) r "
        "ON r.phone = s.phone WHERE s.at >= :since AND s.at < :now "
        "ORDER BY s.at DESC LIMIT :n",
        {"since": now_s - settings.horizon_s, "now": now_s, "n": limit},
    )
    events = (
        (
            str(r["segment"] or DEFAULT_SEGMENT),
            str(r["timezone"] or default_timezone),
            float(r["at"]),
        )
        for r in rows
    )
    counts = pooled_counts(events, now_s=now_s, settings=settings)
    return prior_tilts(counts, industry, settings.strength)
