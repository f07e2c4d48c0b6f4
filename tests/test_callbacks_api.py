"""The callback API over HTTP: a bearer token, JSON in and out, an idempotency key,
clear 4xx errors naming the field, and the same intake as every other door."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from dialplan.sandbox import free_port
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from web.callbacks_api import create_app

pytestmark = pytest.mark.asyncio(loop_scope="session")
TOKEN = "t0ken-for-tests-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest_asyncio.fixture(loop_scope="session")
async def client(store: SqliteStore) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(web={"api_token": TOKEN, "max_body_bytes": 2048})
    db = AsyncStore(store)
    transport = httpx.ASGITransport(app=create_app(settings, db))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
        yield c
    db.close()


async def test_a_request_in_and_its_status_out(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/callbacks",
        json={"phone": "20 12 34 56", "name": "Anna", "not_before": "2026-03-02T14:00:00+01:00"},
        headers=AUTH,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["phone"] == "+4520123456" and body["status"] == "pending" and not body["merged"]
    status = await client.get(f"/callbacks/{body['id']}", headers=AUTH)
    assert status.status_code == 200 and status.json()["status"] == "pending"
    assert status.json()["source"] == "api"


async def test_the_same_idempotency_key_twice_is_one_request(client: httpx.AsyncClient) -> None:
    headers = {**AUTH, "Idempotency-Key": "form-42"}
    first = await client.post("/callbacks", json={"phone": "+4520123499"}, headers=headers)
    again = await client.post("/callbacks", json={"phone": "+4520123499"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]


@pytest.mark.parametrize(
    ("body", "status", "field", "code"),
    [
        ({"phone": 4520123456}, 422, "phone", "invalid_field"),
        ({"name": "no phone"}, 422, "phone", "invalid_field"),
        ({"phone": "+4520123456", "consent": "perhaps"}, 422, "consent", "invalid_field"),
        ({"phone": "+4520123456", "timezone": "Mars/Olympus"}, 422, "timezone", "invalid_field"),
        ({"phone": "+4520123456", "colour": "red"}, 422, "colour", "invalid_field"),
        ({"phone": "x" * 5000}, 413, None, "too_large"),
        ([1, 2], 400, None, "invalid_json"),
    ],
    ids=["wrong-type", "missing", "bad-bool", "bad-zone", "unknown-field", "oversize", "array"],
)
async def test_bad_bodies_get_a_clear_4xx_naming_the_field(
    client: httpx.AsyncClient, body: object, status: int, field: str | None, code: str
) -> None:
    answer = await client.post("/callbacks", json=body, headers=AUTH)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]


async def test_no_token_no_entry(client: httpx.AsyncClient, store: SqliteStore) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        answer = await client.post("/callbacks", json={"phone": "+4520123456"}, headers=headers)
        assert answer.status_code == 401, headers
        assert (await client.get("/callbacks/1", headers=headers)).status_code == 401
    assert store.query("SELECT * FROM callback_requests") == []
    assert (await client.post("/callbacks", content=b"{not json", headers=AUTH)).status_code == 400


async def test_a_premium_rate_number_is_kept_but_never_called(client: httpx.AsyncClient) -> None:
    answer = await client.post("/callbacks", json={"phone": "+4590123456"}, headers=AUTH)
    assert answer.status_code == 201
    assert answer.json()["status"] == "invalid_number"
    assert "premium-rate" in answer.json()["problem"]


async def test_spillway_web_serve_answers_over_real_http(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "SPILLWAY_SECRETS_FILE": str(tmp_path / "none.env"),
        "SPILLWAY_WEB__API_TOKEN": TOKEN,
        "SPILLWAY_WEB__PORT": str(port),
        "SPILLWAY_STORAGE__SQLITE_PATH": str(tmp_path / "web.db"),
    }
    (tmp_path / "c.yaml").write_text("{}\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "--config", str(tmp_path / "c.yaml"), "web", "serve",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    answer = await http.post(
                        "/callbacks", json={"phone": "+4520123456"}, headers=AUTH
                    )
                    break
                except httpx.ConnectError:
                    assert time.monotonic() < deadline, "the web app did not start"
                    await asyncio.sleep(0.2)
            assert answer.status_code == 201
            assert (await http.get(f"/callbacks/{answer.json()['id']}")).status_code == 401
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.communicate(), 30)
