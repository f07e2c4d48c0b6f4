"""`spillway models ...`: list, fetch, verify and locate speech models.

Every command works in ``settings.paths.models_dir`` (``paths.cache_dir`` in the
config, else ``$SPILLWAY_CACHE``), the folder the services load models from.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from cli.context import app_context
from models.discover import find_model, installed_models, require_model, verify_model
from models.fetch import fetch_model
from models.registry import REGISTRY, get_spec
from spillway.errors import ModelError

app = typer.Typer(help="Speech models: list, fetch, verify, locate.", no_args_is_help=True)
console = Console()


@app.command("list")
def list_models(ctx: typer.Context) -> None:
    """Show every known model, whether it is installed, and from where."""
    root = app_context(ctx).settings.paths.models_dir
    installed = {m.name: m for m in installed_models(root)}
    table = Table(title=f"models (fetched into {root})")
    table.add_column("name", no_wrap=True)
    for column in ("kind", "lang", "status", "checksum", "description"):
        table.add_column(column)
    for spec in REGISTRY:
        found = installed.get(spec.name)
        status = (
            "missing"
            if found is None
            else ("fetched" if found.source == "models-dir" else found.source)
        )
        if not spec.files:
            checksum = "wheel RECORD"
        elif any(f.sha256 for f in spec.files):
            checksum = "sha256"
        elif any(f.md5 for f in spec.files):
            checksum = "md5"
        else:
            checksum = "none published"
        table.add_row(spec.name, spec.kind.value, spec.language, status, checksum, spec.description)
    console.print(table)


@app.command("fetch")
def fetch(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Model name, as in `spillway models list`.")],
    force: Annotated[bool, typer.Option("--force", help="Re-download and replace.")] = False,
) -> None:
    """Download a model (resuming partial downloads), verify it and install it atomically."""
    spec = get_spec(name)
    paths = app_context(ctx).settings.paths
    models, downloads = paths.models_dir, paths.downloads_dir
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:

        def report(filename: str, done: int, total: int | None) -> None:
            if filename not in tasks:
                tasks[filename] = progress.add_task(filename, total=total)
            progress.update(tasks[filename], completed=done, total=total)

        result = fetch_model(
            spec, dest_root=models, download_root=downloads, force=force, progress=report
        )
    if result.already_installed:
        console.print(f"{name} is already installed at {result.path} (use --force to replace)")
        return
    resumed = " (resumed)" if result.resumed else ""
    console.print(f"installed {name} at {result.path}{resumed}: {result.verification}")


@app.command("verify")
def verify(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="One model; all installed if omitted.")] = None,
) -> None:
    """Re-hash installed models against their manifest, wheel RECORD or upstream sums."""
    root = app_context(ctx).settings.paths.models_dir
    targets = [require_model(name, root)] if name else installed_models(root)
    failed = False
    for model in targets:
        result = verify_model(model)
        failed |= not result.ok
        style = (
            "green"
            if result.ok and result.status.startswith("ok")
            else ("yellow" if result.ok else "red")
        )
        console.print(f"[{style}]{result.name}[/]: {result.status}  ({model.path})")
    if failed:
        raise ModelError("some models are corrupt", hint="re-fetch them with --force")


@app.command("path")
def path(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Model name.")]) -> None:
    """Print where an installed model lives (for scripts)."""
    root = app_context(ctx).settings.paths.models_dir
    found = find_model(name, root)
    if found is None:
        require_model(name, root)  # raises the ModelError with the fetch hint
    assert found is not None
    typer.echo(str(found.path))
