"""`spillway simulate --store` and `spillway db purge-simulated`: a simulated month in the
database, counted by the console as `simulate --json` counts it, labelled, and removable
without touching a real row."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from typer.testing import CliRunner

from cli.main import app
from scheduler.simulation import store as sim_store
from scheduler.simulation.label import SimulationLabel, read_label
from scheduler.simulation.report import kpis
from scheduler.simulation.simulator import PolicyName, simulate
from scheduler.simulation.world import World, load_world
from scheduler.timing.model_keeper import read_attempt_log
from spillway.retention import Periods, apply_retention
from spillway.settings import GdprSettings, Settings, StorageSettings
from spillway.storage import AsyncStore, SqliteStore, open_store
from tests.console_seed import seed
from tests.test_console_auth import TOKEN, _login, _settings
from web.app import create_web_app
from web.console import compute_kpis
from web.kpis import Window

WORLD_FILE = Path("configs/worlds/consumers_evening.yaml")
RATES = ("first_attempt_contact_rate", "contact_rate", "mean_attempts_per_contact")
runner = CliRunner()


def _world(seed_: int = 3) -> World:
    return load_world(WORLD_FILE).model_copy(update={"seed": seed_, "days": 14})


def _cli(db_path: Path, *args: str) -> Any:
    return runner.invoke(app, list(args), env={"SPILLWAY_STORAGE__SQLITE_PATH": str(db_path)})


def test_the_stored_month_gives_the_console_the_simulated_kpis(store: SqliteStore) -> None:
    run = simulate(_world(), PolicyName.PREDICTED)
    expected = kpis(run)
    now = time.time()
    period = sim_store.stored_rows(run, now, label="test")
    assert sim_store.write(store, period, batch_s=0.01, pause_s=0.0) == expected["requests"]
    figures = compute_kpis(store, Window("range", period.since, period.until, "UTC"))
    callbacks = figures["callbacks"]
    assert callbacks["requests"] == expected["requests"]
    assert callbacks["attempts"] == expected["calls_placed"]
    assert callbacks["pending"] == 0  # every simulated request is closed: never dialled
    for key in (*RATES, "median_hours_to_contact"):
        assert callbacks[key] == pytest.approx(expected[key], abs=1e-3), key
    assert figures["simulated_requests"] == expected["requests"]


def test_the_period_ends_by_now_and_every_call_keeps_its_local_hour(store: SqliteStore) -> None:
    run = simulate(_world(), PolicyName.TRADITIONAL)
    now = time.time()
    period = sim_store.stored_rows(run, now, label="test")
    assert now - 7 * 86400 < period.until <= now + 1
    sim_store.write(store, period, pause_s=0.0)
    rows = store.query(
        "SELECT a.started_at, a.local_weekday, a.local_hour, r.timezone, r.simulated, r.timing, "
        "r.timing_reason, r.source, r.status FROM callback_attempts a "
        "JOIN callback_requests r ON r.id = a.request_id"
    )
    assert len(rows) == len(run.attempts)
    for r in rows:
        local = datetime.fromtimestamp(r["started_at"], ZoneInfo(r["timezone"]))
        assert (local.weekday(), local.hour) == (r["local_weekday"], r["local_hour"])
        assert r["started_at"] <= now
    assert {(r["simulated"], r["timing"], r["timing_reason"], r["source"]) for r in rows} == {
        (1, "conventional", "policy", "simulate")
    }
    assert {r["status"] for r in rows} <= {"done", "unreached"}


def test_a_pilot_stores_both_arms_as_the_split_drew_them(store: SqliteStore) -> None:
    run = simulate(_world(), PolicyName.PILOT)
    sim_store.write(store, sim_store.stored_rows(run, time.time(), label="t"), pause_s=0.0)
    arms = {
        r["timing"]: r["n"]
        for r in store.query(
            "SELECT timing, COUNT(*) AS n FROM callback_requests WHERE timing_reason = 'pilot' "
            "GROUP BY timing"
        )
    }
    assert set(arms) == {"predicted", "conventional"}
    assert sum(arms.values()) == len(run.requests)
    # Each arm's attempts were planned by its own policy.
    policies = {
        (r["timing"], r["policy"])
        for r in store.query(
            "SELECT DISTINCT r.timing, a.policy FROM callback_attempts a "
            "JOIN callback_requests r ON r.id = a.request_id"
        )
    }
    assert ("conventional", "predicted") not in policies
    assert ("predicted", "predicted") in policies and ("conventional", "traditional") in policies


def test_purge_removes_the_simulated_rows_and_no_real_one(store: SqliteStore) -> None:
    seed(store, time.time())
    real = store.query("SELECT * FROM callback_requests ORDER BY id")
    real_attempts = store.query("SELECT * FROM callback_attempts ORDER BY id")
    run = simulate(_world(), PolicyName.PREDICTED)
    sim_store.write(store, sim_store.stored_rows(run, time.time(), label="t"), pause_s=0.0)
    assert sim_store.count_simulated(store) == sim_store.Purged(
        len(run.requests), len(run.attempts)
    )
    removed = sim_store.purge(store, batch_rows=50, pause_s=0.0)
    assert removed == sim_store.Purged(len(run.requests), len(run.attempts))
    assert store.query("SELECT * FROM callback_requests ORDER BY id") == real
    assert store.query("SELECT * FROM callback_attempts ORDER BY id") == real_attempts


def test_the_commands_store_refuse_to_mix_and_purge(tmp_path: Path) -> None:
    db_path = tmp_path / "spillway.db"
    stored = _cli(
        db_path,
        "simulate",
        "--world",
        str(WORLD_FILE),
        "--policy",
        "pilot",
        "--seed",
        "5",
        "--store",
        "--json",
    )
    assert stored.exit_code == 0, stored.output
    figures = json.loads(stored.stdout)
    said = stored.stderr
    assert str(db_path.resolve()) in said and "spillway db purge-simulated" in said
    assert figures["requests"] > 1 and figures["calls_placed"] > 1
    # Counts as the English pack writes them (1,234).
    assert f"wrote {figures['requests']:,} simulated callback requests and " in said
    # Each request's reason is the run's label, which the console reads back to word it.
    db = SqliteStore(db_path)
    reasons = {r["reason"] for r in db.query("SELECT reason FROM callback_requests")}
    db.close()
    assert [read_label(r) for r in reasons] == [SimulationLabel(WORLD_FILE.name, "pilot", 5)]
    again = _cli(db_path, "simulate", "--world", str(WORLD_FILE), "--store")
    assert again.exit_code != 0 and "already holds" in str(again.exception)
    purged = _cli(db_path, "db", "purge-simulated")
    assert purged.exit_code == 0, purged.output
    assert f"removed {figures['requests']:,} simulated callback requests and " in purged.output
    assert f"{figures['calls_placed']:,} attempts from" in purged.output
    # A database with real requests is not written to unless the admin says so.
    db = SqliteStore(db_path)
    seed(db, time.time())
    db.close()
    refused = _cli(db_path, "simulate", "--world", str(WORLD_FILE), "--store")
    assert refused.exit_code != 0 and "real callback request" in str(refused.exception)
    assert "--alongside-real" in str(refused.exception)


def _app(db_path: Path, store: SqliteStore) -> tuple[httpx.AsyncClient, AsyncStore]:
    async_store = AsyncStore(store)
    settings = _settings().model_copy(
        update={"storage": Settings(storage={"sqlite_path": db_path}).storage}
    )
    transport = httpx.ASGITransport(app=create_web_app(settings, async_store))
    return httpx.AsyncClient(transport=transport, base_url="http://console"), async_store


@pytest.mark.asyncio(loop_scope="session")
async def test_api_kpis_for_the_stored_month_agree_with_simulate_json(tmp_path: Path) -> None:
    db_path = tmp_path / "spillway.db"
    args = ["simulate", "--world", str(WORLD_FILE), "--seed", "7", "--json"]
    stored = _cli(db_path, *args, "--store")
    assert stored.exit_code == 0, stored.output
    expected = json.loads(stored.stdout)
    # --store writes the run that --json counts (the same world, policy and seed).
    alone = json.loads(_cli(tmp_path / "other.db", *args).stdout)
    assert {k: v for k, v in alone.items() if k != "seconds"} == {
        k: v for k, v in expected.items() if k != "seconds"
    }
    store = SqliteStore(db_path)
    [span] = store.query(
        "SELECT MIN(r.created_at) AS since, MAX(a.ended_at) AS until FROM callback_requests r "
        "JOIN callback_attempts a ON a.request_id = r.id"
    )
    client, async_store = _app(db_path, store)
    try:
        async with client:
            window = {
                "since": datetime.fromtimestamp(span["since"], ZoneInfo("UTC")).isoformat(),
                "until": datetime.fromtimestamp(span["until"] + 1, ZoneInfo("UTC")).isoformat(),
            }
            answer = await client.get(
                "/api/kpis", params=window, headers={"Authorization": f"Bearer {TOKEN}"}
            )
    finally:
        async_store.close()
    assert answer.status_code == 200, answer.text
    callbacks = answer.json()["callbacks"]
    assert callbacks["requests"] == expected["requests"]
    for key in (*RATES, "median_hours_to_contact"):
        assert callbacks[key] == pytest.approx(expected[key], abs=1e-3), key


@pytest.mark.asyncio(loop_scope="session")
async def test_the_console_labels_the_simulated_rows(tmp_path: Path) -> None:
    db_path = tmp_path / "spillway.db"
    store = SqliteStore(db_path)
    store.migrate()
    seed(store, time.time())  # real rows beside the simulated ones
    run = simulate(_world(), PolicyName.PREDICTED)
    sim_store.write(store, sim_store.stored_rows(run, time.time(), label="t"), pause_s=0.0)
    [real] = store.query("SELECT id FROM callback_requests WHERE simulated = 0 LIMIT 1")
    [fake] = store.query("SELECT id FROM callback_requests WHERE simulated = 1 LIMIT 1")
    client, async_store = _app(db_path, store)
    try:
        async with client:
            await _login(client, "vera")
            overview = await client.get("/", params={"window": "30d"})
            today = await client.get(
                "/", params={"window": "range", "since": "2001-01-01", "until": "2001-01-02"}
            )
            listed = await client.get("/requests")
            detail = await client.get(f"/requests/{fake['id']}")
            plain = await client.get(f"/requests/{real['id']}")
    finally:
        async_store.close()
    assert 'id="simulated-note"' in overview.text
    assert "simulated-note" not in today.text  # a window without simulated rows has no note
    labelled = dict(
        re.findall(r'<a href="/requests/(\d+)">\d+</a>( <span class="badge)?', listed.text)
    )
    assert labelled[str(fake["id"])] and not labelled[str(real["id"])]
    assert detail.status_code == 200 and 'id="simulated-badge"' in detail.text
    assert plain.status_code == 200 and "simulated-badge" not in plain.text


def test_simulated_attempts_never_teach_the_contact_model(store: SqliteStore) -> None:
    seed(store, time.time())
    real = len(read_attempt_log(store))
    run = simulate(_world(), PolicyName.PREDICTED)
    sim_store.write(store, sim_store.stored_rows(run, time.time(), label="t"), pause_s=0.0)
    assert len(read_attempt_log(store)) == real


def test_retention_never_folds_simulated_attempts_into_the_aggregates(
    store: SqliteStore,
) -> None:
    run = simulate(_world(), PolicyName.PREDICTED)
    sim_store.write(store, sim_store.stored_rows(run, time.time(), label="t"), pause_s=0.0)
    later = time.time() + 3 * 365 * 86400.0  # every simulated row past its period
    removed = apply_retention(store, Periods.from_settings(GdprSettings()), now=later)
    assert removed["callback_attempts"] == len(run.attempts)
    assert store.query("SELECT COUNT(*) AS n FROM contact_aggregates")[0]["n"] == 0


def test_store_count_and_purge_on_postgres(pg_dsn: str) -> None:
    store = open_store(StorageSettings(backend="postgres", postgres_dsn=pg_dsn))
    try:
        seed(store, time.time())
        # The seed writes its own ids; the sequence then goes on after them.
        store.query(
            "SELECT setval(pg_get_serial_sequence('callback_requests', 'id'), "
            "(SELECT MAX(id) FROM callback_requests))"
        )
        real = store.query("SELECT * FROM callback_requests ORDER BY id")
        run = simulate(_world(), PolicyName.PILOT)
        expected = kpis(run)
        period = sim_store.stored_rows(run, time.time(), label="t")
        assert sim_store.write(store, period, pause_s=0.0) == len(run.requests)
        figures = compute_kpis(store, Window("range", period.since, period.until, "UTC"))
        assert figures["simulated_requests"] == expected["requests"]
        assert sim_store.count_real(store) == len(real)
        removed = sim_store.purge(store, pause_s=0.0)
        assert removed == sim_store.Purged(len(run.requests), len(run.attempts))
        assert store.query("SELECT * FROM callback_requests ORDER BY id") == real
    finally:
        store.close()
