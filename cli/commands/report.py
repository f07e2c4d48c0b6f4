"""`spillway report pilot`: the pilot's evidence (predicted against conventional timing) and money.

The figures are :func:`scheduler.pilot.report.pilot_report`'s, the same the
console's Pilot page shows, in its words (the pack's ``pilot.*``) and the admin's
language (``web.language``, else ``shop.language``); ``--json`` prints them as they
are, codes rather than words.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from functools import partial
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from cli.admin_words import admin_words
from cli.context import app_context
from scheduler.pilot.report import (
    instant,
    pilot_report_from_store,
    shown_difference,
    shown_value,
)
from scheduler.pilot.roi_text import ROI_SETTINGS, in_brackets, staff_hour_words
from scheduler.pilot.stats import BOOTSTRAP_RESAMPLES
from scheduler.timing.choice import policy_word
from spillway.callback_settings import PilotRoiSettings
from spillway.console_text import ConsoleText
from spillway.day_first import as_iso
from spillway.errors import InputError
from spillway.storage import open_store
from web.pilot_page import (
    data_kind,
    effect_words,
    simulated_count,
    simulated_share,
    start_words,
    summary,
    verdict_words,
)
from web.pilot_summary import (
    baseline_words,
    left_out_words,
    localised,
    waiting_words,
    with_unit,
    zero_median_words,
)
from web.pilot_verdict_words import needed_words, saved_words

app = typer.Typer(help="Reports over the database.", no_args_is_help=True)
console = Console()


def money_terms(text: ConsoleText, money: dict[str, Any], currency: str) -> str:
    """The ROI's terms in a line, in the admin's language and amounts in ``currency``
    (``shop.currency``); a term that is missing says why and what to set (pure)."""
    terms, roi = money["terms"], money["settings"]
    if terms["saved_cost"] is None:
        # Only computed when both arms have callbacks (the report's note says so).
        counted = text("cli.report.not_computed", why=text("pilot.note_arms"))
    else:
        extra = (
            f"{text('pilot.extra_revenue')} {text.money(terms['extra_revenue'], currency)}"
            if roi["lead_value"] > 0
            else text("cli.report.no_lead_value", setting=f"{ROI_SETTINGS}.lead_value")
        )
        counted = f"{text('pilot.saved_cost')} {saved_words(text, money, currency)}, {extra}"
    invested = (
        f"{text('pilot.investment')} {text.money(terms['investment'], currency)}"
        if terms["investment"] > 0
        else text("cli.report.no_investment", setting=f"{ROI_SETTINGS}.investment")
    )
    return f"{counted}; {invested}"


def _shown(text: ConsoleText, key: str, value: float | None) -> str:
    """A KPI's figure as the console's Pilot page shows it (marks, unit, language)."""
    return with_unit(text, key, localised(text, shown_value(key, value)))


def _shown_since(
    text: ConsoleText, since: str, zone: str, pilot_set: bool, first: str | None = None
) -> str:
    """The window's start as the console writes times; without --since the report says
    "the pilot's start" in English, so the pack's words instead (and, with no pilot set,
    not a start that never was)."""
    try:
        return text.when(datetime.fromisoformat(since).timestamp(), zone)
    except ValueError:
        return start_words(text, pilot_set, first)


def before_the_verdicts(
    text: ConsoleText, report: dict[str, Any], pilot_set: bool, currency: str | None = None
) -> list[str]:
    """What must be read before the verdicts, as the Pilot page says it: that no pilot is
    set and how to start one, which requests were left out, how many of the requests are
    simulated, and the page's "In short" (whether it pays in ``currency``) (pure)."""
    said = []
    if not pilot_set:
        said.append(text("pilot.no_pilot", setting=in_brackets("callbacks.pilot.share_predicted")))
    left_out = left_out_words(text, report, "cli")
    if left_out:
        said.append(left_out)
    simulated = simulated_count(report)
    if simulated:
        note = text(
            "pilot.simulated_note",
            count=text.count("count.requests", simulated),
            simulate="spillway simulate --store",
            purge="spillway db purge-simulated",
        )
        said.append(f"{text('common.simulated').upper()}: {note}")
    drawn = sum(report["arms"][arm]["requests"] for arm in ("predicted", "conventional"))
    if pilot_set or drawn:
        title = text("pilot.in_short.title")
        said.append(f"{title}: {summary(text, report, currency)}")
    return said


def after_the_table(text: ConsoleText, report: dict[str, Any]) -> list[str]:
    """What the Pilot page says under its table: the requests still waiting, what the
    table's "≈ N weeks" means, where each rate's sample size starts from, and why a
    median of 0.00 h is none (pure)."""
    kpis = [report["primary"], *report["secondary"]]
    paced = any(k.get("weeks_needed") is not None and not k.get("enough") for k in kpis)
    said = [
        waiting_words(text, report["arms"]),
        text("pilot.pace.note") if paced else "",
        baseline_words(text, kpis),
        zero_median_words(text, kpis),
    ]
    return [line for line in said if line]


def column_widths(cells: list[list[str]], room: int) -> list[int] | None:
    """Widths for columns of ``cells`` (each column's header and cells) in ``room``
    characters of text: each at least its longest word, the rest shared by how much more
    each would take; None when every cell fits whole (pure)."""
    longest = [max(len(word) for cell in column for word in cell.split()) for column in cells]
    whole = [max(len(cell) for cell in column) for column in cells]
    if sum(whole) <= room:
        return None
    spare = max(0, room - sum(longest))
    # The narrowest columns whole first, as far as there is room: "4.89 h" on one line.
    for i in sorted(range(len(cells)), key=lambda i: whole[i]):
        if whole[i] - longest[i] <= spare:
            spare -= whole[i] - longest[i]
            longest[i] = whole[i]
    wants = [w - m for w, m in zip(whole, longest, strict=True)]
    if not any(wants):
        return longest
    shares = [spare * want // sum(wants) for want in wants]
    return [m + share for m, share in zip(longest, shares, strict=True)]


def word_table(title: str, headers: list[str], rows: list[list[str]], width: int) -> Table:
    """A table of plain words that, ``width`` characters wide, wraps between words rather
    than cutting one to "predict…": Rich shrinks wide columns below their longest word.
    The headers are the Pilot page's (``pilot.*``), so the intro's "needed per arm"
    names a column the table has; too wide for that (:func:`fits`), use
    :func:`word_records`."""
    table = Table(title=Text(title))
    cells = [[header, *(row[i] for row in rows)] for i, header in enumerate(headers)]
    widths = column_widths(cells, room(width, len(headers)))
    for i, header in enumerate(headers):
        table.add_column(Text(header), width=widths[i] if widths else None, overflow="fold")
    for row in rows:
        table.add_row(*map(Text, row))
    return table


def room(width: int, columns: int) -> int:
    """The characters left for the cells of ``columns`` columns ``width`` wide: each has a
    character of padding either side and a border to its left, and the last one more."""
    return width - 3 * columns - 1


def fits(headers: list[str], rows: list[list[str]], width: int) -> bool:
    """Whether :func:`word_table` fits ``width`` without cutting a word (pure)."""
    cells = [[header, *(row[i] for row in rows)] for i, header in enumerate(headers)]
    longest = sum(max(len(word) for cell in column for word in cell.split()) for column in cells)
    return longest <= room(width, len(headers))


def word_records(title: str, headers: list[str], rows: list[list[str]]) -> list[str]:
    """The table as lines, for a terminal too narrow for it: each row's first cell, then
    its other cells each after its column's name, so no word is cut and every name is the
    table's (pure)."""
    lines = [title]
    for row in rows:
        lines.append("")
        lines.append(row[0])
        lines.extend(
            f"  {header}: {cell}" for header, cell in zip(headers[1:], row[1:], strict=True)
        )
    return lines


def _print(
    text: ConsoleText,
    report: dict[str, Any],
    agent_hour: PilotRoiSettings,
    currency: str,
    pilot_set: bool,
) -> None:
    # The console's Pilot page words (pilot.*), so the command and the page say the same;
    # every pack word is escaped, Rich would take "[interval]" for markup.
    w, kpis = report["window"], [report["primary"], *report["secondary"]]
    window = text(
        "pilot.window",
        since=_shown_since(text, w["since"], w["time_zone"], pilot_set, w.get("first_request")),
        until=text.when(datetime.fromisoformat(w["until"]).timestamp(), w["time_zone"]),
        zone=w["time_zone"],
    )
    intervals = text(
        "pilot.intervals",
        confidence=text.percent(report["confidence"]),
        power=text.percent(report["power"]),
        setting=in_brackets("callbacks.pilot.evidence"),
    )
    ranges = text("pilot.ranges_note")
    console.print(f"[bold]{escape(text('pilot.title'))}[/]: {escape(window)} {escape(ranges)}")
    for line in before_the_verdicts(text, report, pilot_set, currency):
        console.print(line, markup=False)
    simulated = simulated_share(report)
    headers = [
        text(f"pilot.{key}")
        for key in ("kpi", "predicted", "conventional", "difference", "n_per_arm",
                    "needed_per_arm", "verdict")
    ]  # fmt: skip
    rows = []
    for kpi in kpis:
        primary = f" ({text('pilot.primary')})" if kpi is report["primary"] else ""
        rows.append(
            [
                text(f"pilot.kpis.{kpi['key']}") + primary,
                _shown(text, kpi["key"], kpi["predicted"]),
                _shown(text, kpi["key"], kpi["conventional"]),
                with_unit(text, kpi["key"], localised(text, shown_difference(kpi))),
                f"{text.number(kpi['n']['predicted'])} / {text.number(kpi['n']['conventional'])}",
                needed_words(
                    text, kpi, effect_words(text, kpi["detectable_effect"], short=True), short=True
                ),
                verdict_words(text, kpi, simulated),
            ]
        )
    if fits(headers, rows, console.width):
        console.print(word_table(text("pilot.subtitle"), headers, rows, console.width))
    else:
        for line in word_records(text("pilot.subtitle"), headers, rows):
            console.print(line, markup=False, highlight=False)
        console.print()
    methods = dict.fromkeys(
        text(f"pilot.method.{k['key']}", resamples=BOOTSTRAP_RESAMPLES) for k in kpis
    )
    for line in after_the_table(text, report):
        console.print(line, markup=False)
    out = report["opted_out"]
    console.print(
        text(
            "pilot.opted_out",
            requests=text.count("count.requests", out["requests"]),
            rate=_shown(text, "contact_rate", out["contact_rate"]),
        )
        if out["requests"]
        else text("pilot.opted_out_none"),
        markup=False,
    )
    money = report["money"]
    table = Table(title=escape(text("pilot.formula")))
    for column in (
        text("pilot.arm"),
        text("pilot.callbacks"),
        text("pilot.attempts"),
        f"{text('pilot.cost_per_callback')} ({currency})",
        text("pilot.roi"),
    ):
        table.add_column(escape(column))
    for arm, m in money["arms"].items():
        if m.get("baseline"):
            roi = text("pilot.baseline")
        else:
            roi = text("pilot.roi_none") if m["roi"] is None else text.percent(m["roi"], 1)
        cpc = "-" if m["cost_per_callback"] is None else text.number(m["cost_per_callback"], 2)
        arm_word = text(f"policy.{policy_word(arm)}")
        cells = (arm_word, text.number(m["callbacks"]), text.number(m["attempts"]), cpc, roi)
        table.add_row(*map(escape, cells))
    console.print(table)
    console.print(money_terms(text, money, currency), markup=False)
    for line in staff_hour_words(text, agent_hour, currency).values():
        if line:
            console.print(line, markup=False, soft_wrap=True)
    shadow = report["shadow"]
    shadow_methods = ""
    if shadow and shadow["requests"]:
        said, shadow_methods = shadow_words(text, shadow)
        console.print(said, markup=False, soft_wrap=True)
    # How it is calculated, last: the plain words above are what a team lead acts on.
    console.print(f"[bold]{escape(text('pilot.how'))}[/]")
    console.print(intervals, markup=False)
    console.print(f"{text('pilot.methods')} {'; '.join(methods)}", markup=False)
    if shadow_methods:
        console.print(f"{text('pilot.shadow')}: {shadow_methods}.", markup=False)


def shadow_words(text: ConsoleText, shadow: dict[str, Any]) -> tuple[str, str]:
    """The shadow plans' line as the Pilot page words it: what conventional attempts
    reached and what the predicted plan would have; and apart, how that was estimated
    (for "How this is calculated" at the end, as on the page)."""
    rate = partial(_shown, text, "rate")
    interval = shadow.get("interval")
    bracket = (
        " " + text("pilot.interval", low=rate(interval[0]), high=rate(interval[1]))
        if interval
        else ""
    )
    methods = text(
        "pilot.shadow_methods",
        method=text("pilot.doubly_robust"),
        direct=rate(shadow["direct_method"]),
        plans=text.number(shadow["same_hour"]),
        ips=rate(shadow["inverse_propensity"]),
    )
    observed = text(
        "pilot.shadow_observed",
        requests=text.number(shadow["requests"]),
        observed=rate(shadow["conventional_observed"]),
        expected=rate(shadow["conventional_expected"]),
    )
    return f"{text('pilot.shadow')}: {observed} {rate(shadow['estimate'])}{bracket}.", methods


def _moment(option: str, raw: str, zone: str) -> float:
    """``raw`` as --since or --until takes it (ISO 8601; without an offset in ``zone``), or
    the error in the admin's language that says the form, with ``raw`` rewritten when it
    is a day-first date (06-11-2026: write 2026-11-06)."""
    try:
        return instant(raw, option, zone)
    except ValueError:
        example = as_iso(raw) or "2026-03-02"
        raise InputError.worded(
            "bad_date", option=option, value=raw, zone=zone, example=example
        ) from None


@app.command("pilot")
def pilot(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of tables.")] = False,
    since: Annotated[
        str | None, typer.Option(help="Requests created from (ISO; default: the start).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="... until before (ISO; default: now).")] = None,
    data: Annotated[
        str | None,
        typer.Option(
            help="real or simulated requests (never both; default: the real ones if any)."
        ),
    ] = None,
) -> None:
    """The pilot: per KPI both arms, the difference with its interval, sample sizes, ROI."""
    settings = app_context(ctx).settings
    zone = settings.shop.timezone
    start = _moment("--since", since, zone) if since else 0.0
    end = _moment("--until", until, zone) if until else time.time()
    if end <= start:
        raise InputError.worded("until_not_after_since", since=since or "-", until=until or "-")
    try:
        kind = data_kind(data)
    except ValueError as exc:
        raise InputError(str(exc), hint="e.g. --data real") from None
    db = open_store(settings.storage)
    try:
        report = pilot_report_from_store(db, settings.callbacks.pilot, start, end, zone, kind)
    finally:
        db.close()
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        text = admin_words(settings)
        pilot = settings.callbacks.pilot
        _print(text, report, pilot.roi, settings.shop.currency, pilot.share_predicted is not None)
