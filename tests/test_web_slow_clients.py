"""`spillway web serve` against slow and half-open clients (issue 20), over real sockets
on loopback: a connection that never finishes its request head is closed after
web.header_timeout_s, one address cannot hold more than its share, the process never
runs out of file descriptors, and real requests keep being served."""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from dialplan.sandbox import free_port
from web.connection_guard import OncePerInterval

pytestmark = pytest.mark.asyncio(loop_scope="session")
TOKEN = "slow-clients-t0ken-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FD_LIMIT = 256  # the server's own descriptor limit, so that exhausting it is cheap


def _low_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


@pytest_asyncio.fixture(loop_scope="session")
async def server(tmp_path: Path) -> AsyncIterator[tuple[int, asyncio.subprocess.Process]]:
    port = free_port()
    env = {
        **os.environ,
        "SPILLWAY_SECRETS_FILE": str(tmp_path / "none.env"),
        "SPILLWAY_WEB__API_TOKEN": TOKEN,
        "SPILLWAY_WEB__PORT": str(port),
        "SPILLWAY_WEB__HEADER_TIMEOUT_S": "1.5",
        "SPILLWAY_WEB__MAX_CONNECTIONS_PER_PEER": "20",
        "SPILLWAY_STORAGE__SQLITE_PATH": str(tmp_path / "web.db"),
    }
    (tmp_path / "c.yaml").write_text("{}\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "--config", str(tmp_path / "c.yaml"), "web", "serve",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        preexec_fn=_low_fd_limit,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        while True:
            try:
                await http.get("/metrics")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "web serve did not start"
                await asyncio.sleep(0.2)
    yield port, proc
    if proc.returncode is None:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)


def _half_open(port: int, source: str, count: int) -> list[socket.socket]:
    """``count`` connections from ``source`` that send half a request head and stop."""
    opened = []
    for _ in range(count):
        s = socket.socket()
        s.bind((source, 0))
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(b"POST /callbacks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")
        except OSError:
            s.close()
            continue
        opened.append(s)
    return opened


def _closed_by_server(s: socket.socket) -> bool:
    try:
        return s.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


async def _real_request(port: int) -> int:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
        answer = await http.post("/callbacks", json={"phone": "+4520123456"}, headers=AUTH)
        return answer.status_code


async def test_half_open_connections_are_closed_and_real_requests_served(
    server: tuple[int, asyncio.subprocess.Process],
) -> None:
    port, proc = server
    # 300 from each of 4 addresses: more than the server's 256 descriptors in all.
    sockets: list[socket.socket] = []
    for n in range(2, 6):
        sockets += await asyncio.to_thread(_half_open, port, f"127.0.0.{n}", 300)
    started = time.monotonic()
    try:
        # Another address is served at once: one address holds at most its share.
        assert await _real_request(port) == 201
        # Every half-open connection is closed by the server within the header timeout.
        closed = await asyncio.to_thread(lambda: sum(_closed_by_server(s) for s in sockets))
        assert closed == len(sockets)
        assert time.monotonic() - started < 10
        assert await _real_request(port) in (200, 201)
    finally:
        for s in sockets:
            s.close()
    proc.terminate()
    _out, err = await asyncio.wait_for(proc.communicate(), 30)
    # The refusals are logged once per interval, not once per connection.
    assert err.count(b"Too many open files") < 5, err[-2000:]
    assert err.count(b"closed a new connection") < 10, err[-2000:]


async def test_a_flood_from_many_addresses_never_exhausts_the_descriptors(
    server: tuple[int, asyncio.subprocess.Process],
) -> None:
    port, proc = server
    # 15 each from 20 addresses: under the per-address share, over the descriptors.
    sockets: list[socket.socket] = []
    for n in range(10, 30):
        sockets += await asyncio.to_thread(_half_open, port, f"127.0.0.{n}", 15)
    try:
        deadline = time.monotonic() + 10
        status = 0
        while status not in (200, 201):  # served at the latest once the slow ones are cut
            assert time.monotonic() < deadline, "real requests were never served"
            try:
                status = await _real_request(port)
            except httpx.TransportError:
                await asyncio.sleep(0.2)
    finally:
        for s in sockets:
            s.close()
    proc.terminate()
    _out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert err.count(b"Too many open files") < 5, err[-2000:]


async def test_a_repeated_loop_error_is_logged_once_per_interval() -> None:
    clock = [0.0]
    handler = OncePerInterval(10.0, clock=lambda: clock[0])
    said = [handler.allow("accept(): Too many open files") for _ in range(1000)]
    assert said[0] == (True, 0) and not any(ok for ok, _ in said[1:])
    clock[0] = 11.0
    assert handler.allow("accept(): Too many open files") == (True, 999)
