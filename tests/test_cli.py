"""The CLI: every command has help text, and help works whatever the config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command in the tree (Typer vendors its own Click, so duck-type groups).

    Through list_commands/get_command: the root group loads its commands lazily.
    """
    yield path, command
    if hasattr(command, "list_commands"):
        ctx = typer.Context(command)
        for name in command.list_commands(ctx):
            yield from walk(command.get_command(ctx, name), (*path, name))


COMMANDS = list(walk(typer.main.get_command(app)))


def test_the_expected_commands_exist() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    for expected in (
        "doctor",
        "demo",
        "pbx sandbox up",
        "pbx sandbox down",
        "pbx sandbox status",
        "pbx sandbox cli",
        "db migrate",
        "db status",
        "config check",
        "config show",
    ):
        assert expected in names


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_command_has_help(path: tuple[str, ...], command: Any) -> None:
    assert (command.help or "").strip(), f"`spillway {' '.join(path)}` has no help text"
    result = runner.invoke(app, [*path, "--help"], env={"SPILLWAY_PBX__AMI_PORT": "broken"})
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    # A flag takes no value: nothing beside it may read like one (`--json <bool>`).
    assert "<bool>" not in result.output, result.output
    # Written for a person: no Python type (`<list[Path]>`), no docstring markup (``x``).
    assert "list[" not in result.output and "``" not in result.output, result.output


def test_a_negative_flag_is_the_other_half_of_its_positive_one() -> None:
    """`--x/--no-x` or a plain flag: never a lone `--no-x` beside `--x/--no-x` elsewhere."""
    lone = [
        (" ".join(path), opt)
        for path, command in COMMANDS
        for param in getattr(command, "params", [])
        if getattr(param, "is_flag", False)
        for opt in param.opts
        if opt.startswith("--no-")
    ]
    assert lone == []


def test_the_module_the_demo_spawns_runs_the_cli() -> None:
    # The demo starts `nlu serve` as `python -m cli ...` (the console script may
    # not be on PATH); that module must be the CLI.
    import subprocess
    import sys

    source = (Path(__file__).resolve().parent.parent / "cli" / "demo.py").read_text()
    assert '"-m",\n            "cli",' in source
    result = subprocess.run(
        [sys.executable, "-m", "cli", "nlu", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout and "serve" in result.stdout


def test_callbacks_import_help_says_what_the_file_is_and_every_separator_it_reads() -> None:
    from scheduler.csv_import import DELIMITERS
    from spillway.console_text import load_console_text

    said = " ".join(runner.invoke(app, ["callbacks", "import", "--help"]).output.split())
    assert "see `spillway callbacks import --help`" not in said  # not pointing at itself
    assert "a CSV file" in said and "first row names the columns" in said
    # The help, and the error a file without a phone column gets, in each language, name
    # each separator the reader tries, and no other.
    names = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}
    assert set(names) == set(DELIMITERS)
    assert all(name in said for name in names.values())
    danish = ("kommaer", "semikoloner", "tabulatorer", "lodrette streger")
    for language, words in (("en", tuple(names.values())), ("da", danish)):
        error = load_console_text(language)("cli.csv.no_phone_column", header="", columns="")
        assert all(word in error for word in words), error


def test_chat_is_a_command_without_subcommands() -> None:
    said = runner.invoke(app, ["chat", "--help"]).output
    assert "COMMAND [ARGS]" not in said
    assert "--script" in said and "--live" in said


def test_a_groups_list_of_commands_shows_each_summary_as_running_text() -> None:
    """A docstring's line breaks are the source's, not the terminal's: the list of
    commands joined them mid-sentence ("a database with" / "data is backed up first")."""
    result = runner.invoke(app, ["db", "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "a database with data is backed up first" in result.output, result.output
