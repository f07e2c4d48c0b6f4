"""Callback requests from a CSV file: every bad row named by its line, the good rows kept.

Columns (a header row is required; only ``phone`` must be there):
``phone, name, reason, timezone, segment, consent, traditional, not_before,
not_after, idempotency_key``. Times are ISO 8601 (``2026-03-02T14:00+01:00``;
without an offset, the customer's time zone). ``consent`` and ``traditional``
are yes/no, true/false or 1/0.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.requests import NewRequest, RequestSource
from spillway.phone import callable_phone, timezone_for

COLUMNS = (
    "phone",
    "name",
    "reason",
    "timezone",
    "segment",
    "consent",
    "traditional",
    "not_before",
    "not_after",
    "idempotency_key",
)
MAX_ROWS = 100_000
_TRUE = {"1", "yes", "y", "true", "t", "ja"}
_FALSE = {"", "0", "no", "n", "false", "f", "nej"}


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ParsedCsv:
    requests: list[tuple[int, NewRequest]]  # (line, request)
    errors: list[RowError]


class CsvError(ValueError):
    """The file as a whole is unusable (no header, no phone column)."""


def parse_csv(
    text: str,
    *,
    region: str,
    default_timezone: str,
    allowed_countries: Collection[str] | None = None,
) -> ParsedCsv:
    """Every row as a request, or as an error naming its line (pure)."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise CsvError("the file is empty: expected a header row with at least 'phone'")
    header = [(name or "").strip().lower() for name in reader.fieldnames]
    if "phone" not in header:
        raise CsvError(f"no 'phone' column in the header ({', '.join(header) or 'nothing'})")
    unknown = [name for name in header if name and name not in COLUMNS]
    if unknown:
        raise CsvError(f"unknown column(s): {', '.join(unknown)}; known: {', '.join(COLUMNS)}")
    reader.fieldnames = header
    good: list[tuple[int, NewRequest]] = []
    errors: list[RowError] = []
    for row in reader:
        line = reader.line_num
        if len(good) + len(errors) >= MAX_ROWS:
            errors.append(RowError(line, f"more than {MAX_ROWS} rows: the rest is not read"))
            break
        try:
            good.append((line, _request(row, region, default_timezone, allowed_countries)))
        except ValueError as exc:
            errors.append(RowError(line, str(exc)))
    return ParsedCsv(good, errors)


def _request(
    row: dict[str, str | None],
    region: str,
    default_timezone: str,
    allowed_countries: Collection[str] | None = None,
) -> NewRequest:
    if None in row:
        raise ValueError("more fields than the header has")
    value = {k: (v or "").strip() for k, v in row.items() if k}
    phone = value.get("phone", "")
    if not phone:
        raise ValueError("phone is empty")
    e164, problem = callable_phone(phone, region, allowed_countries=allowed_countries)
    if e164 is None:
        raise ValueError(f"phone {phone!r}: {problem}")
    tz = value.get("timezone") or timezone_for(e164, default_timezone)
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone {tz!r} is not an IANA time zone name") from None
    not_before = _time(value.get("not_before", ""), "not_before", zone)
    not_after = _time(value.get("not_after", ""), "not_after", zone)
    if not_before is not None and not_after is not None and not_after <= not_before:
        raise ValueError("not_after must be later than not_before")
    return NewRequest(
        phone=e164,
        source=RequestSource.CSV,
        reason=value.get("reason", "")[:200] or "csv import",
        name=value.get("name", "")[:100] or None,
        timezone=tz,
        segment=value.get("segment", "")[:40] or None,
        consent=_flag(value.get("consent", ""), "consent"),
        traditional=_flag(value.get("traditional", ""), "traditional"),
        not_before=not_before,
        not_after=not_after,
        idempotency_key=value.get("idempotency_key", "")[:100] or None,
    )


def _flag(text: str, name: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{name} {text!r}: expected yes or no")


def _time(text: str, name: str, zone: ZoneInfo) -> float | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} {text!r}: expected an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()
