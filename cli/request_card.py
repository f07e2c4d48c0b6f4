"""What `spillway callbacks show ID` prints: one request as an admin needs to see it.

A pure function over the request's row and its attempts: who (number, name),
why (reason, source), where it stands (status, timing, the plan), when (the
customer's window, the deadline and the expiry, in the shop's zone, named),
every attempt with its time and outcome, and the command that explains the
timing. The promise, the next call and the timing are the ones `callbacks
explain` gives (:class:`scheduler.timing.explain.Promise`), never worked out
here a second time. Stored values are escaped for the terminal (:func:`shown`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cli.terminal_text import shown
from scheduler.timing.choice import policy_word
from scheduler.timing.explain import Promise


def moment(ts: float | None, zone: ZoneInfo) -> str:
    """A moment in ``zone``, with the zone's abbreviation (CET, CEST); '-' for none."""
    return datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d %H:%M %Z") if ts else "-"


def _planner(row: Mapping[str, Any], zone: ZoneInfo) -> str | None:
    """Who planned the next call, with what chance and why (None: a closed request)."""
    status = str(row["status"])
    if status == "dialling":
        return f"a call is under way (claimed {moment(row.get('claimed_at'), zone)})"
    if status != "pending":
        return None
    if row.get("planned_by") is None:
        return "not yet (the dialer plans it on its next poll)"
    probability = row.get("plan_probability")
    chance = f", answer chance {probability:.0%}" if probability is not None else ""
    reason = f": {row['plan_reason']}" if row.get("plan_reason") else ""
    return f"by {policy_word(str(row['planned_by']))}{chance}{reason}"


def _expiry(row: Mapping[str, Any], planned: Promise, zone: ZoneInfo) -> str:
    """The expiry, and the end of the customer's window when no call may come after it."""
    ends = row.get("not_after")
    if ends and ends < planned.expires_at:
        # The request stays open until its expiry (then closed unreached), but the
        # customer's window ends first: saying "no call after" the expiry would be false.
        return (
            f"{moment(planned.expires_at, zone)} (closed then; calls only inside the window "
            f"asked, so no call after {moment(ends, zone)})"
        )
    return f"{moment(planned.expires_at, zone)} (no call after it)"


def request_card(
    row: Mapping[str, Any],
    attempts: Sequence[Mapping[str, Any]],
    planned: Promise,
    *,
    zone: ZoneInfo,
) -> list[str]:
    """The lines `callbacks show` prints for ``row`` (Rich markup, stored values escaped);
    ``planned``: its promise and next call, as `callbacks explain` says them."""
    request_id = row["id"]
    window = (
        f"{moment(row.get('not_before'), zone)} to {moment(row.get('not_after'), zone)}"
        if row.get("not_after")
        else "none asked: any hour the calling rules allow"
    )
    context = row.get("context") or {}
    merged = (json.loads(context) if isinstance(context, str) else context).get("merged", [])
    lines = [
        f"[bold]request {request_id}[/]: {shown(row['status'])} (times in {zone.key})",
        f"  number:    {shown(row['phone'])}",
        f"  name:      {shown(row.get('name') or '-')}",
        f"  reason:    {shown(row.get('reason') or '-')}",
        f"  source:    {shown(row['source'])}"
        + (f" (call {shown(row['call_id'])})" if row.get("call_id") else ""),
        f"  created:   {moment(row.get('created_at'), zone)}",
        f"  timing:    {shown(planned.timing_text())}",
        f"  window:    {window}",
        f"  customer's zone: {shown(row.get('timezone') or '-')}",
        f"  deadline:  {moment(planned.deadline_at, zone)} (the first call promised by then)",
        f"  expires:   {_expiry(row, planned, zone)}",
    ]
    # The words `callbacks explain` says; its times are in the customer's zone.
    theirs = "" if planned.timezone == zone.key else f" (times in {planned.timezone})"
    lines.append(f"  plan:      {shown(' '.join(planned.timeline) + theirs)}")
    planner = _planner(row, zone)
    if planner is not None:
        lines.append(f"  planned:   {shown(planner)}")
    if row.get("closed_at"):
        lines.append(f"  closed:    {moment(row['closed_at'], zone)}")
    if row.get("last_error"):
        lines.append(f"  last error: {shown(row['last_error'])}")
    if merged:
        lines.append(f"  joined by: {len(merged)} later request(s) for the same number")
    lines.append(f"  attempts:  {len(attempts)}")
    for a in attempts:
        ended = f", ended {moment(a['ended_at'], zone)}" if a.get("ended_at") else ""
        lines.append(
            f"    {a['attempt_no']}. {moment(a['started_at'], zone)}: "
            f"{shown(a.get('outcome') or 'under way')}{ended} "
            f"(planned by {shown(policy_word(str(a['policy'])))})"
        )
    lines.append(f"  why this timing: spillway callbacks explain {request_id}")
    return lines
