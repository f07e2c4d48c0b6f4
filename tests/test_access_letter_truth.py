"""What a new admin found wrong in the access answer, the audit log and the retention words.

1. After `gdpr forget` the do-not-call entry stays as the number's keyed hash, yet
   `gdpr export` left it out: "Her er alt, hvad vi har gemt" with no "Spærret mod opkald"
   section, and the JSON's data without it. It is data about this number (found by its
   keyed hash), so both give it, saying it is only a keyed hash, kept for the opt-out.
2. The letter said a hold is kept "until you ask us to erase it" (forget refuses a held
   number), orders "(the link to the person is removed)" while still linked and only as
   "2 entries", and an uncalled request "We called you 0 times:" with nothing after it.
3. `gdpr audit` called a release "frigivelse" where every other Danish message says the
   hold is "ophævet", in lines whose columns did not line up.
4. gdpr.call_times_months longer than gdpr.phone_numbers_months kept the numbers in
   calls, attempts and signals longer than phone_numbers_months says, and `config check`
   said all was fine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli.doctor import check_retention
from cli.main import app
from scheduler.subject_access import SubjectExport
from scheduler.subject_letter import subject_letter
from spillway.console_text import load_console_text
from spillway.personal_data import PERSONAL_DATA
from spillway.retention_periods import numbers_kept_longer, periods_warning
from spillway.settings import GdprSettings, Settings
from spillway.storage import SqliteStore
from tests.gdpr_world import opted_out_and_bystander

KEY = "k3y-for-the-letter"
ANNA, BO = "20123456", "31987654"  # Anna asked not to be called; Bo did not
PHONE = "+4520123456"
AT = 1796300000.0  # 3 December 2026, 10:13 in Copenhagen
LANGUAGES = ("en", "da")


def _letter_words(language: str) -> dict[str, str]:
    """The letter's words as the pack holds them (dp.letter in console.yaml)."""
    text = load_console_text(language)
    return {k.removeprefix("dp.letter."): v for k, v in text.strings.items() if "letter." in k}


def _gdpr(store: SqliteStore, language: str, *args: str, **more: str) -> Result:
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(store.path),
        "SPILLWAY_GDPR__HASH_KEY": KEY,
        "SPILLWAY_SHOP__LANGUAGE": language,
        "SPILLWAY_WEB__LANGUAGE": language,
        "COLUMNS": "200",
        **more,
    }
    return CliRunner().invoke(app, ["gdpr", *args], env=env)


@pytest.fixture
async def world(tmp_path: Path) -> SqliteStore:
    return await opted_out_and_bystander(tmp_path, opted=ANNA, plain=BO)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_erased_number_s_hashed_opt_out_is_in_its_export(
    world: SqliteStore, language: str
) -> None:
    forgot = _gdpr(world, language, "forget", ANNA, "--yes")
    assert forgot.exit_code == 0, forgot.output
    letter = _gdpr(world, language, "export", ANNA, "--format", "text")
    as_json = _gdpr(world, language, "export", ANNA)
    assert letter.exit_code == 0 and as_json.exit_code == 0, letter.output + as_json.output
    text = load_console_text(language)
    words = _letter_words(language)
    # The section, its entry said to be a keyed hash only, kept for the opt-out.
    assert text("table.do_not_call")[:1].upper() + text("table.do_not_call")[1:] in letter.stdout
    said = words["do_not_call_hashed"].split("{when}")[1]
    assert said in letter.stdout and ("keyed hash" if language == "en" else "nøglet hash") in said
    assert f"{words['kept'].split('{period}')[0]}{words['kept_do_not_call_hashed']}" in (
        letter.stdout
    )
    assert words["nothing"] not in letter.stdout
    data = json.loads(as_json.stdout)["data"]
    assert data.keys() == {"do_not_call"}
    [entry] = data["do_not_call"]
    assert entry["phone"].startswith("hmac:") and PHONE not in as_json.stdout.split('"phone"')[2]
    assert entry["phone_words"] == text("dp.export_fields.keyed_number")


async def test_a_plain_opt_out_is_said_as_the_number_with_no_hash_words(
    world: SqliteStore,
) -> None:
    as_json = _gdpr(world, "da", "export", ANNA)
    [entry] = json.loads(as_json.stdout)["data"]["do_not_call"]
    assert entry["phone"] == PHONE and "phone_words" not in entry
    letter = _gdpr(world, "da", "export", ANNA, "--format", "text").stdout
    words = _letter_words("da")
    assert words["do_not_call"].split("{when}")[0] in letter
    assert words["kept_do_not_call"] in letter
    assert words["do_not_call_hashed"].split("{when}")[1] not in letter


def _tables(**rows: list[dict]) -> dict[str, list[dict]]:
    tables: dict[str, list[dict]] = {t.name: [] for t in PERSONAL_DATA}
    tables.update(rows)
    return tables


def _letter(language: str, **rows: list[dict]) -> str:
    found = SubjectExport(PHONE, AT, _tables(**rows), [], "Europe/Copenhagen", language)
    return subject_letter(found, Settings(shop={"language": language}))


def _request(status: str) -> dict:
    return {
        "id": 3,
        "phone": PHONE,
        "source": "csv",
        "status": status,
        "created_at": AT,
        "not_before": None,
        "not_after": None,
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_request_not_called_says_so_without_a_dangling_colon(language: str) -> None:
    words = _letter_words(language)
    waiting = _letter(language, callback_requests=[_request("pending")])
    closed = _letter(language, callback_requests=[_request("cancelled")])
    assert words["not_called_yet"] in waiting and words["not_called_yet"] not in closed
    assert words["not_called"] in closed
    zero = words["attempts.other"].replace("{n}", "0")
    for letter in (waiting, closed):
        assert zero not in letter
        assert not [line for line in letter.splitlines() if line.rstrip().endswith(":")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_hold_is_kept_until_released_not_until_erasure_is_asked(language: str) -> None:
    words = _letter_words(language)
    held = [{"phone": PHONE, "held_at": AT, "held_by": "dpo", "reason": "SAR-1"}]
    letter = _letter(language, gdpr_holds=held)
    kept = [line.strip() for line in letter.splitlines() if words["kept"][:12] in line]
    assert kept == [words["kept"].format(period=words["kept_hold"])]
    assert words["until_erased"] not in letter


@pytest.mark.parametrize("language", LANGUAGES)
def test_orders_are_said_as_stored_with_the_accounting_reason_as_it_stands(
    language: str,
) -> None:
    words = _letter_words(language)
    order = {
        "number": "10042",
        "customer_phone": PHONE,
        "status": "shipped",
        "carrier": "GLS",
        "tracking_number": "00340434161094042",
        "created_at": AT,
        "delivered_at": None,
    }
    linked = _letter(language, orders=[order, {**order, "number": "10046", "carrier": None}])
    assert "10042" in linked and "10046" in linked and "00340434161094042" in linked
    assert words["order_status.shipped"] in linked
    assert words["entries.other"].replace("{n}", "2") not in linked
    assert words["kept_orders"] in linked and words["kept_orders_unlinked"] not in linked
    # The purpose no longer claims a link is removed; the unlinked order says it is.
    removed = "koblingen til personen er fjernet" if language == "da" else "link is blanked"
    assert removed not in linked
    unlinked = _letter(language, orders=[{**order, "customer_phone": None}])
    assert words["kept_orders_unlinked"] in unlinked and words["kept_orders"] not in unlinked


def test_one_danish_word_for_ending_a_hold() -> None:
    """ "ophæve" everywhere: the audit log's action, the console's button, the messages."""
    found = []
    for name in ("console.yaml", "prompts.yaml"):
        path = Path(__file__).parents[1] / "spillway" / "languages" / "da" / name
        found += [line for line in path.read_text().splitlines() if "frigiv" in line.lower()]
    assert found == []
    assert load_console_text("da")("audit.release") == "ophævelse"


async def test_the_audit_log_is_a_table_whose_columns_line_up(world: SqliteStore) -> None:
    _gdpr(world, "da", "hold", BO, "--reason", "SAR-1")
    _gdpr(world, "da", "release", BO, "--reason", "SAR-1 besvaret")
    listing = _gdpr(world, "da", "audit")
    assert listing.exit_code == 0, listing.output
    out = listing.stdout
    assert "ophævelse" in out and "frigivelse" not in out and "SAR-1 besvaret" in out
    # Every row of the table has its column borders at the same places as the header.
    rows = [line for line in out.splitlines() if line.startswith(("┃", "│"))]
    bars = {tuple(i for i, ch in enumerate(line) if ch in "┃│") for line in rows}
    assert len(rows) >= 3 and len(bars) == 1, out
    assert "tilbageholdelser: 1" in out  # the rows per table, in the pack's words


def test_the_periods_warn_when_numbers_outlast_their_setting() -> None:
    longer = GdprSettings(phone_numbers_months=6, call_times_months=36)
    assert set(numbers_kept_longer(longer)) == {"calls", "callback_attempts", "customer_signals"}
    assert numbers_kept_longer(GdprSettings()) == ()  # 24 and 12: as the names say
    assert numbers_kept_longer(GdprSettings(phone_numbers_months=6, call_times_months=6)) == ()
    for language in LANGUAGES:
        text = load_console_text(language)
        said = periods_warning(longer, text)
        assert said is not None and periods_warning(GdprSettings(), text) is None
        assert "gdpr.call_times_months" in said and "gdpr.phone_numbers_months" in said
        for name in ("calls", "callback_attempts", "customer_signals"):
            assert text(f"table.{name}") in said
        assert text.count("count.months", 36) in said and text.count("count.months", 6) in said


def _months(phone_numbers: int, call_times: int) -> dict[str, str]:
    return {
        "SPILLWAY_GDPR__PHONE_NUMBERS_MONTHS": str(phone_numbers),
        "SPILLWAY_GDPR__CALL_TIMES_MONTHS": str(call_times),
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_config_check_and_doctor_warn_and_the_record_names_each_table_s_setting(
    store: SqliteStore, language: str
) -> None:
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(store.path),
        "SPILLWAY_SHOP__LANGUAGE": language,
        "COLUMNS": "400",
    }
    text = load_console_text(language)
    warned = CliRunner().invoke(app, ["config", "check"], env={**env, **_months(6, 36)})
    plain = CliRunner().invoke(app, ["config", "check"], env=env)
    assert warned.exit_code == 0 and plain.exit_code == 0, warned.output
    longer = GdprSettings(phone_numbers_months=6, call_times_months=36)
    warning = periods_warning(longer, text)
    assert warning is not None and warning in " ".join(warned.stdout.split())
    assert "gdpr.phone_numbers_months" not in plain.stdout
    check = check_retention(Settings(shop={"language": language}, gdpr=longer))
    assert check.ok and check.warning and "gdpr.call_times_months" in check.detail
    assert not check_retention(Settings(shop={"language": language})).warning
    record = CliRunner().invoke(app, ["gdpr", "record"], env={**env, **_months(6, 36)}).stdout
    lines = [line for line in record.splitlines() if line.startswith("| ")]
    rows = {line.split(":")[0].strip("| "): line for line in lines}
    for name in ("calls", "callback_attempts", "customer_signals"):
        assert "| gdpr.call_times_months |" in rows[name], rows[name]
        assert text.count("count.months", 36) in rows[name]
    for name in ("callback_requests", "cases", "sms_outbox"):
        assert "| gdpr.phone_numbers_months |" in rows[name]
    assert text("cli.record.no_setting") in rows["gdpr_holds"]
    assert warning in record
