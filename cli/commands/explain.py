"""`spillway callbacks explain ID`: why this callback is planned when it is, in plain words.

The main factors, the planned time, and the probability by hour of the
coming week as a small heatmap in the customer's local time (refused hours
dimmed, with the reasons listed), every word from the language pack in the
shop's language (the explanation speaks to the customer; the frame around it
is ``cli.explain`` in console.yaml). The model is the one the scheduler daemon
stored at its last refit, or, when none is fresh, one fitted from the
attempts table now with the same code (the output says which).
"""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from cli.commands.callbacks import _request, _store
from cli.context import app_context
from cli.request_card import timing_words as request_timing_words
from scheduler.subject_access import explain_requests
from scheduler.timing.explain import OPEN_STATUSES, Explanation
from scheduler.timing.plan_reason import reason_words
from spillway.console_text import ConsoleText, load_console_text

console = Console()
SHADES = "·░▒▓█"  # under 10%, 25%, 40%, 55%, and above
REFUSED = "-"  # no calls then: told apart without colour too


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
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
        return
    # Said to the customer, as the explanation's own sentences are: the shop's language.
    show(result, load_console_text(settings.shop.language))


def timing_words(result: Explanation, text: ConsoleText) -> str:
    """Which timing the request has and why, in the pack's words."""
    return request_timing_words(result.timing, result.timing_reason, text)


def show(result: Explanation, text: ConsoleText) -> None:
    zone = result.timezone
    when = text("cli.explain.when")
    status = text.strings.get(f"status.{result.status}", result.status)
    console.print(
        "[bold]"
        + escape(text("cli.explain.heading", id=result.request_id, status=status, zone=zone))
        + "[/]"
    )
    console.print(text("cli.explain.timing", timing=timing_words(result, text)), markup=False)
    # The heatmap of the week's hours follows: a line may point at it.
    for statement in result.timeline_before_hours:
        console.print(statement, markup=False)
    if result.planned_at:
        if result.plan_probability is not None and result.policy == "predicted":
            chance = text.percent(result.plan_probability)
            console.print(text("cli.explain.chosen", probability=chance), markup=False)
        if said := reason_words(result.plan_reason, text):
            console.print(f"  ({said})", markup=False)
    if result.status in OPEN_STATUSES:
        # A window the customer named ends the calls before the expiry does.
        said = "cli.explain.given_up_window" if result.window_end else "cli.explain.given_up"
        console.print(text(said, when=text.when(result.given_up_at, zone, when)), markup=False)
    console.print()
    for factor in result.factors:
        console.print(f"- {factor}", markup=False, soft_wrap=False)
    if result.model_note:
        console.print(result.model_note, markup=False)
    console.print()
    console.print(text("cli.explain.chance"), markup=False)
    console.print("      " + "".join(f"{h:<3d}" if h % 3 == 0 else "" for h in range(24)))
    by_day: dict[int, list[tuple[int, float, bool]]] = {}
    for cell in result.week:
        by_day.setdefault(cell.weekday, []).append((cell.hour, cell.probability, cell.allowed))
    first = result.week[0].weekday if result.week else 0
    for offset in range(7):
        day = (first + offset) % 7
        line = Text(f"{text.weekday(day, short=True):<3.3}   ")
        for _hour, p, allowed in sorted(by_day.get(day, [])):
            line.append(_shade(p) if allowed else REFUSED, style="green" if allowed else "grey35")
        console.print(line)
    console.print(text("cli.explain.legend"), markup=False)
    console.print(text("cli.explain.reasons_below"), markup=False)
    reasons: dict[str, int] = {}
    for cell in result.week:
        if not cell.allowed:
            reasons[cell.reason] = reasons.get(cell.reason, 0) + 1
    for reason, hours in sorted(reasons.items(), key=lambda kv: -kv[1])[:6]:
        console.print(
            "  " + text("cli.explain.refused_hours", hours=f"{hours:3d}", reason=reason),
            markup=False,
        )
    best = result.best_hours()
    if best:
        best_hours = ", ".join(
            text(
                "cli.explain.best_hour",
                day=text.weekday(c.weekday, short=True),
                time=f"{c.hour:02d}:00",
                probability=text.percent(c.probability),
            )
            for c in best
        )
        console.print(text("cli.explain.best", hours=best_hours), markup=False)
