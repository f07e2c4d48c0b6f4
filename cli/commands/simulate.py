"""`spillway simulate`: the scheduler core on a simulated clock against a YAML world.

``spillway simulate --world FILE --policy traditional|predicted|segment_oracle|oracle [--json]``
runs one policy (``pilot``: each request drawn to predicted or traditional);
``--store`` also writes the simulated requests and attempts into the
configured database, marked simulated and dated to end by now
(``spillway db purge-simulated`` removes them); ``--replay`` estimates the
chosen policy's first-attempt contact rate from the predicted policy's logged decisions (inverse
propensity scoring) and puts it beside the policy's own run.
``spillway simulate report --world FILE ... --out DIR`` writes the HTML
report with its charts; ``--ablation [--seeds 1,2,3]`` adds which data
matters (:mod:`scheduler.simulation.ablation`): ``predicted`` with no
signals, each signal kind alone, all, and industry or time zone left out,
as first-attempt contact and the share of the traditional-oracle gap closed,
in the shop's language (``--language``); ``--json`` prints the figures.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.context import app_context
from scheduler.simulation import store as sim_store
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
from scheduler.simulation.offline_eval import ips_first_attempt
from scheduler.simulation.report import kpis
from scheduler.simulation.signal_world import has_signals
from scheduler.simulation.simulator import COMPARED, PolicyName, SimRun, make_policy, simulate
from scheduler.simulation.world import World, load_world
from spillway.errors import InputError
from spillway.language_pack import load_pack
from spillway.secrets import mask_url_credentials
from spillway.settings import StorageSettings
from spillway.storage import open_store

app = typer.Typer(
    help="Simulate callback timing policies against a world (YAML); see docs/SIMULATION.md.",
    invoke_without_command=True,
)
console = Console(stderr=True)
WorldOption = Annotated[
    Path | None, typer.Option("--world", help="A world file (configs/worlds/*.yaml).")
]
SHOWN = (
    "requests",
    "calls_placed",
    "rule_violations",
    "first_attempt_contact_rate",
    "contact_rate",
    "contact_within_3_attempts_rate",
    "contact_within_deadline_rate",
    "mean_attempts_per_request",
    "mean_attempts_per_contact",
    "median_hours_to_contact",
    "mean_lead_value",
)


def _run(world: World, policy: PolicyName, *, quiet: bool) -> SimRun:
    if quiet:
        return simulate(world, policy)
    with Progress(
        TextColumn(f"{policy.value:>15}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(policy.value, total=1.0)
        return simulate(world, policy, progress=lambda done: progress.update(task, completed=done))


@app.callback()
def main(
    ctx: typer.Context,
    world: WorldOption = None,
    policy: Annotated[
        PolicyName, typer.Option("--policy", help="Which policy decides when to call.")
    ] = PolicyName.PREDICTED,
    as_json: Annotated[bool, typer.Option("--json", help="The KPIs as JSON on stdout.")] = False,
    replay: Annotated[
        bool,
        typer.Option(
            "--replay",
            help="Estimate POLICY offline from the predicted policy's logged decisions (IPS).",
        ),
    ] = False,
    seed: Annotated[
        int | None, typer.Option("--seed", help="The world's random seed (default: its own).")
    ] = None,
    store: Annotated[
        bool,
        typer.Option(
            "--store",
            help="Also write the simulated requests and attempts into the configured "
            "database, marked simulated, dated to end by now (remove: `spillway db "
            "purge-simulated`).",
        ),
    ] = False,
    alongside_real: Annotated[
        bool,
        typer.Option(
            "--alongside-real",
            help="With --store: write even though the database holds real callback requests.",
        ),
    ] = False,
) -> None:
    """Run one policy over a world; print its KPIs."""
    if ctx.invoked_subcommand is not None:
        return
    if world is None:
        raise typer.BadParameter("--world FILE is needed", param_hint="--world")
    if replay and policy is PolicyName.PREDICTED:
        raise typer.BadParameter(
            "--replay estimates another policy from the predicted policy's logged decisions; "
            "choose --policy traditional, segment_oracle or oracle",
            param_hint="--policy",
        )
    if replay and policy is PolicyName.PILOT:
        raise typer.BadParameter(
            "--replay estimates one policy; a pilot mixes two", param_hint="--policy"
        )
    loaded = load_world(world)
    if seed is not None:
        loaded = loaded.model_copy(update={"seed": seed})
    storage = app_context(ctx).settings.storage if store else None
    if storage is not None:
        _check_target(storage, alongside_real=alongside_real)
    started = time.perf_counter()
    run = _run(loaded, policy, quiet=as_json)
    result: dict[str, Any] = kpis(run)
    result["seconds"] = round(time.perf_counter() - started, 2)
    if replay:
        logged = (
            run
            if policy is PolicyName.PREDICTED
            else _run(loaded, PolicyName.PREDICTED, quiet=as_json)
        )
        target = make_policy(policy, loaded, logged.people)
        estimate = ips_first_attempt(logged, target, loaded.rules.calling_rules())
        result["replay"] = {
            "logged_policy": "predicted",
            "decisions": estimate.decisions,
            "matched": estimate.matched,
            "ips_first_attempt_contact_rate": estimate.ips,
            "snips_first_attempt_contact_rate": estimate.snips,
            "simulated_first_attempt_contact_rate": result["first_attempt_contact_rate"],
        }
    if storage is not None:
        label = f"simulated: world {world.name}, policy {policy.value}, seed {loaded.seed}"
        _write(storage, run, label)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    _table({policy.value: result}, world.name)
    if replay:
        r = result["replay"]
        console.print(
            f"replay: IPS {r['ips_first_attempt_contact_rate']:.3f}, SNIPS "
            f"{r['snips_first_attempt_contact_rate']}, simulated "
            f"{r['simulated_first_attempt_contact_rate']:.3f} "
            f"({r['matched']} of {r['decisions']} logged decisions matched)"
        )


def database_name(storage: StorageSettings) -> str:
    """The database as an admin knows it: the SQLite file, or the PostgreSQL DSN masked."""
    if storage.backend == "sqlite":
        return f"SQLite {storage.sqlite_path.resolve()}"
    dsn = storage.postgres_dsn.get_secret_value() if storage.postgres_dsn else ""
    return f"PostgreSQL {mask_url_credentials(dsn)}"


def _check_target(storage: StorageSettings, *, alongside_real: bool) -> None:
    """Refuse before simulating: a second simulated period, or real requests not agreed to."""
    db = open_store(storage)
    try:
        there = sim_store.count_simulated(db)
        real = sim_store.count_real(db)
    finally:
        db.close()
    name = database_name(storage)
    if there.requests:
        raise InputError(
            f"{name} already holds {there.requests} simulated callback request(s)",
            hint="remove them first: spillway db purge-simulated",
        )
    if real and not alongside_real:
        raise InputError(
            f"{name} holds {real} real callback request(s); simulated customers would be "
            "counted beside them in the console",
            hint="use a database of its own (--config with another storage.sqlite_path), "
            "or --alongside-real to write there anyway (marked simulated, removable)",
        )


def _write(storage: StorageSettings, run: SimRun, label: str) -> None:
    store_run(
        storage, run, label, say=lambda line: console.print(line, markup=False, soft_wrap=True)
    )


def store_run(
    storage: StorageSettings, run: SimRun, label: str, *, say: Callable[[str], None]
) -> sim_store.StoredPeriod:
    """Write ``run`` into the database, dated to end by now; say what, where and how to undo."""
    period = sim_store.stored_rows(run, time.time(), label=label)
    db = open_store(storage)
    try:
        written = sim_store.write(db, period)
    finally:
        db.close()
    attempts = sum(len(r.attempts) for r in period.requests)
    since = time.strftime("%Y-%m-%d %H:%M", time.localtime(period.since))
    until = time.strftime("%Y-%m-%d %H:%M", time.localtime(period.until))
    say(
        f"wrote {written} simulated callback request(s) and {attempts} attempt(s), "
        f"{since} to {until}, into {database_name(storage)}; they are marked simulated "
        "(the console labels them); remove them with: spillway db purge-simulated"
    )
    return period


def _table(results: dict[str, dict[str, Any]], title: str) -> None:
    table = Table(title=title)
    table.add_column("KPI")
    for name in results:
        table.add_column(name, justify="right")
    for key in SHOWN:
        table.add_row(key, *(str(results[name][key]) for name in results))
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


def _ablation(world: World, seeds: list[int], runs: dict[str, SimRun], *, quiet: bool) -> Ablation:
    """The ablation per data source, reusing the report's four runs for the world's seed."""
    known = {
        TRADITIONAL: runs[PolicyName.TRADITIONAL.value],
        ALL_SIGNALS if has_signals(world) else NO_SIGNALS: runs[PolicyName.PREDICTED.value],
        SEGMENT_ORACLE: runs[PolicyName.SEGMENT_ORACLE.value],
        ORACLE: runs[PolicyName.ORACLE.value],
    }
    if quiet:
        return ablation(world, seeds, known=known)
    with Progress(
        TextColumn("{task.description:>22}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("ablation", total=1.0)

        def step(row: str, done: float) -> None:
            progress.update(task, description=row, completed=done)

        return ablation(world, seeds, known=known, progress=step)


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


@app.command("report")
def report(
    ctx: typer.Context,
    worlds: Annotated[list[Path], typer.Option("--world", help="World files; repeat for several.")],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for index.html and the charts.")
    ] = Path("build/simulation"),
    with_ablation: Annotated[
        bool,
        typer.Option(
            "--ablation",
            help="Also which data matters: predicted with no signals, each signal kind "
            "alone, all signals, and industry or time zone left out, as first-attempt "
            "contact and the share of the traditional-oracle gap closed (one run per row and "
            "seed, the report's own four reused for the world's seed).",
        ),
    ] = False,
    seeds: Annotated[
        str | None,
        typer.Option(
            "--seeds",
            help="With --ablation: the seeds to average over, comma-separated "
            "(default: the world's own; single runs vary by several points).",
        ),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option("--language", help="The ablation's words (default: shop.language)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The KPIs (and the ablation) as JSON on stdout.")
    ] = False,
) -> None:
    """All four policies on each world: an HTML page with PNG charts (KPIs against the
    material's figures, learning curve, learned and true heatmaps, reliability curve);
    with --ablation, which data matters per data source, as a table and a chart."""
    if seeds is not None and not with_ablation:
        raise typer.BadParameter("--seeds goes with --ablation", param_hint="--seeds")
    pack = None
    if with_ablation:
        pack = load_pack(language or app_context(ctx).settings.shop.language)
    sections = []
    views: dict[str, AblationView] = {}
    found: dict[str, Any] = {}
    for path in worlds:
        world = load_world(path)
        chosen = _seeds(seeds, world) if with_ablation else []
        runs = {p.value: _run(world, p, quiet=as_json) for p in COMPARED}
        sections.append(
            (path.stem, {name: kpis(run) for name, run in runs.items()}, runs["predicted"])
        )
        found[path.stem] = {"kpis": sections[-1][1]}
        if not as_json:
            _table({name: k for name, k in sections[-1][1].items()}, path.name)
        if pack is not None:
            result = _ablation(world, chosen, runs, quiet=as_json)
            views[path.stem] = ablation_view(pack, path.stem, result)
            found[path.stem]["ablation"] = result.as_json()
            if not as_json:
                _ablation_table(views[path.stem])
    index = write_report(out, sections, views)
    if as_json:
        print(json.dumps(found, indent=2))
    console.print(f"wrote {index}")
