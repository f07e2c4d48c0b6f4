"""`spillway serve` logs what an admin needs, in the configured shape, numbers masked."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path

import pytest

from dialplan.sandbox import free_port
from spillway.logs import MaskPhoneNumbers, mask_numbers


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("SMS 1 to +4520123456 not sent", "SMS 1 to +********56 not sent"),
        ("caller 4520123456, typed 20 12 34 56", "caller ********56, typed ******56"),
        ("call 1733080000.42 -> bot", "call 1733080000.42 -> bot"),  # call ids stay
        ("tracking 00340434161094042, order 10042", "tracking 00340434161094042, order 10042"),
        ("listening on 127.0.0.1:14573", "listening on 127.0.0.1:14573"),
        # Numbers inside channels and dial strings too (callbacks list --json's context).
        ("Local/4520123456@spillway-cb", "Local/********56@spillway-cb"),
        ("PJSIP/+4520123456@trunk", "PJSIP/+********56@trunk"),
        ("sip:+4520123456@pbx.example", "sip:+********56@pbx.example"),
        ("GET /api/requests/12345678901 200", "GET /api/requests/12345678901 200"),
    ],
)
def test_phone_numbers_are_masked_and_nothing_else(text: str, masked: str) -> None:
    assert mask_numbers(text) == masked


def test_the_filter_masks_arguments_too() -> None:
    record = logging.LogRecord("x", logging.INFO, "f", 1, "to %s: %s", ("+4520123456", "ok"), None)
    assert MaskPhoneNumbers().filter(record)
    assert record.getMessage() == "to +********56: ok"


@pytest.mark.asyncio(loop_scope="session")
async def test_serve_logs_each_routing_decision_as_json_lines(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "SPILLWAY_CONFIG": str(tmp_path / "none.yaml"),
        "SPILLWAY_SECRETS_FILE": str(tmp_path / "secrets.env"),
        "SPILLWAY_LOGGING__JSON_LINES": "true",
        "SPILLWAY_LOGGING__LEVEL": "INFO",
        "SPILLWAY_CONTROLLER__FASTAGI_PORT": str(port),
        "SPILLWAY_CONTROLLER__AUDIOSOCKET_PORT": str(free_port()),
        "SPILLWAY_CONTROLLER__WEBSOCKET_PORT": str(free_port()),
        "SPILLWAY_STORAGE__SQLITE_PATH": str(tmp_path / "s.db"),
        # No such voice: serve starts at once without a bot (callers keep the queue and
        # the DTMF menu), which is quick, and still routes and logs every call.
        "SPILLWAY_SPEECH__PIPER_VOICE": "en_US-nobody-medium",
    }
    (tmp_path / "none.yaml").write_text("{}\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "serve", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline, "serve did not start"
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.2)
        writer.write(
            b"agi_network_script: inbound\nagi_uniqueid: 1733080000.42\n"
            b"agi_callerid: 4520123456\nagi_channel: Local/x\nagi_arg_1: 0\nagi_arg_2: 0\n\n"
        )
        # Answer every command, as Asterisk would, until the route is done.
        while await asyncio.wait_for(reader.readline(), 15):
            writer.write(b"200 result=1\n")
            await writer.drain()
        writer.close()
        await asyncio.sleep(0.5)
    finally:
        proc.terminate()
        _out, err = await asyncio.wait_for(proc.communicate(), 30)
    lines = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    messages = [line["message"] for line in lines]
    assert all({"at", "level", "logger", "message"} <= set(line) for line in lines)
    routed = [m for m in messages if m.startswith("call 1733080000.42 from ")]
    assert routed == [
        "call 1733080000.42 from ********56 -> queue (overflow wanted but the bot is not ready)"
    ], messages
    assert any(m.startswith("speech bot disabled: ") for m in messages), messages
    assert "4520123456" not in err.decode()
    assert any(m.startswith("serving: FastAGI") for m in messages), messages
    # Which configuration file is in force is said at start.
    assert f"configuration: {tmp_path / 'none.yaml'} (from $SPILLWAY_CONFIG)" in err.decode()
