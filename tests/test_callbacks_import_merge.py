"""`callbacks import` in a Danish shop: a row for a customer who already waits joins their
open request and the summary names it; the summary counts each kind of refusal; and an
import that dies half-way, run again, records every row exactly once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import cli.commands.callbacks as callbacks_command
from cli.main import app
from scheduler import intake
from spillway.storage import SqliteStore
from tests.test_callbacks_import import DAY

# The requests in the database when the import dies at each row: a row's merge is whole.
KEPT_WHEN_DYING_AT = {2: 1, 3: 2, 4: 2}


def _import(store: SqliteStore, language: str, file: Path) -> tuple[int, str]:
    env = {"SPILLWAY_STORAGE__SQLITE_PATH": str(store.path), "SPILLWAY_SHOP__LANGUAGE": language}
    done = CliRunner().invoke(app, ["callbacks", "import", str(file)], env=env)
    return done.exit_code, " ".join(done.output.split())


@pytest.mark.parametrize(
    ("language", "summary"),
    [
        (
            "da",
            "2 tilbagekald tilføjet, 2 lagt sammen med åbne (tilbagekald 1), 0 fandtes allerede, "
            "3 rækker afvist (1 skal rettes, 1 spærret mod opkald, 1 uden samtykke)",
        ),
        (
            "en",
            "2 requests added, 2 merged into open ones (request 1), 0 already there, "
            "3 rows refused (1 to correct, 1 on the do-not-call list, 1 whose consent says no)",
        ),
    ],
)
def test_the_summary_names_the_request_joined_and_counts_each_refusal(
    store: SqliteStore, tmp_path: Path, language: str, summary: str
) -> None:
    store.insert("do_not_call", {"phone": "+4570707070", "source": "admin", "added_at": 1.0})
    file = tmp_path / "in.csv"
    file.write_text(
        "telefon;navn;årsag;samtykke\n"
        "+4531223344;Mette;Levering;ja\n"
        "+4531223344;Mette;Ny henvendelse;ja\n"
        "+4531223344;Mette;Faktura;\n"
        "+4546464646;Ib;;nej\n"
        "70707070;Al;;\n"
        "ikke et nummer;Bo;;\n"
        "+4520123456;Anna;;\n",
        encoding="utf-8",
    )
    code, said = _import(store, language, file)
    assert code == 1, said  # the bad number is to correct
    assert summary in said
    [mette] = store.query("SELECT reason FROM callback_requests WHERE phone = '+4531223344'")
    assert mette["reason"] == "Levering; Ny henvendelse; Faktura"


def _crash_at(monkeypatch: pytest.MonkeyPatch, row: int) -> None:
    """``intake.record`` dies at the ``row``-th call, each row in its own transaction."""
    monkeypatch.setattr(callbacks_command, "IMPORT_BATCH_S", 0.0)
    monkeypatch.setattr(callbacks_command, "IMPORT_PAUSE_S", 0.0)
    real = intake.record
    calls = {"n": 0}

    def record(*args: Any, **kwargs: Any) -> intake.Recorded:
        calls["n"] += 1
        if calls["n"] == row:
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(intake, "record", record)


@pytest.mark.parametrize("crash_at", [2, 3, 4])
def test_an_import_that_dies_half_way_neither_loses_nor_doubles_a_row(
    store: SqliteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash_at: int
) -> None:
    """Each transaction holds whole rows (a merge's reason, window and history together):
    the rows before the crash are in, the rest are not, and the same file again finds the
    first ones already there and adds the rest once."""
    file = tmp_path / "in.csv"
    file.write_text(
        "phone;name;reason;not_before\n"
        f"+4531223344;Mette;Levering;{DAY} 09:00\n"
        "+4520123456;Anna;;\n"
        "+4531223344;Mette;Ny henvendelse;\n"
        "+4540404040;Bo;;\n",
        encoding="utf-8",
    )
    with monkeypatch.context() as patched:
        _crash_at(patched, crash_at)
        code, _ = _import(store, "en", file)
        assert code != 0
    kept = store.query("SELECT phone, reason FROM callback_requests ORDER BY id")
    assert len(kept) == KEPT_WHEN_DYING_AT[crash_at]
    # The merge (the third row, line 4) is in whole or not at all.
    assert kept[0]["reason"] == ("Levering; Ny henvendelse" if crash_at > 3 else "Levering")
    code, said = _import(store, "en", file)
    assert code == 0, said
    assert f"{crash_at - 1} already there" in said
    rows = store.query("SELECT phone, reason, not_before, context FROM callback_requests")
    assert sorted(r["phone"] for r in rows) == ["+4520123456", "+4531223344", "+4540404040"]
    [mette] = [r for r in rows if r["phone"] == "+4531223344"]
    assert mette["reason"] == "Levering; Ny henvendelse" and mette["not_before"] is None
    assert len(json.loads(mette["context"])["merged"]) == 1
