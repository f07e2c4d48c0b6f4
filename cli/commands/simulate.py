"""`spillway simulate`: the scheduler core on a simulated clock against a YAML world.

``spillway simulate --world FILE --policy traditional|predicted|segment_oracle|oracle [--json]``
runs one policy; ``--replay`` estimates the chosen policy's first-attempt
contact rate from the predicted policy's logged decisions (inverse
propensity scoring) and puts it beside the policy's own run.
``spillway simulate report --world FILE ... --out DIR`` writes the HTML
report with its charts.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scheduler.offline_eval import ips_first_attempt
from scheduler.sim_charts import write_report
from scheduler.sim_report import kpis
from scheduler.simulator import PolicyName, SimRun, make_policy, simulate
from scheduler.world import World, load_world

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
    loaded = load_world(world)
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


def _table(results: dict[str, dict[str, Any]], title: str) -> None:
    table = Table(title=title)
    table.add_column("KPI")
    for name in results:
        table.add_column(name, justify="right")
    for key in SHOWN:
        table.add_row(key, *(str(results[name][key]) for name in results))
    Console().print(table)


@app.command("report")
def report(
    worlds: Annotated[list[Path], typer.Option("--world", help="World files; repeat for several.")],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for index.html and the charts.")
    ] = Path("build/simulation"),
) -> None:
    """All four policies on each world: an HTML page with PNG charts (KPIs against the
    material's figures, learning curve, learned and true heatmaps, reliability curve)."""
    sections = []
    for path in worlds:
        world = load_world(path)
        runs = {p.value: _run(world, p, quiet=False) for p in PolicyName}
        sections.append(
            (path.stem, {name: kpis(run) for name, run in runs.items()}, runs["predicted"])
        )
        _table({name: k for name, k in sections[-1][1].items()}, path.name)
    index = write_report(out, sections)
    console.print(f"wrote {index}")
