"""`spillway chat` and `spillway call` never touch the live database unless told
(--live): what a test conversation creates goes to a throw-away copy."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from cli.scratch import scratch_settings
from dialplan.sandbox import free_port
from spillway.console_text import load_console_text
from spillway.errors import InputError
from spillway.settings import Settings
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


def test_chat_on_a_database_with_no_shop_points_at_the_shop_system_first(tmp_path: Path) -> None:
    empty = tmp_path / "fresh.db"
    _outcome, said = _chat(empty)
    assert "the shop has no orders or products" in said
    # A real firm's way first; the demo shop only as a trial, said to write the
    # configured database (demo seed writes the live one), never a real shop's.
    real = said.index("shop.api_url")
    trial = said.index("`spillway demo seed`")
    assert real < trial
    assert f"into the configured database, {empty}" in said
    assert "never a real shop's" in said
    _outcome, said = _chat(empty, "--live")
    assert "shop.api_url" in said and "`spillway demo seed`" in said


def test_chat_on_a_seeded_shop_gives_no_seed_hint(live_db: Path) -> None:
    _outcome, said = _chat(live_db)
    assert "demo seed" not in said


# What the test tools say of the database, in the admin's language ({db}: the live one).
SCRATCH_SAID = {
    "en": (
        "using a throw-away copy of {db}: nothing this call does reaches the live database "
        "(pass --live to use it)",
        "using an empty throw-away database (no copy of {db} is made): nothing this call does "
        "reaches the live database (pass --live to use it)",
        "--live: callbacks, cases and text messages go to the live database {db}",
        "the shop has no orders or products, so the bot cannot look any up: a real shop sets "
        "shop.api_url and shop.api_token in the config, and the bot reads orders and stock "
        "from the shop system",
        "only to try the bot out: `spillway demo seed` writes a made-up shop (orders, products, "
        "a customer) into the configured database, {db}; give it a trial config with a "
        "database of its own (`spillway --config trial.yaml demo seed`), never a real shop's",
    ),
    "da": (
        "bruger en kopi af {db}, der kasseres bagefter: opkaldet rører ikke den rigtige "
        "database (tilføj --live for at bruge den)",
        "bruger en tom database, der kasseres bagefter (der laves ingen kopi af {db}): opkaldet "
        "rører ikke den rigtige database (tilføj --live for at bruge den)",
        "--live: tilbagekald, sager og sms'er skrives i den rigtige database {db}",
        "butikken har ingen ordrer eller varer, så botten kan ikke slå nogen op: en rigtig butik "
        "sætter shop.api_url og shop.api_token i konfigurationen, så henter botten ordrer og "
        "lager fra butikssystemet",
        "kun for at prøve botten af: `spillway demo seed` skriver en opdigtet butik (ordrer, "
        "varer og en kunde) i den konfigurerede database, {db}; giv den en prøvekonfiguration "
        "med en separat database (`spillway --config test.yaml demo seed`), aldrig en rigtig "
        "butiks",
    ),
}


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_scratch_database_is_said_in_the_admins_language(tmp_path: Path, language: str) -> None:
    copy, empty, live, no_shop, trial = SCRATCH_SAID[language]
    words = load_console_text(language)
    db = tmp_path / "live.db"
    settings = Settings(storage={"sqlite_path": str(db)})
    for expected in ([empty, no_shop, trial], [copy, no_shop, trial]):
        said: list[str] = []
        with scratch_settings(settings, live=False, say=said.append, words=words) as scratch:
            assert scratch.storage.sqlite_path != db
        assert said == [line.format(db=db) for line in expected]
        SqliteStore(db).close()  # now there is a live database to copy
    said = []
    with scratch_settings(settings, live=True, say=said.append, words=words) as used:
        assert used.storage.sqlite_path == db
    assert said == [live.format(db=db), no_shop, trial.format(db=db)]
