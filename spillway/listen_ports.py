"""Ports for listeners that close and open again: outside the kernel's ephemeral range.

A throw-away sandbox (tests, benchmarks, `spillway pbx sandbox up`) fixes its FastAGI,
media, AMI and HTTP ports once, then starts and stops listeners on them many times. A
port from the ephemeral range (``net.ipv4.ip_local_port_range``, 32768-60999 by default)
can meanwhile be taken as the local end of any outgoing connection (Asterisk dialling
our media server, an HTTP client), and the next listener then fails with "address
already in use". Ports below that range are handed out only to whoever binds them.
"""

from __future__ import annotations

import random
import socket
import threading
from pathlib import Path

EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
DEFAULT_EPHEMERAL = (32768, 60999)
LOWEST_PORT = 10000  # below it sit the well-known services (PostgreSQL 5432, Asterisk 5060, ...)
# From 20000 up a sandbox's Asterisk takes its RTP (UDP) ports (dialplan/sandbox.py), and
# the SIP port this module hands out is UDP too.
HIGHEST_PORT = 19999
TRIES = 200

_given: set[int] = set()
_lock = threading.Lock()
_random = random.SystemRandom()


def ephemeral_range(text: str | None = None) -> tuple[int, int]:
    """The kernel's range for outgoing connections' local ports (Linux's file, or its default)."""
    if text is None:
        try:
            text = EPHEMERAL_RANGE_FILE.read_text(encoding="ascii")
        except OSError:
            return DEFAULT_EPHEMERAL
    parts = text.split()
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        return DEFAULT_EPHEMERAL
    low, high = int(parts[0]), int(parts[1])
    return (low, high) if 0 < low <= high <= 65535 else DEFAULT_EPHEMERAL


def candidate_ranges(ephemeral: tuple[int, int]) -> list[tuple[int, int]]:
    """The port ranges to pick from (inclusive bounds), best first: between the
    well-known services and the sandboxes' RTP ports, else above ``ephemeral``."""
    low, high = ephemeral
    ranges = [(LOWEST_PORT, min(HIGHEST_PORT, low - 1)), (high + 1, 65535)]
    return [(a, b) for a, b in ranges if b - a >= 100]


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now, outside the ephemeral range where one is
    left, and never the same twice in this process (two listeners asked for at once)."""
    ranges = candidate_ranges(ephemeral_range())
    with _lock:
        for _ in range(TRIES if ranges else 0):
            port = _random.randint(*ranges[0])
            if port not in _given and _bindable(host, port):
                _given.add(port)
                return port
        # A machine whose whole port space is ephemeral: the kernel's own pick.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        _given.add(port)
        return port
