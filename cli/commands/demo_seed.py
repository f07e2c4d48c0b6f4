"""`spillway demo seed`: load the demo shop's orders, products and customer."""

from __future__ import annotations

import typer
from rich.console import Console

from bot.backends.demo_data import DEMO_CALLER, seed_demo
from cli.context import app_context
from spillway.storage import open_store

console = Console()


def seed(ctx: typer.Context) -> None:
    """Load (or refresh) the demo shop's made-up orders, products and customer into the
    configured database (a real shop's too: give it a trial --config); safe to run again,
    it never duplicates."""
    settings = app_context(ctx).settings
    store = open_store(settings.storage)
    try:
        report = seed_demo(store)
    finally:
        store.close()
    console.print(
        f"demo data in {settings.storage.sqlite_path}: {report.orders} orders, "
        f"{report.products} products, {report.customers} customer ({DEMO_CALLER})"
    )
