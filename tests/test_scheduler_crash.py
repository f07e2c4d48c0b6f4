"""Over the real sandbox: `spillway scheduler run` killed with SIGKILL in the middle of a
burst of 50 callbacks, then restarted. Every request reaches a final state, and Asterisk's
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

from scheduler import requests
from scheduler.requests import NewRequest, RequestSource
from spillway.storage import SqliteStore
from tests.call_harness import apply_settings, clear_channels, routing_settings
from tests.conftest import PbxHandle

pytestmark = [pytest.mark.asterisk, pytest.mark.asyncio(loop_scope="session")]

BURST = 50


def _config(pbx: PbxHandle, db: Path, path: Path) -> None:
    pbx_settings = pbx.settings.pbx
    path.write_text(
        f"""pbx:
  ami_port: {pbx_settings.ami_port}
  sandbox_instance: {pbx_settings.sandbox_instance}
queue:
  agents: 5
storage:
  sqlite_path: {db}
callbacks:
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


async def _start(config: Path, secret: str, log: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "--config", str(config), "scheduler", "run", "--node", "crash",
        env={**os.environ, "SPILLWAY_PBX__AMI_SECRET": secret},
        stdout=asyncio.subprocess.DEVNULL, stderr=log.open("ab"),
    )  # fmt: skip


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
            requests.record(
                tx, NewRequest(phone, RequestSource.API, "burst"), region="DK", now=time.time()
            )
    for phone in phones:
        for family, value in (("spillway-sim", "answer"), ("spillway-sim-hold", "1")):
            await pbx.ami.action(
                {"Action": "DBPut", "Family": family, "Key": phone.lstrip("+"), "Val": value}
            )
    config = tmp_path / "scheduler.yaml"
    _config(pbx, db_path, config)
    secret = pbx.settings.require_ami_secret()
    log = tmp_path / "scheduler.log"
    dials: Counter[str] = Counter()
    originated: Counter[str] = Counter()

    def count(event: Any) -> None:
        if event.get("UserEvent") == "SpillwayCallbackDial":
            dials[event["RequestId"]] += 1
        uid = str(event.get("Uniqueid", ""))
        if event.get("Event") == "Newchannel" and uid.startswith("cb-") and not uid.endswith("-2"):
            originated[uid] += 1

    with pbx.ami.subscribe("UserEvent", "Newchannel") as events:
        proc = await _start(config, secret, log)
        try:
            deadline = time.monotonic() + 60
            while sum(dials.values()) < 12:  # in the middle of the burst
                assert time.monotonic() < deadline, log.read_text()
                count(await asyncio.wait_for(events.get(), 60))
                assert proc.returncode is None, log.read_text()
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            # Restart: it reconciles what was in flight, then dials the rest.
            proc = await _start(config, secret, log)
            deadline = time.monotonic() + 120
            while True:
                while not events.empty():
                    count(events.get_nowait())
                rows = store.query("SELECT status FROM callback_requests")
                if all(r["status"] in ("done", "unreached", "cancelled") for r in rows):
                    break
                assert time.monotonic() < deadline, (
                    Counter(r["status"] for r in rows),
                    log.read_text()[-3000:],
                )
                await asyncio.sleep(0.5)
            await asyncio.sleep(1.0)
            while not events.empty():
                count(events.get_nowait())
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(proc.wait(), 30)
            await clear_channels(pbx)
    statuses = Counter(r["status"] for r in store.query("SELECT status FROM callback_requests"))
    assert statuses == {"done": BURST}, statuses
    assert len(dials) == BURST and set(dials.values()) == {1}, dials
    assert len(originated) == BURST and set(originated.values()) == {1}
    attempts = store.query("SELECT outcome, count(*) AS n FROM callback_attempts GROUP BY outcome")
    assert {r["outcome"]: r["n"] for r in attempts} == {"answered": BURST}
    assert "reconciling attempt" in log.read_text()  # the restart found attempts in flight
    store.close()
