"""The patience frontier in words: a row per setting, its figures in percentages and hours.

`spillway simulate report --frontier` prints :func:`frontier_view` as a table
and puts it in the HTML page beside its chart; every word comes from the
language pack (``sim_frontier_*`` in ``spillway/languages/<code>/prompts.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.simulation.ablation_text import percent
from scheduler.simulation.frontier import Frontier, FrontierPoint
from scheduler.simulation.kpi_text import hours, number
from scheduler.simulation.report_words import policy_name, runs_words
from spillway.language_pack import LanguagePack


@dataclass(frozen=True, slots=True)
class FrontierLine:
    """One setting as printed, with its figures kept for the chart."""

    label: str
    cells: tuple[str, str, str, str, str]  # first, deadline, median, mean, any attempt
    point: FrontierPoint


@dataclass(frozen=True, slots=True)
class FrontierView:
    heading: str
    title: str
    columns: tuple[str, ...]  # setting, then the five figures
    lines: tuple[FrontierLine, ...]
    note: str
    chart_x: str


def _label(pack: LanguagePack, point: FrontierPoint, current_hours: float | None) -> str:
    if point.patience_hours is None:
        return pack.say("sim_frontier_row_traditional", policy=policy_name(pack, "traditional"))
    shown = number(pack, point.patience_hours, 0 if point.patience_hours.is_integer() else 1)
    key = "sim_frontier_row_current" if point.patience_hours == current_hours else None
    return pack.say(key or "sim_frontier_row_patience", hours=shown)


def frontier_view(
    pack: LanguagePack, frontier: Frontier, current_hours: float | None = None
) -> FrontierView:
    """``frontier`` in the words of ``pack``; ``current_hours``: the configured patience,
    marked as such where it is one of the settings."""
    points = ([frontier.traditional] if frontier.traditional else []) + list(frontier.points)
    lines = tuple(
        FrontierLine(
            label=_label(pack, p, current_hours),
            cells=(
                percent(pack, p.first_attempt_contact_rate, 1),
                percent(pack, p.contact_within_deadline_rate, 1),
                hours(pack, p.median_hours_to_contact),
                hours(pack, p.mean_hours_to_contact),
                percent(pack, p.contact_rate, 1),
            ),
            point=p,
        )
        for p in points
    )
    return FrontierView(
        heading=pack.say("sim_frontier_heading"),
        title=pack.say(
            "sim_frontier_title", world=frontier.world, runs=runs_words(pack, frontier.seeds)
        ),
        columns=(
            pack.say("sim_frontier_column_setting"),
            pack.say("sim_frontier_column_first"),
            pack.say("sim_frontier_column_deadline"),
            pack.say("sim_frontier_column_median"),
            pack.say("sim_frontier_column_mean"),
            pack.say("sim_frontier_column_contact"),
        ),
        lines=lines,
        note=pack.say("sim_frontier_note"),
        chart_x=pack.say("sim_frontier_chart_x"),
    )
