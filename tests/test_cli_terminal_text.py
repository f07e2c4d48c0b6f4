"""Stored values never drive the admin's terminal (issue 20): a reason holding an escape
sequence is shown as text by `callbacks list` and `show`, and a stored "[/x] abc" does
not break Rich's printing."""

from __future__ import annotations

import time
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from cli.terminal_text import plain, shown
from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from spillway.storage import SqliteStore

BLINK = "\x1b[5mBLINK\x1b[0m"


def _config(tmp_path: Path, store: SqliteStore) -> list[str]:
    config = tmp_path / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {store.path}\n")
    return ["--config", str(config)]


def test_escape_sequences_and_markup_in_stored_values_are_shown_as_text(
    tmp_path: Path, store: SqliteStore
) -> None:
    with store.transaction() as tx:
        blink = intake.record(
            tx,
            NewRequest("+4520123456", RequestSource.CSV, reason=BLINK, name="\x9b2J"),
            region="DK",
            now=time.time(),
        ).id
        # A raw number that could not be read is kept as given, markup and all.
        odd = intake.record(
            tx, NewRequest("[/x] abc", RequestSource.API, reason="[/x] abc"), region="DK",
            now=time.time(),
        ).id  # fmt: skip
    args = _config(tmp_path, store)
    runner = CliRunner()
    # Wide enough that the escaped reason is not folded inside its column.
    listed = runner.invoke(
        app, [*args, "callbacks", "list", "--status", "all"], env={"COLUMNS": "200"}
    )
    assert listed.exit_code == 0, listed.output
    assert "\x1b" not in listed.output and "\\x1b[5mBL" in listed.output
    for request_id in (blink, odd):
        show = runner.invoke(app, [*args, "callbacks", "show", str(request_id)])
        assert show.exit_code == 0, (show.output, show.exception)
        assert "\x1b" not in show.output and "\x9b" not in show.output
    show = runner.invoke(app, [*args, "callbacks", "show", str(odd)])
    assert "[/x] abc" in show.output


def test_the_helpers() -> None:
    assert plain("a\x1b[2Jb\x07\r\n\t") == "a\\x1b[2Jb\\x07\\x0d\n\t"
    assert plain("\x9b31m") == "\\x9b31m"
    assert shown("[/x] \x1b") == "\\[/x] \\x1b"
