"""The pilot's verdict in plain words, the same on the Pilot page and in `spillway report
pilot`: what was shown, what it cost, whether it pays, and how long a sample size takes.

The decision is :func:`scheduler.pilot.verdict.pilot_verdict`'s; this module only
words it in the console's language:

- :func:`costs_words`: the KPIs that got significantly worse beside a better first
  attempt ("first contact came 2,75 h later"), for the "mixed" sentence;
- :func:`money_words`: "pays" only from the ROI and its range, else why not;
- :func:`pace_words`: "≈ N weeks at your current numbers" beside a sample size;
- :func:`needed_words`: a sample size with its effect and pace, or "not known yet"
  (a bare "-" read as a minus sign);
- :func:`saved_words`: the saved cost with its range, said as possibly chance when
  the range includes 0.
"""

from __future__ import annotations

import math
from typing import Any

from scheduler.pilot.report import shown_value
from scheduler.pilot.verdict import WORSE
from spillway.console_text import ConsoleText
from web.pilot_summary import localised, with_unit


def figure(text: ConsoleText, key: str, value: float | None) -> str:
    """A KPI's figure as the Pilot page shows it (marks, unit, language)."""
    return with_unit(text, key, localised(text, shown_value(key, value)))


def costs_words(text: ConsoleText, secondary: list[dict[str, Any]]) -> str:
    """The KPIs significantly worse with predicted timing, each with both figures, joined
    ("" when none is)."""
    said = []
    for kpi in secondary:
        if kpi["verdict"] != WORSE:
            continue
        p, c = kpi["predicted"], kpi["conventional"]
        values = {
            "predicted": figure(text, kpi["key"], p),
            "conventional": figure(text, kpi["key"], c),
        }
        if kpi["key"] == "median_hours_to_contact":
            values["hours"] = text("format.duration_h", n=text.number(abs(p - c), 2))
        said.append(text(f"pilot.in_short.cost.{kpi['key']}", **values))
    return text("pilot.in_short.cost_and").join(said)


def money_words(text: ConsoleText, money: dict[str, Any], verdict: str, currency: str) -> str:
    """Whether the timing pays (``verdict``: :func:`scheduler.pilot.verdict.money_verdict`),
    said from the ROI and its range ("" when no arm has callbacks to count). Without an
    investment it points to the money below, which names the setting (on the page as a
    hint: a setting's name in the lead's sentence is for the admin)."""
    if verdict == "uncounted":
        return ""
    if verdict == "unpriced":
        return text("pilot.in_short.money.unpriced")
    low, high = (money.get("intervals") or {}).get("roi") or (None, None)
    return text(
        f"pilot.in_short.money.{verdict}",
        investment=text.money(money["terms"]["investment"], currency),
        roi=text.percent(money["roi"], 1),
        low=text.percent(low, 1),
        high=text.percent(high, 1),
    )


def pace_words(text: ConsoleText, kpi: dict[str, Any], short: bool = False) -> str:
    """How long the KPI's sample size takes at the pilot's pace so far, in whole weeks
    ("≈ 24 weeks at your current numbers"; ``short``: "≈ 24 weeks", for the command's
    narrow table), or that it cannot be said yet."""
    weeks = kpi.get("weeks_needed")
    if weeks is None:
        return text("pilot.pace.unknown")
    key = "pilot.pace.weeks_short" if short else "pilot.pace.weeks"
    return text.count(key, max(1, math.ceil(weeks)))


def needed_words(text: ConsoleText, kpi: dict[str, Any], effect: str, short: bool = False) -> str:
    """A KPI's sample size per arm with the effect it is for and, while the groups are
    short of it, how long it takes (:func:`pace_words`, ``short`` as there); "not known
    yet" without one."""
    needed = kpi["n_needed_per_arm"]
    if needed is None:
        return text("pilot.needed_unknown")
    said = f"{text.number(needed)} ({effect})"
    return said if kpi.get("enough") else f"{said}, {pace_words(text, kpi, short)}"


def saved_words(text: ConsoleText, money: dict[str, Any], currency: str) -> str:
    """The saved cost with its range; when the range includes 0, said as possibly
    chance; "not worked out" when it is not counted."""
    saved = money["terms"]["saved_cost"]
    if saved is None:
        return text("pilot.not_worked_out")
    interval = (money.get("intervals") or {}).get("saved_cost")
    amount = text.money(saved, currency)
    if not interval:
        return amount
    low, high = interval
    key = "pilot.saved_chance" if low <= 0 <= high else "pilot.saved_range"
    return text(key, amount=amount, low=text.money(low, currency), high=text.money(high, currency))
