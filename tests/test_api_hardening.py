"""The callback API against hostile input (issue 20): an empty or short token, a blank
bearer, windows it could never honour, merges that keep the later request's window,
one rule for times without an offset, deep JSON and odd ids."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio

from spillway.errors import ConfigError
from spillway.settings import MIN_API_TOKEN_CHARS, Settings
from spillway.storage import AsyncStore, SqliteStore
from web.callbacks_api import create_app

pytestmark = pytest.mark.asyncio(loop_scope="session")
TOKEN = "hardening-t0ken-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def _client(settings: Settings, store: SqliteStore) -> tuple[httpx.AsyncClient, AsyncStore]:
    db = AsyncStore(store)
    transport = httpx.ASGITransport(app=create_app(settings, db))
    return httpx.AsyncClient(transport=transport, base_url="http://api"), db


@pytest_asyncio.fixture(loop_scope="session")
async def client(store: SqliteStore) -> AsyncIterator[httpx.AsyncClient]:
    c, db = await _client(Settings(web={"api_token": TOKEN}), store)
    async with c:
        yield c
    db.close()


@pytest.mark.parametrize("token", ["", "   ", "\u00a0", "short-token"])
async def test_an_empty_or_short_token_turns_the_api_off(store: SqliteStore, token: str) -> None:
    c, db = await _client(Settings(web={"api_token": token}), store)
    async with c:
        for header in (b"Bearer ", b"Bearer \xa0", f"Bearer {token}".encode()):
            answer = await c.post(
                "/callbacks", json={"phone": "+4520123456"}, headers={b"Authorization": header}
            )
            assert answer.status_code == 503, (token, header)
            assert (await c.get("/metrics", headers={b"Authorization": header})).status_code == 503
    db.close()
    assert store.query("SELECT * FROM callback_requests") == []
    with pytest.raises(ConfigError, match=rf"web\.api_token .*at least {MIN_API_TOKEN_CHARS}"):
        Settings(web={"api_token": token}).web.require_api_token()


async def test_a_blank_bearer_is_never_accepted(client: httpx.AsyncClient) -> None:
    # As they arrive on the wire: latin-1 NBSP, UTF-8 EM SPACE, plain blanks.
    for header in (b"Bearer \xa0", b"Bearer ", "Bearer \u2003".encode(), b"bearer  \t"):
        answer = await client.post(
            "/callbacks", json={"phone": "+4520123456"}, headers={b"Authorization": header}
        )
        assert answer.status_code == 401, header
        assert (await client.get("/metrics", headers={b"Authorization": header})).status_code == 401


@pytest.mark.parametrize("token", ["", "short"])
async def test_web_serve_refuses_to_start_with_an_empty_or_short_token(
    tmp_path: Path, token: str
) -> None:
    for from_file in (False, True):
        secrets = tmp_path / "secrets.env"
        secrets.write_text(f"SPILLWAY_WEB__API_TOKEN={token}\n" if from_file else "")
        secrets.chmod(0o600)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPILLWAY_WEB__API_TOKEN")}
        env |= {
            "SPILLWAY_SECRETS_FILE": str(secrets),
            "SPILLWAY_STORAGE__SQLITE_PATH": str(tmp_path / "web.db"),
        }
        if not from_file:
            env["SPILLWAY_WEB__API_TOKEN"] = token
        (tmp_path / "c.yaml").write_text("{}\n")
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "cli", "--config", str(tmp_path / "c.yaml"), "web", "serve"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0, done.stderr
        assert "web.api_token" in done.stderr + done.stdout
        assert f"at least {MIN_API_TOKEN_CHARS} characters" in done.stderr + done.stdout


CPH = ZoneInfo("Europe/Copenhagen")


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _next_weekday_at(hour: int, days_ahead: int = 1) -> datetime:
    """A working day (not a Danish holiday) ``days_ahead`` or more ahead, at ``hour`` local."""
    import holidays

    day = datetime.now(CPH).date() + timedelta(days=days_ahead)
    closed = holidays.country_holidays("DK", years=[day.year, day.year + 1])
    while day.weekday() >= 5 or day in closed:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=CPH)


async def test_windows_that_can_never_be_honoured_get_a_422_naming_the_field(
    client: httpx.AsyncClient, store: SqliteStore
) -> None:
    now = datetime.now(CPH)
    tomorrow = _next_weekday_at(10)
    day = timedelta(days=1)
    cases = {
        "past": ({"not_before": now - 2 * day, "not_after": now - day}, "not_after"),
        "inverted": ({"not_before": tomorrow + day / 12, "not_after": tomorrow}, "not_after"),
        "night only": (
            {"not_before": tomorrow.replace(hour=21), "not_after": tomorrow.replace(hour=23)},
            "not_after",
        ),
        "a year ahead": ({"not_before": now + 365 * day}, "not_before"),
    }
    for name, (window, field) in cases.items():
        body = {"phone": "+4520123456", **{k: _iso(v) for k, v in window.items()}}
        answer = await client.post("/callbacks", json=body, headers=AUTH)
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["error"]["field"] == field, name
    assert store.query("SELECT * FROM callback_requests") == []


async def test_a_window_five_days_ahead_gets_an_expiry_that_covers_it(
    client: httpx.AsyncClient, store: SqliteStore
) -> None:
    later = _next_weekday_at(10, days_ahead=5)
    answer = await client.post(
        "/callbacks", json={"phone": "+4520123456", "not_before": _iso(later)}, headers=AUTH
    )
    assert answer.status_code == 201, answer.text
    [row] = store.query("SELECT * FROM callback_requests")
    # 72 h of calling days from the window's start, not from the request.
    assert row["expires_at"] >= later.timestamp() + 72 * 3600
    assert row["not_before"] == later.timestamp()


async def test_a_merged_request_keeps_the_later_window_and_zone(
    client: httpx.AsyncClient, store: SqliteStore
) -> None:
    first = await client.post("/callbacks", json={"phone": "+4520123456"}, headers=AUTH)
    assert first.status_code == 201
    later = _next_weekday_at(14, days_ahead=2)
    body = {
        "phone": "+4520123456",
        "not_before": _iso(later),
        "not_after": _iso(later + timedelta(hours=2)),
        "timezone": "Europe/Berlin",
    }
    second = await client.post("/callbacks", json=body, headers=AUTH)
    assert second.status_code == 200 and second.json()["merged"]
    [row] = store.query("SELECT * FROM callback_requests")
    assert row["not_before"] == later.timestamp()
    assert row["not_after"] == later.timestamp() + 7200
    assert row["timezone"] == "Europe/Berlin" and row["planned_by"] is None
    # The promise moves with the window: inside it, not counted from the first request.
    assert row["deadline"] is not None
    assert later.timestamp() < row["deadline"] <= later.timestamp() + 7200


async def test_a_time_without_an_offset_is_the_customers_local_time(
    client: httpx.AsyncClient, store: SqliteStore
) -> None:
    # The same rule as the CSV import: the request's zone, else the number's.
    later = _next_weekday_at(15, days_ahead=2)
    naive = later.replace(tzinfo=None).isoformat()
    answer = await client.post(
        "/callbacks",
        json={"phone": "+4520123456", "not_before": naive, "timezone": "America/New_York"},
        headers=AUTH,
    )
    assert answer.status_code == 201, answer.text
    [row] = store.query("SELECT * FROM callback_requests")
    assert row["not_before"] == later.replace(tzinfo=ZoneInfo("America/New_York")).timestamp()


@pytest.mark.parametrize("depth", [1000, 5000])
async def test_deeply_nested_json_is_a_400(client: httpx.AsyncClient, depth: int) -> None:
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        answer = await client.post("/callbacks", content=body.encode()[:16000], headers=AUTH)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize(
    "raw", ["²", "١٢", "1" * 20, "9" * 5000, "99999999999999999999", "-1", "0x10"]
)
async def test_odd_ids_are_a_404(client: httpx.AsyncClient, raw: str) -> None:
    answer = await client.get(f"/callbacks/{raw}", headers=AUTH)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "not_found"


async def test_posts_are_served_while_a_big_csv_import_runs(tmp_path: Path) -> None:
    from spillway.phone import callable_phone

    rows, n = ["phone,name"], 100_000
    while len(rows) <= 10_000:
        n += 1
        if callable_phone(f"+4520{n:06d}")[0]:
            rows.append(f"+4520{n:06d},row {len(rows)}")
    (tmp_path / "big.csv").write_text("\n".join(rows) + "\n")
    db_path = tmp_path / "shared.db"
    (tmp_path / "c.yaml").write_text(f"storage:\n  sqlite_path: {db_path}\n")
    # The API's own wait for the write lock is short: only short import transactions fit.
    store = SqliteStore(db_path, busy_timeout_ms=500)
    store.migrate()
    c, db = await _client(Settings(web={"api_token": TOKEN}), store)
    env = {**os.environ, "SPILLWAY_SECRETS_FILE": str(tmp_path / "none.env")}
    importer = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "--config", str(tmp_path / "c.yaml"),
        "callbacks", "import", str(tmp_path / "big.csv"),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    statuses: list[int] = []
    deadline = time.monotonic() + 120
    async with c:
        i = 0
        while importer.returncode is None and time.monotonic() < deadline:
            i += 1
            answer = await c.post("/callbacks", json={"phone": f"+4531{i:06d}"}, headers=AUTH)
            statuses.append(answer.status_code)
            await asyncio.sleep(0.02)
    out, err = await asyncio.wait_for(importer.communicate(), 120)
    db.close()
    store.close()
    assert b"10,000 requests added" in out, err  # the console's English thousands mark
    assert len(statuses) >= 10 and set(statuses) <= {200, 201}, statuses
