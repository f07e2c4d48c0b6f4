"""What a Danish admin met walking the CLI, and the English admin alike: `callbacks optout`
cancelled a number's open requests without saying so (it now counts them, as `gdpr
forget` does); `callbacks list` and `show` printed a request's reason as stored
("order_status", "csv import") where the console words it (``request_reason.*``,
``intent.*``); `config check` and `web user add|list|remove` printed English lines. Each
is worded from the packs, in both languages."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from spillway.storage import SqliteStore

PASSWORD = "a long test password"
# What each pack says for the stored reasons below (the console's words, web.reason_words).
REASONS = {
    "en": {"complaint": "complaint", "order_status": "order status"},
    "da": {"complaint": "klage", "order_status": "ordrestatus"},
}
FROM_CSV = {"en": "imported from a CSV file", "da": "importeret fra en CSV-fil"}


def _run(store: SqliteStore, language: str, *args: str, **env: str) -> str:
    done = CliRunner().invoke(
        app,
        list(args),
        env={
            "SPILLWAY_STORAGE__SQLITE_PATH": str(store.path),
            "SPILLWAY_SHOP__LANGUAGE": language,
            "COLUMNS": "250",
            **env,
        },
    )
    assert done.exit_code == 0, done.output
    return " ".join(done.output.split())


def _request(store: SqliteStore, phone: str, reason: str) -> int:
    with store.transaction() as tx:
        return intake.record(
            tx, NewRequest(phone, RequestSource.API, reason), region="DK", now=time.time()
        ).id


def _open(store: SqliteStore) -> int:
    return len(store.query("SELECT id FROM callback_requests WHERE status = 'pending'"))


@pytest.mark.parametrize(
    ("language", "one", "two", "none"),
    [
        ("en", "1 open callback cancelled", "2 open callbacks cancelled", "0 open callbacks"),
        ("da", "1 åbent tilbagekald annulleret", "2 åbne tilbagekald annulleret", "0 åbne"),
    ],
)
def test_optout_says_how_many_open_requests_it_cancelled(
    store: SqliteStore, tmp_path: Path, language: str, one: str, two: str, none: str
) -> None:
    _request(store, "+4520123456", "order_status")
    said = _run(store, language, "callbacks", "optout", "20 12 34 56")
    assert _open(store) == 0  # the request it says it cancelled is cancelled
    assert one in said, said
    # A number already on the list has nothing left to cancel: said as a count, not left out.
    assert none in _run(store, language, "callbacks", "optout", "20 12 34 56")
    _request(store, "+4520123457", "complaint")
    _request(store, "+4520123458", "complaint")
    robinson = tmp_path / "robinson.txt"
    robinson.write_text("20123457\n20123458\n20123459\n")
    assert _open(store) == 2
    said = _run(store, language, "callbacks", "optout", "--file", str(robinson))
    assert two in said and _open(store) == 0, said


@pytest.mark.parametrize("language", ["en", "da"])
def test_list_and_show_word_the_reason_as_the_console_does(
    store: SqliteStore, tmp_path: Path, language: str
) -> None:
    stored = {
        _request(store, "+4520123401", "order_status"): REASONS[language]["order_status"],
        _request(store, "+4520123402", "complaint"): REASONS[language]["complaint"],
        _request(store, "+4520123403", "ordre 10042 kom aldrig"): "ordre 10042 kom aldrig",
    }
    csv = tmp_path / "no_reason.csv"
    csv.write_text("phone\n20123404\n")
    _run(store, language, "callbacks", "import", str(csv))
    (imported,) = store.query(
        "SELECT id, reason FROM callback_requests WHERE reason = 'csv import'"
    )
    stored[imported["id"]] = FROM_CSV[language]
    listed = _run(store, language, "callbacks", "list")
    for request_id, words in stored.items():
        assert words in listed, (words, listed)
        shown = _run(store, language, "callbacks", "show", str(request_id))
        label = "reason" if language == "en" else "årsag"
        assert f"{label}: {words} " in shown, shown
    for raw in ("order_status", "csv import"):
        assert raw not in listed
    # The stored reasons stay as they were: only what is printed is worded.
    assert {r["reason"] for r in store.query("SELECT reason FROM callback_requests")} == {
        "order_status",
        "complaint",
        "ordre 10042 kom aldrig",
        "csv import",
    }


@pytest.mark.parametrize(
    ("language", "by_option", "by_env", "no_file"),
    [
        (
            "en",
            "configuration OK ({file}, from --config)",
            "configuration OK ({file}, from $SPILLWAY_CONFIG)",
            "configuration OK (no file read: built-in defaults and the environment)",
        ),
        (
            "da",
            "konfigurationen er i orden ({file}, angivet med --config)",
            "konfigurationen er i orden ({file}, angivet i $SPILLWAY_CONFIG)",
            "konfigurationen er i orden (ingen fil læst: indbyggede standardværdier og "
            "miljøvariabler)",
        ),
    ],
)
def test_config_check_says_ok_in_the_admins_language(
    store: SqliteStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    by_option: str,
    by_env: str,
    no_file: str,
) -> None:
    config = tmp_path / "spillway.yaml"
    config.write_text("queue:\n  agents: 2\n")
    file = str(config.resolve())
    # A configuration with nothing to warn about: the OK line alone (the caller notice
    # without gdpr.privacy_url warns: tests/test_privacy_notice_warning.py).
    page = {"SPILLWAY_GDPR__PRIVACY_URL": "https://shop.example/privacy"}
    said = _run(store, language, "--config", str(config), "config", "check", **page)
    assert said == by_option.format(file=file)
    said = _run(store, language, "config", "check", SPILLWAY_CONFIG=str(config), **page)
    assert said == by_env.format(file=file)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no user file
    monkeypatch.delenv("SPILLWAY_CONFIG", raising=False)
    if not Path("/etc/spillway/spillway.yaml").is_file():
        assert _run(store, language, "config", "check", **page) == no_file


@pytest.mark.parametrize(
    ("language", "added", "removed", "none"),
    [
        (
            "en",
            "user lise (admin) is in {path}; restart `spillway web serve` to apply it",
            "user lise removed; restart `spillway web serve` to apply it",
            "no users: spillway web user add NAME --role admin --password-stdin",
        ),
        (
            "da",
            "brugeren lise (administrator) står i {path}; genstart `spillway web serve`, så "
            "ændringen gælder",
            "brugeren lise er fjernet; genstart `spillway web serve`, så ændringen gælder",
            "ingen brugere: spillway web user add NAVN --role admin --password-stdin",
        ),
    ],
)
def test_web_user_commands_speak_the_admins_language(
    store: SqliteStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    added: str,
    removed: str,
    none: str,
) -> None:
    secrets = tmp_path / "secrets.env"
    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(secrets))
    done = CliRunner().invoke(
        app,
        ["web", "user", "add", "lise", "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
        env={"SPILLWAY_STORAGE__SQLITE_PATH": str(store.path), "SPILLWAY_SHOP__LANGUAGE": language},
    )
    assert done.exit_code == 0, done.output
    assert " ".join(done.output.split()) == added.format(path=secrets)
    assert _run(store, language, "web", "user", "remove", "lise") == removed
    assert _run(store, language, "web", "user", "list") == none
