"""`spillway db ...`: the database schema and its contents."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from cli.context import app_context
from spillway.storage import open_store

app = typer.Typer(help="Inspect and migrate Spillway's database.", no_args_is_help=True)
console = Console()


@app.command("migrate")
def migrate(ctx: typer.Context) -> None:
    """Apply pending schema migrations (they are recorded in _migrations)."""
    store = open_store(app_context(ctx).settings.storage, migrate=False)
    try:
        applied = store.migrate()
    finally:
        store.close()
    if not applied:
        console.print("schema is up to date")
    for migration in applied:
        console.print(f"applied migration {migration.version}: {migration.name}")


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Show the applied migrations and the rows per table."""
    settings = app_context(ctx).settings
    store = open_store(settings.storage, migrate=False)
    try:
        table = Table(title=f"{store.backend}: {settings.storage.sqlite_path}")
        table.add_column("migration")
        table.add_column("name")
        for row in store.applied_migrations():
            table.add_row(str(row["version"]), row["name"])
        console.print(table)
        counts = Table(title="rows")
        counts.add_column("table")
        counts.add_column("rows", justify="right")
        for name, count in sorted(store.table_counts().items()):
            counts.add_row(name, str(count))
        console.print(counts)
    finally:
        store.close()
