"""`spillway callbacks explain ID`: why this callback is planned when it is, in plain words.

The main factors, the planned time, and the probability by hour of the
coming week as a small heatmap in the customer's local time (refused hours
dimmed, with the reasons listed). The model is the one the scheduler daemon
stored at its last refit, or, when none is fresh, one fitted from the
attempts table now with the same code (the output says which).
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.text import Text

from cli.commands.callbacks import _request, _store
from cli.context import app_context
from scheduler.subject_access import explain_requests
from scheduler.timing.explain import DAYS, OPEN_STATUSES, Explanation

console = Console()
SHADES = "·░▒▓█"  # under 10%, 25%, 40%, 55%, and above
REFUSED = "-"  # no calls then: told apart without colour too
LEGEND = "· under 10%  ░ 10-25%  ▒ 25-40%  ▓ 40-55%  █ 55% or more  - no calls then"


def _shade(probability: float) -> str:
    for limit, shade in zip((0.10, 0.25, 0.40, 0.55), SHADES, strict=False):
        if probability < limit:
            return shade
    return SHADES[-1]


def explain_command(
    ctx: typer.Context,
    request_id: Annotated[int, typer.Argument(help="The callback request's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
) -> None:
    """Why this callback is planned when it is: the main factors and the chance of reaching
    the customer at each hour of the coming week (their local time)."""
    settings = app_context(ctx).settings
    with _store(ctx) as db:
        [result] = explain_requests(db, [_request(db, request_id)], settings, now=time.time())
    if as_json:
        print(json.dumps(result.as_json(), indent=2))
        return
    show(result)


def _when(ts: float | None, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, zone).strftime("%a %d %b %H:%M") if ts else "-"


def show(result: Explanation) -> None:
    zone = ZoneInfo(result.timezone)
    console.print(
        f"[bold]Callback {result.request_id}[/] ({result.status}), times in {result.timezone}"
    )
    console.print(f"Timing: {result.timing_text()}", markup=False)
    for statement in result.timeline:
        console.print(statement, markup=False)
    if result.planned_at:
        if result.plan_probability is not None and result.policy == "predicted":
            console.print(f"  chosen with probability {result.plan_probability:.0%}")
        if result.plan_reason:
            console.print(f"  ({result.plan_reason})", markup=False)
    if result.status in OPEN_STATUSES:
        console.print(f"Given up after: {_when(result.expires_at, zone)}")
    console.print()
    for factor in result.factors:
        console.print(f"- {factor}", markup=False, soft_wrap=False)
    if result.model_note:
        console.print(result.model_note, markup=False)
    console.print()
    console.print("Chance of reaching you, by hour of the coming week (darker is likelier):")
    console.print("      " + "".join(f"{h:<3d}" if h % 3 == 0 else "" for h in range(24)))
    by_day: dict[int, list[tuple[int, float, bool]]] = {}
    for cell in result.week:
        by_day.setdefault(cell.weekday, []).append((cell.hour, cell.probability, cell.allowed))
    first = result.week[0].weekday if result.week else 0
    for offset in range(7):
        day = (first + offset) % 7
        line = Text(f"{DAYS[day][:3]}   ")
        for _hour, p, allowed in sorted(by_day.get(day, [])):
            line.append(_shade(p) if allowed else REFUSED, style="green" if allowed else "grey35")
        console.print(line)
    console.print(LEGEND, markup=False)
    console.print("(the reasons for the hours without calls are below)")
    reasons: dict[str, int] = {}
    for cell in result.week:
        if not cell.allowed:
            reasons[cell.reason] = reasons.get(cell.reason, 0) + 1
    for reason, hours in sorted(reasons.items(), key=lambda kv: -kv[1])[:6]:
        console.print(f"  {hours:3d} h: {reason}", markup=False)
    best = result.best_hours()
    if best:
        console.print(
            "Best allowed hours: "
            + ", ".join(
                f"{DAYS[c.weekday][:3]} {c.hour:02d}:00 ({c.probability:.0%})" for c in best
            )
        )
