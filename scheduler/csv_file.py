"""A CSV file for import, read with care: its type first, its size capped, its encoding known.

The file is opened without blocking (a FIFO with no writer cannot hang the
import) and checked with ``fstat`` before a byte is read: only a regular file
is read (a FIFO, a device such as ``/dev/zero`` or a folder is one clear
error), and only up to :data:`MAX_CSV_BYTES`. Text is decoded with the
encoding given, else as UTF-8 (with or without a byte-order mark), UTF-16
with its mark (Excel's "Unicode text"), and where UTF-8 fails as
Windows-1252 (Latin-1 where that fails too), with a warning that says so.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass, field
from pathlib import Path

from scheduler.csv_import import MAX_ROWS, CsvError
from spillway.plain_files import OPEN_FLAGS, NotPlain, TooLarge, read_plain
from spillway.wording import Wording, worded

# 100,000 rows of a few hundred bytes each fit with room to spare.
MAX_CSV_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CsvText:
    text: str
    encoding: str
    warnings: list[Wording] = field(default_factory=list)


def read_csv_file(
    path: Path, *, encoding: str | None = None, max_bytes: int = MAX_CSV_BYTES, rows: int = MAX_ROWS
) -> CsvText:
    """The text of the CSV file at ``path``; :class:`CsvError` says why not.

    ``max_bytes`` and ``rows``: the cap, and the rows the refusal says fit in a file.
    """
    try:
        fd = os.open(path, OPEN_FLAGS)
    except FileNotFoundError:
        raise CsvError(worded("cli.csv.not_found")) from None
    except OSError as exc:
        raise CsvError(worded("cli.csv.cannot_read", problem=exc.strerror)) from None
    try:
        data = read_plain(fd, max_bytes)
    except TooLarge as exc:
        raise CsvError(
            worded("cli.csv.too_large", mb=max_bytes // (1024 * 1024), size=exc.size, rows=rows)
        ) from None
    except NotPlain as exc:
        raise CsvError(worded("cli.csv.not_plain", problem=exc)) from None
    except OSError as exc:
        raise CsvError(worded("cli.csv.cannot_read", problem=exc.strerror)) from None
    finally:
        os.close(fd)
    return decode_csv(data, encoding)


def decode_csv(data: bytes, encoding: str | None) -> CsvText:
    """``data`` as text (pure): the encoding given, or the likeliest one, and why."""
    if encoding is not None:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise CsvError(worded("cli.csv.unknown_encoding", encoding=repr(encoding))) from None
        try:
            return CsvText(data.decode(name), name)
        except UnicodeDecodeError as exc:
            raise CsvError(
                worded("cli.csv.not_text", encoding=name, where=_where(data, exc))
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return CsvText(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            raise CsvError(
                worded("cli.csv.not_text", encoding="UTF-16", where=_where(data, exc))
            ) from None
    try:
        return CsvText(data.decode("utf-8-sig"), "utf-8")
    except UnicodeDecodeError as exc:
        where = _where(data, exc)
    for fallback, label in (("cp1252", "Windows-1252"), ("latin-1", "Latin-1")):
        try:
            text = data.decode(fallback)
        except UnicodeDecodeError:
            continue
        warning = worded("cli.csv.not_utf8", where=where, encoding=label)
        return CsvText(text, fallback, [warning])
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _where(data: bytes, exc: UnicodeDecodeError) -> Wording:
    line = data.count(b"\n", 0, exc.start) + 1
    return worded("cli.csv.odd_byte", line=line, byte=f"0x{data[exc.start]:02x}")
