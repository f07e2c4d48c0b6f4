"""`spillway config check` names every refused value of a file in one run, each with the
line the file gave it on, in the admin's language with its stable code: a new admin's
typo, bad time zone and ``max_attempts: six`` took three runs, with no line at all."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cli.main import main
from spillway.config_file import _NoAliasLoader
from spillway.config_lines import key_lines

THREE_WRONG = (
    b"# the shop\nshop:\n  timezone: Mars/Olympus\n  languag: en\ncallbacks:\n  max_attempts: six\n"
)


def _config_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: str
) -> tuple[list[str], Path]:
    """The lines `spillway --config FILE config check` prints on stderr (as a shell runs
    it, through cli.main.main), after checking it exits 2."""
    config = tmp_path / "spillway.yaml"
    config.write_bytes(THREE_WRONG)
    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(tmp_path / "none.env"))
    monkeypatch.setenv("SPILLWAY_WEB__LANGUAGE", env)
    monkeypatch.setattr(sys, "argv", ["spillway", "--config", str(config), "config", "check"])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 2
    return capsys.readouterr().err.splitlines(), config


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "config error: shop.timezone = 'Mars/Olympus': expected an IANA time zone name "
                "such as Europe/Copenhagen (in {file} line 3) [config.not_a_time_zone]",
                "config error: shop.languag: unknown key (in {file} line 4) [config.unknown_key]",
                "config error: callbacks.max_attempts = 'six': expected a whole number "
                "(in {file} line 6) [config.not_an_integer]",
            ],
        ),
        (
            "da",
            [
                "fejl i konfigurationen: shop.timezone = 'Mars/Olympus': værdien skal være "
                "navnet på en IANA-tidszone som Europe/Copenhagen (i {file} linje 3) "
                "[config.not_a_time_zone]",
                "fejl i konfigurationen: shop.languag: ukendt nøgle (i {file} linje 4) "
                "[config.unknown_key]",
                "fejl i konfigurationen: callbacks.max_attempts = 'six': værdien skal være et "
                "helt tal (i {file} linje 6) [config.not_an_integer]",
            ],
        ),
    ],
)
def test_config_check_names_every_refused_value_with_its_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    language: str,
    expected: list[str],
) -> None:
    said, config = _config_check(tmp_path, monkeypatch, capsys, language)
    assert said == [line.replace("{file}", str(config)) for line in expected]


def test_each_key_and_list_entry_is_found_on_its_line() -> None:
    text = (
        "pbx:\n"
        "  workers:\n"
        "    - {name: a, fastagi: 'h:1'}\n"
        "    - name: b\n"
        "      fastagi: 'h:2'\n"
        "callbacks:\n"
        "  extra_holidays: [2026-12-24,\n"
        "    2026-12-31]\n"
    )
    lines = key_lines(text, _NoAliasLoader)
    assert lines["pbx"] == 1 and lines["pbx.workers"] == 2
    assert (lines["pbx.workers.0"], lines["pbx.workers.0.fastagi"]) == (3, 3)
    assert (lines["pbx.workers.1"], lines["pbx.workers.1.fastagi"]) == (4, 5)
    assert (lines["callbacks.extra_holidays.0"], lines["callbacks.extra_holidays.1"]) == (7, 8)
    assert key_lines("", _NoAliasLoader) == {}
