"""Every KPI of a simulation report in words: labels, units and the material's figures.

`spillway simulate report` prints :func:`kpi_view` as a table and puts it in
the HTML page. Every KPI is shown, wins and losses alike: rates as
percentages, times in hours, counts as counts, each labelled in the language
pack's words (``sim_kpi_*`` in ``spillway/languages/<code>/prompts.yaml``),
with the callback material's figures in a column of their own, labelled as
the material's (traditional callbacks against AI-timed ones).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from scheduler.simulation.ablation_text import percent
from scheduler.simulation.report_words import console, policy_name
from spillway.language_pack import LanguagePack

Unit = Literal["count", "rate", "attempts", "hours"]

# Every KPI of scheduler.simulation.report.kpis, in the order shown, with its unit.
KPI_UNITS: tuple[tuple[str, Unit], ...] = (
    ("requests", "count"),
    ("calls_placed", "count"),
    ("rule_violations", "count"),
    ("told_window_requests", "count"),
    ("first_attempts_outside_told_window", "count"),
    ("told_window_contact_rate", "rate"),
    ("first_attempt_contact_rate", "rate"),
    ("contact_rate", "rate"),
    ("contact_within_3_attempts_rate", "rate"),
    ("contact_within_deadline_rate", "rate"),
    ("mean_attempts_per_request", "attempts"),
    ("mean_attempts_per_contact", "attempts"),
    ("median_hours_to_contact", "hours"),
    ("mean_hours_to_contact", "hours"),
    ("mean_lead_value", "rate"),
)
NOT_KPIS = ("policy", "weekly", "seconds")

# The callback material's figures: traditional callbacks against AI-timed ones. Time to
# first contact: "falls from 18 h to 6 h" (the material does not say mean or median).
MATERIAL: dict[str, tuple[float, float]] = {
    "first_attempt_contact_rate": (0.23, 0.38),
    "contact_rate": (0.45, 0.72),
    "mean_attempts_per_contact": (3.2, 1.8),
    "mean_hours_to_contact": (18.0, 6.0),
}
# A figure of the material that is not a before-and-after: what customers expect.
MATERIAL_EXPECTATION = {"contact_within_deadline_rate": "sim_kpi_material_expectation"}


@dataclass(frozen=True, slots=True)
class KpiLine:
    """One KPI as printed: its key, label, a figure per policy, and the material's."""

    key: str
    label: str
    values: tuple[str, ...]  # in the order of KpiView.policies
    material: str  # "" where the material gives no figure


@dataclass(frozen=True, slots=True)
class KpiView:
    """One world's KPIs in one language."""

    title: str
    kpi_column: str
    policies: tuple[str, ...]  # the policies' names, as the console names them
    material_column: str
    lines: tuple[KpiLine, ...]
    note: str
    chart_material: tuple[str, str]  # the chart's lines: the material's traditional, AI-timed


def number(pack: LanguagePack, value: float, digits: int) -> str:
    """``value`` as the console writes it: its decimal and thousands marks ("1.234,5")."""
    return console(pack).number(value, digits)


def hours(pack: LanguagePack, value: float | None) -> str:
    """A time in hours as the pack writes it ("6.8 h", "6,8 t"); None: the pack's dash."""
    if value is None:
        return pack.say("sim_kpi_none")
    return pack.say("sim_kpi_hours", value=number(pack, value, 1))


def figure(pack: LanguagePack, unit: Unit, value: Any) -> str:
    """One KPI's value in its unit."""
    if value is None:
        return pack.say("sim_kpi_none")
    if unit == "rate":
        return percent(pack, float(value), 1)
    if unit == "hours":
        return hours(pack, float(value))
    if unit == "attempts":
        return number(pack, float(value), 2)
    return number(pack, int(value), 0)


def material_figure(pack: LanguagePack, key: str, unit: Unit) -> str:
    """The material's figure for ``key`` ("23% → 38%"), or its words, or ""."""
    if key in MATERIAL:
        before, after = MATERIAL[key]
        return f"{figure(pack, unit, before)} → {figure(pack, unit, after)}"
    if key in MATERIAL_EXPECTATION:
        return pack.say(MATERIAL_EXPECTATION[key])
    return ""


def kpi_view(pack: LanguagePack, world: str, kpis: Mapping[str, Mapping[str, Any]]) -> KpiView:
    """``kpis`` (by policy, as :func:`scheduler.simulation.report.kpis` gives them) of the
    world named ``world`` in the words of ``pack``; every KPI a run has is shown."""
    policies = tuple(kpis)
    first = kpis[policies[0]] if policies else {}
    units = dict(KPI_UNITS)
    unknown = [k for k in first if k not in units and k not in NOT_KPIS]
    if unknown:  # a KPI added to report.kpis must be given a unit and words here
        raise ValueError(f"KPIs without a unit in kpi_text.KPI_UNITS: {', '.join(unknown)}")
    lines = tuple(
        KpiLine(
            key=key,
            label=pack.say(f"sim_kpi_{key}"),
            values=tuple(figure(pack, unit, kpis[p].get(key)) for p in policies),
            material=material_figure(pack, key, unit),
        )
        for key, unit in KPI_UNITS
        if key in first
    )
    return KpiView(
        title=pack.say("sim_kpi_title", world=world),
        kpi_column=pack.say("sim_kpi_column_kpi"),
        policies=tuple(policy_name(pack, p) for p in policies),
        material_column=pack.say("sim_kpi_column_material"),
        lines=lines,
        note=pack.say("sim_kpi_note"),
        chart_material=(
            pack.say("sim_kpi_chart_material_traditional"),
            pack.say("sim_kpi_chart_material_ai"),
        ),
    )
