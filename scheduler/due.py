"""Which pending callback requests are due now: the one definition of "due".

`spillway scheduler status`, `spillway doctor` and the console's Health page
all say how many callbacks are due and how long the oldest has waited; they
read it from here (through :func:`scheduler.dialer_nodes.status_report`). A
request is due when a dialer may call it at this moment under the calling
rules (:func:`scheduler.rules.refusal`: calling hours, holidays, its own
not-before and window, its expiry): on a Saturday evening a request that may
not be called before Monday morning is waiting, not due, and not a backlog.

Pure: it decides over request rows already read (the facts the row holds; the
do-not-call list and the per-number limits are the dialer's to check when it
claims the request).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from scheduler.rule_facts import row_facts
from scheduler.rules import CallingRules, local, next_allowed, refusal

# The columns :func:`due_now` reads from a request row.
DUE_COLUMNS = (
    "id, phone, timezone, created_at, not_before, not_after, expires_at, segment, deadline, "
    "attempts"
)


@dataclass(frozen=True, slots=True)
class Due:
    """The requests due now: how many, and since when the longest-waiting one may be called."""

    count: int
    waiting_since: float | None  # epoch seconds; None: none due


def due_now(
    rules: CallingRules, rows: Iterable[Mapping[str, Any]], now: float, *, default_timezone: str
) -> Due:
    """The pending request ``rows`` that may be called at ``now``.

    A due request has waited since it could first be called: the first moment the
    calling rules allowed from the later of its creation and its not-before (one
    created on Friday evening has not waited all weekend on Monday at 08:05; one
    created on Monday at 08:00 and not called that day has waited a day on Tuesday).
    """
    count, oldest = 0, None
    for row in rows:
        facts = replace(
            row_facts(dict(row), default_timezone=default_timezone),
            not_before=row["not_before"],
            attempts=int(row["attempts"] or 0),
        )
        when = local(now, facts.timezone)
        if refusal(rules, facts, now, when) is not None:
            continue
        count += 1
        start = max(facts.created_at, row["not_before"] or 0.0)
        since = min(next_allowed(rules, facts, start) or start, now)
        oldest = since if oldest is None else min(oldest, since)
    return Due(count, oldest)
