"""The patience frontier in words: a row per setting, its figures in percentages and hours.

`spillway simulate report --frontier` prints :func:`frontier_view` as a table
and puts it in the HTML page beside its chart; every word comes from the
language pack (``sim_frontier_*`` in ``spillway/languages/<code>/prompts.yaml``).
The note under the table says what the table itself shows for the shortest
against the longest patience (:func:`frontier_finding`), never a direction fixed
in advance: one seed can show the opposite of five, and a note that contradicts
the rows above it is believed by nobody; with one seed it says so.
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


def _direction(shorter: float | None, longer: float | None, higher_is_more: bool = True) -> str:
    """ "more", "fewer" or "same" for the shorter patience's figure against the longer's."""
    if shorter is None or longer is None or round(shorter, 3) == round(longer, 3):
        return "same"
    return "more" if (shorter > longer) == higher_is_more else "fewer"


def frontier_finding(pack: LanguagePack, frontier: Frontier) -> str:
    """What the table shows for the shortest against the longest patience, from its own
    figures (first-attempt contact and median time to contact), and, over one seed, that
    the differences may be noise and how to run more ("" with fewer than two settings)."""
    if len(frontier.points) < 2:
        return ""
    short, long = frontier.points[0], frontier.points[-1]
    said = pack.say(
        "sim_frontier_finding",
        short=number(pack, short.patience_hours or 0, 0),
        long=number(pack, long.patience_hours or 0, 0),
        first=pack.say(
            "sim_frontier_first_"
            + _direction(short.first_attempt_contact_rate, long.first_attempt_contact_rate)
        ),
        first_short=percent(pack, short.first_attempt_contact_rate, 1),
        first_long=percent(pack, long.first_attempt_contact_rate, 1),
        time=pack.say(
            "sim_frontier_time_"
            + _direction(short.median_hours_to_contact, long.median_hours_to_contact)
        ),
        time_short=hours(pack, short.median_hours_to_contact),
        time_long=hours(pack, long.median_hours_to_contact),
    )
    if len(frontier.seeds) == 1:
        said += " " + pack.say("sim_frontier_one_seed", seed=frontier.seeds[0])
    return said


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
        note=" ".join(
            part
            for part in (pack.say("sim_frontier_note"), frontier_finding(pack, frontier))
            if part
        ),
        chart_x=pack.say("sim_frontier_chart_x"),
    )
