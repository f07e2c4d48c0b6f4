"""A throw-away copy of the database for the test tools (`spillway chat`, `spillway call`).

A test conversation creates what a real one does: callback requests the
scheduler would dial, cases, text messages the SMS sender would send. By
default those land in a copy of the live SQLite database (so the shop's orders
and products are there) that is deleted afterwards; ``--live`` uses the real
database and says so.
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from spillway.settings import Settings

# `--live` of `spillway chat` and `spillway call`: the one door to the real database.
LiveOption = Annotated[
    bool,
    typer.Option(
        "--live",
        help="Use the live database: callbacks, cases and text messages are real "
        "(default: a throw-away copy).",
    ),
]


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of ``source`` (WAL included), read-only on the source."""
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src:
        with contextlib.closing(sqlite3.connect(target)) as dst:
            src.backup(dst)


@contextlib.contextmanager
def scratch_settings(
    settings: Settings, *, live: bool, say: Callable[[str], None]
) -> Iterator[Settings]:
    """``settings`` whose database is a throw-away copy (``live``: the real one)."""
    storage = settings.storage
    live_name = "PostgreSQL" if storage.backend == "postgres" else str(storage.sqlite_path)
    if live:
        say(f"--live: callbacks, cases and text messages go to the live database {live_name}")
        yield settings
        return
    with tempfile.TemporaryDirectory(prefix="spillway-scratch-") as folder:
        scratch = Path(folder) / "scratch.db"
        if storage.backend == "sqlite" and storage.sqlite_path.is_file():
            copy_sqlite(storage.sqlite_path, scratch)
            say(
                f"using a throw-away copy of {live_name}: nothing this call does reaches the "
                "live database (--live to use it)"
            )
        else:
            say(
                f"using an empty throw-away database (no copy of {live_name} is made): "
                "nothing this call does reaches the live database (--live to use it)"
            )
        yield settings.model_copy(
            update={
                "storage": storage.model_copy(update={"backend": "sqlite", "sqlite_path": scratch})
            }
        )
