"""A secret a command needs and the settings lack (gdpr.hash_key, pbx.ami_secret,
web.api_token) is a configuration error Spillway words itself: said in the admin's
language with its stable code, as docs/OPERATIONS.md promises, not English without one."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.admin_words import error_line
from cli.main import main
from spillway.errors import ConfigError
from spillway.settings import MIN_API_TOKEN_CHARS, Settings

HOST = {"mode": "host"}
CASES: list[tuple[str, dict[str, object], Callable[[Settings], object], str, str, str]] = [
    # (case, settings, the call, code, a Danish words, its English)
    (
        "hash_key",
        {},
        lambda s: s.gdpr.require_hash_key(),
        "config.hash_key_missing",
        "gdpr.hash_key mangler",
        "gdpr.hash_key is missing",
    ),
    (
        "ami_sandbox",
        {},
        lambda s: s.require_ami_secret(),
        "config.ami_secret_missing",
        "opretter den til sandkassen",
        "creates one for the sandbox",
    ),
    (
        "ami_host",
        {"pbx": HOST, "callbacks": {"dial_string": "PJSIP/{e164}@t", "caller_id": "+4532123456"}},
        lambda s: s.require_ami_secret(),
        "config.ami_secret_missing",
        "og derefter opretter `spillway dialplan install` AMI-brugeren",
        "then `spillway dialplan install` renders the AMI user",
    ),
    (
        "api_token_missing",
        {},
        lambda s: s.web.require_api_token(),
        "config.api_token_missing",
        f"web.api_token mangler: den skal have mindst {MIN_API_TOKEN_CHARS} tegn",
        f"web.api_token is missing: expected at least {MIN_API_TOKEN_CHARS} characters",
    ),
    (
        "api_token_short",
        {"web": {"api_token": "short"}},
        lambda s: s.web.require_api_token(),
        "config.api_token_short",
        "web.api_token har kun 5 tegn",
        "web.api_token has 5 characters",
    ),
]


@pytest.mark.parametrize(
    ("given", "call", "code", "danish", "english"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_a_missing_secret_is_said_in_the_admins_language_with_its_code(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    given: dict[str, object],
    call: Callable[[Settings], object],
    code: str,
    danish: str,
    english: str,
) -> None:
    secrets = tmp_path / "secrets.env"
    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(secrets))
    for language, words, other in (("da", danish, english), ("en", english, danish)):
        settings = Settings(**given, shop={"language": language})  # type: ignore[arg-type]
        with pytest.raises(ConfigError) as caught:
            call(settings)
        line = error_line(caught.value, settings)
        assert caught.value.code == code and line.endswith(f"[{code}]"), line
        assert words in line and other not in line, line
        assert str(secrets) in line, line
        assert english in str(caught.value)  # the logs' English, whatever the admin's language


def test_gdpr_forget_without_the_key_says_so_in_danish_with_its_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a shell runs it (cli.main.main): the error line on stderr, exit code 2."""
    for name, value in {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(tmp_path / "x.db"),
        "SPILLWAY_SECRETS_FILE": str(tmp_path / "secrets.env"),
        "SPILLWAY_GDPR__HASH_KEY": "",
        "SPILLWAY_SHOP__LANGUAGE": "da",
        "COLUMNS": "300",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["spillway", "gdpr", "forget", "31223344"])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 2
    said = capsys.readouterr()
    line = " ".join(said.err.split())
    assert "gdpr.hash_key mangler" in line and "`spillway gdpr key` opretter den" in line
    assert line.endswith("[config.hash_key_missing]") and "is missing" not in line, line
    assert "Slet alt" not in said.out  # refused before the question, not after it
