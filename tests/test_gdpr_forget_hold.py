"""`spillway gdpr forget` says what it erases before it asks (and with --yes), table by
table as `gdpr export` finds it, and does not erase a number on hold (an access request
in progress) unless --release-hold says why the hold ends: the audit log then keeps
the release and its reason, then the erasure."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from scheduler.forget_person import OnHold, forget_everywhere
from scheduler.subject_access import export_person
from spillway.console_text import load_console_text
from spillway.errors import InputError
from spillway.personal_data import PERSONAL_DATA
from spillway.phone import mask_phone
from spillway.retention import hold
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.gdpr_world import opted_out_and_bystander

KEY = "k3y-for-the-tests"
ANNA, BO = "20123456", "31987654"  # the person forgotten, and a bystander
HELD = {
    "en": "ON HOLD since",
    "da": "TILBAGEHOLDT siden",
}
NOTHING_ERASED = {"en": "Nothing erased.", "da": "Intet er slettet."}


@pytest.fixture
async def world(tmp_path: Path) -> SqliteStore:
    return await opted_out_and_bystander(tmp_path, opted=ANNA, plain=BO)


def _run(world: SqliteStore, language: str, *args: str, answer: str | None = None) -> Result:
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(world.path),
        "SPILLWAY_GDPR__HASH_KEY": KEY,
        "SPILLWAY_WEB__LANGUAGE": language,
        "COLUMNS": "400",
    }
    return CliRunner().invoke(app, ["gdpr", *args], input=answer, env=env)


def _stored(world: SqliteStore, national: str) -> dict[str, int]:
    """Rows per table about ``national``, as `gdpr export` finds them."""
    found = export_person(world, "+45" + national, Settings(), now=time.time())
    return {name: len(rows) for name, rows in found.tables.items() if rows}


def _table_lines(language: str, stored: dict[str, int]) -> list[str]:
    t = load_console_text(language)
    return [
        t("cli.gdpr.forget_table", table=t(f"table.{name}"), rows=t.count("count.rows", n))
        for name, n in stored.items()
    ]


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_held_number_is_not_forgotten_even_with_yes(
    world: SqliteStore, language: str
) -> None:
    held = _run(world, language, "hold", BO, "--reason", "SAR-17")
    assert held.exit_code == 0, held.output
    before = _stored(world, BO)
    assert before["gdpr_holds"] == 1
    done = _run(world, language, "forget", BO, "--yes")
    assert done.exit_code == 1, done.output
    t = load_console_text(language)
    assert t("cli.gdpr.forget_what", phone="+45" + BO) in done.stdout
    for line in _table_lines(language, before):  # every table, in the admin's words
        assert line in done.stdout.splitlines()
    assert HELD[language] in done.stderr and "SAR-17" in done.stderr
    assert "--release-hold" in done.stderr
    assert done.stdout.strip().endswith(NOTHING_ERASED[language])
    assert _stored(world, BO) == before  # the hold and everything else still there
    actions = [r["action"] for r in world.query("SELECT action FROM gdpr_audit ORDER BY id")]
    assert actions == ["hold"]


async def test_a_held_number_is_refused_before_the_question(world: SqliteStore) -> None:
    assert _run(world, "da", "hold", BO, "--reason", "SAR-17").exit_code == 0
    done = _run(world, "da", "forget", BO, answer="j\n")
    assert done.exit_code == 1
    assert "[j/N]" not in done.output  # never asked: a "j" typed would have erased it
    assert "gdpr_holds" in _stored(world, BO)


@pytest.mark.parametrize("language", ["en", "da"])
async def test_release_hold_releases_with_its_reason_then_erases(
    world: SqliteStore, language: str
) -> None:
    assert _run(world, language, "hold", BO, "--reason", "SAR-17").exit_code == 0
    done = _run(world, language, "forget", BO, "--yes", "--release-hold", "SAR-17 answered")
    assert done.exit_code == 0, done.output
    assert "SAR-17 answered" in done.stdout and HELD[language] not in done.output
    assert _stored(world, BO) == {}
    assert _stored(world, ANNA)  # the bystander stays
    audit = world.query("SELECT action, reason FROM gdpr_audit ORDER BY id")
    assert [(r["action"], r["reason"]) for r in audit] == [
        ("hold", "SAR-17"),
        ("release", "SAR-17 answered"),
        ("forget", None),
    ]


@pytest.mark.parametrize("language", ["en", "da"])
async def test_the_question_comes_after_what_would_go(world: SqliteStore, language: str) -> None:
    before = _stored(world, ANNA)
    done = _run(world, language, "forget", ANNA, answer="n\n")
    assert done.exit_code == 1
    lines = done.stdout.splitlines()
    question = next(i for i, line in enumerate(lines) if "+45" + ANNA + "?" in line)
    shown = _table_lines(language, before)
    assert all(lines.index(line) < question for line in shown)
    assert HELD[language] not in done.output and _stored(world, ANNA) == before


@pytest.mark.parametrize("language", ["en", "da"])
async def test_what_was_erased_is_said_in_words(world: SqliteStore, language: str) -> None:
    done = _run(world, language, "forget", ANNA, "--yes")
    assert done.exit_code == 0, done.output
    [audited] = world.query("SELECT detail FROM gdpr_audit WHERE action = 'forget'")
    erased = json.loads(audited["detail"])  # what the erasure counted, per table
    assert erased
    t = load_console_text(language)
    lines = done.stdout.splitlines()
    after = lines.index(t("cli.gdpr.forgotten_what", phone=mask_phone("+45" + ANNA)))
    told = lines[after + 1 : after + 1 + len(erased)]
    assert sorted(told) == sorted(
        t("cli.gdpr.forget_table", table=t(f"table.{name}"), rows=t.count("count.rows", n))
        for name, n in erased.items()
    )
    names = [table.name for table in PERSONAL_DATA if t(f"table.{table.name}") != table.name]
    raw = [name for name in names if f"  {name}:" in done.stdout]
    assert raw == []  # the database's names ("transcript_turns") are not the admin's words


async def test_a_number_nothing_is_stored_about_says_so_first(world: SqliteStore) -> None:
    done = _run(world, "da", "forget", "20999999", "--yes")
    assert done.exit_code == 0, done.output
    assert "Der er intet gemt om +4520999999 i databasen." in done.stdout


async def test_a_release_reason_holding_the_number_is_refused_before_anything(
    world: SqliteStore,
) -> None:
    assert _run(world, "en", "hold", BO, "--reason", "SAR-17").exit_code == 0
    done = _run(world, "en", "forget", BO, "--yes", "--release-hold", f"done for {BO}")
    assert done.exit_code != 0
    assert "gdpr_holds" in _stored(world, BO)


async def test_forget_everywhere_refuses_a_held_number_with_a_typed_error(
    world: SqliteStore,
) -> None:
    """The rule is in the function every door calls, so no door can skip it."""
    settings = Settings(gdpr={"hash_key": KEY})
    bo = "+45" + BO
    hold(world, bo, reason="SAR-8", actor="ada", now=time.time())
    before = export_person(world, bo, settings, now=time.time()).rows
    with pytest.raises(OnHold) as refused:
        forget_everywhere(world, bo, settings, actor="ada", now=time.time())
    assert refused.value.code == "input.on_hold" and refused.value.hold["reason"] == "SAR-8"
    assert isinstance(refused.value, InputError)
    assert export_person(world, bo, settings, now=time.time()).rows == before
    forget_everywhere(world, bo, settings, actor="ada", now=time.time(), release_hold="SAR-8 done")
    assert export_person(world, bo, settings, now=time.time()).rows == 0
    actions = [r["action"] for r in world.query("SELECT action FROM gdpr_audit ORDER BY id")]
    assert actions == ["hold", "release", "forget"]
