"""The doctor is not easily satisfied: it fails while `spillway serve` or the scheduler is
down, `doctor --call` places a real test call, and a stopped dialer node is "down"."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agi.controller import running_controller
from agi.fastagi import FastAgiServer
from agi.menu_bot import MenuBot
from cli.doctor import check_call, check_controller, check_scheduler
from cli.main import app
from dialplan.sandbox import free_port
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.conftest import PbxHandle


def _settings(store: SqliteStore, port: int) -> Settings:
    return Settings(
        storage={"sqlite_path": str(store.path)},
        controller={"fastagi_port": port},
    )


def _heartbeat(store: SqliteStore, node: str, at: float) -> None:
    store.execute(
        "INSERT INTO scheduler_nodes (node, started_at, heartbeat_at, dialled) VALUES (?, ?, ?, 0)",
        (node, at - 60, at),
    )


def test_a_stopped_node_is_down_not_recently_seen(tmp_path: Path, store: SqliteStore) -> None:
    _heartbeat(store, "stopped", time.time() - 11.5)
    _heartbeat(store, "running", time.time() - 0.5)
    config = tmp_path / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {store.path}\n")
    result = CliRunner().invoke(app, ["--config", str(config), "scheduler", "status"])
    assert result.exit_code == 0, result.output
    lines = {line.split(":")[0].strip(): line for line in result.stdout.splitlines()}
    # The seconds go on between the heartbeat written and the status read: 11.5 and up.
    down = re.search(
        r"down \(no heartbeat for (\d+\.\d) s; nodes beat every 2 s\)", lines["node stopped"]
    )
    assert down is not None and 11.5 <= float(down[1]) < 20, lines["node stopped"]
    assert "seen" not in lines["node stopped"]
    up = re.search(r"up, seen (\d+\.\d) s ago", lines["node running"])
    assert up is not None and float(up[1]) < 9, lines["node running"]
    assert "no dialer node is running" not in result.stdout


def test_status_says_when_no_dialer_node_runs(tmp_path: Path, store: SqliteStore) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {store.path}\n")
    status = ["--config", str(config), "scheduler", "status"]
    result = CliRunner().invoke(app, status)
    assert result.exit_code == 0, result.output
    assert "no dialer node is running (none has ever run here)" in result.stdout
    assert "{" not in result.stdout  # counts in words, not a dict
    _heartbeat(store, "stopped", time.time() - 60)
    result = CliRunner().invoke(app, status)
    assert "no dialer node is running: nothing is dialled" in result.stdout


@pytest.mark.asyncio
async def test_the_doctor_fails_while_serve_and_the_scheduler_are_down(
    store: SqliteStore,
) -> None:
    port = free_port()
    settings = _settings(store, port)
    serve, scheduler = await check_controller(settings), check_scheduler(settings)
    assert not serve.ok and serve.fix == "spillway serve"
    assert not scheduler.ok and scheduler.fix == "spillway scheduler run"
    assert "no node ever ran" in scheduler.detail
    _heartbeat(store, "old", time.time() - 30)
    assert "last heartbeat 30" in check_scheduler(settings).detail
    # Both running: both pass.
    server = FastAgiServer()
    await server.start("127.0.0.1", port)
    try:
        _heartbeat(store, "n1", time.time())
        assert (await check_controller(settings)).ok
        assert check_scheduler(settings).ok
    finally:
        await server.close()


@pytest.mark.asterisk
@pytest.mark.asyncio(loop_scope="session")
async def test_doctor_call_places_a_real_call_with_or_without_serve(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    # Nothing listens: the doctor's own FastAGI listener takes the call.
    alone = await check_call(pbx.settings)
    assert alone.ok, alone.detail
    assert "a FastAGI listener of the doctor's" in alone.detail
    # `spillway serve` running (its controller): the call goes into it.
    store = SqliteStore(tmp_path / "serve.db")
    store.migrate()
    try:
        async with running_controller(pbx.settings, MenuBot(), store=store):
            served = await check_call(pbx.settings)
    finally:
        store.close()
    assert served.ok, served.detail
    assert "the running `spillway serve`" in served.detail
