"""A Danish shop's CSV as its spreadsheet writes it: Danish column names and day-first
dates are read in every shop language; a date that could be read two ways is refused with
the fix, by its line, in the admin's language."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.csv_columns import COLUMNS, ColumnList, aliases, column_names, header_key, names_in
from scheduler.csv_import import CsvError, parse_csv
from scheduler.csv_times import Unreadable, read_time
from scheduler.intake import NewRequest
from spillway.console_text import load_console_text
from spillway.errors import ConfigError
from spillway.language_pack import available_languages

CPH = ZoneInfo("Europe/Copenhagen")
DA = load_console_text("da")


def _parse(text: str) -> tuple[list[tuple[int, NewRequest]], list[str]]:
    parsed = parse_csv(text, region="DK", default_timezone="Europe/Copenhagen")
    return [(line, r) for line, r in parsed.requests], [e.said(DA) for e in parsed.errors]


def test_danish_headers_are_read_as_the_english_columns() -> None:
    text = (
        "Telefon;Navn;Årsag;Tidszone;Segment;Samtykke;Almindeligt tilbagekald;Timing;"
        "Tidligst;Senest;Nøgle\n"
        "20 12 34 56;Mette;Ny henvendelse;Europe/Copenhagen;b2c;ja;nej;;"
        "2027-03-01 09:00;2027-03-01 12:00;crm-7\n"
    )
    [(line, request)], errors = _parse(text)
    assert errors == [] and line == 2
    assert (request.phone, request.name, request.reason) == (
        "+4520123456",
        "Mette",
        "Ny henvendelse",
    )
    assert request.consent and not request.traditional and request.segment == "b2c"
    assert request.idempotency_key == "crm-7"
    assert request.not_before == datetime(2027, 3, 1, 9, tzinfo=CPH).timestamp()
    assert request.not_after == datetime(2027, 3, 1, 12, tzinfo=CPH).timestamp()


@pytest.mark.parametrize("header", ["ikke_før;ikke_efter", "Ikke før;Ikke-efter"])
def test_the_other_danish_window_names_are_read_too(header: str) -> None:
    [(_, request)], _ = _parse(f"tlf;{header}\n20123456;2027-03-01 09:00;2027-03-01 12:00\n")
    assert request.not_after is not None and request.not_before is not None
    assert request.not_after - request.not_before == 3 * 3600


def test_every_pack_names_every_column_and_no_name_means_two_columns() -> None:
    """The names live in the packs; a name one pack gives two columns is a pack error."""
    for code in available_languages():
        names = names_in(load_console_text(code))
        assert set(names) == set(COLUMNS) and all(names.values())
    known = column_names()
    assert known["telefon"] == "phone" and known["årsag"] == "reason"
    assert known["tidligst"] == "not_before" and known["senest"] == "not_after"
    with pytest.raises(ConfigError, match=r"'tidligst'.*'not_before'"):
        aliases({"xx": {"not_before": ("tidligst",), "not_after": ("tidligst",)}})


def test_a_header_cell_is_compared_as_a_name() -> None:
    assert header_key("  Ikke  før ") == "ikke_før" and header_key("ikke-efter") == "ikke_efter"


def test_an_unknown_header_lists_the_names_in_the_admins_language() -> None:
    with pytest.raises(CsvError) as refused:
        parse_csv("Tlf.nr;Kunde\n20123456;Bo\n", region="DK", default_timezone="UTC")
    danish = refused.value.said(DA)
    assert "(tlf.nr;kunde)" in danish
    assert "telefon (skal være der), navn, årsag, tidszone, segment, samtykke" in danish
    assert "tidligst, senest, nøgle" in danish
    english = str(refused.value)
    assert "phone (required), name, reason, timezone" in english
    assert ColumnList().said(DA).startswith("telefon (skal være der), navn")


def test_a_column_named_in_two_languages_is_named_twice() -> None:
    with pytest.raises(CsvError) as refused:
        parse_csv("telefon,phone\n1,2\n", region="DK", default_timezone="UTC")
    assert refused.value.said(DA) == "kolonne nævnt to gange: 'telefon', 'phone'"


@pytest.mark.parametrize(
    "written",
    [
        "07-12-2026 09:00",
        "07.12.2026 09:00",
        "7-12-2026 09:00",
        "07-12-2026 09:00:00",
        "07.12.2026 09.00",
        "07.12.2026 09.00.00",
        "2026-12-07 09:00",
        "2026-12-07T09:00",
    ],
)
def test_a_danish_excel_date_is_read_day_first_in_the_customers_zone(written: str) -> None:
    assert read_time(written, CPH) == datetime(2026, 12, 7, 9, tzinfo=CPH)


def test_a_date_alone_is_the_start_of_its_day_as_in_iso() -> None:
    assert read_time("7-12-2026", CPH) == read_time("2026-12-07", CPH)
    assert read_time("7-12-2026", CPH) == datetime(2026, 12, 7, tzinfo=CPH)


def test_an_offset_is_kept() -> None:
    assert read_time("2026-12-07T09:00+00:00", CPH).utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("written", "slashed"),
    [
        ("07/12/2026 09:00", True),  # 7 December or 12 July
        ("12/7/2026", True),
        ("31-02-2026 09:00", False),  # no such day
        ("07-12-26 09:00", False),  # a two-digit year
        ("07-12.2026", False),  # two marks
        ("07-12-2026 25:00", False),
        ("i morgen", False),
    ],
)
def test_an_ambiguous_or_impossible_date_is_refused(written: str, slashed: bool) -> None:
    with pytest.raises(Unreadable) as refused:
        read_time(written, CPH)
    assert refused.value.slashed is slashed


def test_a_bad_date_says_what_to_write_naming_the_line_and_the_files_column() -> None:
    text = "telefon;navn;tidligst\n20123456;Bo;2026-12-07 09:00\n20123457;Ib;07/12/2026 09:00\n"
    text += "20123458;Al;næste uge\n"
    requests, errors = _parse(text)
    assert [line for line, _ in requests] == [2]
    assert errors == [
        "linje 3: tidligst '07/12/2026 09:00': en dato med skråstreger læses forskelligt fra "
        "land til land (7. december eller 12. juli?): skriv fx 2026-12-07 09:00 (år-måned-dag) "
        "eller 07-12-2026 09:00 (dag-måned-år) [callback.bad_time]",
        "linje 4: tidligst 'næste uge': ikke et tidspunkt, Spillway kan læse: skriv fx "
        "2026-12-07 09:00 (år-måned-dag) eller 07-12-2026 09:00 (dag-måned-år); uden "
        "tidsforskydning gælder kundens tidszone [callback.bad_time]",
    ]


def test_a_refused_consent_names_the_files_column() -> None:
    _, errors = _parse("telefon;samtykke\n20123456;nej\n")
    assert errors == [
        "linje 2: samtykke er nej: kunden har ikke sagt ja til at blive ringet op; intet "
        "gemmes [callback.no_consent]"
    ]
