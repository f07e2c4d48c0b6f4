#!/usr/bin/env python3
"""Spillway's callback spool: a classic AGI script that Asterisk runs itself.

When `spillway serve` cannot be asked (stopped, restarting, unreachable),
the dialplan's DTMF menu ("3 = call me back") runs this script instead of
asking the FastAGI controller. It leaves the request in a spool folder, one
JSON file per call, which the scheduler imports (`spillway scheduler run`
does on every poll; `spillway callbacks import-spool` once). So no request
is lost because the controller was down.

It runs on the PBX with nothing of Spillway's: Python 3 and pyst2
(``pip install pyst2``). Dialplan: ``AGI(spillway-callback-spool.py,<spool folder>)``.

Each file is written under ``tmp/``, flushed to disk, then renamed into
``new/`` (the maildir way), so the importer never reads half a file. On
success the script sets ``SPILLWAY_CALLBACK_ID`` to ``spool:<uniqueid>``;
on failure it leaves it empty, says why in ``SPILLWAY_CALLBACK_ERROR`` and
the Asterisk log, and the dialplan keeps the caller in the queue.
"""

from __future__ import annotations

import json
import os
import sys
import time

FORMAT_VERSION = 1
# A file name is the call's uniqueid; only these characters reach the disk.
_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")


def safe_name(uniqueid: str) -> str:
    """A file name from a uniqueid that cannot leave the spool folder."""
    name = "".join(ch if ch in _SAFE else "_" for ch in uniqueid)[:80].lstrip(".")
    if not name:
        raise ValueError("the channel has no uniqueid")
    return name


def spool_request(spool_dir: str, request: dict) -> str:
    """Write ``request`` into ``spool_dir``/new atomically; return the file's path."""
    name = safe_name(str(request["call_id"])) + ".json"
    tmp_dir = os.path.join(spool_dir, "tmp")
    new_dir = os.path.join(spool_dir, "new")
    for folder in (tmp_dir, new_dir):
        os.makedirs(folder, mode=0o770, exist_ok=True)
    tmp_path = os.path.join(tmp_dir, name)
    final = os.path.join(new_dir, name)
    data = json.dumps(request, sort_keys=True).encode("utf-8")
    # Anyone in Asterisk's group can plant a link at tmp/<name>: remove whatever is
    # there and create the file afresh, never writing through a link.
    try:
        os.unlink(tmp_path)
    except FileNotFoundError:
        pass
    fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o660)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp_path, final)
    # The rename itself must survive a power cut too.
    dir_fd = os.open(new_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return final


def request_from(
    env: dict,
    caller: str,
    call_id: str,
    reason: str = "",
    after_request: str = "",
    timing: str = "",
) -> dict:
    """The spool record for this call, from the AGI environment and channel variables.

    ``reason`` and ``after_request`` are set on a called-back customer's
    channel (no agent was free; the request it was dialled for).
    """
    request = {
        "version": FORMAT_VERSION,
        "phone": caller or env.get("agi_callerid", ""),
        "call_id": call_id or env.get("agi_uniqueid", ""),
        "channel": env.get("agi_channel", ""),
        "requested_at": time.time(),
        "source": "spool",
    }
    if reason:
        request["reason"] = reason[:80]
    if after_request.isdigit():
        request["after_request"] = int(after_request)
    if timing == "conventional":  # the menu's plain-callback key (SPILLWAY_TIMING)
        request["timing"] = timing
    return request


def main(argv: list) -> int:
    # A PBX without pyst2 installed may carry a copy in pylib/ beside this script
    # (the sandbox does: Debian packages no pyst2).
    pylib = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pylib")
    if os.path.isdir(pylib):
        sys.path.insert(0, pylib)
    from asterisk.agi import AGI  # pyst2; imported here so the helpers above need none

    agi = AGI()
    try:
        if len(argv) < 2 or not argv[1]:
            raise ValueError("no spool folder given: AGI(spillway-callback-spool.py,<folder>)")
        caller = agi.get_variable("SPILLWAY_CALLER")
        call_id = agi.get_variable("SPILLWAY_CALL_ID")
        reason = agi.get_variable("SPILLWAY_CALLBACK_REASON")
        after = agi.get_variable("SPILLWAY_REQUEST_ID")
        timing = agi.get_variable("SPILLWAY_TIMING")
        request = request_from(agi.env, caller, call_id, reason or "", after or "", timing or "")
        spool_request(argv[1], request)
        agi.set_variable("SPILLWAY_CALLBACK_ID", "spool:" + safe_name(str(request["call_id"])))
        return 0
    except Exception as exc:  # the caller must stay in the queue, whatever broke
        message = "spillway-callback-spool: " + str(exc).replace('"', "'")[:200]
        agi.verbose(message, 1)
        agi.set_variable("SPILLWAY_CALLBACK_ERROR", message)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
