"""Access, erasure, retention and backups on PostgreSQL (a throw-away cluster): the same
map and code as on SQLite; after `forget` a dump holds the number nowhere but in the hashed
do-not-call entry."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import pytest

from scheduler.subject_access import export_person
from scheduler.timing.model_keeper import ModelKeeper
from scheduler.timing.model_source import Why, model_source
from spillway.erasure import forget
from spillway.personal_data import keyed_hash
from spillway.retention import Periods, apply_retention
from spillway.settings import GdprSettings, Settings, StorageSettings
from spillway.storage import AsyncStore, open_store
from tests.gdpr_world import fill_through_every_door

pytestmark = pytest.mark.postgres
KEY = b"k3y-for-the-tests"
ANNA, BO = "20123456", "31987654"


def _plain_sql(dump: Path) -> bytes:
    """The dump as the SQL script it restores (its custom format is compressed)."""
    done = subprocess.run(["pg_restore", "--file", "-", str(dump)], capture_output=True, check=True)
    return done.stdout


@pytest.mark.asyncio(loop_scope="session")
async def test_forget_and_export_on_postgres(pg_dsn: str, tmp_path: Path) -> None:
    store = open_store(StorageSettings(backend="postgres", postgres_dsn=pg_dsn))
    try:
        await fill_through_every_door(store, tmp_path, national=ANNA, call_id="c-a", opt_out=True)
        await fill_through_every_door(store, tmp_path, national=BO, call_id="c-b", opt_out=False)
        settings = Settings()
        # The contact model as the scheduler stores it (plain JSON in a TEXT column here
        # too), reused by the export, and in the dump below without either number.
        await ModelKeeper(AsyncStore(store), refit_every_s=60).refit()
        assert model_source(store, settings, now=time.time()).why is Why.STORED
        assert export_person(store, "+45" + ANNA, settings, now=time.time()).rows > 10
        bo_rows = export_person(store, "+45" + BO, settings, now=time.time()).rows
        erased = forget(store, "+45" + ANNA, key=KEY, actor="dpo", now=time.time())
        assert erased.rows["callback_attempts"] == 2 and erased.rows["do_not_call"] == 1
        assert export_person(store, "+45" + ANNA, settings, now=time.time()).rows == 0
        assert export_person(store, "+45" + BO, settings, now=time.time()).rows == bo_rows
        dump = tmp_path / "after.dump"
        store.backup(dump)
        sql = await asyncio.to_thread(_plain_sql, dump)
        assert keyed_hash("+45" + ANNA, KEY).encode() in sql
        spaced = " ".join(ANNA[i : i + 2] for i in range(0, 8, 2))
        for form in (f"+45{ANNA}", f"45{ANNA}", ANNA, spaced):
            assert form.encode() not in sql, form
        assert f"+45{BO}".encode() in sql
        # Retention runs on the same SQL: nothing here is old enough to go.
        assert not any(
            apply_retention(store, Periods.from_settings(GdprSettings()), now=time.time()).values()
        )
    finally:
        store.close()


def test_a_backup_restores_into_another_database(pg_dsn: str, tmp_path: Path) -> None:
    from bench.pg_cluster import new_database

    store = open_store(StorageSettings(backend="postgres", postgres_dsn=pg_dsn))
    store.insert("calls", {"call_id": "c1", "caller": "+4520123456", "started_at": 1.0})
    store.backup(tmp_path / "b.dump")
    other = open_store(
        StorageSettings(backend="postgres", postgres_dsn=new_database(pg_dsn)), migrate=False
    )
    try:
        assert not other.has_data()
        other.restore(tmp_path / "b.dump")
        assert other.query("SELECT call_id FROM calls") == [{"call_id": "c1"}]
    finally:
        other.close()
        store.close()
