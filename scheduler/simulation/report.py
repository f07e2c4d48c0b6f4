"""What a simulation run achieved: the KPIs, and an independent check of every rule.

:func:`kpis` turns a run into the numbers `spillway simulate --json` prints.
:func:`rule_violations` recomputes every calling rule from the attempt log
with its own code (the world's hours, the holidays package, counts and
gaps), not with :mod:`scheduler.rules`, so a bug there cannot hide itself.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from scheduler.rules import calling_expiry
from scheduler.simulation.simulator import SimRequest, SimRun
from scheduler.simulation.world import lead_value

WEEK_S = 7 * 86400.0


def kpis(run: SimRun) -> dict[str, Any]:
    """The KPIs of one run (every request counts; the run went on until each was closed)."""
    requests = run.requests
    n = len(requests) or 1
    first_answered = answered_first(run)
    within3 = {a.request for a in run.attempts if a.attempt_no <= 3 and a.answered}
    contacted = [r for r in requests if r.contacted_at is not None]
    hours = hours_to_contact(run)
    half_life = run.world.lead_half_life_hours
    weeks = by_week(run)
    told = [r for r in requests if told_a_window(r)]
    weekly = []
    for week in sorted(weeks):
        members = weeks[week]
        weekly.append(
            {
                "week": week + 1,
                "requests": len(members),
                "first_attempt_contact_rate": _share(
                    sum(r.id in first_answered for r in members), len(members)
                ),
                "contact_rate": _share(
                    sum(r.contacted_at is not None for r in members), len(members)
                ),
            }
        )
    return {
        "policy": run.policy,
        "requests": len(requests),
        "calls_placed": len(run.attempts),
        "rule_violations": len(rule_violations(run)),
        "told_window_requests": len(told),
        "first_attempts_outside_told_window": len(outside_told_window(run)),
        "told_window_contact_rate": (
            _share(sum(inside(r, r.contacted_at) for r in told), len(told)) if told else None
        ),
        "first_attempt_contact_rate": _share(len(first_answered), n),
        "contact_rate": _share(len(contacted), n),
        "contact_within_3_attempts_rate": _share(len(within3), n),
        "contact_within_deadline_rate": _share(within_deadline(run), n),
        "mean_attempts_per_request": round(len(run.attempts) / n, 4),
        "mean_attempts_per_contact": round(len(run.attempts) / max(len(contacted), 1), 4),
        "median_hours_to_contact": round(statistics.median(hours), 3) if hours else None,
        "mean_hours_to_contact": round(statistics.fmean(hours), 3) if hours else None,
        "mean_lead_value": round(sum(lead_value(h, half_life) for h in hours) / n, 4),
        "weekly": weekly,
    }


def told_a_window(request: SimRequest) -> bool:
    """Whether the caller named a window, and was told it back."""
    return request.not_before is not None or request.not_after is not None


def inside(request: SimRequest, at: float | None) -> bool:
    """Whether ``at`` lies in the window ``request``'s caller was told (from its start, or
    from the request when it had begun, to its end, exclusive); None: never."""
    if at is None:
        return False
    start = request.created_at if request.not_before is None else request.not_before
    end = math.inf if request.not_after is None else request.not_after
    return start <= at < end


def outside_told_window(run: SimRun) -> list[int]:
    """The requests with a told window whose first attempt fell outside it (the exceptions)."""
    by_id = {r.id: r for r in run.requests}
    return [
        a.request
        for a in run.attempts
        if a.attempt_no == 1
        and told_a_window(by_id[a.request])
        and not inside(by_id[a.request], a.at)
    ]


def answered_first(run: SimRun) -> set[int]:
    """The requests whose first attempt was answered."""
    return {a.request for a in run.attempts if a.attempt_no == 1 and a.answered}


def hours_to_contact(run: SimRun) -> list[float]:
    """Hours from each contacted request to its contact (the uncontacted have none)."""
    return [
        (r.contacted_at - r.created_at) / 3600 for r in run.requests if r.contacted_at is not None
    ]


def within_deadline(run: SimRun) -> int:
    """How many requests were reached by the deadline they were promised."""
    return sum(
        1 for r in run.requests if r.contacted_at is not None and r.contacted_at <= r.deadline_at
    )


def by_week(run: SimRun) -> dict[int, list[SimRequest]]:
    """The run's requests by the week they were made in (0: the world's first seven days)."""
    start = run.world.start.timestamp()
    weeks: dict[int, list[SimRequest]] = defaultdict(list)
    for r in run.requests:
        weeks[int((r.created_at - start) // WEEK_S)].append(r)
    return weeks


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def rule_violations(run: SimRun) -> list[str]:
    """Every rule an attempt broke, recomputed from the log alone."""
    rules = run.world.rules
    hours = rules.calling_hours
    windows = [hours.weekdays] * 5 + [hours.saturday, hours.sunday]
    found: list[str] = []
    by_request: dict[int, list[float]] = defaultdict(list)
    by_number_day: dict[tuple[int, Any], int] = defaultdict(int)
    by_number_week: dict[tuple[int, Any], int] = defaultdict(int)
    holiday_cache: dict[int, Any] = {}
    by_id = {r.id: r for r in run.requests}
    calling = rules.calling_rules()
    for a in sorted(run.attempts, key=lambda a: a.at):
        zone = ZoneInfo(run.people.timezone[a.customer])
        when = datetime.fromtimestamp(a.at, zone)
        window = windows[when.weekday()]
        hour = when.hour + when.minute / 60 + when.second / 3600
        if window is None or not window[0] <= hour < window[1]:
            found.append(f"attempt at {when.isoformat()} outside the calling hours")
        if rules.holidays:
            days = holiday_cache.get(when.year)
            if days is None:
                days = holiday_cache[when.year] = holidays.country_holidays(
                    rules.holidays, years=when.year
                )
            if when.date() in days:
                found.append(f"attempt on the holiday {when.date()}")
        earlier = by_request[a.request]
        if len(earlier) >= rules.max_attempts:
            found.append(f"request {a.request}: attempt {len(earlier) + 1} over the maximum")
        if earlier and a.at - earlier[-1] < rules.min_gap_minutes * 60 - 1e-6:
            found.append(f"request {a.request}: attempts {a.at - earlier[-1]:.0f} s apart")
        # The expiry as documented: expiry_hours of days with calling hours, counted from
        # the told window's start and never before its end.
        request = by_id[a.request]
        counted_from = max(request.created_at, request.not_before or request.created_at)
        ends = calling_expiry(calling, counted_from, run.people.timezone[a.customer])
        if a.at >= max(ends, request.not_after or ends):
            found.append(f"request {a.request}: attempt after its expiry")
        earlier.append(a.at)
        day_key = (a.customer, when.date())
        week_key = (a.customer, when.date().isocalendar()[:2])
        by_number_day[day_key] += 1
        by_number_week[week_key] += 1
        if by_number_day[day_key] > rules.max_per_number_day:
            found.append(f"customer {a.customer}: over {rules.max_per_number_day} calls a day")
        if by_number_week[week_key] > rules.max_per_number_week:
            found.append(f"customer {a.customer}: over {rules.max_per_number_week} calls a week")
    found.extend(_capacity_violations(run))
    return found


def _capacity_violations(run: SimRun) -> list[str]:
    """More calls in flight than agents, from the attempts' start and hold times."""
    rules = run.world.rules
    edges: list[tuple[float, int]] = []
    for a in run.attempts:
        hold = rules.talk_minutes * 60 if a.answered else 30.0
        edges.append((a.at, 1))
        edges.append((a.at + hold, -1))
    edges.sort(key=lambda e: (e[0], e[1]))  # an agent freed at t takes a call at t
    busy = worst = 0
    for _, change in edges:
        busy += change
        worst = max(worst, busy)
    return [f"{worst} calls in flight, {rules.agents} agents"] if worst > rules.agents else []
