"""Errors a team lead met in English, or without a way out, now in the admin's language
with their code and the fix: a day-first --since, a configuration file not there yet, a
world file named from outside the checkout, and a --role that is no role.

Each runs as a shell runs it (:func:`cli.main.main`), so the line is the one printed."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.main import main
from spillway.day_first import as_iso
from spillway.paths import repo_root

CHECKOUT = repo_root()
WORLD = "configs/worlds/pilot/consumers_evening.yaml"


ErrorLine = Callable[..., str]


@pytest.fixture
def error_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> ErrorLine:
    """Runs `spillway ARGS` with a configuration in ``language`` (or, given ``config``,
    that file, with the language from the environment) and returns its error line."""

    def run(language: str, args: list[str], config: Path | None = None) -> str:
        if config is None:
            config = tmp_path / "spillway.yaml"
            config.write_text(
                f"storage:\n  sqlite_path: {tmp_path / 'spillway.db'}\n"
                f"shop:\n  language: {language}\n"
            )
        else:
            monkeypatch.setenv("SPILLWAY_SHOP__LANGUAGE", language)  # no file to say it
        monkeypatch.setenv("SPILLWAY_CONFIG", str(config))
        monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(tmp_path / "secrets.env"))
        monkeypatch.setenv("SPILLWAY_DATA", str(tmp_path / "data"))
        monkeypatch.setenv("COLUMNS", "300")
        monkeypatch.setattr(sys, "argv", ["spillway", *args])
        with pytest.raises(SystemExit) as done:
            main()
        assert done.value.code == 2
        return " ".join(capsys.readouterr().err.split())

    return run


@pytest.mark.parametrize(
    ("language", "form"),
    [("en", "expected YYYY-MM-DD"), ("da", "skriv den som ÅÅÅÅ-MM-DD"), ("da", "fx --since")],
)
def test_a_day_first_since_is_refused_with_the_date_to_write(
    error_line: ErrorLine, language: str, form: str
) -> None:
    line = error_line(language, ["report", "pilot", "--since", "06-11-2026"])
    assert line.endswith("[input.bad_date]") and form in line, line
    assert "--since 2026-11-06" in line, line  # the same day, written as the option takes it


@pytest.mark.parametrize(("language", "words"), [("en", "not after"), ("da", "ligger ikke efter")])
def test_an_until_before_since_says_so_in_the_admin_s_language(
    error_line: ErrorLine, language: str, words: str
) -> None:
    line = error_line(
        language, ["report", "pilot", "--since", "2026-11-06", "--until", "2026-11-01"]
    )
    assert line.endswith("[input.until_not_after_since]") and words in line, line


@pytest.mark.parametrize(
    ("language", "words"), [("en", "there is no such file"), ("da", "filen findes ikke")]
)
def test_a_missing_configuration_file_names_the_copy_that_makes_it(
    error_line: ErrorLine, tmp_path: Path, language: str, words: str
) -> None:
    missing = tmp_path / "etc" / "spillway.yaml"
    line = error_line(language, ["config", "check"], config=missing)
    assert line.endswith("[config.no_file]") and words in line, line
    example = CHECKOUT / "configs" / "spillway.yaml"
    assert example.is_file() and f"cp {example} {missing}" in line, line


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "not in the installed package"), ("da", "ikke i den installerede pakke")],
)
def test_a_world_named_from_outside_the_checkout_names_its_full_path(
    error_line: ErrorLine,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    language: str,
    words: str,
) -> None:
    monkeypatch.chdir(tmp_path)  # where configs/ is not, as after an install
    line = error_line(language, ["simulate", "--world", WORLD, "--policy", "traditional"])
    assert line.endswith("[input.no_world]") and words in line, line
    assert f"--world {CHECKOUT / WORLD}" in line, line


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "expected viewer, supervisor or admin"), ("da", "supervisor (teamleder)")],
)
def test_a_role_that_is_no_role_is_refused_in_the_admin_s_language(
    error_line: ErrorLine, tmp_path: Path, language: str, words: str
) -> None:
    line = error_line(
        language, ["web", "user", "add", "anna", "--role", "boss", "--password-stdin"]
    )
    assert line.endswith("[input.bad_role]") and words in line and "--role supervisor" in line
    assert not (tmp_path / "secrets.env").exists()  # nobody added


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("06-11-2026", "2026-11-06"),
        ("6.11.2026", "2026-11-06"),
        ("07-12-2026 09:00", "2026-12-07 09:00"),
        ("07.12.2026 9.30", "2026-12-07 09:30"),
        ("31-02-2026", None),  # no such day
        ("11-13-2026", None),  # month-first: no 13th month
        ("2026-11-06", None),  # already ISO
        ("07-12-2026 25:00", None),
    ],
)
def test_a_day_first_date_is_rewritten_only_when_it_is_one(raw: str, iso: str | None) -> None:
    assert as_iso(raw) == iso
