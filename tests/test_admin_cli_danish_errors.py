"""A Danish contact centre's admin reads the CLI's errors in Danish: an input error's line
(`spillway` prints it with its stable code, the same in every language), a CSV import's
refused rows with their line numbers, and why a spool file was set aside. Every message
is kept as a pack key and its values where it is made (spillway/wording.py) and said in
the admin's language (``web.language``, else ``shop.language``) where it is shown; in
English for an English admin, as before."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.admin_words import error_line
from cli.main import app, main
from scheduler.csv_import import parse_csv
from spillway import errors
from spillway.console_text import load_console_text
from spillway.errors import InputError
from spillway.phone import phone_refusal
from spillway.storage import SqliteStore
from tests.conftest import make_settings
from tests.database_line import without_database_line

ROOT = Path(__file__).resolve().parents[1]


def _env(store: SqliteStore, language: str, **extra: str) -> dict[str, str]:
    return {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(store.path),
        "SPILLWAY_SHOP__LANGUAGE": language,
        "COLUMNS": "300",
        **extra,
    }


def _failed(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    store: SqliteStore,
    language: str,
    *args: str,
) -> str:
    """What `spillway ARGS` prints on stderr when it fails (through cli.main.main, as a
    shell runs it), and that it exits with the input error's code 2."""
    for name, value in _env(store, language).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["spillway", *args])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 2
    return " ".join(without_database_line(capsys.readouterr().err).split())


@pytest.mark.parametrize(
    ("command", "language", "said"),
    [
        (
            ("callbacks", "show", "999"),
            "da",
            "tilbagekald 999 findes ikke (spillway callbacks list) [input.no_request]",
        ),
        (
            ("callbacks", "show", "999"),
            "en",
            "no callback request 999 (spillway callbacks list) [input.no_request]",
        ),
        (
            ("callbacks", "list", "--phone", "anna"),
            "da",
            "'anna' er ikke et telefonnummer (fx 20123456 eller +4520123456) [input.not_a_phone]",
        ),
        (
            ("callbacks", "list", "--phone", "anna"),
            "en",
            "'anna' is not a phone number (e.g. 20123456 or +4520123456) [input.not_a_phone]",
        ),
        (
            ("gdpr", "hold", "20123456", "--reason", ""),
            "da",
            "en tilbageholdelse skal have en begrundelse (skriv hvorfor, fx --reason "
            "'indsigtsanmodning SAR-17') [input.hold_needs_reason]",
        ),
        (
            ("gdpr", "hold", "20123456", "--reason", ""),
            "en",
            "a hold needs its reason (say why, e.g. --reason 'access request SAR-17') "
            "[input.hold_needs_reason]",
        ),
    ],
    ids=[
        "no-request-da",
        "no-request-en",
        "not-a-phone-da",
        "not-a-phone-en",
        "hold-da",
        "hold-en",
    ],
)
def test_an_input_error_is_said_in_the_admins_language_with_its_code(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    store: SqliteStore,
    command: tuple[str, ...],
    language: str,
    said: str,
) -> None:
    """An unknown request, a number that is none, a hold without its reason."""
    assert _failed(monkeypatch, capsys, store, language, *command) == said


@pytest.mark.parametrize(
    ("command", "name", "language", "said"),
    [
        (
            ("db", "restore"),
            "none.db",
            "da",
            "sikkerhedskopien {file} findes ikke [input.no_backup]",
        ),
        (("db", "restore"), "none.db", "en", "no backup at {file} [input.no_backup]"),
        (
            ("callbacks", "import"),
            "missing.csv",
            "da",
            "{file}: filen kan ikke læses: den findes ikke [input.csv_file]",
        ),
        (
            ("callbacks", "import"),
            "missing.csv",
            "en",
            "{file}: cannot read it: there is no such file [input.csv_file]",
        ),
    ],
)
def test_a_file_that_is_not_there_is_said_in_the_admins_language(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    store: SqliteStore,
    tmp_path: Path,
    command: tuple[str, str],
    name: str,
    language: str,
    said: str,
) -> None:
    """`db restore` of no backup; `callbacks import` of no file."""
    file = tmp_path / name
    got = _failed(monkeypatch, capsys, store, language, *command, str(file))
    assert got == said.format(file=file)


def test_the_error_line_is_english_when_the_settings_cannot_be_read() -> None:
    refused = InputError.worded("no_backup", file="/tmp/x.db")
    assert error_line(refused, None) == "no backup at /tmp/x.db [input.no_backup]"
    danish = make_settings(shop={"language": "da"})
    assert error_line(refused, danish) == "sikkerhedskopien /tmp/x.db findes ikke [input.no_backup]"
    # An error raised with an English message of its own is printed as raised, no code.
    assert error_line(InputError("as raised"), danish) == "as raised"


def test_web_language_is_the_admins_language_for_errors_too() -> None:
    refused = InputError.worded("no_request", id=7)
    english_console = make_settings(shop={"language": "da"}, web={"language": "en"})
    assert error_line(refused, english_console).startswith("no callback request 7 ")


BAD_ROWS = (
    "phone,consent,timezone,not_before,not_after\n"
    "123,,,,\n"  # line 2: no phone number
    "20123456,måske,,,\n"  # line 3: consent neither yes nor no
    "20123457,,Europe/Nowhere,,\n"  # line 4: no such zone
    "+46701234567,,,,\n"  # line 5: a country callbacks do not dial
    "20123458,,,2020-01-02T10:00,2020-01-01T10:00\n"  # line 6: the window turned round
    "20123459,,,,2020-01-01T10:00\n"  # line 7: the window is over
)


TO_FIX = {"da": "6 rækker skal rettes i {file}: ret dem", "en": "6 rows to correct in {file}: fix"}


@pytest.mark.parametrize(
    ("language", "rows", "summary"),
    [
        (
            "da",
            [
                "linje 2: nummeret '*23': ikke et gyldigt telefonnummer [callback.bad_phone]",
                "linje 3: consent 'måske': skal være ja eller nej (også yes/no, true/false, 1/0) "
                "[callback.bad_flag]",
                "linje 4: timezone 'Europe/Nowhere' er ikke navnet på en IANA-tidszone "
                "[callback.bad_timezone]",
                "linje 5: nummeret '+*********67': der ringes ikke tilbage til et nummer i SE "
                "(+46): der ringes kun tilbage til DK [callback.phone_abroad]",
                "linje 6: not_after skal ligge efter not_before [callback.window_inverted]",
                "linje 7: not_after ligger i fortiden [callback.window_past]",
            ],
            "0 tilbagekald tilføjet",
        ),
        (
            "en",
            [
                "line 2: phone '*23': not a valid phone number [callback.bad_phone]",
                "line 3: consent 'måske': expected yes or no (also ja/nej, true/false, 1/0) "
                "[callback.bad_flag]",
                "line 4: timezone 'Europe/Nowhere' is not an IANA time zone name "
                "[callback.bad_timezone]",
                "line 5: phone '+*********67': a number in SE (+46) is not called back: "
                "callbacks dial only DK [callback.phone_abroad]",
                "line 6: not_after must be later than not_before [callback.window_inverted]",
                "line 7: not_after is in the past [callback.window_past]",
            ],
            "0 requests added",
        ),
    ],
)
def test_a_csv_imports_refused_rows_name_their_line_in_the_admins_language(
    store: SqliteStore, tmp_path: Path, language: str, rows: list[str], summary: str
) -> None:
    file = tmp_path / "in.csv"
    file.write_text(BAD_ROWS, encoding="utf-8")
    done = CliRunner().invoke(app, ["callbacks", "import", str(file)], env=_env(store, language))
    assert done.exit_code == 1, done.output
    said = [" ".join(line.split()) for line in done.output.splitlines()]
    for row in rows:  # each row's words (their start), its stable code last
        words, code = row.rsplit(" [", 1)
        found = [line for line in said if line.startswith(f"{file} {words}")]
        assert len(found) == 1 and found[0].endswith(f" [{code}"), (row, said)
    assert summary in said[-2], said
    to_fix = TO_FIX[language].format(file=file)  # the last word: what to do, and exit 1
    assert said[-1].startswith(to_fix), said
    assert len([line for line in said if line.startswith(str(file))]) == len(rows), said


@pytest.mark.parametrize(
    ("language", "told"),
    [
        ("da", "1 række skal rettes i {file}: ret den, og importér"),
        ("en", "1 row to correct in {file}: fix it and import"),
    ],
)
def test_one_row_to_fix_is_said_in_the_singular(
    store: SqliteStore, tmp_path: Path, language: str, told: str
) -> None:
    """ "1 række skal rettes ...: ret dem" read wrong: one row is "it" ("den")."""
    file = tmp_path / "in.csv"
    file.write_text(BAD_ROWS.split("20123456")[0], encoding="utf-8")  # the header, line 2
    done = CliRunner().invoke(app, ["callbacks", "import", str(file)], env=_env(store, language))
    assert done.exit_code == 1, done.output
    said = [" ".join(line.split()) for line in done.output.splitlines()]
    assert said[-1].startswith(told.format(file=file)), said


def test_a_csv_warning_and_a_refused_timing_are_danish_for_a_danish_admin(
    store: SqliteStore, tmp_path: Path
) -> None:
    file = tmp_path / "crm.csv"
    file.write_bytes("phone;note;timing\n20123456;Søren;snart\n".encode("cp1252"))
    done = CliRunner().invoke(app, ["callbacks", "import", str(file)], env=_env(store, "da"))
    said = " ".join(done.output.split())
    assert f"{file}: ikke UTF-8 (linje 2 har byten 0xf8): læst som Windows-1252" in said, said
    assert f"{file}: kolonnen 'note' bruger Spillway ikke: den springes over" in said, said
    assert f"{file} linje 2: timing 'snart': skal være 'conventional'" in said, said


def _spool_file(spool: Path, name: str, **body: object) -> None:
    (spool / "new").mkdir(parents=True, exist_ok=True)
    fields = {"version": 1, "phone": "20123456", "call_id": name, "requested_at": time.time()}
    (spool / "new" / name).write_text(json.dumps({**fields, **body}))


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (
            "da",
            [
                "a.json: lagt til side i bad/: ukendte felter: 'colour', 'size'",
                "b.json: lagt til side i bad/: version 2; version 1 forventes",
                "c.json: lagt til side i bad/: source skal være 'spool'",
            ],
        ),
        (
            "en",
            [
                "a.json: set aside in bad/: unknown fields: 'colour', 'size'",
                "b.json: set aside in bad/: version 2, expected 1",
                "c.json: set aside in bad/: source: 'spool' expected",
            ],
        ),
    ],
)
def test_the_spools_rejections_are_said_in_the_admins_language(
    store: SqliteStore, tmp_path: Path, language: str, said: list[str]
) -> None:
    spool = tmp_path / "spool"
    _spool_file(spool, "a.json", colour="red", size=3)
    _spool_file(spool, "b.json", version=2)
    _spool_file(spool, "c.json", source="web")
    env = _env(store, language, SPILLWAY_CALLBACKS__SPOOL_DIR=str(spool))
    done = CliRunner().invoke(app, ["callbacks", "import-spool"], env=env)
    lines = [" ".join(line.split()) for line in done.output.splitlines()]
    for reason in said:
        assert any(line.endswith(reason) for line in lines), (reason, lines)
    # What is written beside the file set aside stays English, in either language: it is
    # kept on disk (stored data is never reworded), and the log says the same.
    kept = (spool / "bad" / "b.json.error").read_text(encoding="utf-8")
    assert kept == "version 2, expected 1\n"


def test_a_row_refusal_is_the_same_words_in_english_as_before_with_its_code() -> None:
    """``str()`` of a refused row is the English it was (logs read it), then its code,
    the same in Danish."""
    parsed = parse_csv("phone,name\n\n,Anna\n", region="DK", default_timezone="UTC")
    assert [e.text() for e in parsed.errors] == ["line 3: phone is empty [callback.phone_empty]"]
    assert [e.code for e in parsed.errors] == ["callback.phone_empty"]
    da = load_console_text("da")
    said = [e.said(da) for e in parsed.errors]
    assert said == ["linje 3: feltet phone er tomt [callback.phone_empty]"]


WORDED = re.compile(r"\b(\w+)\.worded\(\s*\"(\w+)\"")
KEYED = re.compile(r"(?<![.\w])worded\(\s*\"([\w.]+)\"")


def test_every_worded_message_in_the_code_has_its_words_in_the_english_pack() -> None:
    """A code raised with `SomeError.worded("name")` or a `worded("key")` without its
    key in the pack would fail only when it is raised; each is named here instead."""
    en = load_console_text("en").strings
    missing: list[str] = []
    seen = 0
    for path in sorted(ROOT.glob("[a-z]*/**/*.py")):
        if path.parts[len(ROOT.parts)] in {"tests", "bench"}:
            continue
        source = path.read_text(encoding="utf-8")
        for cls, name in WORDED.findall(source):
            seen += 1
            key = f"errors.{getattr(errors, cls).code}.{name}"
            if key not in en:
                missing.append(f"{path.relative_to(ROOT)}: {key}")
        for key in KEYED.findall(source):
            seen += 1
            if key not in en:
                missing.append(f"{path.relative_to(ROOT)}: {key}")
    assert seen > 40 and missing == []


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (
            "da",
            {
                "migrate": "databaseskemaet er ajour",
                "status": "databaseskemaet er ajour (v",
                "backup": "databasen {database} er sikkerhedskopieret til {file}",
                "restore": "databasen {database} er gendannet fra {file}",
            },
        ),
        (
            "en",
            {
                "migrate": "schema is up to date",
                "status": "schema is up to date (v",
                "backup": "database {database} backed up to {file}",
                "restore": "database {database} restored from {file}",
            },
        ),
    ],
)
def test_db_migrate_backup_and_restore_speak_the_admins_language(
    store: SqliteStore, tmp_path: Path, language: str, said: dict[str, str]
) -> None:
    file = tmp_path / "copy.db"
    env = _env(store, language)
    for command, args in (
        ("migrate", ["db", "migrate"]),
        ("status", ["db", "status"]),
        ("backup", ["db", "backup", str(file)]),
        ("restore", ["db", "restore", "--force", "--ignore-later-erasures", str(file)]),
    ):
        done = CliRunner().invoke(app, args, env=env)
        assert done.exit_code == 0, done.output
        shown = " ".join(done.output.split())
        database = store.path.resolve()
        assert said[command].format(file=file, database=database) in shown, (command, shown)
    status = CliRunner().invoke(app, ["db", "status"], env=env).output
    assert ("migreringer" in status) == (language == "da"), status


def test_a_pbx_error_has_its_code_and_danish_words_too() -> None:
    down = errors.PbxError.worded("sandbox_down", instance="walk")
    assert down.code == "pbx.sandbox_down" and down.exit_code == 1
    danish = make_settings(shop={"language": "da"})
    assert error_line(down, danish) == (
        "sandkassens Asterisk (walk) kører ikke; `check` indlæser filerne i den "
        "(spillway pbx sandbox up) [pbx.sandbox_down]"
    )
    assert str(down) == (
        "the sandbox Asterisk (walk) is not running; `check` loads the files into it "
        "(spillway pbx sandbox up)"
    )


def test_an_unknown_model_is_named_in_the_admins_language() -> None:
    from models.registry import get_spec

    with pytest.raises(InputError) as unknown:
        get_spec("whisper-huge")
    assert unknown.value.code == "input.unknown_model"
    assert str(unknown.value).startswith("unknown model 'whisper-huge' (known models: ")
    danish = error_line(unknown.value, make_settings(shop={"language": "da"}))
    assert danish.startswith("ukendt model 'whisper-huge' (kendte modeller: ")
    assert danish.endswith(") [input.unknown_model]")


@pytest.mark.parametrize(
    ("number", "da", "en"),
    [
        ("+4590123456", "overtakserede numre", "a premium-rate number"),
        ("+4580123456", "gratisnumre", "a toll-free number"),
    ],
)
def test_the_kind_of_number_never_called_back_is_in_the_admins_words(
    number: str, da: str, en: str
) -> None:
    """A Danish admin read "numre af typen premium-rate": phonenumbers' own name."""
    phone, why = phone_refusal(number)
    assert phone is None and why is not None
    assert why.said(load_console_text("da")) == f"der ringes ikke tilbage til {da}"
    assert str(why) == f"{en} is not called back"
