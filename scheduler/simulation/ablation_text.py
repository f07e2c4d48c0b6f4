"""The ablation per data source in words: row labels, columns and percentages, per language.

`spillway simulate report --ablation` prints :func:`ablation_view` as a table
and puts it in the HTML report beside its chart; every word comes from the
language pack (``sim_ablation_*`` in ``spillway/languages/<code>/prompts.yaml``).
Every figure is a percentage: mean first-attempt contact, and the share of the
``traditional``-``oracle`` gap each row closes, by the means and per seed.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.simulation.ablation import Ablation, AblationRow
from scheduler.simulation.report_words import console, policy_name, runs_words
from spillway.language_pack import LanguagePack

# The signal kinds the pack names (any other: sim_ablation_kind_other with {kind}).
NAMED_KINDS = ("web_visit", "email_open", "app_open", "inbound_call", "sms_reply")


@dataclass(frozen=True, slots=True)
class AblationLine:
    """One row as printed: its label and its figures as percentages."""

    name: str  # the row's key (predicted_no_signals, only_web_visit, ...)
    label: str
    first_attempt_contact: str  # "56.1%"
    gap_closed: str  # "36%", or the pack's word for no gap
    gap_closed_per_seed: str  # "33%, 35%, 37%"
    first_attempt_contact_rate: float  # 0-1, for the chart


@dataclass(frozen=True, slots=True)
class AblationView:
    """One world's ablation in one language."""

    heading: str
    title: str
    columns: tuple[str, str, str, str]
    lines: tuple[AblationLine, ...]
    note: str
    chart_axis: str
    chart_note: str  # what the figure beside each bar is
    per_seed_shown: bool  # more than one seed: the per-seed column says something


def percent(pack: LanguagePack, share: float | None, digits: int = 0) -> str:
    """``share`` (0-1) as the console writes a percentage ("56.1%", "56,1 %")."""
    if share is None:
        return pack.say("sim_ablation_no_gap")
    return console(pack).percent(share, digits)


def kind_label(pack: LanguagePack, kind: str) -> str:
    if kind in NAMED_KINDS:
        return pack.say(f"sim_ablation_kind_{kind}")
    return pack.say("sim_ablation_kind_other", kind=kind)


def row_label(pack: LanguagePack, row: AblationRow) -> str:
    """The row's label; a row the pack does not name (the bench's own) keeps its key.
    A row that is one of the report's policies starts with that policy's name."""
    if row.kind is not None:
        return pack.say("sim_ablation_row_only", kind=kind_label(pack, row.kind))
    key = f"sim_ablation_row_{row.name}"
    return pack.say(key, policy=policy_name(pack, row.name)) if key in pack.prompts else row.name


def ablation_view(pack: LanguagePack, world: str, ablation: Ablation) -> AblationView:
    """``ablation`` of the world named ``world`` in the words of ``pack``."""
    lines = tuple(
        AblationLine(
            name=row.name,
            label=row_label(pack, row),
            first_attempt_contact=percent(pack, row.first_attempt_contact_rate, 1),
            gap_closed=percent(pack, row.gap_closed_share),
            gap_closed_per_seed=", ".join(
                percent(pack, share) for share in row.gap_closed_share_per_seed
            ),
            first_attempt_contact_rate=row.first_attempt_contact_rate,
        )
        for row in ablation.rows
    )
    return AblationView(
        heading=pack.say("sim_ablation_heading"),
        title=pack.say("sim_ablation_title", world=world, runs=runs_words(pack, ablation.seeds)),
        columns=(
            pack.say("sim_ablation_column_row"),
            pack.say("sim_ablation_column_contact"),
            pack.say("sim_ablation_column_gap"),
            pack.say("sim_ablation_column_gap_per_seed"),
        ),
        lines=lines,
        note=pack.say("sim_ablation_note"),
        chart_axis=pack.say("sim_ablation_column_contact"),
        chart_note=pack.say("sim_ablation_chart_note"),
        per_seed_shown=len(ablation.seeds) > 1,
    )
