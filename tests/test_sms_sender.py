"""The outbox sender `spillway serve` runs, `spillway sms ...`, and the doctor's SMS row.

Against a real HTTP gateway on loopback (``tests.sms_gateway``) and a real
SQLite database; the sender runs as the same background task serve starts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.backends.sms import SmsOutbox, outbox_counts
from bot.backends.sms_sender import running_sms_sender
from cli.doctor import check_sms
from cli.main import app
from dialplan.sandbox import free_port
from spillway.errors import ConfigError
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.conftest import make_settings
from tests.sms_gateway import Gateway, db, gateway

PHONE = "+4520123456"


__all__ = ["db", "gateway"]  # fixtures from tests.sms_gateway


def fast_settings(store: SqliteStore, url: str | None, **sms: Any) -> Settings:
    """Intervals and back-off in tens of milliseconds, so a test sees several rounds."""
    values: dict[str, Any] = {"send_interval_s": 0.05, "retry_base_s": 0.05, "retry_max_s": 0.2}
    if url:
        values["gateway_url"] = url
    values.update(sms)
    return make_settings(storage={"sqlite_path": str(store.path)}, sms=values)


async def wait_until(condition: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


def sender_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == "sms-outbox-sender"]


async def test_serve_sender_outlasts_a_failing_gateway(
    store: SqliteStore, db: AsyncStore, gateway: tuple[Gateway, str]
) -> None:
    gw, url = gateway
    gw.fail_next = 3  # down for three posts, then back
    settings = fast_settings(store, url, api_token="tok")
    outbox = SmsOutbox(db)
    async with running_sms_sender(settings, db) as worker:
        assert worker is not None and len(sender_tasks()) == 1
        for i in range(3):
            await outbox.enqueue(PHONE, f"message {i}", idempotency_key=f"w{i}")
        await wait_until(lambda: outbox_counts(store)["sent"] == 3)
        # Queued while it runs: picked up by a later round without a restart.
        await outbox.enqueue(PHONE, "late", idempotency_key="late")
        worker.wake()
        await wait_until(lambda: outbox_counts(store)["sent"] == 4)
    assert sender_tasks() == []  # stopped with serve
    assert sorted(gw.deliveries) == ["late", "w0", "w1", "w2"]
    assert gw.posts == 7 and set(gw.tokens) == {"Bearer tok"}
    assert worker.total.sent == 4 and worker.total.retry == 3


async def test_serve_sender_and_a_gateway_that_times_out_after_accepting(
    store: SqliteStore,
    db: AsyncStore,
    gateway: tuple[Gateway, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    gw, url = gateway
    gw.stall_next_s = 1.0
    settings = fast_settings(store, url, timeout_s=0.3, claim_timeout_s=2.0)
    await SmsOutbox(db).enqueue(PHONE, "label", idempotency_key="slow")
    async with running_sms_sender(settings, db):
        await wait_until(lambda: outbox_counts(store)["sent"] == 1)
    row = store.query("SELECT * FROM sms_outbox")[0]
    assert row["attempts"] == 2 and row["last_error"] is None
    assert any("ReadTimeout" in r.getMessage() for r in caplog.records)
    assert gw.posts == 2 and gw.deliveries == ["slow"]  # the retry hit the same key: 409


async def test_shutdown_lets_the_post_in_flight_finish(
    store: SqliteStore, db: AsyncStore, gateway: tuple[Gateway, str]
) -> None:
    gw, url = gateway
    gw.stall_next_s = 0.5
    settings = fast_settings(store, url, timeout_s=3.0)
    await SmsOutbox(db).enqueue(PHONE, "in flight", idempotency_key="f1")
    async with running_sms_sender(settings, db):
        await asyncio.to_thread(gw.accepted.wait, 5)
    # The context exited while the gateway was still answering: the row was marked, not left.
    assert store.query("SELECT status FROM sms_outbox")[0]["status"] == "sent"
    assert gw.posts == 1 and sender_tasks() == []


async def test_without_a_gateway_messages_wait_and_one_line_says_so(
    store: SqliteStore, db: AsyncStore, caplog: pytest.LogCaptureFixture
) -> None:
    await SmsOutbox(db).enqueue(PHONE, "label", idempotency_key="q1")
    settings = fast_settings(store, None)
    with caplog.at_level(logging.WARNING, logger="bot.backends.sms_sender"):
        async with running_sms_sender(settings, db) as worker:
            assert worker is None and sender_tasks() == []
            await SmsOutbox(db).enqueue(PHONE, "photos", idempotency_key="q2")
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.backends.sms_sender"]
    assert len(lines) == 1
    assert "SMS gateway not configured (sms.gateway_url): 1 message(s) wait" in lines[0]
    assert "spillway sms send-pending" in lines[0]
    assert outbox_counts(store)["pending"] == 2
    check = check_sms(settings)
    assert not check.ok and "2 waiting" in check.detail and "sms.gateway_url" in check.fix


def test_doctor_sms_row(store: SqliteStore) -> None:
    empty = check_sms(fast_settings(store, None))
    # No gateway: the bot offers no text message, so none is lost, but the shop goes
    # without: a warning (tests/test_no_sms_gateway.py has the rest).
    assert empty.ok and empty.warning and "not configured" in empty.detail
    configured = check_sms(fast_settings(store, "http://127.0.0.1:9/sms"))
    assert configured.ok and not configured.warning
    assert "http://127.0.0.1:9/sms" in configured.detail


@pytest.fixture
def root_logging() -> Iterator[None]:
    """`sms send-pending` sets up logging as the CLI does; undo it for the tests after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _env(store: SqliteStore, url: str | None = None) -> dict[str, str]:
    env = {"SPILLWAY_STORAGE__SQLITE_PATH": str(store.path), "COLUMNS": "200"}
    if url:
        env["SPILLWAY_SMS__GATEWAY_URL"] = url
    return env


def test_cli_outbox_and_send_pending(
    store: SqliteStore, gateway: tuple[Gateway, str], root_logging: None
) -> None:
    gw, url = gateway
    adb = AsyncStore(store)
    try:

        async def queue() -> None:
            await SmsOutbox(adb).enqueue(PHONE, "your return label", idempotency_key="c1")
            await SmsOutbox(adb).enqueue("+4511", "bad number", idempotency_key="c2")

        asyncio.run(queue())
    finally:
        adb.close()
    runner = CliRunner()
    listed = runner.invoke(app, ["sms", "outbox"], env=_env(store))
    assert listed.exit_code == 0, listed.output
    assert "2 pending" in listed.output and PHONE in listed.output
    assert "your return label" in listed.output and "no SMS gateway configured" in listed.output

    # Without a gateway: one clear line, exit 2, nothing lost.
    refused = runner.invoke(app, ["sms", "send-pending"], env=_env(store))
    assert refused.exit_code != 0 and isinstance(refused.exception, ConfigError)
    assert "sms.gateway_url is not set: 2 messages stay queued" in str(refused.exception)
    assert outbox_counts(store)["pending"] == 2

    gw.reject_next = True  # the first post (c1) is refused for good: exit 1
    sent = runner.invoke(app, ["sms", "send-pending"], env=_env(store, url))
    assert sent.exit_code == 1, sent.output
    assert "sent 1, to retry later 0, failed 1" in sent.output
    assert gw.deliveries == ["c2"]
    again = runner.invoke(app, ["sms", "send-pending"], env=_env(store, url))
    assert again.exit_code == 0 and "sent 0" in again.output and gw.posts == 2

    as_json = runner.invoke(app, ["sms", "outbox", "--status", "failed", "--json"], env=_env(store))
    data = json.loads(as_json.stdout)
    assert data["counts"] == {"pending": 0, "sending": 0, "sent": 1, "failed": 1}
    assert [(m["phone"], m["status"]) for m in data["messages"]] == [(PHONE, "failed")]
    assert "422" in data["messages"][0]["last_error"]


async def test_spillway_serve_runs_the_sender_and_stops_it(
    store: SqliteStore, db: AsyncStore, gateway: tuple[Gateway, str]
) -> None:
    """`serve_forever` itself: a queued message goes out while it runs; cancelling serve
    (Ctrl-C) ends the sender task too. No speech model is named, so calls would get the
    DTMF menu and nothing heavy loads."""
    from cli.commands.serve import serve_forever

    gw, url = gateway
    settings = make_settings(
        storage={"sqlite_path": str(store.path)},
        sms={"gateway_url": url, "send_interval_s": 0.05},
        speech={"piper_voice": "no-such-voice"},
        controller={
            "fastagi_port": free_port(),
            "audiosocket_port": free_port(),
            "websocket_port": free_port(),
        },
    )
    await SmsOutbox(db).enqueue(PHONE, "queued before serve started", idempotency_key="s1")
    serving = asyncio.create_task(serve_forever(settings))
    try:
        await wait_until(lambda: gw.deliveries == ["s1"] or serving.done())
        assert not serving.done(), serving
        await wait_until(lambda: outbox_counts(store)["sent"] == 1)
        assert len(sender_tasks()) == 1
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
    assert sender_tasks() == []
