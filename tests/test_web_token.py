"""`spillway web token`: the callback API's bearer token written into the secrets file
once, kept on a second run, replaced with --new; `web serve` without one names it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app, main
from spillway.settings import MIN_API_TOKEN_CHARS


def _env(tmp_path: Path, language: str = "en") -> dict[str, str | None]:
    config = tmp_path / "spillway.yaml"
    config.write_text(
        f"storage:\n  sqlite_path: {tmp_path / 'spillway.db'}\nshop:\n  language: {language}\n"
    )
    return {
        "SPILLWAY_CONFIG": str(config),
        "SPILLWAY_SECRETS_FILE": str(tmp_path / "secrets.env"),
        "SPILLWAY_WEB__API_TOKEN": None,
    }


def _token(tmp_path: Path) -> str:
    lines = (tmp_path / "secrets.env").read_text(encoding="utf-8").splitlines()
    [token] = [
        line.split("=", 1)[1] for line in lines if line.startswith("SPILLWAY_WEB__API_TOKEN=")
    ]
    return token


def test_the_token_is_written_once_and_replaced_only_when_asked(tmp_path: Path) -> None:
    env = _env(tmp_path)
    first = CliRunner().invoke(app, ["web", "token"], env=env)
    assert first.exit_code == 0, first.output
    assert f"web.api_token written to {tmp_path / 'secrets.env'}" in first.output
    token = _token(tmp_path)
    assert len(token) >= MIN_API_TOKEN_CHARS
    again = CliRunner().invoke(app, ["web", "token"], env=env)
    assert "already set" in again.output and _token(tmp_path) == token
    replaced = CliRunner().invoke(app, ["web", "token", "--new"], env=env)
    assert replaced.exit_code == 0 and _token(tmp_path) != token


def test_a_short_token_is_replaced_not_kept(tmp_path: Path) -> None:
    (tmp_path / "secrets.env").write_text("SPILLWAY_WEB__API_TOKEN=short\n")
    done = CliRunner().invoke(app, ["web", "token"], env=_env(tmp_path))
    assert done.exit_code == 0, done.output
    assert len(_token(tmp_path)) >= MIN_API_TOKEN_CHARS


@pytest.mark.parametrize(
    ("language", "hint"),
    [("da", "`spillway web token` skriver en"), ("en", "`spillway web token` writes one")],
)
def test_serve_without_a_token_names_the_command_that_writes_one(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    language: str,
    hint: str,
) -> None:
    """As a shell runs it (cli.main.main): the error line in the admin's language."""
    for name, value in _env(tmp_path, language).items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.setattr(sys, "argv", ["spillway", "web", "serve"])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 2
    line = " ".join(capsys.readouterr().err.split())
    assert line.endswith("[config.api_token_missing]") and hint in line, line


def test_show_prints_the_token_alone_and_only_when_asked(tmp_path: Path) -> None:
    """The README's `TOKEN=$(spillway web token --show)`: standard output is the token in
    use and nothing else; without --show the token is never printed."""
    env = _env(tmp_path)
    first = CliRunner().invoke(app, ["web", "token", "--show"], env=env)
    assert first.exit_code == 0, first.output
    token = _token(tmp_path)
    assert first.stdout == token + "\n"  # written first (said on stderr), then printed
    assert "web.api_token written to" in first.stderr
    shown = CliRunner().invoke(app, ["web", "token", "--show"], env=env)
    assert shown.exit_code == 0 and shown.stdout == token + "\n" and _token(tmp_path) == token
    plain = CliRunner().invoke(app, ["web", "token"], env=env)
    assert token not in plain.output and "`spillway web token --show` prints it" in plain.output


def test_show_prints_the_token_the_server_uses_from_the_environment(tmp_path: Path) -> None:
    env = {**_env(tmp_path), "SPILLWAY_WEB__API_TOKEN": "from-the-environment-0123"}
    shown = CliRunner().invoke(app, ["web", "token", "--show"], env=env)
    assert shown.exit_code == 0 and shown.stdout == "from-the-environment-0123\n"
    assert not (tmp_path / "secrets.env").exists()  # nothing written: one is in use


@pytest.mark.parametrize(
    ("language", "hint"),
    [
        ("en", "`spillway web token --show` prints it"),
        ("da", "`spillway web token --show` viser den"),
    ],
)
def test_both_messages_name_the_way_to_see_the_token(
    tmp_path: Path, language: str, hint: str
) -> None:
    env = _env(tmp_path, language)
    first = CliRunner().invoke(app, ["web", "token"], env=env)  # written
    again = CliRunner().invoke(app, ["web", "token"], env=env)  # already set
    assert hint in first.output and hint in again.output, (first.output, again.output)
    assert _token(tmp_path) not in first.output + again.output
