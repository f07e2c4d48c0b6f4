"""Callback requests from a CSV file: every bad row named by its line, the good rows kept.

Columns (a header row is required; only ``phone`` must be there):
``phone, name, reason, timezone, segment, consent, traditional, timing,
not_before, not_after, idempotency_key``, or their names in any language pack
(``telefon, navn, årsag``: :mod:`scheduler.csv_columns`). Columns are separated by
commas, semicolons (a Danish Excel's default), tabs or bars: the one that makes a
phone column of the header is taken. Other columns (a CRM's ``note``) are ignored
with a warning, or refused with ``strict``. Times are ISO 8601
(``2026-03-02T14:00+01:00``) or day first as Danish Excel writes them
(``07-12-2026 09:00``; :mod:`scheduler.csv_times`); without an offset, the
customer's time zone.
``consent`` and ``traditional`` are yes/no, ja/nej, true/false or 1/0; ``timing``
``conventional`` (the customer asked for a plain callback, like
``traditional: yes``) or empty. A row whose ``consent`` says no is refused
(``callback.no_consent``): a callback is a call to a real person, made only when
they asked for it, and a refused row stores nothing. An empty ``consent`` cell (or
no such column) says nothing either way, and the row goes in as before.

A quote left open swallows the rows after it into one field: a field that
runs over several lines and holds what looks like a row of its own is
refused with the lines it spans, so no row vanishes silently. A field past
the csv module's limit (an open quote, or not a CSV at all) ends the reading
with its line. Refused numbers are kept whole in :class:`RowError` and masked
when printed, unless asked for in full. Every reason is a :class:`Wording` of the
language pack (``cli.csv`` in console.yaml), said in the admin's language when printed,
with a code that is the same in every language (``callback.bad_phone``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.csv_columns import COLUMNS, ColumnList, column_names, header_key, phone_names
from scheduler.csv_times import Unreadable, read_time
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from scheduler.timing.choice import asks_conventional
from spillway.console_text import ConsoleText
from spillway.phone import mask_phone, normalise_phone, phone_refusal, timezone_for
from spillway.wording import Wording, worded

CODE_PREFIX = "callback"  # a refused row's code: callback.<name>
MAX_ROWS = 100_000
DELIMITERS = (",", ";", "\t", "|")
_TRUE = {"1", "yes", "y", "true", "t", "ja"}
_FALSE = {"", "0", "no", "n", "false", "f", "nej"}
# A time outside these years is a typo or a hostile value, not a callback window.
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
_LATEST = datetime(2100, 1, 1, tzinfo=UTC).timestamp()


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    code: str  # why, the same in every language: "callback.bad_phone"
    reason: Wording | str  # a Wording of the pack; a str: a foreign message, as it came
    phone: str | None = None  # the number refused, kept whole; masked when printed

    @classmethod
    def named(
        cls, line: int, name: str, reason: Wording | str, phone: str | None = None
    ) -> RowError:
        """The refusal ``callback.<name>`` of the row at ``line``."""
        return cls(line, f"{CODE_PREFIX}.{name}", reason, phone)

    def wording(self, *, full: bool = False) -> Wording:
        """The refusal with its line and code (and the number, masked unless ``full``)."""
        row = {"line": self.line, "reason": self.reason, "code": self.code}
        if self.phone is None:
            return Wording("cli.csv.row", row)
        shown = self.phone if full else _masked(self.phone)
        return Wording("cli.csv.row_phone", {**row, "phone": repr(shown)})

    def text(self, *, full: bool = False) -> str:
        """:meth:`wording` in English."""
        return str(self.wording(full=full))

    def said(self, text: ConsoleText, *, full: bool = False) -> str:
        """:meth:`wording` in ``text``'s language."""
        return self.wording(full=full).said(text)

    def __str__(self) -> str:
        return self.text()

    @property
    def as_asked(self) -> bool:
        """Refused because the customer asked not to be called (see :data:`AS_ASKED`)."""
        return self.code in AS_ASKED


# The refusals that are the import working as meant, not a fault in the file: the
# customer is on the do-not-call list, or their row's consent says no. A nightly import
# that refused only these has nothing to fix (exit 0); any other refusal is a row someone
# must correct (exit 1), so a cron job's failure mail means work to do.
AS_ASKED = frozenset({f"{CODE_PREFIX}.do_not_call", f"{CODE_PREFIX}.no_consent"})


def to_fix(errors: Collection[RowError]) -> list[RowError]:
    """The refused rows someone must correct: every refusal but those :data:`AS_ASKED`."""
    return [error for error in errors if not error.as_asked]


def _masked(value: str) -> str:
    # A value with a number in it is masked; one with hardly any digits holds none.
    return mask_phone(value) if sum(c.isdigit() for c in value) > 2 else value


@dataclass(frozen=True, slots=True)
class ParsedCsv:
    requests: list[tuple[int, NewRequest]]  # (line, request)
    errors: list[RowError]
    warnings: list[Wording] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Header:
    """The header's columns (a known one by its English name, another as written,
    normalised) and how the file writes each known one (``not_before``: "tidligst")."""

    columns: list[str]
    written: dict[str, str]


class CsvError(ValueError):
    """The file as a whole is unusable (no header, no phone column): a language-pack
    wording (``cli.csv`` in console.yaml, ``cli.signals`` for the signals' files; one
    that counts columns in singular and plural). ``str()`` is the English one,
    :meth:`said` the one in another pack."""

    def __init__(self, wording: Wording) -> None:
        super().__init__(str(wording))
        self.wording = wording

    @classmethod
    def counted(cls, key: str, n: int, **values: object) -> CsvError:
        """The error worded by ``key`` for ``n`` things (``key.one``/``key.other``)."""
        return cls(Wording(key, values, n))

    def said(self, text: ConsoleText) -> str:
        """The message in ``text``'s language."""
        return self.wording.said(text)


class _Refused(ValueError):
    """A row refused: ``name`` (its code's), why in the pack's words (and the number,
    when it is what failed)."""

    def __init__(self, name: str, reason: Wording, phone: str | None = None) -> None:
        super().__init__(str(reason))
        self.name = name
        self.reason = reason
        self.phone = phone


def _refused(key: str, **values: object) -> _Refused:
    """The refusal ``callback.<key>``, worded by ``cli.csv.<key>``."""
    return _Refused(key, worded(f"cli.csv.{key}", **values))


def _phone_refusal(why: Wording | None) -> str:
    """The name of a number's refusal (:func:`spillway.phone.phone_refusal`'s words): not
    a number, a kind never called back, or a country callbacks do not dial."""
    if why is None or why.key == "phone.invalid":
        return "bad_phone"
    return "phone_kind" if why.key == "phone.kind_not_called" else "phone_abroad"


def delimiter_for(text: str, columns: Collection[str] = ("phone",)) -> str:
    """The delimiter that makes one of ``columns`` a column of the header; a comma if none
    does (the signals import sniffs with its own columns)."""
    first = text.split("\n", 1)[0]
    for delimiter in DELIMITERS:
        cells = next(csv.reader([first], delimiter=delimiter), [])
        if any(cell.strip().lower() in columns for cell in cells):
            return delimiter
    return ","


def _header(names: list[str], strict: bool) -> tuple[Header, list[Wording]]:
    """The header's columns, each name read in every language, and the warnings about them."""
    cells = [name.strip().lower() for name in names]
    if not cells:
        raise CsvError(worded("cli.csv.empty"))
    known = column_names()
    header = [known.get(header_key(cell), cell) for cell in cells]
    if "phone" not in header:
        shown = ", ".join(cells)[:300]
        raise CsvError(
            worded(
                "cli.csv.no_phone_column",
                header=shown or worded("cli.csv.nothing"),
                columns=ColumnList(),
            )
        )
    twice = sorted({name for name in header if name and header.count(name) > 1})
    if twice:
        # As the file wrote them: "telefon" and "phone" are one column named twice.
        named = [
            ", ".join(repr(c) for c, h in zip(cells, header, strict=True) if h == t) for t in twice
        ]
        raise CsvError.counted("cli.csv.named_twice", len(twice), names="; ".join(named))
    unknown = [name for name in header if name and name not in COLUMNS]
    if unknown and strict:
        raise CsvError.counted(
            "cli.csv.unknown_columns",
            len(unknown),
            names=", ".join(map(repr, unknown)),
            known=ColumnList(),
        )
    warnings = [worded("cli.csv.column_ignored", name=repr(name)) for name in unknown]
    written = {h: c for c, h in zip(cells, header, strict=True) if h in COLUMNS}
    return Header(header, written), warnings


def parse_csv(
    text: str,
    *,
    region: str,
    default_timezone: str,
    strict: bool = False,
    allowed_countries: Collection[str] | None = None,
) -> ParsedCsv:
    """Every row as a request, or as an error naming its line (pure)."""
    delimiter = delimiter_for(text, phone_names())
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        names = next(reader, [])
    except csv.Error as exc:
        raise CsvError(worded("cli.csv.header_unreadable", problem=exc)) from None
    read, warnings = _header(names, strict)
    header = read.columns
    good: list[tuple[int, NewRequest]] = []
    errors: list[RowError] = []
    last = 0  # where the last row started
    while True:
        line = reader.line_num + 1  # where this row starts
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            errors.append(RowError.named(line, "unreadable", unreadable(exc)))
            break
        if cells is None:
            break
        if not cells:  # a blank line
            continue
        last = line
        if len(good) + len(errors) >= MAX_ROWS:
            too_many = worded("cli.csv.too_many_rows", most=MAX_ROWS)
            errors.append(RowError.named(line, "too_many_rows", too_many))
            break
        if reader.line_num > line and _swallows_rows(cells, header, delimiter, region):
            swallowed = worded("cli.csv.swallowed", first=line, last=reader.line_num)
            errors.append(RowError.named(line, "rows_swallowed", swallowed))
            continue
        try:
            good.append((line, _request(read, cells, region, default_timezone, allowed_countries)))
        except _Refused as exc:
            errors.append(RowError.named(line, exc.name, exc.reason, exc.phone))
    refused = {e.line for e in errors}
    if last and last not in refused and quote_left_open(text, last, delimiter):
        # The file ends inside the last row's quote: what that row holds is a guess.
        good = [(at, request) for at, request in good if at != last]
        errors.append(RowError.named(last, "quote_open", worded("cli.csv.quote_open")))
    return ParsedCsv(good, errors, warnings)


def unreadable(exc: csv.Error) -> Wording:
    if "field larger than field limit" in str(exc):
        return worded("cli.csv.field_too_long", most=csv.field_size_limit())
    return worded("cli.csv.unreadable", problem=exc)


def quote_left_open(text: str, line: int, delimiter: str) -> bool:
    """Whether the last row, starting at ``line``, is cut off by the end of the file inside
    a quote (the csv module then hands back what it has, as if the quote had closed).

    Only that row is parsed again, strictly.
    """
    rest = text.split("\n", line - 1)[-1] if line > 1 else text
    if '"' not in rest:
        return False
    try:
        for _row in csv.reader(io.StringIO(rest), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _swallows_rows(cells: list[str], header: list[str], delimiter: str, region: str) -> bool:
    """Whether a field of this multi-line row holds a line that looks like a row."""
    phone_at = header.index("phone")
    for cell in cells:
        for piece in cell.splitlines()[1:]:
            inner = next(csv.reader([piece], delimiter=delimiter), [])
            if len(inner) < 2:
                continue
            if len(inner) == len(header) >= 3:
                return True
            if phone_at < len(inner) and normalise_phone(inner[phone_at].strip(), region):
                return True
    return False


def _request(
    read: Header,
    cells: list[str],
    region: str,
    default_timezone: str,
    allowed_countries: Collection[str] | None = None,
) -> NewRequest:
    header = read.columns
    if len(cells) > len(header):
        raise _refused("more_fields")
    value = {k: v.strip() for k, v in zip(header, cells, strict=False) if k in COLUMNS}
    phone = value.get("phone", "")
    if not phone:
        raise _refused("phone_empty")
    e164, problem = phone_refusal(phone, region, allowed_countries=allowed_countries)
    if e164 is None:
        raise _Refused(_phone_refusal(problem), problem or worded("phone.invalid"), phone)
    tz = value.get("timezone") or timezone_for(e164, default_timezone)
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise _refused("bad_timezone", zone=repr(tz)) from None
    not_before = _time(value.get("not_before", ""), read.written.get("not_before", ""), zone)
    not_after = _time(value.get("not_after", ""), read.written.get("not_after", ""), zone)
    if not_before is not None and not_after is not None and not_after <= not_before:
        raise _refused("window_inverted")
    return NewRequest(
        phone=e164,
        source=RequestSource.CSV,
        reason=value.get("reason", "")[:200] or "csv import",
        name=value.get("name", "")[:100] or None,
        timezone=tz,
        segment=value.get("segment", "")[:40] or None,
        consent=_consent(value.get("consent", ""), read.written.get("consent", "")),
        traditional=_flag(value.get("traditional", ""), read.written.get("traditional", ""))
        or _plain(value),
        not_before=not_before,
        not_after=not_after,
        idempotency_key=value.get("idempotency_key", "")[:100] or None,
    )


def _consent(text: str, name: str) -> bool:
    """The row's consent: refused when it says no; an empty cell says nothing (False, as
    the column's absence)."""
    given = _flag(text, name)
    if text and not given:
        raise _refused("no_consent", name=name)
    return given


def _plain(value: dict[str, str]) -> bool:
    """Whether the row's ``timing`` asks for a plain callback (the API's rule)."""
    try:
        return asks_conventional(value.get("timing"))
    except ValueError:
        raise _refused("bad_timing", value=repr(value.get("timing"))) from None


def _flag(text: str, name: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _refused("bad_flag", name=name, value=repr(text))


def _time(text: str, name: str, zone: ZoneInfo) -> float | None:
    """The time in a cell of column ``name`` (as the file names it), naive in ``zone``."""
    if not text:
        return None
    try:
        moment = read_time(text, zone)
    except Unreadable as exc:
        key = "cli.csv.bad_time_slashed" if exc.slashed else "cli.csv.bad_time"
        raise _Refused("bad_time", worded(key, name=name, value=repr(text))) from None
    try:
        at = moment.timestamp()
    except (OverflowError, ValueError):
        at = float("nan")
    if not _EARLIEST <= at < _LATEST:
        raise _refused("time_out_of_range", name=name, value=repr(text))
    return at
