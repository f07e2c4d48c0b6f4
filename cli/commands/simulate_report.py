"""`spillway simulate report`: every policy on each world, as tables and an HTML page.

``spillway simulate report --world FILE ... --out DIR`` runs the four policies
and prints every KPI of each, wins and losses alike, in the shop's language
(``--language``): rates as percentages, times in hours, with the material's
figures in a column of their own, then writes the HTML report with its
charts. ``--frontier`` adds first-attempt contact against time to contact for
several settings of the predicted policy's patience (``callbacks.patience_hours``,
:mod:`scheduler.simulation.frontier`); ``--ablation`` adds which data matters
(:mod:`scheduler.simulation.ablation`); ``--seeds 1,2,3`` averages both over
seeds; ``--json`` prints the figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.context import app_context
from scheduler.simulation.ablation import (
    ALL_SIGNALS,
    NO_SIGNALS,
    ORACLE,
    SEGMENT_ORACLE,
    TRADITIONAL,
    Ablation,
    ablation,
)
from scheduler.simulation.ablation_text import AblationView, ablation_view
from scheduler.simulation.charts import write_report
from scheduler.simulation.frontier import FRONTIER_PATIENCE_HOURS, Frontier, run_frontier
from scheduler.simulation.frontier_text import FrontierView, frontier_view
from scheduler.simulation.kpi_text import KpiView, kpi_view
from scheduler.simulation.report import kpis
from scheduler.simulation.report_words import policy_name, report_words
from scheduler.simulation.signal_world import has_signals
from scheduler.simulation.simulator import COMPARED, PolicyName, SimRun, simulate
from scheduler.simulation.world import World, load_world, patience_hours
from spillway.language_pack import LanguagePack, load_pack

console = Console(stderr=True)


def run_policy(
    world: World, policy: PolicyName, *, quiet: bool, pack: LanguagePack | None = None
) -> SimRun:
    """One simulation, with a progress bar on stderr unless ``quiet`` (the policy named in
    ``pack``'s words when given)."""
    if quiet:
        return simulate(world, policy)
    shown = policy_name(pack, policy.value) if pack else policy.value
    with Progress(
        TextColumn(f"{shown:>15}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(policy.value, total=1.0)
        return simulate(world, policy, progress=lambda done: progress.update(task, completed=done))


def print_kpis(view: KpiView) -> None:
    """Every KPI, a column per policy and one for the material's figures."""
    table = Table(title=view.title, caption=view.note)
    table.add_column(view.kpi_column)
    for name in view.policies:
        table.add_column(name, justify="right")
    table.add_column(view.material_column, justify="right")
    for line in view.lines:
        table.add_row(line.label, *line.values, line.material)
    Console().print(table)


def _seeds(text: str | None, world: World) -> list[int]:
    if text is None:
        return [world.seed]
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        seeds = []
    if not seeds:
        raise typer.BadParameter("comma-separated whole numbers, e.g. 1,2,3", param_hint="--seeds")
    return seeds


def _stepping(label: str, quiet: bool) -> tuple[Progress | None, Any]:
    if quiet:
        return None, None
    progress = Progress(
        TextColumn("{task.description:>22}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = progress.add_task(label, total=1.0)

    def step(row: str, done: float) -> None:
        progress.update(task, description=row, completed=done)

    return progress, step


def _ablation(world: World, seeds: list[int], runs: dict[str, SimRun], *, quiet: bool) -> Ablation:
    """The ablation per data source, reusing the report's four runs for the world's seed."""
    known = {
        TRADITIONAL: runs[PolicyName.TRADITIONAL.value],
        ALL_SIGNALS if has_signals(world) else NO_SIGNALS: runs[PolicyName.PREDICTED.value],
        SEGMENT_ORACLE: runs[PolicyName.SEGMENT_ORACLE.value],
        ORACLE: runs[PolicyName.ORACLE.value],
    }
    progress, step = _stepping("ablation", quiet)
    if progress is None:
        return ablation(world, seeds, known=known)
    with progress:
        return ablation(world, seeds, known=known, progress=step)


def _frontier(
    name: str, world: World, seeds: list[int], runs: dict[str, SimRun], *, quiet: bool
) -> Frontier:
    """The patience frontier, reusing the report's traditional and predicted runs."""
    known: dict[tuple[float | None, int], SimRun] = {
        (None, world.seed): runs[PolicyName.TRADITIONAL.value],
        (patience_hours(world), world.seed): runs[PolicyName.PREDICTED.value],
    }
    patiences = sorted({*FRONTIER_PATIENCE_HOURS, patience_hours(world)})
    progress, step = _stepping("frontier", quiet)
    if progress is None:
        return run_frontier(name, world, seeds, patiences, known=known)
    with progress:
        return run_frontier(name, world, seeds, patiences, known=known, progress=step)


def _frontier_table(view: FrontierView) -> None:
    table = Table(title=view.title, caption=view.note)
    table.add_column(view.columns[0])
    for column in view.columns[1:]:
        table.add_column(column, justify="right")
    for line in view.lines:
        table.add_row(line.label, *line.cells)
    Console().print(table)


def _ablation_table(view: AblationView) -> None:
    shown = 4 if view.per_seed_shown else 3
    table = Table(title=view.title, caption=view.note)
    table.add_column(view.columns[0])
    for column in view.columns[1:shown]:
        table.add_column(column, justify="right")
    for line in view.lines:
        cells = (line.first_attempt_contact, line.gap_closed, line.gap_closed_per_seed)
        table.add_row(line.label, *cells[: shown - 1])
    Console().print(table)


def report(
    ctx: typer.Context,
    worlds: Annotated[
        list[Path],
        typer.Option(
            "--world", metavar="<file>", help="A world file (configs/worlds/); repeat for several."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for index.html and the charts.")
    ] = Path("build/simulation"),
    with_ablation: Annotated[
        bool,
        typer.Option(
            "--ablation",
            help="Also which data matters: predicted with no signals, each signal kind "
            "alone, all signals, and industry or time zone left out, as first-attempt "
            "contact and the share of the conventional-oracle gap closed (one run per row and "
            "seed, the report's own four reused for the world's seed).",
        ),
    ] = False,
    with_frontier: Annotated[
        bool,
        typer.Option(
            "--frontier",
            help="Also first-attempt contact against time to contact (median, mean) and the "
            "share reached within the promised deadline, for the predicted policy with a "
            "patience (callbacks.patience_hours) of 2, 4, 8, 12, 24 and 72 hours, beside the "
            "conventional rule (one run per setting and seed).",
        ),
    ] = False,
    seeds: Annotated[
        str | None,
        typer.Option(
            "--seeds",
            help="With --ablation or --frontier: the seeds to pool over, comma-separated "
            "(default: the world's own; single runs vary by several points).",
        ),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option("--language", help="The report's words (default: shop.language)."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="The KPIs (the frontier, the ablation) as JSON on stdout."),
    ] = False,
) -> None:
    """All four policies on each world: every KPI as a table in the shop's language, and an
    HTML page with PNG charts (KPIs against the material's figures, learning curve, learned
    and true heatmaps, reliability curve); with --frontier, first-attempt contact against
    time to contact per patience; with --ablation, which data matters per data source."""
    if seeds is not None and not (with_ablation or with_frontier):
        raise typer.BadParameter("--seeds goes with --ablation or --frontier", param_hint="--seeds")
    pack = load_pack(language or app_context(ctx).settings.shop.language)
    sections = []
    kpi_views: dict[str, KpiView] = {}
    views: dict[str, AblationView] = {}
    frontiers: dict[str, FrontierView] = {}
    found: dict[str, Any] = {}
    for path in worlds:
        world = load_world(path)
        chosen = _seeds(seeds, world)
        runs = {p.value: run_policy(world, p, quiet=as_json, pack=pack) for p in COMPARED}
        by_policy = {name: kpis(run) for name, run in runs.items()}
        sections.append((path.stem, by_policy, runs["predicted"]))
        kpi_views[path.stem] = kpi_view(pack, path.stem, by_policy)
        found[path.stem] = {"kpis": by_policy}
        if not as_json:
            print_kpis(kpi_views[path.stem])
        if with_frontier:
            result = _frontier(path.stem, world, chosen, runs, quiet=as_json)
            frontiers[path.stem] = frontier_view(pack, result, patience_hours(world))
            found[path.stem]["frontier"] = result.as_json()
            if not as_json:
                _frontier_table(frontiers[path.stem])
        if with_ablation:
            chosen_ablation = _ablation(world, chosen, runs, quiet=as_json)
            views[path.stem] = ablation_view(pack, path.stem, chosen_ablation)
            found[path.stem]["ablation"] = chosen_ablation.as_json()
            if not as_json:
                _ablation_table(views[path.stem])
    words = report_words(pack, [p.value for p in COMPARED])
    index = write_report(out, sections, kpi_views, words, views, frontiers)
    if as_json:
        print(json.dumps(found, indent=2))
    console.print(pack.say("sim_report_wrote", path=index), markup=False, highlight=False)
