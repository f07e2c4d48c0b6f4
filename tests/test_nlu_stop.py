"""`spillway nlu stop` stops the Rasa server this machine's Spillway started (the demo
leaves one running in the background), and only that: a process it did not start is
named and left running, even on the port. No Rasa here: a small Python process the
test starts stands in, listening on nlu.rasa_url's port, recorded the way `spillway
nlu serve` and the demo record it (its pid in ``<cache_dir>/nlu-serve.pid``)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.commands.nlu import held_by_ours
from cli.main import app
from cli.nlu_process import is_our_serve, pid_file
from spillway.console_text import load_console_text
from spillway.settings import Settings
from tests.conftest import gone

# Listens on the port given, and says so; stops on SIGTERM as `nlu serve` does.
LISTENER = """
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
print("listening", flush=True)
time.sleep(120)
"""
runner = CliRunner()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_listener(port: int, *argv: str) -> subprocess.Popen[str]:
    """A process listening on ``port`` whose command line ends in ``argv``."""
    process = subprocess.Popen(
        [sys.executable, "-c", LISTENER, str(port), *argv], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline() == "listening\n"
    return process


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, int]:
    port = free_port()
    monkeypatch.setenv("SPILLWAY_PATHS__CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("SPILLWAY_NLU__RASA_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("SPILLWAY_SHOP__LANGUAGE", "en")
    return tmp_path, port


def test_only_spillway_nlu_serve_counts_as_ours() -> None:
    assert is_our_serve(["/venv/bin/python", "/venv/bin/spillway", "nlu", "serve"])
    assert is_our_serve(["/venv/bin/python", "-m", "cli", "nlu", "serve", "--language", "da"])
    assert not is_our_serve(["/usr/bin/vim", "notes/nlu", "serve"])
    assert not is_our_serve(["/venv/bin/spillway", "nlu", "parse", "serve"])


def test_stop_ends_the_server_its_pid_file_names_and_forgets_the_file(
    env: tuple[Path, int], started: list[subprocess.Popen[str]]
) -> None:
    cache_dir, port = env
    ours = start_listener(port, "cli", "nlu", "serve", "--language", "en")
    started.append(ours)
    pid_file(cache_dir).write_text(f"{ours.pid}\n")  # as the demo records it
    result = runner.invoke(app, ["nlu", "stop"])
    assert result.exit_code == 0, result.output
    assert f"stopped the Rasa NLU server Spillway started: pid {ours.pid}" in result.output
    assert gone(ours) and not pid_file(cache_dir).exists()
    again = runner.invoke(app, ["nlu", "stop"])
    assert again.exit_code == 0 and "nothing stopped" in again.output


def test_stop_finds_ours_on_the_port_when_the_pid_file_is_gone(
    env: tuple[Path, int], started: list[subprocess.Popen[str]]
) -> None:
    _cache_dir, port = env
    ours = start_listener(port, "cli", "nlu", "serve")
    started.append(ours)
    result = runner.invoke(app, ["nlu", "stop"])
    assert result.exit_code == 0, result.output
    assert f"pid {ours.pid}" in result.output and gone(ours)


def test_stop_never_signals_a_process_spillway_did_not_start(
    env: tuple[Path, int], started: list[subprocess.Popen[str]]
) -> None:
    cache_dir, port = env
    stranger = start_listener(port)  # holds the port, but is no `nlu serve` of ours
    started.append(stranger)
    # A pid file left behind whose pid now belongs to that stranger.
    pid_file(cache_dir).write_text(f"{stranger.pid}\n")
    result = runner.invoke(app, ["nlu", "stop"])
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert f"named pid {stranger.pid}, which is not a running `spillway nlu serve`" in said
    assert f"held by pid {stranger.pid}" in said and "which Spillway did not start" in said
    time.sleep(0.3)
    assert stranger.poll() is None  # still running
    assert not pid_file(cache_dir).exists()


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "`spillway nlu stop` stops it"), ("da", "`spillway nlu stop` stopper den")],
)
def test_serve_on_a_port_our_own_server_holds_says_how_to_stop_it(
    env: tuple[Path, int], started: list[subprocess.Popen[str]], language: str, words: str
) -> None:
    cache_dir, port = env
    ours = start_listener(port, "cli", "nlu", "serve", "--language", "en")
    started.append(ours)
    pid_file(cache_dir).write_text(f"{ours.pid}\n")
    settings = Settings(
        paths={"cache_dir": cache_dir},
        nlu={"rasa_url": f"http://127.0.0.1:{port}"},
        shop={"language": language},
    )
    error = held_by_ours(settings, "127.0.0.1", port)
    assert error is not None
    line = error.said(load_console_text(language))
    assert words in line and f"pid {ours.pid}" in line, line
    assert ours.poll() is None  # named, not stopped


def test_serve_on_a_free_port_or_a_strangers_is_not_told_to_run_nlu_stop(
    env: tuple[Path, int], started: list[subprocess.Popen[str]]
) -> None:
    cache_dir, port = env
    settings = Settings(
        paths={"cache_dir": cache_dir}, nlu={"rasa_url": f"http://127.0.0.1:{port}"}
    )
    assert held_by_ours(settings, "127.0.0.1", port) is None
    started.append(start_listener(port))
    assert held_by_ours(settings, "127.0.0.1", port) is None


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "stop them with `spillway pbx sandbox down` and `spillway nlu stop`"),
        ("da", "stop dem med `spillway pbx sandbox down` og `spillway nlu stop`"),
    ],
)
def test_the_demo_ends_saying_what_it_left_running_and_where_it_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str, words: str
) -> None:
    from cli.demo import left_behind

    secrets = tmp_path / "secrets.env"
    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(secrets))
    database = tmp_path / "data" / "spillway.db"
    line = left_behind(Settings(storage={"sqlite_path": database}, shop={"language": language}))
    assert words in line and str(secrets) in line and str(database) in line, line
