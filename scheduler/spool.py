"""Import the callback spool: requests the PBX's own script left while the controller was down.

The dialplan's callback script (:mod:`dialplan.agi_scripts.callback_spool`)
writes one JSON file per call into ``new/`` of the spool folder. Each file is
read (pure :func:`parse_spool_file`), recorded through the one owner of
callback requests with the idempotency key ``spool:<call id>``, and only then
removed: a crash between the two records nothing twice. A file that cannot
be used goes to ``bad/`` with a ``.error`` file beside it saying why, and the
rest of the spool still goes in.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from scheduler.requests import NewRequest, RequestSource, record
from spillway.storage import Store

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MAX_FILE_BYTES = 16_384
MAX_FILES_PER_RUN = 1_000


class SpoolFileError(ValueError):
    """This spool file cannot be imported; the message says why."""


@dataclass(frozen=True, slots=True)
class SpoolReport:
    imported: list[int] = field(default_factory=list)  # request ids
    bad: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)


def parse_spool_file(data: bytes, *, now: float) -> tuple[NewRequest, float]:
    """A spool file's request and when the caller asked (pure)."""
    if len(data) > MAX_FILE_BYTES:
        raise SpoolFileError(f"larger than {MAX_FILE_BYTES} bytes")
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpoolFileError(f"not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise SpoolFileError("not a JSON object")
    if body.get("version") != FORMAT_VERSION:
        raise SpoolFileError(f"version {body.get('version')!r}, expected {FORMAT_VERSION}")
    phone, call_id = body.get("phone"), body.get("call_id")
    for name, value in (("phone", phone), ("call_id", call_id)):
        if not isinstance(value, str) or not value.strip() or len(value) > 80:
            raise SpoolFileError(f"{name}: a non-empty string of at most 80 characters needed")
    asked = body.get("requested_at")
    if isinstance(asked, bool) or not isinstance(asked, int | float):
        raise SpoolFileError("requested_at: a number (UNIX seconds) needed")
    # The file's clock is the PBX's: a time in the future is not believed.
    asked = min(float(asked), now)
    assert isinstance(phone, str) and isinstance(call_id, str)
    request = NewRequest(
        phone=phone,
        source=RequestSource.SPOOL,
        reason="DTMF menu while the controller was down",
        call_id=call_id,
        context={"channel": str(body.get("channel", ""))[:120]},
        idempotency_key=f"spool:{call_id}",
    )
    return request, asked


def import_spool(
    store: Store, spool: Path, *, region: str, default_timezone: str, now: float
) -> SpoolReport:
    """Record every file in ``spool``/new; set the bad ones aside. Blocking: run in a worker."""
    report = SpoolReport()
    new = spool / "new"
    try:
        names = sorted(p.name for p in new.iterdir() if p.suffix == ".json")
    except FileNotFoundError:
        return report
    for name in names[:MAX_FILES_PER_RUN]:
        path = new / name
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # another node imported it meanwhile
            continue
        try:
            request, asked = parse_spool_file(data, now=now)
        except SpoolFileError as exc:
            _set_aside(spool, path, str(exc))
            report.bad.append((name, str(exc)))
            continue
        with store.transaction() as tx:
            recorded = record(
                tx, request, region=region, now=asked, default_timezone=default_timezone
            )
        # Recorded (or already there, from a run that died before this line): done.
        path.unlink(missing_ok=True)
        report.imported.append(recorded.id)
        if not recorded.replayed:
            log.info("callback spool: %s recorded as request %d", name, recorded.id)
    return report


def _set_aside(spool: Path, path: Path, reason: str) -> None:
    bad = spool / "bad"
    bad.mkdir(exist_ok=True)
    log.error("callback spool: %s set aside in %s: %s", path.name, bad, reason)
    (bad / f"{path.name}.error").write_text(reason + "\n", encoding="utf-8")
    os.replace(path, bad / path.name)


def forget_spooled(spool: Path, forms: tuple[str, ...]) -> int:
    """Remove the spool files (waiting in ``new/``, or set aside in ``bad/`` with their
    ``.error``) that hold any of a forgotten person's number ``forms``; how many.

    Erasure reaches these copies too, and a waiting file would otherwise
    record the person again after they were forgotten.
    """
    needles = [form.encode() for form in forms]
    removed = 0
    for folder in (spool / "new", spool / "bad"):
        try:
            paths = [p for p in folder.iterdir() if p.suffix == ".json"]
        except FileNotFoundError:
            continue
        for path in paths:
            try:
                data = path.read_bytes()
            except FileNotFoundError:  # imported meanwhile
                continue
            if any(needle in data for needle in needles):
                path.unlink(missing_ok=True)
                path.with_name(path.name + ".error").unlink(missing_ok=True)
                removed += 1
    return removed
