"""The SMS outbox: enqueue once per key, and a retry never delivers a message twice.

The gateway is a real HTTP server on loopback that de-duplicates by the
``Idempotency-Key`` header (as real gateways do) and counts what it delivered.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.backends.sms import HttpSmsGateway, SmsOutbox, SmsSender
from spillway.storage import AsyncStore, SqliteStore


class Gateway:
    """Behaviour switches and a record of deliveries."""

    def __init__(self) -> None:
        self.delivered: dict[str, dict[str, Any]] = {}
        self.posts = 0
        self.fail_next = 0
        self.stall_next_s = 0.0
        self.reject_next = False
        self.tokens: list[str | None] = []


def _handler(gw: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            gw.posts += 1
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            key = self.headers.get("Idempotency-Key") or ""
            gw.tokens.append(self.headers.get("Authorization"))
            if gw.reject_next:
                gw.reject_next = False
                return self._send(422, {"error": "invalid number"})
            if gw.fail_next:
                gw.fail_next -= 1
                return self._send(503, {"error": "try later"})
            duplicate = key in gw.delivered
            gw.delivered.setdefault(key, body)
            if gw.stall_next_s:
                # Received and delivered, but the answer comes after the client gave up.
                stall, gw.stall_next_s = gw.stall_next_s, 0.0
                threading.Event().wait(stall)
            self._send(409 if duplicate else 201, {"id": key})

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except OSError:
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def gateway() -> Iterator[tuple[Gateway, str]]:
    gw = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gw))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield gw, f"http://127.0.0.1:{server.server_address[1]}/sms"
    server.shutdown()
    server.server_close()


@pytest.fixture
def db(store: SqliteStore) -> Iterator[AsyncStore]:
    adb = AsyncStore(store)
    yield adb
    adb.close()


def _rows(db: AsyncStore) -> list[dict[str, Any]]:
    return db.store.query("SELECT * FROM sms_outbox ORDER BY id")


async def test_enqueue_is_idempotent(db: AsyncStore) -> None:
    outbox = SmsOutbox(db)
    first = await outbox.enqueue("+4520123456", "hello", idempotency_key="call-1:case:7")
    again = await outbox.enqueue("+4520123456", "hello again", idempotency_key="call-1:case:7")
    assert first.id == again.id and again.body == "hello"
    assert [r["status"] for r in _rows(db)] == ["pending"]


async def test_sender_posts_with_key_and_token(
    db: AsyncStore, gateway: tuple[Gateway, str]
) -> None:
    gw, url = gateway
    await SmsOutbox(db).enqueue("+4520123456", "label", idempotency_key="k1")
    sender = SmsSender(db, HttpSmsGateway(url, token="secret", sender="Shop"))
    report = await sender.send_pending()
    assert (report.sent, report.retry, report.failed) == (1, 0, 0)
    assert gw.delivered == {"k1": {"to": "+4520123456", "from": "Shop", "body": "label"}}
    assert gw.tokens == ["Bearer secret"]
    row = _rows(db)[0]
    assert row["status"] == "sent" and row["attempts"] == 1 and row["sent_at"] is not None
    # Nothing left to do: a second round posts nothing.
    assert (await sender.send_pending()).sent == 0 and gw.posts == 1


async def test_gateway_failing_first_time_is_retried_once(
    db: AsyncStore, gateway: tuple[Gateway, str]
) -> None:
    gw, url = gateway
    gw.fail_next = 1
    await SmsOutbox(db).enqueue("+4520123456", "photos", idempotency_key="k2")
    sender = SmsSender(db, HttpSmsGateway(url))
    first = await sender.send_pending()
    assert (first.sent, first.retry) == (0, 1)
    assert _rows(db)[0]["status"] == "pending" and "503" in _rows(db)[0]["last_error"]
    second = await sender.send_pending()
    assert second.sent == 1
    assert len(gw.delivered) == 1 and gw.posts == 2
    assert _rows(db)[0]["attempts"] == 2


async def test_timeout_after_receiving_never_delivers_twice(
    db: AsyncStore, gateway: tuple[Gateway, str]
) -> None:
    gw, url = gateway
    gw.stall_next_s = 1.0
    await SmsOutbox(db).enqueue("+4520123456", "label", idempotency_key="k3")
    sender = SmsSender(db, HttpSmsGateway(url, timeout_s=0.3))
    first = await sender.send_pending()
    assert first.retry == 1 and "Timeout" in _rows(db)[0]["last_error"]
    second = await sender.send_pending()
    assert second.sent == 1
    # Posted twice, delivered once: the gateway saw the same key again.
    assert gw.posts == 2 and list(gw.delivered) == ["k3"]
    assert _rows(db)[0]["status"] == "sent"


async def test_stale_sending_row_is_reclaimed_and_permanent_errors_fail(
    db: AsyncStore, gateway: tuple[Gateway, str]
) -> None:
    gw, url = gateway
    await SmsOutbox(db).enqueue("+4520123456", "a", idempotency_key="k4")
    # A sender died after claiming: the row sits in 'sending'.
    db.store.execute("UPDATE sms_outbox SET status = 'sending', claimed_at = 0, attempts = 1")
    fresh = SmsSender(db, HttpSmsGateway(url), claim_timeout_s=10**12)
    assert (await fresh.send_pending()).sent == 0  # not stale yet by this sender's lease
    sender = SmsSender(db, HttpSmsGateway(url), claim_timeout_s=60)
    assert (await sender.send_pending()).sent == 1
    await SmsOutbox(db).enqueue("+4511", "b", idempotency_key="k5")
    gw.reject_next = True
    report = await sender.send_pending()
    assert report.failed == 1
    assert [r["status"] for r in _rows(db)] == ["sent", "failed"]


async def test_gives_up_after_max_attempts(db: AsyncStore, gateway: tuple[Gateway, str]) -> None:
    gw, url = gateway
    gw.fail_next = 10
    await SmsOutbox(db).enqueue("+4520123456", "x", idempotency_key="k6")
    sender = SmsSender(db, HttpSmsGateway(url), max_attempts=2)
    await sender.send_pending()
    report = await sender.send_pending()
    assert report.failed == 1 and _rows(db)[0]["status"] == "failed"
    assert (await sender.send_pending()).sent == 0 and gw.posts == 2
