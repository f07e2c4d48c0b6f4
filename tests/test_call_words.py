"""`spillway call --script` outside --menu speaks to the admin in the admin's language: its
refusals (an unreadable or empty script, a `<barge>` with nothing to say, a running
`spillway serve` without --live), which controller takes the call, and the turns' table
with its outcome. What the caller said and the bot answered stay as they were."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.admin_words import error_line
from cli.commands.call import controller_for, show_turns
from cli.main import app
from cli.spoken_call import parse_call_script
from dialplan.sandbox import free_port
from spillway.console_text import load_console_text
from spillway.errors import InputError
from spillway.settings import Settings
from spillway.storage import SqliteStore
from spillway.wording import worded

SCRIPTS = Path(__file__).parent / "scripts"
SAID: dict[str, dict[str, str]] = {
    "en": {
        "barge": "s.txt line 2: <barge> needs words to say",
        "empty": "s.txt: no caller lines",
        "unreadable": "cannot read script {script}: ",
        "serve": "a `spillway serve` listens on FastAGI port {port}: it would take this call",
        "serve_hint": "stop it for a test call on a throw-away copy, or pass --live",
        "running": "controller: the running `spillway serve` on port {port}",
        "outcome": "outcome: callback, case -, callback 7, SMS 1",
    },
    "da": {
        "barge": "s.txt linje 2: efter <barge> skal der stå det, kunden siger",
        "empty": "s.txt: ingen replikker til kunden",
        "unreadable": "kan ikke læse manuskriptet {script}: ",
        "serve": "en `spillway serve` lytter på FastAGI-port {port}: den ville tage opkaldet",
        "serve_hint": "stop den for at lave et prøveopkald på en kopi, der kasseres bagefter",
        "running": "opkaldet tages af den kørende `spillway serve` på port {port}",
        "outcome": "udfald: tilbagekald, sag -, tilbagekald 7, sms'er 1",
    },
}
COLUMNS = {
    "en": ("caller says", "recogniser heard", "intent", "bot says"),
    "da": ("kunden siger", "talegenkendelsen hørte", "emne", "botten svarer"),
}
LANGUAGES = ["en", "da"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_bad_script_is_refused_in_the_admins_words(language: str) -> None:
    t = load_console_text(language)
    for text, code, said in (
        ("hello\n<barge>\n", "input.barge_needs_words", SAID[language]["barge"]),
        ("# only a comment\n", "input.no_caller_lines", SAID[language]["empty"]),
    ):
        with pytest.raises(InputError) as refused:
            parse_call_script(text, "s.txt")
        assert refused.value.code == code
        assert refused.value.said(t) == said


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unreadable_script_is_refused_in_the_admins_words(tmp_path: Path, language: str) -> None:
    script = tmp_path / "latin1.txt"
    script.write_bytes("hvor er min pakke, Søren\n".encode("latin-1"))
    settings = Settings(web={"language": language})
    done = CliRunner().invoke(app, ["call", "--script", str(script)])
    assert isinstance(done.exception, InputError), done.output
    assert done.exception.code == "input.script_unreadable"
    line = error_line(done.exception, settings)
    assert line.startswith(SAID[language]["unreadable"].format(script=script)), line
    assert line.endswith("[input.script_unreadable]")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_running_serve_is_refused_in_the_admins_words(tmp_path: Path, language: str) -> None:
    port = free_port()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()
        done = CliRunner().invoke(
            app,
            ["call", "--script", str(SCRIPTS / "callback.txt")],
            env={
                "SPILLWAY_CONTROLLER__FASTAGI_PORT": str(port),
                "SPILLWAY_STORAGE__SQLITE_PATH": str(tmp_path / "live.db"),
            },
        )
    assert isinstance(done.exception, InputError), done.output
    said = done.exception.said(load_console_text(language))
    assert said.startswith(SAID[language]["serve"].format(port=port)), said
    assert SAID[language]["serve_hint"] in said
    assert not (tmp_path / "live.db").exists()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_controller_taking_the_call_is_said_in_the_admins_words(
    store: SqliteStore, language: str
) -> None:
    port = free_port()
    settings = Settings(controller={"fastagi_port": port, "advertise_host": "127.0.0.1"})
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()
        async with controller_for(settings, store) as which:
            pass
    line = worded("cli.call.controller", which=which).said(load_console_text(language))
    assert line == SAID[language]["running"].format(port=port)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_turns_and_the_outcome_are_in_the_admins_words(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    records: list[dict[str, Any]] = [
        {
            "caller": "where is my order",
            "heard": "where is my order",
            "intent": "order_status",
            "confidence": 0.91,
            "bot": "Which order number?",
            "latency_ms": 640,
        },
        {"outcome": "callback", "case_id": None, "callback_id": 7, "sms": ["link"]},
    ]
    t = load_console_text(language)
    show_turns(records, t, title=t("cli.call.title", caller="4520123456"))
    shown = capsys.readouterr().out
    for column in COLUMNS[language]:
        assert column in shown
    assert "where is my order" in shown and "order_status 0.91" in shown  # as said
    assert shown.rstrip().splitlines()[-1] == SAID[language]["outcome"]
