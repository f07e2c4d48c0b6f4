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

import dataclasses
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scheduler.requests import NewRequest, RequestSource, record
from spillway.storage import Store, Transaction

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MAX_FILE_BYTES = 16_384
MAX_FILES_PER_RUN = 1_000
DEFAULT_REASON = "DTMF menu while the controller was down"
# What a new request made on a callback ("no agent was free, call me back
# another time") keeps from the request it was dialled for: what it was about.
CARRIED_CONTEXT = ("topic", "intent", "intents", "order_number", "case_id", "summary")


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
    reason = body.get("reason")
    context: dict[str, Any] = {"channel": str(body.get("channel", ""))[:120]}
    after = body.get("after_request")
    if isinstance(after, int) and not isinstance(after, bool):
        context["after_request"] = after
    request = NewRequest(
        phone=phone,
        source=RequestSource.SPOOL,
        reason=reason[:80] if isinstance(reason, str) and reason.strip() else DEFAULT_REASON,
        call_id=call_id,
        context=context,
        idempotency_key=f"spool:{call_id}",
    )
    return request, asked


def with_earlier_context(tx: Transaction, request: NewRequest) -> NewRequest:
    """A request made on a callback keeps what the earlier request was about."""
    after = request.context.get("after_request")
    if after is None:
        return request
    rows = tx.query("SELECT context FROM callback_requests WHERE id = :id", {"id": after})
    try:
        earlier = json.loads(rows[0]["context"] or "{}") if rows else {}
    except ValueError:
        earlier = {}
    if not isinstance(earlier, dict):
        return request
    carried = {k: earlier[k] for k in CARRIED_CONTEXT if k in earlier}
    return dataclasses.replace(request, context={**carried, **request.context})


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
                tx,
                with_earlier_context(tx, request),
                region=region,
                now=asked,
                default_timezone=default_timezone,
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
