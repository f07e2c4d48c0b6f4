"""Over the real sandbox, `spillway scheduler run` as the daemon it is: killed with SIGKILL
in the middle of a burst of 50 callbacks and restarted; and two of them sharing 200
callbacks on one PostgreSQL database. Every request reaches a final state, and Asterisk's
own events show each one dialled exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from spillway.settings import StorageSettings
from spillway.storage import SqliteStore, open_store
from tests.call_harness import apply_settings, clear_channels, routing_settings
from tests.conftest import PbxHandle

pytestmark = [pytest.mark.asterisk, pytest.mark.asyncio(loop_scope="session")]

BURST = 50


def _config(pbx: PbxHandle, db: Path, path: Path, *, postgres: bool = False) -> None:
    pbx_settings = pbx.settings.pbx
    storage = "backend: postgres" if postgres else f"sqlite_path: {db}"
    path.write_text(
        f"""pbx:
  ami_port: {pbx_settings.ami_port}
  sandbox_instance: {pbx_settings.sandbox_instance}
queue:
  agents: 5
storage:
  {storage}
callbacks:
  policy: traditional  # crash safety, not timing: every callback is due at once
  weekdays: [0, 24]
  saturday: [0, 24]
  sunday: [0, 24]
  holidays: null
  min_gap_minutes: 0
  ring_s: 5
  agent_wait_s: 5
  pacing: 10
  poll_interval_s: 0.2
  lease_timeout_s: 30
"""
    )


async def _start(
    config: Path, secret: str, log: Path, *, node: str = "crash", dsn: str = ""
) -> asyncio.subprocess.Process:
    env = {**os.environ, "SPILLWAY_PBX__AMI_SECRET": secret}
    if dsn:
        env["SPILLWAY_STORAGE__POSTGRES_DSN"] = dsn
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "--config", str(config), "scheduler", "run", "--node", node,
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log.open("ab"),
    )  # fmt: skip


class AsteriskCount:
    """Dials as Asterisk reports them: per request, and per originated channel."""

    def __init__(self) -> None:
        self.dials: Counter[str] = Counter()
        self.originated: Counter[str] = Counter()

    def see(self, event: Any) -> None:
        if event.get("UserEvent") == "SpillwayCallbackDial":
            self.dials[event["RequestId"]] += 1
        uid = str(event.get("Uniqueid", ""))
        if event.get("Event") == "Newchannel" and uid.startswith("cb-") and not uid.endswith("-2"):
            self.originated[uid] += 1

    def drain(self, events: asyncio.Queue[Any]) -> None:
        while not events.empty():
            self.see(events.get_nowait())

    def assert_once_each(self, n: int) -> None:
        assert len(self.dials) == n and set(self.dials.values()) == {1}, self.dials
        assert len(self.originated) == n and set(self.originated.values()) == {1}


async def _customers(pbx: PbxHandle, phones: list[str]) -> None:
    for phone in phones:
        for family, value in (("spillway-sim", "answer"), ("spillway-sim-hold", "1")):
            await pbx.ami.action(
                {"Action": "DBPut", "Family": family, "Key": phone.lstrip("+"), "Val": value}
            )


async def _until_final(
    store: Any, events: asyncio.Queue[Any], count: AsteriskCount, logs: list[Path], timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        count.drain(events)
        rows = store.query("SELECT status FROM callback_requests")
        if all(r["status"] in ("done", "unreached", "cancelled") for r in rows):
            break
        left = Counter(r["status"] for r in rows)
        assert time.monotonic() < deadline, (left, [log.read_text()[-2000:] for log in logs])
        await asyncio.sleep(0.5)
    await asyncio.sleep(1.0)
    count.drain(events)


async def test_sigkill_mid_burst_loses_none_and_dials_none_twice(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    await apply_settings(pbx, routing_settings(pbx.settings, agents=5))
    db_path = tmp_path / "burst.db"
    store = SqliteStore(db_path)
    store.migrate()
    phones = [f"+45201240{i:02d}" for i in range(BURST)]
    with store.transaction() as tx:
        for phone in phones:
            request = NewRequest(phone, RequestSource.API, "burst")
            intake.record(tx, request, region="DK", now=time.time())
    await _customers(pbx, phones)
    config = tmp_path / "scheduler.yaml"
    _config(pbx, db_path, config)
    secret = pbx.settings.require_ami_secret()
    log = tmp_path / "scheduler.log"
    count = AsteriskCount()
    with pbx.ami.subscribe("UserEvent", "Newchannel") as events:
        proc = await _start(config, secret, log)
        try:
            deadline = time.monotonic() + 60
            while sum(count.dials.values()) < 12:  # in the middle of the burst
                assert time.monotonic() < deadline, log.read_text()
                count.see(await asyncio.wait_for(events.get(), 60))
                assert proc.returncode is None, log.read_text()
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            # Restart: it reconciles what was in flight, then dials the rest.
            proc = await _start(config, secret, log)
            await _until_final(store, events, count, [log], 120)
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(proc.wait(), 30)
            await clear_channels(pbx)
    statuses = Counter(r["status"] for r in store.query("SELECT status FROM callback_requests"))
    assert statuses == {"done": BURST}, statuses
    count.assert_once_each(BURST)
    attempts = store.query("SELECT outcome, count(*) AS n FROM callback_attempts GROUP BY outcome")
    assert {r["outcome"]: r["n"] for r in attempts} == {"answered": BURST}
    assert "reconciling attempt" in log.read_text()  # the restart found attempts in flight
    store.close()


@pytest.mark.postgres
async def test_two_daemons_on_one_postgres_database_share_200_callbacks(
    pbx: PbxHandle, tmp_path: Path, pg_dsn: str
) -> None:
    await apply_settings(pbx, routing_settings(pbx.settings, agents=5))
    store = open_store(StorageSettings(backend="postgres", postgres_dsn=pg_dsn))
    phones = [f"+4520125{i:03d}" for i in range(200)]
    with store.transaction() as tx:
        for phone in phones:
            request = NewRequest(phone, RequestSource.API, "shared")
            intake.record(tx, request, region="DK", now=time.time())
    await _customers(pbx, phones)
    config = tmp_path / "scheduler.yaml"
    _config(pbx, tmp_path / "unused.db", config, postgres=True)
    secret = pbx.settings.require_ami_secret()
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    count = AsteriskCount()
    with pbx.ami.subscribe("UserEvent", "Newchannel") as events:
        procs = [
            await _start(config, secret, logs[0], node="node-a", dsn=pg_dsn),
            await _start(config, secret, logs[1], node="node-b", dsn=pg_dsn),
        ]
        try:
            await _until_final(store, events, count, logs, 240)
        finally:
            for proc in procs:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
                    await asyncio.wait_for(proc.wait(), 30)
            await clear_channels(pbx)
    statuses = Counter(r["status"] for r in store.query("SELECT status FROM callback_requests"))
    assert statuses == {"done": 200}, statuses
    count.assert_once_each(200)
    by_node = {
        r["node"]: r["n"]
        for r in store.query("SELECT node, count(*) AS n FROM callback_attempts GROUP BY node")
    }
    assert set(by_node) == {"node-a", "node-b"} and sum(by_node.values()) == 200, by_node
    store.close()
