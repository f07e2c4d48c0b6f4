"""`spillway demo seed`: load the demo shop's orders, products and customers."""

from __future__ import annotations

import typer
from rich.console import Console

from bot.backends.demo_data import DEMO_CALLER, seed_demo
from cli.admin_words import admin_words
from cli.context import app_context
from spillway.storage import open_store

console = Console()


def seed(ctx: typer.Context) -> None:
    """Load (or refresh) the demo shop's made-up orders, products and customers into the
    configured database (a real shop's too: give it a trial --config); safe to run again,
    it never duplicates."""
    settings = app_context(ctx).settings
    store = open_store(settings.storage)
    try:
        report = seed_demo(store)
    finally:
        store.close()
    # In the admin's language, as the other commands ("3 ordrer, 5 produkter, 1 kunde").
    words = admin_words(settings)
    console.print(
        words(
            "cli.demo_seed.done",
            database=settings.storage.sqlite_path,
            orders=words.count("cli.demo_seed.orders", report.orders),
            products=words.count("cli.demo_seed.products", report.products),
            customers=words.count("cli.demo_seed.customers", report.customers),
            caller=DEMO_CALLER,
        ),
        markup=False,
        soft_wrap=True,
    )
