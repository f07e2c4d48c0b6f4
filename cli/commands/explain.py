"""`spillway callbacks explain ID`: why this callback is planned when it is, in plain words.

The main factors, the planned time, and the probability by hour of the
coming week as a small heatmap in the customer's local time (refused hours
dimmed, with the reasons listed), every word from the language pack in the
admin's language (``--language``, else ``web.language``, else ``shop.language``;
the frame around it is ``cli.explain`` in console.yaml). In the shop's language the
explanation speaks to the customer; in another it tells the admin about the
customer, and quotes what the customer was told, in the shop's language
(:mod:`cli.customer_quote`). The model is the one the scheduler daemon
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
from cli.customer_quote import Reading, customer_quote, reading
from cli.language import AdminLanguageOption
from cli.request_card import timing_words as request_timing_words
from scheduler.rules import CallingRules, rules_from_settings
from scheduler.subject_access import explain_requests, request_promise
from scheduler.timing.explain import CUSTOMER, OPEN_STATUSES, Explanation
from scheduler.timing.give_up import given_up_words
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
    language: AdminLanguageOption = None,
) -> None:
    """Why this callback is planned when it is: the main factors and the chance of reaching
    the customer at each hour of the coming week (their local time)."""
    settings = app_context(ctx).settings
    how = reading(settings, language)
    now = time.time()
    with _store(ctx) as db:
        row = _request(db, request_id)
        [result] = explain_requests(
            db, [row], settings, now=now, language=how.language, reader=how.reader
        )
        # What the customer was told, in their language (the same when the admin's is).
        told = request_promise(db, row, settings, now=now).timeline
    if as_json:
        data = result.as_json()
        data["language"] = how.language
        data["told_customer"] = {"language": how.shop_language, "timeline": told}
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    show(
        result,
        load_console_text(how.language),
        how=how,
        told=told,
        rules=rules_from_settings(settings),
    )


def _given_up_when(result: Explanation, text: ConsoleText, rules: CallingRules | None) -> str:
    """When the calls end, the way the plan's lines say a moment (to the minute) or the
    last calling day (:func:`scheduler.timing.give_up.given_up_words`)."""
    return given_up_words(
        text,
        result.given_up_at,
        result.timezone,
        rules,
        window_end=bool(result.window_end),
        moment=text("cli.explain.when"),
    )


def timing_words(result: Explanation, text: ConsoleText, *, to_customer: bool = False) -> str:
    """Which timing the request has and why, in the pack's words (``to_customer``: in
    the voice that calls the customer "you")."""
    return request_timing_words(result.timing, result.timing_reason, text, to_customer=to_customer)


def show(
    result: Explanation,
    text: ConsoleText,
    *,
    how: Reading | None = None,
    told: list[str] | None = None,
    rules: CallingRules | None = None,
) -> None:
    """Print ``result`` in ``text``'s language; ``how``: who it speaks to (None: the
    customer, in that language), ``told``: what the customer was told, quoted when
    ``how`` says their language is not the admin's."""
    zone = result.timezone
    # The frame's sentences to "you" are said of the customer to an admin reading about them.
    lead = "" if how is None or how.reader == CUSTOMER else "_lead"
    status = text.strings.get(f"status.{result.status}", result.status)
    console.print(
        "[bold]"
        + escape(text("cli.explain.heading", id=result.request_id, status=status, zone=zone))
        + "[/]"
    )
    timing = timing_words(result, text, to_customer=not lead)
    console.print(text("cli.explain.timing", timing=timing), markup=False)
    # The heatmap of the week's hours follows: a line may point at it.
    for statement in result.timeline_before_hours:
        console.print(statement, markup=False)
    if how is not None and how.quotes_customer and told:
        quote = customer_quote(text, told, how.shop_language)
        console.print(text("cli.explain.told", quote=quote), markup=False, soft_wrap=True)
    if result.planned_at:
        # One chance: the customer's of answering then, in the reason's words (the plan's
        # pick share is how often the draws chose that time: `--json` keeps it).
        if said := reason_words(result.plan_reason, text):
            console.print(f"  ({said})", markup=False)
    if result.status in OPEN_STATUSES:
        # A window the customer named ends the calls before the expiry does.
        said = f"cli.explain.given_up_window{lead}" if result.window_end else "cli.explain.given_up"
        console.print(text(said, when=_given_up_when(result, text, rules)), markup=False)
    console.print()
    for factor in result.factors:
        console.print(f"- {factor}", markup=False, soft_wrap=False)
    if result.model_note:
        console.print(result.model_note, markup=False)
    console.print()
    console.print(text(f"cli.explain.chance{lead}"), markup=False)
    console.print("      " + "".join(f"{h:<3d}" if h % 3 == 0 else "" for h in range(24)))
    by_day: dict[int, list[tuple[int, float, bool]]] = {}
    for cell in result.week:
        by_day.setdefault(cell.weekday, []).append((cell.hour, cell.probability, cell.allowed))
    # Monday first, as the console's heatmaps are.
    for day in range(7):
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
    # Every reason, not the commonest few: a day's hours (Saturday's) would go unexplained.
    for reason, hours in sorted(reasons.items(), key=lambda kv: -kv[1]):
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
                time=text.clock(c.hour),
                probability=text.percent(c.probability),
            )
            for c in best
        )
        console.print(text("cli.explain.best", hours=best_hours), markup=False)
