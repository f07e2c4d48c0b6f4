"""A throw-away copy of the database for the test tools (`spillway chat`, `spillway call`).

A test conversation creates what a real one does: callback requests the
scheduler would dial, cases, text messages the SMS sender would send. By
default those land in a copy of the live SQLite database (so the shop's orders
and products are there) that is deleted afterwards; ``--live`` uses the real
database and says so.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from spillway.console_text import ConsoleText
from spillway.settings import Settings
from spillway.storage import open_store

# `--live` of `spillway chat` and `spillway call`: the one door to the real database.
LiveOption = Annotated[
    bool,
    typer.Option(
        "--live",
        help="Use the live database: callbacks, cases and text messages are real "
        "(default: a throw-away copy).",
    ),
]


def _hint_when_no_shop(
    settings: Settings, say: Callable[[str], None], words: ConsoleText, live_name: str
) -> None:
    """Say how to get a shop to talk about when the database in use has none: with no
    orders and no products the bot cannot look anything up, and a new admin would
    not know why. A real shop's way first (its shop system's API); the demo shop only
    as a trial, said plainly to land in the configured database (`demo seed` writes
    the live one), so that no firm loads made-up orders beside its real customers."""
    if settings.shop.api_url is not None:
        return  # orders and stock come from the shop's own API
    store = open_store(settings.storage, migrate=False)
    try:
        counts = store.table_counts()
    finally:
        store.close()
    if not counts.get("orders") and not counts.get("products"):
        say(words("cli.scratch.no_shop"))
        say(words("cli.scratch.no_shop_trial", database=live_name))


@contextlib.contextmanager
def scratch_settings(
    settings: Settings,
    *,
    live: bool,
    say: Callable[[str], None],
    words: ConsoleText,
    shop_hint: bool = True,
) -> Iterator[Settings]:
    """``settings`` whose database is a throw-away copy (``live``: the real one), said in
    ``words`` (the admin's); ``shop_hint``: say when it has no shop for the bot to look up
    (the DTMF menu needs none)."""
    storage = settings.storage
    live_name = "PostgreSQL" if storage.backend == "postgres" else str(storage.sqlite_path)
    if live:
        say(words("cli.scratch.live", database=live_name))
        if shop_hint:
            _hint_when_no_shop(settings, say, words, live_name)
        yield settings
        return
    with tempfile.TemporaryDirectory(prefix="spillway-scratch-") as folder:
        scratch = Path(folder) / "scratch.db"
        if storage.backend == "sqlite" and storage.sqlite_path.is_file():
            live_store = open_store(storage, migrate=False)
            try:
                live_store.backup(scratch)
            finally:
                live_store.close()
            say(words("cli.scratch.copy", database=live_name))
        else:
            say(words("cli.scratch.empty", database=live_name))
        scratch_one = settings.model_copy(
            update={
                "storage": storage.model_copy(update={"backend": "sqlite", "sqlite_path": scratch})
            }
        )
        if shop_hint:
            _hint_when_no_shop(scratch_one, say, words, live_name)
        yield scratch_one
