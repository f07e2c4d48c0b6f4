"""Admin commands say which database they used, and those that need data refuse to create
an empty SQLite file (cli.database_use): run as another user without the services'
data folder, they would otherwise work on a fresh database under that user's home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.database_use import postgres_label
from cli.main import app
from spillway.console_text import load_console_text
from spillway.errors import InputError

WORDS = {
    "en": {
        "created": "created a new, empty database at",
        "using": "using the database",
        "none": "no database at",
    },
    "da": {
        "created": "oprettede en ny, tom database i",
        "using": "bruger databasen",
        "none": "der er ingen database i",
    },
}


def _env(path: Path, language: str) -> dict[str, str]:
    return {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(path),
        "SPILLWAY_SHOP__LANGUAGE": language,
        "SPILLWAY_WEB__LANGUAGE": language,
        "SPILLWAY_GDPR__HASH_KEY": "named-test-key-0123456789abcdef",
    }


def _said(output: str) -> str:
    return " ".join(output.split())


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize(
    "command",
    [
        ["db", "backup", "BACKUP"],
        ["gdpr", "forget", "+4520123456", "--yes"],
        ["gdpr", "export", "+4520123456"],
        ["gdpr", "retention"],
        ["callbacks", "list"],
        ["callbacks", "show", "1"],
    ],
)
def test_a_command_that_needs_data_refuses_a_database_that_is_not_there(
    tmp_path: Path, language: str, command: list[str]
) -> None:
    path = tmp_path / "home" / "spillway.db"
    args = [str(tmp_path / "b.db") if a == "BACKUP" else a for a in command]
    done = CliRunner().invoke(app, args, env=_env(path, language))
    assert isinstance(done.exception, InputError), done.output
    assert done.exception.code == "input.no_database_here"
    assert done.exception.exit_code == 2  # what main() exits with
    assert not path.exists() and not path.parent.exists()  # nothing was created
    assert not (tmp_path / "b.db").exists()
    said = done.exception.said(load_console_text(language))
    assert WORDS[language]["none"] in said and str(path) in said
    assert "SPILLWAY_DATA" in said and "paths.data_dir" in said


@pytest.mark.parametrize("language", ["en", "da"])
def test_an_import_says_it_created_the_database_then_names_it(
    tmp_path: Path, language: str
) -> None:
    path = tmp_path / "fresh" / "spillway.db"
    env = _env(path, language)
    csv = tmp_path / "m.csv"
    csv.write_text("phone,name\n+4520123456,Bo Berg\n", encoding="utf-8")
    first = CliRunner().invoke(app, ["callbacks", "import", str(csv)], env=env)
    assert first.exit_code == 0, first.output
    assert f"{WORDS[language]['created']} {path.resolve()}" in _said(first.stderr)
    listed = CliRunner().invoke(app, ["callbacks", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert f"{WORDS[language]['using']} {path.resolve()}" in _said(listed.stderr)
    # stdout stays JSON for a script: the database is named on stderr.
    assert [r["status"] for r in json.loads(listed.stdout)] == ["pending"]
    backed = CliRunner().invoke(app, ["db", "backup", str(tmp_path / "b.db")], env=env)
    assert backed.exit_code == 0, backed.output
    assert str(path.resolve()) in _said(backed.output)


def test_a_postgres_database_is_named_by_host_and_name_without_its_password() -> None:
    url = "postgresql://spillway:s3cret@db.example:5432/callbacks?sslmode=require"
    assert postgres_label(url) == "db.example/callbacks"
    words = "host=db.example dbname=callbacks user=spillway password='s3 cret'"
    assert postgres_label(words) == "db.example/callbacks"
    assert "s3" not in postgres_label("dbname=x password=s3cret")
