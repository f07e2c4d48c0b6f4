"""A scheduler node that cannot log in to AMI is visible (issue 20): it records its row
with the reason (wrong secret: "AMI login failed: authentication"; closed port: the
connection error) and its heartbeat, in `scheduler status` and /metrics."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from dialplan.sandbox import free_port
from scheduler.daemon import run_scheduler
from scheduler.dialer import status_report
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.prometheus import parse_exposition
from web.metrics import exposition, read_metrics

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _refusing_ami(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An AMI that refuses every login, as Asterisk does for a wrong secret."""
    writer.write(b"Asterisk Call Manager/9.0.0\r\n")
    await writer.drain()
    action_id = ""
    while line := await reader.readline():
        text = line.decode().strip()
        if text.lower().startswith("actionid:"):
            action_id = text.split(":", 1)[1].strip()
        if not text:
            writer.write(
                f"Response: Error\r\nActionID: {action_id}\r\n"
                "Message: Authentication failed\r\n\r\n".encode()
            )
            await writer.drain()
    writer.close()


async def _node_row(store: SqliteStore, timeout_s: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while True:
        rows = store.query("SELECT * FROM scheduler_nodes")
        if rows:
            return rows[0]
        assert time.monotonic() < deadline, "the node never recorded itself"
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("ami", ["wrong secret", "closed port"])
async def test_a_node_that_cannot_log_in_is_recorded_with_why(
    tmp_path: Path, store: SqliteStore, ami: str
) -> None:
    port = free_port()
    server = None
    if ami == "wrong secret":
        server = await asyncio.start_server(_refusing_ami, "127.0.0.1", port)
    settings = Settings(
        pbx={"host": "127.0.0.1", "ami_port": port, "ami_secret": "wrong", "ami_timeout_s": 2},
        callbacks={"spool_dir": str(tmp_path / "spool")},
    )
    db = AsyncStore(store)
    stop = asyncio.Event()
    task = asyncio.create_task(run_scheduler(settings, db, stop, node="n1"))
    try:
        row = await _node_row(store, 15)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        if server is not None:
            server.close()
        db.close()
    assert row["node"] == "n1" and row["dialled"] == 0
    state = str(row["state"])
    if ami == "wrong secret":
        assert state == "AMI login failed: authentication"
    else:
        assert state.startswith("AMI login failed: ") and str(port) in state
    [node] = status_report(store, time.time())["nodes"]
    assert node["state"] == state and node["seen_s_ago"] < 30
    scraped = parse_exposition(exposition(read_metrics(store, time.time()), stale_after_s=30))
    assert scraped["spillway_scheduler_dialling"] == {(("node", "n1"), ("state", state)): 0.0}
    assert scraped["spillway_scheduler_up"] == {(("node", "n1"),): 1.0}
