"""A simulated period in the database: `spillway simulate --store` and `db purge-simulated`.

:func:`stored_rows` turns a run into the callback requests and attempts it
made, the same ones :func:`scheduler.simulation.report.kpis` counts, moved a whole
number of weeks (in each customer's own calendar, so every attempt keeps its
local weekday and hour, and so the calling hours still hold) so that the
period ends in the week before ``now``. Every request is marked
``simulated = 1``, its source is ``simulate`` and its number is the
simulated customer's id (``sim:<segment>-<n>``), which no real number can
equal: the dialer's per-number limits never count a simulated attempt
against a real customer. Every request is closed (the run goes on until the
last one is), so the dialer never dials one.

:func:`write` writes them in short transactions with a pause between them,
as the CSV import does, so the API, the bot and the dialer write in between;
:func:`purge` removes them again, attempts first.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.outcomes import AttemptOutcome
from scheduler.requests import RequestSource, RequestStatus
from scheduler.rules import calling_expiry
from scheduler.simulation.simulator import (
    CONVENTIONAL_ARM,
    PREDICTED_ARM,
    UNANSWERED_HOLD_S,
    PolicyName,
    SimRun,
    pilot_arm,
)
from spillway.storage import Store

WEEK_S = 7 * 86400.0
PHONE_PREFIX = "sim:"
# The node its attempts name: the door's code, which the console says in words.
NODE = RequestSource.SIMULATE.value
WRITE_BATCH_S = 0.1  # one transaction's length at most; then a pause as long
WRITE_PAUSE_S = 0.1


@dataclass(frozen=True, slots=True)
class StoredRequest:
    """One request as written: its ``callback_requests`` row and its attempts' rows."""

    row: dict[str, Any]
    attempts: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class StoredPeriod:
    """What :func:`stored_rows` made: the rows, and the period they span (epoch seconds)."""

    requests: list[StoredRequest]
    since: float  # the first request's creation
    until: float  # just after the last event (request or attempt)
    weeks_moved: int


def weeks_to_now(run: SimRun, now: float) -> int:
    """Whole weeks to add so that the run's last event falls in the week before ``now``."""
    end = max(
        [run.world.start.timestamp() + run.world.days * 86400.0]
        + [a.at for a in run.attempts]
        + [r.created_at for r in run.requests]
    )
    return math.floor((now - end) / WEEK_S)


def _mover(weeks: int) -> Callable[[float, str], float]:
    """Epoch seconds moved ``weeks`` in the local calendar of a zone (DST-safe)."""
    zones: dict[str, ZoneInfo] = {}

    def move(at: float, zone: str) -> float:
        tz = zones.get(zone) or zones.setdefault(zone, ZoneInfo(zone))
        # Wall-clock arithmetic: an aware datetime plus a timedelta keeps the local time.
        return (datetime.fromtimestamp(at, tz) + timedelta(weeks=weeks)).timestamp()

    return move


def stored_rows(run: SimRun, now: float, *, label: str) -> StoredPeriod:
    """The run's requests and attempts as database rows, dated so the period ends by ``now``.

    ``label`` says where they came from (world, policy, seed); it is each
    request's reason. A pilot run's requests carry the arm drawn for them as
    ``timing`` with ``timing_reason`` 'pilot'; another run's the timing its
    policy stands for, with 'policy'.
    """
    weeks = weeks_to_now(run, now)
    move = _mover(weeks)
    people, world = run.people, run.world
    rules = world.rules.calling_rules()
    talk_s = world.rules.talk_minutes * 60
    by_request: dict[int, list[Any]] = {}
    for a in run.attempts:
        by_request.setdefault(a.request, []).append(a)
    out: list[StoredRequest] = []
    last_event = 0.0
    for r in run.requests:
        zone = people.timezone[r.customer]
        customer = people.ids[r.customer]
        created = move(r.created_at, zone)
        made = by_request.get(r.id, [])
        if run.policy == PolicyName.PILOT.value:
            timing, reason = pilot_arm(world.seed, customer, r.created_at), "pilot"
        elif run.policy == PolicyName.TRADITIONAL.value:
            timing, reason = CONVENTIONAL_ARM, "policy"
        else:
            timing, reason = PREDICTED_ARM, "policy"
        attempts = []
        for a in made:
            started = move(a.at, zone)
            outcome = AttemptOutcome.ANSWERED if a.answered else AttemptOutcome.NO_ANSWER
            attempts.append(
                {
                    "phone": PHONE_PREFIX + customer,
                    "attempt_no": a.attempt_no,
                    "started_at": started,
                    "ended_at": started + (talk_s if a.answered else UNANSWERED_HOLD_S),
                    "outcome": outcome.value,
                    "local_weekday": a.local_weekday,
                    "local_hour": a.local_hour,
                    "hours_since_request": (a.at - r.created_at) / 3600,
                    "segment": world.segments[int(people.segment[r.customer])].name,
                    "policy": a.policy,
                    # The chance of an answer its plan stated, and how often the policy
                    # picks that hour, as the dialer logs a real attempt.
                    "chance": a.chance,
                    "pick_share": a.propensity,
                    "node": NODE,
                }
            )
        closed = attempts[-1]["ended_at"] if attempts else created
        last_event = max(last_event, closed)
        out.append(
            StoredRequest(
                {
                    "phone": PHONE_PREFIX + customer,
                    "reason": label,
                    "source": RequestSource.SIMULATE.value,
                    "created_at": created,
                    "deadline": move(r.deadline_at, zone),
                    "expires_at": move(
                        calling_expiry(rules, r.created_at, zone)
                        if r.expires_at is None
                        else r.expires_at,
                        zone,
                    ),
                    # The window the caller was told (its start: the dialer's plan since).
                    "not_after": None if r.not_after is None else move(r.not_after, zone),
                    "status": (
                        RequestStatus.DONE
                        if r.contacted_at is not None
                        else RequestStatus.UNREACHED
                    ).value,
                    "attempts": len(attempts),
                    "closed_at": closed,
                    # Why it was given up, as the dialer keeps it (out of attempts, expired).
                    "last_error": None if r.contacted_at is not None else r.problem,
                    "timezone": zone,
                    "segment": attempts[0]["segment"] if attempts else None,
                    "planned_by": made[-1].policy if made else None,
                    "context": json.dumps({"simulated": label}),
                    "timing": timing,
                    "timing_reason": reason,
                    "simulated": 1,
                },
                attempts,
            )
        )
    since = min((s.row["created_at"] for s in out), default=now)
    return StoredPeriod(out, since, last_event + 1.0, weeks)


def write(
    store: Store,
    period: StoredPeriod,
    *,
    batch_s: float = WRITE_BATCH_S,
    pause_s: float = WRITE_PAUSE_S,
) -> int:
    """Write the period's requests with their attempts; return how many requests.

    A request and its attempts commit together; a transaction ends after
    ``batch_s`` and the next starts after ``pause_s``, so that the other
    writers get in between (SQLite has one writer at a time).
    """
    rows = iter(period.requests)
    written = 0
    while True:
        started = time.monotonic()
        with store.transaction() as tx:
            for request in rows:
                request_id = tx.insert("callback_requests", request.row)
                for attempt in request.attempts:
                    tx.insert(
                        "callback_attempts",
                        {
                            **attempt,
                            "id": f"sim-{request_id}-{attempt['attempt_no']}",
                            "request_id": request_id,
                        },
                    )
                written += 1
                if time.monotonic() - started >= batch_s:
                    break
            else:
                return written
        time.sleep(pause_s)


@dataclass(frozen=True, slots=True)
class Purged:
    requests: int
    attempts: int


SIMULATED_IDS = "SELECT id FROM callback_requests WHERE simulated = 1"


def count_simulated(store: Store) -> Purged:
    """How many simulated requests and attempts the database holds."""
    [r] = store.query("SELECT COUNT(*) AS n FROM callback_requests WHERE simulated = 1")
    [a] = store.query(
        f"SELECT COUNT(*) AS n FROM callback_attempts WHERE request_id IN ({SIMULATED_IDS})"
    )
    return Purged(int(r["n"]), int(a["n"]))


def count_real(store: Store) -> int:
    """How many callback requests are not simulated (real customers')."""
    [r] = store.query("SELECT COUNT(*) AS n FROM callback_requests WHERE simulated = 0")
    return int(r["n"])


def purge(store: Store, *, batch_rows: int = 500, pause_s: float = WRITE_PAUSE_S) -> Purged:
    """Remove every simulated request and its attempts, ``batch_rows`` requests a transaction."""
    requests = attempts = 0
    while True:
        with store.transaction() as tx:
            ids = [
                int(r["id"])
                for r in tx.query(f"{SIMULATED_IDS} ORDER BY id LIMIT {int(batch_rows)}")
            ]
            if not ids:
                return Purged(requests, attempts)
            lo, hi = ids[0], ids[-1]
            span = {"lo": lo, "hi": hi}
            attempts += tx.execute(
                "DELETE FROM callback_attempts WHERE request_id IN (SELECT id FROM "
                "callback_requests WHERE simulated = 1 AND id BETWEEN :lo AND :hi)",
                span,
            )
            requests += tx.execute(
                "DELETE FROM callback_requests WHERE simulated = 1 AND id BETWEEN :lo AND :hi",
                span,
            )
        time.sleep(pause_s)
