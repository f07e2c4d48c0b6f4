"""`spillway serve` tells the admin where it listens, with which bot, and that it
stopped, in the admin's language (``cli.serve.*``), without sockets or models: the
controller, the bot and the SMS sender are stand-ins, so only serve's own words run."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.commands import serve
from cli.main import app
from spillway.console_text import load_console_text
from spillway.wording import worded
from tests.conftest import make_settings

PORTS = SimpleNamespace(fastagi=14573, audiosocket=19092, websocket=19093)


class Served(Exception):
    """Raised where serve would wait for Ctrl-C: the lines before it are what it said."""


class _Forever:
    async def wait(self) -> None:
        raise Served


@contextlib.asynccontextmanager
async def _no_bot(*_args: object) -> AsyncIterator[tuple[None, Any]]:
    yield None, worded("cli.serve.bot_none", problem="model 'x' missing")


@contextlib.asynccontextmanager
async def _controller(*_args: object, **_kwargs: object) -> AsyncIterator[tuple[Any, Any, Any]]:
    media = SimpleNamespace(audiosocket_port=PORTS.audiosocket, websocket_port=PORTS.websocket)
    yield None, SimpleNamespace(port=PORTS.fastagi), media


@contextlib.asynccontextmanager
async def _no_sms(*_args: object) -> AsyncIterator[None]:
    yield


@pytest.mark.parametrize("language", ["en", "da"])
async def test_serve_says_where_it_listens_and_its_bot_in_the_admins_words(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    language: str,
) -> None:
    monkeypatch.setattr(serve, "call_bot", _no_bot)
    monkeypatch.setattr(serve, "running_controller", _controller)
    monkeypatch.setattr(serve, "running_sms_sender", _no_sms)
    # Only serve_forever's wait for Ctrl-C goes through this name in serve.
    monkeypatch.setattr(serve, "asyncio", SimpleNamespace(Event=_Forever))
    settings = make_settings(
        storage={"sqlite_path": str(tmp_path / "s.db")}, web={"language": language}
    )
    with pytest.raises(Served):
        await serve.serve_forever(settings)
    text = load_console_text(language)
    bot = text("cli.serve.bot_none", problem="model 'x' missing")
    expected = text(
        "cli.serve.listening",
        host=settings.controller.bind_host,
        port=PORTS.fastagi,
        audiosocket=PORTS.audiosocket,
        websocket=PORTS.websocket,
        bot=bot,
    )
    out = capsys.readouterr().out
    assert expected in out and str(PORTS.websocket) in out
    if language == "da":
        assert "tastemenuen" in out and "Ctrl-C stopper" in out
        assert "the queue" not in out and "Ctrl-C stops" not in out


@pytest.mark.parametrize("language", ["en", "da"])
def test_serve_says_it_stopped_in_the_admins_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    async def interrupted(_settings: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(serve, "serve_forever", interrupted)
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(tmp_path / "s.db"),
        "SPILLWAY_WEB__LANGUAGE": language,
    }
    result = CliRunner().invoke(app, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    stopped = load_console_text(language)("cli.serve.stopped")
    assert result.stdout.rstrip().splitlines()[-1] == stopped
    assert stopped != load_console_text("en" if language == "da" else "da")("cli.serve.stopped")
