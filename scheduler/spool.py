"""Import the callback spool: requests the PBX's own script left while the controller was down.

The dialplan's callback script (:mod:`dialplan.agi_scripts.callback_spool`)
writes one JSON file per call into ``new/`` of the spool folder. Each file is
read (:class:`scheduler.spool_folder.SpoolFolder`: never through a link, its
type and size checked before a byte is read), checked field by field (pure
:func:`parse_spool_file`), recorded through the one owner of callback
requests with the call id as its idempotency key (stored as
``spool:<call id>``), and only then removed: a crash between the two records
nothing twice. An entry that cannot be used goes to ``bad/`` with a
``.error`` file beside it saying why, and the rest of the spool still goes
in: one file's failure never stops the loop.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scheduler.intake import KeyReused, NewRequest, record
from scheduler.requests import RequestSource
from scheduler.spool_folder import EntryRefused, SpoolFolder, shown
from scheduler.timing.choice import TimingConfig, asks_conventional
from spillway.errors import StorageError
from spillway.plain_files import NotPlain, read_plain
from spillway.storage import Store, Transaction
from spillway.wording import Wording, worded

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MAX_FILE_BYTES = 16_384
MAX_FILES_PER_RUN = 1_000
# A request older than this is no callback any more (and an absurd time, such as
# -1e20, would break every display of it): the file is set aside.
MAX_AGE_S = 30 * 86_400
_FIELDS = (
    "version",
    "phone",
    "call_id",
    "channel",
    "requested_at",
    "source",
    "reason",
    "after_request",
    "timing",  # "conventional": the menu's plain-callback key
)
DEFAULT_REASON = "DTMF menu while the controller was down"
# What a new request made on a callback ("no agent was free, call me back
# another time") keeps from the request it was dialled for: what it was about.
CARRIED_CONTEXT = ("topic", "intent", "intents", "order_number", "case_id", "summary")


class SpoolFileError(ValueError):
    """This spool file cannot be imported; the message says why (a :class:`Wording` of
    ``cli.spool`` in console.yaml, or a foreign message as it came)."""

    def __init__(self, reason: Wording | str) -> None:
        super().__init__(str(reason))
        self.reason = reason


def _refused(key: str, **values: object) -> SpoolFileError:
    return SpoolFileError(worded(f"cli.spool.{key}", **values))


@dataclass(frozen=True, slots=True)
class SpoolReport:
    imported: list[int] = field(default_factory=list)  # request ids
    # (file name, reason): in bad/; the reason in the pack's words, said when shown
    bad: list[tuple[str, Wording | str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file name, why): left in new/


def _reason(exc: EntryRefused | SpoolFileError | KeyReused) -> Wording | str:
    """Why a file is set aside, in the pack's words where it has them."""
    if isinstance(exc, KeyReused):
        return exc.wording or exc.message
    return exc.reason


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _text(body: dict[str, Any], name: str, *, limit: int, required: bool) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise _refused("text_needed", name=name, most=limit)
    if not value.isprintable():
        raise _refused("control_characters", name=name)
    return value


def _requested_at(value: Any, now: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _refused("requested_at_number")
    try:
        asked = float(value)
    except OverflowError:
        asked = math.inf
    if not math.isfinite(asked) or asked < now - MAX_AGE_S:
        raise _refused("requested_at_old", value=str(value)[:30], days=MAX_AGE_S // 86_400)
    # The file's clock is the PBX's: a time in the future is not believed.
    return min(asked, now)


def parse_spool_file(data: bytes, *, now: float) -> tuple[NewRequest, float]:
    """A spool file's request and when the caller asked (pure); every field checked."""
    if len(data) > MAX_FILE_BYTES:
        raise _refused("too_large", most=MAX_FILE_BYTES)
    try:
        body = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, NaN, 5,000 digits
        raise _refused("not_json", problem=exc) from None
    except RecursionError:
        raise _refused("too_deep") from None
    if not isinstance(body, dict):
        raise _refused("not_object")
    unknown = sorted(name for name in body if name not in _FIELDS)
    if unknown:
        names = ", ".join(map(repr, unknown))[:200]
        raise SpoolFileError(Wording("cli.spool.unknown_fields", {"names": names}, len(unknown)))
    version = body.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise _refused("version", version=json.dumps(version)[:20], expected=FORMAT_VERSION)
    phone = _text(body, "phone", limit=80, required=True)
    call_id = _text(body, "call_id", limit=80, required=True)
    channel = _text(body, "channel", limit=200, required=False)
    if body.get("source", "spool") != "spool":
        raise _refused("source")
    asked = _requested_at(body.get("requested_at"), now)
    reason = _text(body, "reason", limit=80, required=False)
    context: dict[str, Any] = {"channel": channel[:120]}
    after = body.get("after_request")
    if after is not None:
        if type(after) is not int or not 0 < after < 2**53:
            raise _refused("after_request")
        context["after_request"] = after
    timing = body.get("timing")
    try:
        plain = asks_conventional(timing) if isinstance(timing, str | None) else None
    except ValueError as exc:
        raise SpoolFileError(str(exc)) from None
    if plain is None:
        raise _refused("timing")
    request = NewRequest(
        phone=phone,
        source=RequestSource.SPOOL,
        traditional=plain,
        reason=reason or DEFAULT_REASON,
        call_id=call_id,
        context=context,
        idempotency_key=call_id,
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
    store: Store,
    spool: Path,
    *,
    region: str,
    default_timezone: str,
    now: float,
    allowed_countries: Collection[str] | None = None,
    hash_key: bytes | None = None,
    timing: TimingConfig | None = None,
) -> SpoolReport:
    """Record every file in ``spool``/new; set the bad ones aside. Blocking: run in a worker.

    A database that cannot begin or commit (:class:`StorageError`) stops the
    run: the files stay for the next one.
    """
    report = SpoolReport()
    with SpoolFolder.open(spool) as folder:
        if folder is None:
            return report
        for name in folder.names(".json")[:MAX_FILES_PER_RUN]:
            try:
                _import_one(
                    store,
                    folder,
                    name,
                    report,
                    region,
                    default_timezone,
                    now,
                    allowed_countries=allowed_countries,
                    hash_key=hash_key,
                    timing=timing,
                )
            except StorageError:
                raise
            except Exception as exc:  # this file only: the rest of the spool still goes in
                log.error("callback spool: %s left in new/: %s", shown(name), exc)
                report.failed.append((shown(name), str(exc)))
    return report


def _import_one(
    store: Store,
    folder: SpoolFolder,
    name: str,
    report: SpoolReport,
    region: str,
    default_timezone: str,
    now: float,
    *,
    allowed_countries: Collection[str] | None,
    hash_key: bytes | None,
    timing: TimingConfig | None,
) -> None:
    try:
        data = folder.read(name, max_bytes=MAX_FILE_BYTES)
        if data is None:  # another node imported it meanwhile
            return
        request, asked = parse_spool_file(data, now=now)
        with store.transaction() as tx:
            recorded = record(
                tx,
                with_earlier_context(tx, request),
                region=region,
                now=asked,
                default_timezone=default_timezone,
                allowed_countries=allowed_countries,
                hash_key=hash_key,
                timing=timing,
            )
    except (EntryRefused, SpoolFileError, KeyReused) as exc:
        reason = _reason(exc)
        target = folder.set_aside(name, str(reason))
        log.error(
            "callback spool: %s set aside in %s/bad as %s: %s",
            shown(name),
            folder.path,
            shown(target or "-"),
            reason,
        )
        report.bad.append((shown(name), reason))
        return
    # Recorded (or already there, from a run that died before this line): done.
    folder.remove(name)
    report.imported.append(recorded.id)
    if not recorded.replayed:
        log.info("callback spool: %s recorded as request %d", shown(name), recorded.id)


def forget_spooled(spool: Path, forms: tuple[str, ...]) -> int:
    """Remove the spool files (waiting in ``new/``, or set aside in ``bad/`` with their
    ``.error``) that hold any of a forgotten person's number ``forms``; how many.

    Erasure reaches these copies too, and a waiting file would otherwise
    record the person again after they were forgotten. Each name is opened
    as the import opens it (no link followed, no FIFO waited on, no file
    over the spool's size read), relative to its folder's descriptor.
    """
    needles = [form.encode() for form in forms]
    removed = 0
    for sub in ("new", "bad"):
        try:
            dir_fd = os.open(spool / sub, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except (FileNotFoundError, NotADirectoryError, OSError):
            continue
        try:
            for name in os.listdir(dir_fd):
                if name.endswith(".error"):
                    continue
                try:
                    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
                except OSError:  # imported meanwhile, or a link: nothing of theirs to read
                    continue
                try:
                    data = read_plain(fd, MAX_FILE_BYTES)
                except (NotPlain, OSError):
                    continue
                finally:
                    os.close(fd)
                if any(needle in data for needle in needles):
                    for gone in (name, name + ".error"):
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(gone, dir_fd=dir_fd)
                    removed += 1
        finally:
            os.close(dir_fd)
    return removed
