"""Listener ports for throw-away sandboxes come from outside the kernel's ephemeral range."""

from __future__ import annotations

import socket

from dialplan.sandbox import throwaway_settings
from spillway.listen_ports import DEFAULT_EPHEMERAL, candidate_ranges, ephemeral_range, free_port


def test_the_kernels_range_is_read_and_bad_text_falls_back_to_linuxs_default() -> None:
    assert ephemeral_range("32768\t60999\n") == (32768, 60999)
    assert ephemeral_range("1024 65535") == (1024, 65535)
    assert ephemeral_range("nonsense") == DEFAULT_EPHEMERAL
    assert ephemeral_range("60999 32768") == DEFAULT_EPHEMERAL


def test_ports_are_picked_outside_the_ephemeral_range() -> None:
    assert candidate_ranges((32768, 60999)) == [(10000, 19999), (61000, 65535)]
    assert candidate_ranges((15000, 65000)) == [(10000, 14999), (65001, 65535)]
    assert candidate_ranges((10000, 60000)) == [(60001, 65535)]
    # Everything ephemeral: nothing outside to pick from, so the kernel picks.
    assert candidate_ranges((1024, 65535)) == []


def test_a_free_port_is_bindable_outside_the_range_and_never_handed_out_twice() -> None:
    low, high = ephemeral_range()
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    assert all(not low <= port <= high for port in ports)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[-1]))  # still free: nothing else was given it


def test_a_sandboxs_listeners_get_distinct_ports_outside_the_range() -> None:
    low, high = ephemeral_range()
    settings = throwaway_settings("ports-test")
    ports = [
        settings.pbx.ami_port,
        settings.pbx.sip_port,
        settings.pbx.http_port,
        settings.controller.fastagi_port,
        settings.controller.audiosocket_port,
        settings.controller.websocket_port,
    ]
    assert len(set(ports)) == len(ports)
    assert all(not low <= port <= high for port in ports)
