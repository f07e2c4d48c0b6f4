"""Signals from a CSV file, row by row: every bad row named by its line.

Columns (a header row is required): ``kind``, ``at``, and ``phone`` or
``customer_id``; ``id`` optional (without it an event's id is made from its
content, so importing a file twice stores its events once). The delimiter
(comma, semicolon, tab or bar) and the encoding are found as for the
callback import (:mod:`scheduler.csv_import`, :mod:`scheduler.csv_file`).
Other columns are ignored with a warning. Rows are read lazily, so a file
of millions of events is stored in batches as it is read, never held whole
as events. ``spillway signals map --file`` reads ``customer_id, phone`` files
here too (:func:`read_mapping_csv`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scheduler.csv_import import MAX_ROWS, CsvError, delimiter_for, unreadable
from scheduler.signal_customers import customer_id_problem
from scheduler.signal_intake import (
    CODE_PREFIX,
    FIELDS,
    EventReader,
    EventRefused,
    IncomingSignal,
    SignalProblem,
    shown_value,
)
from spillway.phone import normalise_phone
from spillway.wording import Wording, worded

# A million events of about 60 bytes a row, four times over.
MAX_SIGNAL_CSV_BYTES = 256 * 1024 * 1024
MAX_SIGNAL_ROWS = 4_000_000
# The columns whose presence tells the delimiter apart.
_SNIFF = frozenset({"kind", "at", "phone", "customer_id"})


@dataclass(frozen=True, slots=True)
class SignalRows:
    """The header's warnings, and the rows: each an event with its line, or a problem."""

    warnings: list[Wording]
    rows: Iterator[tuple[int, IncomingSignal] | SignalProblem]


def read_signal_csv(text: str, reader: EventReader) -> SignalRows:
    """The rows of ``text``; :class:`CsvError` when the file as a whole is unusable."""
    delimiter = delimiter_for(text, _SNIFF)
    cells_of = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        names = next(cells_of, [])
    except csv.Error as exc:
        raise CsvError(worded("cli.csv.header_unreadable", problem=exc)) from None
    header = [name.strip().lower() for name in names]
    if not any(header):
        raise CsvError(worded("cli.signals.csv_empty"))
    missing = [c for c in ("kind", "at") if c not in header]
    if "phone" not in header and "customer_id" not in header:
        missing.append("phone/customer_id")
    if missing:
        shown = ", ".join(header)[:300]
        raise CsvError.counted(
            "cli.signals.no_columns", len(missing), names=", ".join(missing), header=shown
        )
    twice = sorted({n for n in header if n and header.count(n) > 1})
    if twice:
        raise CsvError.counted("cli.csv.named_twice", len(twice), names=", ".join(map(repr, twice)))
    warnings = [
        worded("cli.signals.column_ignored", name=repr(name))
        for name in header
        if name and name not in FIELDS
    ]
    return SignalRows(warnings, _rows(cells_of, header, reader))


def _rows(
    cells_of: Any, header: list[str], reader: EventReader
) -> Iterator[tuple[int, IncomingSignal] | SignalProblem]:
    # cells_of: csv's reader (its line_num is where the last row ended).
    read = 0
    wanted = [(i, name) for i, name in enumerate(header) if name in FIELDS]
    while True:
        line = cells_of.line_num + 1  # where this row starts
        try:
            cells = next(cells_of, None)
        except csv.Error as exc:
            yield SignalProblem(line, "", f"{CODE_PREFIX}.unreadable", unreadable(exc))
            return
        if cells is None:
            return
        if not cells:  # a blank line
            continue
        read += 1
        if read > MAX_SIGNAL_ROWS:
            yield _too_many(line, MAX_SIGNAL_ROWS)
            return
        ends = cells_of.line_num
        if ends > line:
            # Events have no free text: a field over several lines is a quote left open.
            yield SignalProblem.named(line, "", "quote_open", first=line, last=ends)
            continue
        if len(cells) > len(header):
            yield SignalProblem(
                line, "", f"{CODE_PREFIX}.more_fields", worded("cli.csv.more_fields")
            )
            continue
        fields = {name: cells[i] for i, name in wanted if i < len(cells)}
        try:
            yield line, reader.read(fields)
        except EventRefused as exc:
            yield exc.problem(line)


def read_mapping_csv(
    text: str, region: str
) -> tuple[list[tuple[int, str, str]], list[SignalProblem]]:
    """``customer_id, phone`` rows as (line, customer id, E.164), and the bad rows (pure)."""
    delimiter = delimiter_for(text, {"customer_id", "phone"})
    cells_of = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(cells_of, [])]
    except csv.Error as exc:
        raise CsvError(worded("cli.csv.header_unreadable", problem=exc)) from None
    if "customer_id" not in header or "phone" not in header:
        shown = ", ".join(header)[:300]
        raise CsvError(worded("cli.signals.no_mapping_columns", header=shown))
    at_id, at_phone = header.index("customer_id"), header.index("phone")
    good: list[tuple[int, str, str]] = []
    bad: list[SignalProblem] = []
    while True:
        line = cells_of.line_num + 1
        try:
            cells = next(cells_of, None)
        except csv.Error as exc:
            bad.append(SignalProblem(line, "", f"{CODE_PREFIX}.unreadable", unreadable(exc)))
            break
        if cells is None:
            break
        if not cells:
            continue
        if len(good) + len(bad) >= MAX_ROWS:
            bad.append(_too_many(line, MAX_ROWS))
            break
        customer = cells[at_id].strip() if at_id < len(cells) else ""
        if (problem := customer_id_problem(customer)) is not None:
            bad.append(SignalProblem.named(line, "customer_id", problem))
            continue
        raw = cells[at_phone].strip() if at_phone < len(cells) else ""
        e164 = normalise_phone(raw, region)
        if e164 is None:
            bad.append(
                SignalProblem.named(line, "phone", "bad_phone", shown_value(raw), region=region)
            )
            continue
        good.append((line, customer, e164))
    return good, bad


def _too_many(line: int, most: int) -> SignalProblem:
    return SignalProblem(
        line, "", f"{CODE_PREFIX}.too_many_rows", worded("cli.csv.too_many_rows", most=most)
    )
