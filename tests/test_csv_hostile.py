"""`spillway callbacks import` on the files real tools and hostile hands make.

Odd files (a FIFO, /dev/zero, a folder, a 50 MB field, an oversized file)
each get one clear line; files from real tools (semicolons from a Danish
Excel, Latin-1, a CRM's extra column) go in with a warning where something
was guessed; a row swallowed by an unterminated quote is named by its line;
numbers in the error lines are masked unless ``--full``; a re-import says
what was added, merged and already there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from scheduler.csv_file import MAX_CSV_BYTES, read_csv_file
from scheduler.csv_import import CsvError, parse_csv
from spillway.errors import InputError
from spillway.storage import SqliteStore
from tests.hostile_files import finishes


def _import(tmp_path: Path, store: SqliteStore, csv_file: Path, *options: str) -> Result:
    config = tmp_path / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {store.path}\n")
    return CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "import", str(csv_file), *options]
    )


def _said(result: Result) -> str:
    return " ".join(result.output.split())


def _refused(result: Result) -> str:
    """The one line `spillway` prints for a refused file (its InputError), exit code 2."""
    assert isinstance(result.exception, InputError), result.output
    assert result.exception.exit_code == 2
    return str(result.exception)


def _phones(store: SqliteStore) -> list[str]:
    return [r["phone"] for r in store.query("SELECT phone FROM callback_requests ORDER BY id")]


# --- issue 20 item 9: a row swallowed by an unterminated quote ---------------------------

SWALLOWED = (
    "phone,name,reason\n"
    '+4520123456,"Anna,wants a refund\n'
    "+4520123457,Bob,where is my parcel\n"
    "+4520123458,Carl,ok\n"
)


def test_an_unterminated_quote_is_named_by_its_lines_not_imported_silently() -> None:
    parsed = parse_csv(SWALLOWED, region="DK", default_timezone="UTC")
    assert parsed.requests == []
    [error] = parsed.errors
    assert error.line == 2
    assert "unterminated quote" in str(error) and "lines 2 to 4" in str(error)
    assert "+4520123457" not in str(error)  # the swallowed rows are not echoed


def test_a_quoted_field_that_closes_on_a_later_row_is_caught_too() -> None:
    text = (
        "phone,name,reason\n"
        '+4520123456,"Anna,refund\n'
        '+4520123457,"Bob",parcel\n'
        "+4520123458,Carl,ok\n"
    )
    parsed = parse_csv(text, region="DK", default_timezone="UTC")
    assert [line for line, _ in parsed.requests] == [4]
    assert [e.line for e in parsed.errors] == [2]


def test_a_real_multi_line_reason_still_goes_in() -> None:
    text = (
        'phone,name,reason\n+4520123456,Anna,"called twice,\nwants a refund"\n+4520123457,Bob,x\n'
    )
    parsed = parse_csv(text, region="DK", default_timezone="UTC")
    assert parsed.errors == []
    assert [(line, r.reason) for line, r in parsed.requests] == [
        (2, "called twice,\nwants a refund"),
        (4, "x"),
    ]


def test_the_command_refuses_the_swallowed_lines_with_exit_1(
    tmp_path: Path, store: SqliteStore
) -> None:
    csv_file = tmp_path / "swallowed.csv"
    csv_file.write_text(SWALLOWED)
    result = _import(tmp_path, store, csv_file)
    assert result.exit_code == 1, result.output
    assert "line 2:" in result.output and "unterminated quote" in result.output
    assert "0 requests added" in _said(result)
    assert _phones(store) == []


# --- issue 20 item 15: odd files, one line each -----------------------------------------


def test_a_fifo_is_refused_at_once(tmp_path: Path, store: SqliteStore) -> None:
    fifo = tmp_path / "list.csv"
    os.mkfifo(fifo)
    result = finishes(lambda: _import(tmp_path, store, fifo), 10, fifo=fifo)
    assert result is not None, "callbacks import hung on a FIFO"
    assert isinstance(result, Result)
    assert _refused(result).startswith(f"{fifo}: a FIFO (named pipe), not a file")


@pytest.mark.parametrize(
    ("path", "kind"), [("/dev/zero", "a device"), (".", "a folder")], ids=["dev-zero", "folder"]
)
def test_devices_and_folders_are_refused_unread(
    tmp_path: Path, store: SqliteStore, path: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[int] = []
    real_read = os.read

    def guarded_read(fd: int, n: int) -> bytes:
        read.append(n)
        assert sum(read) < 1_000_000, "reading an endless file"
        return real_read(fd, n)

    real_read_text, real_read_bytes = Path.read_text, Path.read_bytes

    def guard(real: Any) -> Any:
        def read_whole(self: Path, *args: Any, **kwargs: Any) -> Any:
            # /dev/zero read whole would fill the memory: fail at once instead.
            assert self != Path(path), f"{self} read whole"
            return real(self, *args, **kwargs)

        return read_whole

    monkeypatch.setattr(os, "read", guarded_read)
    monkeypatch.setattr(Path, "read_text", guard(real_read_text))
    monkeypatch.setattr(Path, "read_bytes", guard(real_read_bytes))
    result = _import(tmp_path, store, Path(path))
    assert _refused(result) == f"{path}: {kind}, not a file: give a CSV file"
    assert read == []


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    with big.open("wb") as f:
        f.truncate(MAX_CSV_BYTES + 1)  # sparse
    with pytest.raises(CsvError, match="larger than"):
        read_csv_file(big)


def test_a_50_mb_field_is_one_line(tmp_path: Path, store: SqliteStore) -> None:
    csv_file = tmp_path / "field.csv"
    with csv_file.open("w") as f:
        f.write("phone,name\n+4520123456,Anna\n+4520123457,")
        f.write("x" * 50_000_000)
        f.write("\n+4520123458,Carl\n")
    result = _import(tmp_path, store, csv_file)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "line 3: a field longer than" in _said(result)
    assert _phones(store) == ["+4520123456"]


# --- issue 19 item 16: files from real tools ----------------------------------------------


def test_a_semicolon_file_from_a_danish_excel_goes_in(tmp_path: Path, store: SqliteStore) -> None:
    csv_file = tmp_path / "excel.csv"
    csv_file.write_bytes(
        "phone;name;reason\r\n20 12 34 56;Søren Ærø;ring tilbage\r\n".encode("cp1252")
    )
    result = _import(tmp_path, store, csv_file)
    assert result.exit_code == 0, result.output
    assert "not UTF-8" in result.output and "Windows-1252" in result.output  # the guess is said
    [row] = store.query("SELECT phone, name, reason FROM callback_requests")
    assert (row["phone"], row["name"], row["reason"]) == (
        "+4520123456",
        "Søren Ærø",
        "ring tilbage",
    )


def test_an_encoding_can_be_given(tmp_path: Path, store: SqliteStore) -> None:
    csv_file = tmp_path / "latin.csv"
    csv_file.write_bytes("phone,name\n+4520123456,Åse\n".encode("latin-1"))
    result = _import(tmp_path, store, csv_file, "--encoding", "latin-1")
    assert result.exit_code == 0 and "not UTF-8" not in result.output, result.output
    assert store.query("SELECT name FROM callback_requests") == [{"name": "Åse"}]
    wrong = _import(tmp_path, store, csv_file, "--encoding", "klingon")
    assert "unknown encoding 'klingon'" in _refused(wrong)


def test_a_utf16_export_with_tabs_goes_in() -> None:
    data = "phone\tname\n+4520123456\tÅse\n".encode("utf-16")
    from scheduler.csv_file import decode_csv

    text = decode_csv(data, None)
    parsed = parse_csv(text.text, region="DK", default_timezone="UTC")
    assert [r.name for _, r in parsed.requests] == ["Åse"]


def test_an_extra_column_is_ignored_with_a_warning_or_refused_with_strict(
    tmp_path: Path, store: SqliteStore
) -> None:
    csv_file = tmp_path / "crm.csv"
    csv_file.write_text("phone,name,note\n+4520123456,Anna,VIP\n")
    result = _import(tmp_path, store, csv_file)
    assert result.exit_code == 0, result.output
    assert "column 'note' is not one Spillway reads: ignored" in _said(result)
    assert _phones(store) == ["+4520123456"]
    strict = _import(tmp_path, store, csv_file, "--strict")
    assert "unknown column: 'note'; known: phone (required), name, " in _refused(strict)


def test_a_column_named_twice_is_refused() -> None:
    with pytest.raises(CsvError, match="named twice: 'phone'"):
        parse_csv("phone,name,Phone\n", region="DK", default_timezone="UTC")


# --- issue 20 item 17 and the small ones: what the admin reads -----------------------------


def test_refused_numbers_are_masked_unless_full(tmp_path: Path, store: SqliteStore) -> None:
    csv_file = tmp_path / "premium.csv"
    csv_file.write_text("phone\n+4590123456\nnot a number\n")
    masked = _import(tmp_path, store, csv_file)
    assert "line 2: phone '+********56': a premium-rate number" in masked.output
    assert "+4590123456" not in masked.output
    assert "line 3: phone 'not a number': not a valid phone number" in masked.output
    full = _import(tmp_path, store, csv_file, "--full")
    assert "line 2: phone '+4590123456': a premium-rate number" in full.output


def test_a_re_import_says_nothing_was_added(tmp_path: Path, store: SqliteStore) -> None:
    csv_file = tmp_path / "keyed.csv"
    csv_file.write_text(
        "phone,name,idempotency_key\n+4520123456,Anna,crm-1\n+4520123457,Bob,crm-2\n"
    )
    first = _import(tmp_path, store, csv_file)
    again = _import(tmp_path, store, csv_file)
    assert "2 requests added, 0 merged into open ones, 0 already there" in _said(first)
    assert "0 requests added, 0 merged into open ones, 2 already there" in _said(again)
    assert again.exit_code == 0
    csv_file.write_text("phone,name,idempotency_key\n+4520123456,Someone else,crm-1\n")
    changed = _import(tmp_path, store, csv_file)
    assert changed.exit_code == 1
    assert "line 2: the idempotency key 'crm-1' was already used for request 1" in _said(changed)


def test_csv_times_outside_any_sane_range_are_refused() -> None:
    parsed = parse_csv(
        "phone,not_before\n+4520123456,0001-01-01T00:00\n+4520123457,9999-12-31T23:59\n",
        region="DK",
        default_timezone="UTC",
    )
    assert [e.line for e in parsed.errors] == [2, 3]
    assert all("not_before" in str(e) for e in parsed.errors)


def test_list_masks_numbers_and_names_unless_full(tmp_path: Path, store: SqliteStore) -> None:
    from scheduler import intake
    from scheduler.intake import NewRequest
    from scheduler.requests import RequestSource

    with store.transaction() as tx:
        intake.record(
            tx,
            NewRequest(
                "+4520123456", RequestSource.API, "call me on 20 12 34 99", name="Anna Berg"
            ),
            region="DK",
            now=1_780_000_000.0,
        )
    config = tmp_path / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {store.path}\n")
    for options in ([], ["--json"]):
        shown = CliRunner().invoke(app, ["--config", str(config), "callbacks", "list", *options])
        assert shown.exit_code == 0, shown.output
        for secret in ("+4520123456", "Anna", "Berg", "20 12 34 99"):
            assert secret not in shown.output, (options, secret)
        assert "+********56" in shown.output
    full = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "list", "--json", "--full"]
    )
    for whole in ("+4520123456", "Anna Berg", "20 12 34 99"):
        assert whole in full.output


def test_a_quote_left_open_in_the_last_row_is_named_not_imported() -> None:
    # The csv module hands back the last row as if its quote had closed at the end of
    # the file; that row was imported with a guessed name and reason.
    text = 'phone,name,reason\n+4520123457,Bob,parcel\n+4520123456,"Anna,wants a refund\n'
    parsed = parse_csv(text, region="DK", default_timezone="UTC")
    assert [line for line, _ in parsed.requests] == [2]
    [error] = parsed.errors
    assert error.line == 3 and "never closed" in str(error)


def test_a_quoted_last_row_and_a_literal_inch_mark_still_go_in() -> None:
    text = 'phone,name,reason\n+4520123457,Bob,5" screen\n+4520123456,"Anna",x'
    parsed = parse_csv(text, region="DK", default_timezone="UTC")
    assert parsed.errors == [] and [line for line, _ in parsed.requests] == [2, 3]
