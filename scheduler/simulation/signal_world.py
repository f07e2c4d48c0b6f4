"""Simulated customers' own signals: web visits, e-mail opens, app opens, inbound calls.

A segment's ``signals:`` block (:class:`scheduler.simulation.world.SegmentSignals`)
says how many events a customer sends per week of each kind, and how
faithfully their timing follows the customer's true answer curve: a share
``fidelity`` of events falls in an hour of the week with probability
proportional to that customer's true answer probability there (personal
peaks and noise included), the rest uniformly on waking hours (07-23 local).
Events run from ``history_days`` before the simulation's start to after its
last request expires; the simulator hands the policy only those before the
simulated now, as a real deployment would have them.

Each customer's events come from their own random stream (the world's seed
and the customer's index), drawn when first asked for: the same customer
sends the same events whatever the policy, and a world without signals uses
no randomness here at all, so its runs are unchanged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from scheduler.signals import SignalEvent, SignalKind
from scheduler.simulation.world import Population, SegmentSignals, World
from scheduler.timing.contact_model import SLOTS, FloatArray
from scheduler.timing.signal_evidence import SignalSettings, local_slots, slot_weights, weights_at

HOUR_S = 3600.0
WEEK_S = 7 * 86400.0
WAKING = np.array([(s % 24) >= 7 and (s % 24) < 23 for s in range(SLOTS)], dtype=np.float64)
# The kinds a segment's block sets a weekly rate for ("app_open" is a shop's own kind).
RATES = (
    (SignalKind.WEB_VISIT.value, "web_visits_per_week"),
    (SignalKind.EMAIL_OPEN.value, "email_opens_per_week"),
    ("app_open", "app_opens_per_week"),
)


def has_signals(world: World) -> bool:
    return any(s.signals is not None for s in world.segments)


def without_signals(world: World) -> World:
    """``world`` with no segment's signals (the same customers, requests and answers)."""
    segments = [s.model_copy(update={"signals": None}) for s in world.segments]
    return world.model_copy(update={"segments": segments})


def kinds_sent(world: World) -> list[str]:
    """The signal kinds some segment of ``world`` sends (inbound calls last), in RATES order."""
    blocks = [s.signals for s in world.segments if s.signals is not None]
    sent = [kind for kind, key in RATES if any(getattr(b, key) > 0 for b in blocks)]
    if any(b.inbound_call_share > 0 for b in blocks):
        sent.append(SignalKind.INBOUND_CALL.value)
    return sent


def only_kinds(world: World, kinds: set[str]) -> World:
    """``world`` with the rates of every other kind set to 0 (inbound calls kept if named)."""
    segments = []
    for s in world.segments:
        if s.signals is None:
            segments.append(s)
            continue
        update: dict[str, float] = {k: 0.0 for kind, k in RATES if kind not in kinds}
        if SignalKind.INBOUND_CALL.value not in kinds:
            update["inbound_call_share"] = 0.0
        segments.append(s.model_copy(update={"signals": s.signals.model_copy(update=update)}))
    return world.model_copy(update={"segments": segments})


class _LocalClock:
    """Local wall-clock seconds to UTC, for one zone, by the local hour (DST-correct)."""

    def __init__(self, zone: str, first_monday: datetime, weeks: int) -> None:
        tz = ZoneInfo(zone)
        self.start = first_monday
        self.utc_hours = np.array(
            [
                (first_monday + timedelta(hours=h)).replace(tzinfo=tz).timestamp()
                for h in range(weeks * SLOTS + 1)
            ]
        )

    def utc(self, local_hours: np.ndarray, within_hour_s: np.ndarray) -> np.ndarray:
        return np.asarray(self.utc_hours[local_hours] + within_hour_s)


@dataclass
class SimSignals:
    """The signals of a world's customers, drawn on demand, and the inbound calls seen."""

    world: World
    people: Population
    expiry_s: float
    _drawn: dict[int, tuple[np.ndarray, tuple[SignalEvent, ...]]] = field(default_factory=dict)
    _inbound: dict[int, list[SignalEvent]] = field(default_factory=dict)
    _clocks: dict[str, _LocalClock] = field(default_factory=dict)
    _slots: dict[int, np.ndarray] = field(default_factory=dict)  # drawn events' local slots

    def _block(self, customer: int) -> SegmentSignals | None:
        return self.world.segments[int(self.people.segment[customer])].signals

    def _clock(self, zone: str, block: SegmentSignals) -> tuple[_LocalClock, int]:
        start = self.world.start.astimezone(ZoneInfo(zone)) - timedelta(days=block.history_days)
        monday = datetime(start.year, start.month, start.day) - timedelta(days=start.weekday())
        weeks = int((block.history_days + self.world.days + self.expiry_s / 86400.0) // 7) + 3
        key = f"{zone}|{monday.isoformat()}|{weeks}"
        if key not in self._clocks:
            self._clocks[key] = _LocalClock(zone, monday, weeks)
        return self._clocks[key], weeks

    def _draw(self, customer: int) -> tuple[np.ndarray, tuple[SignalEvent, ...]]:
        block = self._block(customer)
        if block is None:
            return np.zeros(0), ()
        rng = np.random.default_rng([self.world.seed, 2, customer])
        zone = self.people.timezone[customer]
        clock, weeks = self._clock(zone, block)
        first = self.world.start.timestamp() - block.history_days * 86400.0
        last = self.world.start.timestamp() + self.world.days * 86400.0 + self.expiry_s
        truth = self.people.truth[customer]
        own = truth / truth.sum() if truth.sum() > 0 else WAKING / WAKING.sum()
        waking = WAKING / WAKING.sum()
        times, kinds = [], []
        for kind, rate_key in RATES:
            rate = float(getattr(block, rate_key))
            if rate <= 0:
                continue
            n = int(rng.poisson(rate * weeks))  # over whole weeks; trimmed to the span below
            faithful = rng.random(n) < block.fidelity
            slots = np.where(
                faithful, rng.choice(SLOTS, size=n, p=own), rng.choice(SLOTS, size=n, p=waking)
            )
            week = rng.integers(0, weeks, size=n)
            at = clock.utc(week * SLOTS + slots, rng.uniform(0, HOUR_S, size=n))
            times.append(at)
            kinds.extend([kind] * n)
        if not times:
            return np.zeros(0), ()
        at = np.concatenate(times)
        keep = (at >= first) & (at < last)
        order = np.argsort(at[keep], kind="stable")
        at_sorted = at[keep][order]
        kept_kinds = [k for k, ok in zip(kinds, keep, strict=True) if ok]
        phone = self.people.ids[customer]
        events = tuple(
            SignalEvent(phone, kept_kinds[int(i)], float(a))
            for i, a in zip(order, at_sorted, strict=True)
        )
        return at_sorted, events

    def arrived(self, customer: int, at: float) -> None:
        """A request arrived: through the overflow bot (the block's share), it is a call."""
        block = self._block(customer)
        if block is None or block.inbound_call_share <= 0:
            return
        key = f"{self.world.seed}:{customer}:{at!r}".encode()
        draw = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2.0**64
        if draw < block.inbound_call_share:
            phone = self.people.ids[customer]
            event = SignalEvent(phone, SignalKind.INBOUND_CALL.value, at)
            self._inbound.setdefault(customer, []).append(event)

    def until(self, customer: int, now: float) -> tuple[SignalEvent, ...]:
        """The customer's events before ``now``, oldest first (what a deployment would have)."""
        if customer not in self._drawn:
            self._drawn[customer] = self._draw(customer)
        at, events = self._drawn[customer]
        seen = events[: int(np.searchsorted(at, now, side="left"))]
        calls = [e for e in self._inbound.get(customer, ()) if e.at_s <= now]
        if not calls:
            return seen
        return tuple(sorted(seen + tuple(calls), key=lambda e: e.at_s))

    def segment_counts(
        self, now: float, settings: SignalSettings, zone: str | None = None
    ) -> dict[int, FloatArray]:
        """Each segment's weighted events per local slot before ``now``, its customers'
        pooled (segment index -> 168 counts; segments without signals left out): what a
        deployment's refit reads from its signals table. ``zone``: every customer taken
        to live there (their zone withheld); None: their own."""
        pooled: dict[int, FloatArray] = {}
        for index, segment in enumerate(self.world.segments):
            if segment.signals is None:
                continue
            counts = np.zeros(SLOTS)
            for customer in np.flatnonzero(self.people.segment == index).tolist():
                if customer not in self._drawn:
                    self._drawn[customer] = self._draw(customer)
                at = self._drawn[customer][0]
                if customer not in self._slots:
                    self._slots[customer] = local_slots(at, zone or self.people.timezone[customer])
                seen = int(np.searchsorted(at, now, side="left"))
                weight = weights_at(at[:seen], now, settings)
                np.add.at(counts, self._slots[customer][:seen], weight)
                calls = [e for e in self._inbound.get(customer, ()) if e.at_s <= now]
                if calls:
                    where = zone or self.people.timezone[customer]
                    counts += slot_weights(calls, now_s=now, timezone=where, settings=settings)
            pooled[index] = counts
        return pooled
