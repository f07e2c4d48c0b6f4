"""`spillway simulate`: the scheduler core on a simulated clock against a YAML world.

``spillway simulate --world FILE --policy traditional|predicted|segment_oracle|oracle [--json]``
runs one policy (``pilot``: each request drawn to predicted or traditional);
``--store`` also writes the simulated requests and attempts into the
configured database, marked simulated and dated to end by now
(``spillway db purge-simulated`` removes them); ``--replay`` estimates the
chosen policy's first-attempt contact rate from the predicted policy's logged decisions (inverse
propensity scoring) and puts it beside the policy's own run.
``spillway simulate report`` (:mod:`cli.commands.simulate_report`) runs every
policy on each world and writes the HTML report with its charts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from cli.admin_words import admin_words
from cli.commands.simulate_report import print_kpis, report, run_policy
from cli.context import app_context
from scheduler.simulation import store as sim_store
from scheduler.simulation.kpi_text import kpi_view
from scheduler.simulation.label import SimulationLabel
from scheduler.simulation.offline_eval import ips_first_attempt
from scheduler.simulation.report import kpis
from scheduler.simulation.simulator import PolicyName, SimRun, make_policy
from scheduler.simulation.world import load_world
from spillway.console_text import ConsoleText
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
    language: Annotated[
        str | None,
        typer.Option("--language", help="The table's words (default: shop.language)."),
    ] = None,
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
        _check_target(
            storage, admin_words(app_context(ctx).settings), alongside_real=alongside_real
        )
    started = time.perf_counter()
    run = run_policy(loaded, policy, quiet=as_json)
    result: dict[str, Any] = kpis(run)
    result["seconds"] = round(time.perf_counter() - started, 2)
    if replay:
        logged = (
            run
            if policy is PolicyName.PREDICTED
            else run_policy(loaded, PolicyName.PREDICTED, quiet=as_json)
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
        label = SimulationLabel(world.name, policy.value, loaded.seed).stored()
        _write(storage, run, label, admin_words(app_context(ctx).settings))
    if as_json:
        print(json.dumps(result, indent=2))
        return
    pack = load_pack(language or app_context(ctx).settings.shop.language)
    print_kpis(kpi_view(pack, world.name, {policy.value: result}))
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


def _check_target(storage: StorageSettings, text: ConsoleText, *, alongside_real: bool) -> None:
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
            text(
                "cli.simulate.holds_simulated",
                name=name,
                requests=text.count("cli.simulate.requests", there.requests),
            ),
            hint=text("cli.simulate.remove_first"),
        )
    if real and not alongside_real:
        raise InputError(
            text(
                "cli.simulate.holds_real",
                name=name,
                requests=text.count("cli.simulate.real_requests", real),
            ),
            hint=text("cli.simulate.own_database"),
        )


def _write(storage: StorageSettings, run: SimRun, label: str, text: ConsoleText) -> None:
    store_run(
        storage,
        run,
        label,
        text=text,
        say=lambda line: console.print(line, markup=False, soft_wrap=True),
    )


def store_run(
    storage: StorageSettings,
    run: SimRun,
    label: str,
    *,
    text: ConsoleText,
    say: Callable[[str], None],
) -> sim_store.StoredPeriod:
    """Write ``run`` into the database, dated to end by now; say what, where and how to undo
    (in ``text``'s language)."""
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
        text(
            "cli.simulate.wrote",
            requests=text.count("cli.simulate.requests", written),
            attempts=text.count("cli.simulate.attempts", attempts),
            since=since,
            until=until,
            database=database_name(storage),
        )
    )
    return period


app.command("report")(report)
