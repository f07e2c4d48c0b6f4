"""`spillway report pilot`: the pilot's evidence (predicted against conventional timing) and money.

The figures are :func:`scheduler.pilot.report.pilot_report`'s, the same the
console's Pilot page shows; ``--json`` prints them as they are.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.context import app_context
from scheduler.pilot.report import (
    pilot_report_from_store,
    pilot_window,
    shown_difference,
    shown_value,
)
from scheduler.pilot.roi_text import staff_hour_words
from spillway.callback_settings import PilotRoiSettings
from spillway.console_text import load_console_text
from spillway.errors import InputError
from spillway.language_pack import DEFAULT_LANGUAGE
from spillway.storage import open_store

app = typer.Typer(help="Reports over the database.", no_args_is_help=True)
console = Console()


_ROI = "callbacks.pilot.roi"


def money_terms(money: dict[str, Any]) -> str:
    """The ROI's terms in a line; a term that is missing says why and what to set (pure)."""
    terms, roi = money["terms"], money["settings"]
    if terms["saved_cost"] is None:
        # Only computed when both arms have callbacks (money["note"] says so).
        counted = f"saved cost and extra revenue not computed: {money['note']}"
    else:
        extra = (
            f"extra revenue {terms['extra_revenue']:.2f}"
            if roi["lead_value"] > 0
            else f"extra revenue not counted: set {_ROI}.lead_value (what reaching a customer "
            "is worth)"
        )
        counted = f"saved cost {terms['saved_cost']:.2f}, {extra}"
    invested = (
        f"investment {terms['investment']:.2f}"
        if terms["investment"] > 0
        else f"investment not configured: set {_ROI}.investment to see the ROI"
    )
    return f"{counted}; {invested}"


def _print(report: dict[str, Any], agent_hour: PilotRoiSettings, currency: str) -> None:
    # The report's words are English; the agent hour's lines are the console's (its pack).
    text = load_console_text(DEFAULT_LANGUAGE)
    w = report["window"]
    console.print(
        f"[bold]Pilot[/]: requests created from {w['since']} to {w['until']} ({w['time_zone']}); "
        f"intervals {report['confidence']:.0%}"
    )
    table = Table(title="predicted against conventional timing")
    for column in ("KPI", "predicted", "conventional", "difference [interval]", "n per arm",
                   "needed", "verdict"):  # fmt: skip
        table.add_column(column)
    for kpi in [report["primary"], *report["secondary"]]:
        table.add_row(
            kpi["label"] + (" (primary)" if kpi is report["primary"] else ""),
            shown_value(kpi["key"], kpi["predicted"]),
            shown_value(kpi["key"], kpi["conventional"]),
            shown_difference(kpi),
            f"{kpi['n']['predicted']} / {kpi['n']['conventional']}",
            f"{kpi['n_needed_per_arm'] or '-'} ({kpi['detectable_effect']})",
            kpi["verdict_text"],
        )
    console.print(table)
    console.print(
        "Methods: "
        + "; ".join(sorted({k["method"] for k in [report["primary"], *report["secondary"]]}))
    )
    out = report["opted_out"]
    console.print(
        f"Opted out of AI timing (in neither arm): {out['requests']} requests, "
        f"contact rate {shown_value('contact_rate', out['contact_rate'])}"
    )
    money = report["money"]
    table = Table(title=money["formula"])
    for column in ("arm", "callbacks", "attempts", f"cost per callback ({currency})", "ROI"):
        table.add_column(column)
    for arm, m in money["arms"].items():
        roi = "baseline" if m.get("baseline") else ("-" if m["roi"] is None else f"{m['roi']:.1%}")
        cpc = "-" if m["cost_per_callback"] is None else f"{m['cost_per_callback']:.2f}"
        table.add_row(arm, str(m["callbacks"]), str(m["attempts"]), cpc, roi)
    console.print(table)
    console.print(money_terms(money), markup=False)
    for line in staff_hour_words(text, agent_hour, currency).values():
        if line:
            console.print(line, markup=False, soft_wrap=True)
    shadow = report["shadow"]
    if shadow and shadow["requests"]:
        console.print(
            f"Shadow mode: {shadow['requests']} conventional first attempts, "
            f"{shadow['conventional_observed']:.1%} answered "
            f"(the model expected {shadow['conventional_expected']:.1%}); the predicted plan "
            f"would have reached {shadow['estimate']:.1%} ({shadow['method']})"
        )


@app.command("pilot")
def pilot(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of tables.")] = False,
    since: Annotated[
        str | None, typer.Option(help="Requests created from (ISO; default: the start).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="... until before (ISO; default: now).")] = None,
) -> None:
    """The pilot: per KPI both arms, the difference with its interval, sample sizes, ROI."""
    settings = app_context(ctx).settings
    zone = settings.shop.timezone
    try:
        start, end = pilot_window(since, until, zone, time.time())
    except ValueError as exc:
        raise InputError(str(exc), hint="e.g. --since 2026-03-02 --until 2026-03-16") from None
    db = open_store(settings.storage)
    try:
        report = pilot_report_from_store(db, settings.callbacks.pilot, start, end, zone)
    finally:
        db.close()
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        _print(report, settings.callbacks.pilot.roi, settings.shop.currency)
