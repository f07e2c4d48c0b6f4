"""`spillway chat` and `spillway call` never touch the live database unless told
(--live): what a test conversation creates goes to a throw-away copy."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from dialplan.sandbox import free_port
from spillway.errors import InputError
from spillway.storage import SqliteStore

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.fixture
def live_db(tmp_path: Path) -> Path:
    db = tmp_path / "live.db"
    result = CliRunner().invoke(
        app, ["demo", "seed"], env={"SPILLWAY_STORAGE__SQLITE_PATH": str(db)}
    )
    assert result.exit_code == 0, result.output
    return db


def _count(db: Path, table: str) -> int:
    store = SqliteStore(db)
    try:
        return int(store.query(f"SELECT count(*) AS n FROM {table}")[0]["n"])
    finally:
        store.close()


def _chat(db: Path, *extra: str) -> tuple[dict[str, object], str]:
    result = CliRunner().invoke(
        app,
        ["chat", "--script", str(SCRIPTS / "callback.txt"), "--json", "--nlu", "fallback", *extra],
        env={"SPILLWAY_STORAGE__SQLITE_PATH": str(db)},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)[-1], result.stderr


def test_chat_leaves_the_live_database_alone_by_default(live_db: Path) -> None:
    before = _count(live_db, "callback_requests")
    outcome, said = _chat(live_db)
    assert outcome["outcome"] == "callback" and outcome["callback_id"]
    assert _count(live_db, "callback_requests") == before  # the copy got it
    assert "throw-away copy" in said and "--live" in said


def test_chat_live_uses_the_real_database_and_says_so(live_db: Path) -> None:
    before = _count(live_db, "callback_requests")
    outcome, said = _chat(live_db, "--live")
    assert outcome["outcome"] == "callback"
    assert _count(live_db, "callback_requests") == before + 1
    assert f"--live: callbacks, cases and text messages go to the live database {live_db}" in said


def test_call_refuses_a_running_serve_without_live(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()
        result = CliRunner().invoke(
            app,
            ["call", "--script", str(SCRIPTS / "callback.txt")],
            env={
                "SPILLWAY_CONTROLLER__FASTAGI_PORT": str(port),
                "SPILLWAY_STORAGE__SQLITE_PATH": str(tmp_path / "live.db"),
            },
        )
    assert isinstance(result.exception, InputError)
    assert "would take this call" in str(result.exception)
    assert not (tmp_path / "live.db").exists()


def test_chat_on_a_database_with_no_shop_names_demo_seed(tmp_path: Path) -> None:
    empty = tmp_path / "fresh.db"
    _outcome, said = _chat(empty)
    assert "the shop has no orders or products" in said
    assert f"`spillway demo seed` loads a demo shop into {empty}" in said
    _outcome, said = _chat(empty, "--live")
    assert "`spillway demo seed`" in said


def test_chat_on_a_seeded_shop_gives_no_seed_hint(live_db: Path) -> None:
    _outcome, said = _chat(live_db)
    assert "demo seed" not in said
