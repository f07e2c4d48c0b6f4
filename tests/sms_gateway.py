"""A real HTTP SMS gateway on loopback for the SMS tests.

It de-duplicates by the ``Idempotency-Key`` header, as real gateways do
(``honour_keys=False`` turns that off to show what happens with one that
does not), counts posts and deliveries, and can be told to fail, reject or
stall after accepting a message.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from spillway.storage import AsyncStore, SqliteStore


class Gateway:
    """Behaviour switches and a record of deliveries."""

    def __init__(self) -> None:
        self.delivered: dict[str, dict[str, Any]] = {}
        self.deliveries: list[str] = []  # one key per message that reached a phone
        self.posts = 0
        self.fail_next = 0
        self.stall_next_s = 0.0
        self.reject_next = False
        self.honour_keys = True
        self.tokens: list[str | None] = []
        self.accepted = threading.Event()  # set when a message was delivered
        self._lock = threading.Lock()

    def _post(self, key: str, body: dict[str, Any], token: str | None) -> tuple[int, float]:
        with self._lock:
            self.posts += 1
            self.tokens.append(token)
            if self.reject_next:
                self.reject_next = False
                return 422, 0.0
            if self.fail_next:
                self.fail_next -= 1
                return 503, 0.0
            duplicate = self.honour_keys and key in self.delivered
            if not duplicate:
                self.delivered.setdefault(key, body)
                self.deliveries.append(key)
            stall, self.stall_next_s = self.stall_next_s, 0.0
        self.accepted.set()
        return (409 if duplicate else 201), stall


def _handler(gw: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            key = self.headers.get("Idempotency-Key") or ""
            status, stall = gw._post(key, body, self.headers.get("Authorization"))
            if stall:
                # Received and delivered, but the answer comes after the client gave up.
                threading.Event().wait(stall)
            self._send(status, {"id": key})

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


@contextmanager
def running_gateway() -> Iterator[tuple[Gateway, str]]:
    """The gateway and its URL while the block runs."""
    gw = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gw))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gw, f"http://127.0.0.1:{server.server_address[1]}/sms"
    finally:
        server.shutdown()
        server.server_close()


class FakeClock:
    """A clock the test moves by hand (for back-off and leases)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def gateway() -> Iterator[tuple[Gateway, str]]:
    """A running gateway and its URL (import this fixture into the test module)."""
    with running_gateway() as found:
        yield found


@pytest.fixture
def db(store: SqliteStore) -> Iterator[AsyncStore]:
    """The test's store behind an AsyncStore."""
    adb = AsyncStore(store)
    yield adb
    adb.close()
