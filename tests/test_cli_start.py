"""The CLI starts light: `spillway --help` and the admin's everyday commands import
neither the bot nor scikit-learn, scipy, argon2 or the speech runtimes.

Checked by what a fresh interpreter has imported, not by timing (bench/bench_cli_start.py
times it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import command_index
from cli.main import app

ROOT = Path(__file__).resolve().parent.parent
HEAVY = (
    "sklearn",
    "scipy",
    "bot.voice_bot",
    "bot.assembly",
    "argon2",
    "onnxruntime",
    "torch",
    "matplotlib",
    "uvicorn",
)

# Runs the CLI with `args` in this interpreter, then prints which HEAVY modules it imported.
PROBE = """
import json, sys
from cli.main import main
args, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["spillway", *args]
try:
    main()
except SystemExit:
    pass
print("\\nIMPORTED " + json.dumps([m for m in heavy if m in sys.modules]))
"""


def _imported(args: list[str], tmp_path: Path) -> tuple[list[str], str]:
    config = tmp_path / "spillway.yaml"
    config.write_text(f"storage:\n  sqlite_path: {tmp_path / 'spillway.db'}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SPILLWAY_CONFIG": str(config)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    last = result.stdout.rstrip().rsplit("\n", 1)[-1]
    assert last.startswith("IMPORTED "), result.stdout + result.stderr
    return json.loads(last.removeprefix("IMPORTED ")), result.stdout


def test_importing_the_cli_imports_no_command_module(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, cli.main; print(sorted(m for m in sys.modules if m.startswith("
            "('cli.commands', 'bot', 'web', 'sklearn', 'scipy', 'argon2', 'numpy'))))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_help_lists_every_command_without_loading_any(tmp_path: Path) -> None:
    imported, output = _imported(["--help"], tmp_path)
    assert imported == []
    for name in command_index.LAZY:
        assert f" {name} " in output, name


@pytest.mark.parametrize(
    "args",
    [
        ["callbacks", "list"],
        ["callbacks", "show", "1"],
        ["gdpr", "export", "+4520123456"],
        ["db", "status"],
        ["config", "check"],
        ["callbacks", "--help"],
        ["doctor", "--help"],
        ["web", "user", "--help"],
    ],
    ids=" ".join,
)
def test_everyday_commands_skip_the_heavy_imports(args: list[str], tmp_path: Path) -> None:
    imported, _ = _imported(args, tmp_path)
    allowed = {"argon2"} if args[0] == "web" else set()  # the users' roles live beside argon2
    assert set(imported) <= allowed


def test_the_heavy_commands_do_load_when_run(tmp_path: Path) -> None:
    """The probe sees imports at all: `call --help` needs the bot."""
    imported, _ = _imported(["call", "--help"], tmp_path)
    assert "bot.voice_bot" in imported


def test_each_listed_summary_is_the_commands_own(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.setattr(command_index, "_loaded", {})
    listed = runner.invoke(app, ["--help"], terminal_width=100)
    for name, entry in command_index.LAZY.items():
        assert entry.summary == command_index.summary_of(command_index.load(name)), name
    assert set(command_index._loaded) == set(command_index.LAZY)
    # Now every command is the real one: the listing must not change by a character.
    loaded = runner.invoke(app, ["--help"], terminal_width=100)
    assert listed.exit_code == loaded.exit_code == 0
    assert listed.output == loaded.output
