"""What an erasure says it did, in English and Danish: the sentence that the number stays
on the do-not-call list (as a keyed hash) only for a number that was on it, in the
result, `spillway gdpr forget` and the console's data-protection page; and the CLI's
"are you sure?" answered in the admin's language (j/ja in Danish)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from scheduler.subject_access import export_person
from spillway.console_text import load_console_text
from spillway.erasure import forget
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.gdpr_world import opted_out_and_bystander
from tests.test_console_data_protection import USERS, _client

KEY = "k3y-for-the-forget-tests"
OPTED, PLAIN = "20123456", "31223344"  # on the do-not-call list, and not
LANGUAGES = ["en", "da"]


@pytest.fixture
async def world(tmp_path: Path) -> SqliteStore:
    return await opted_out_and_bystander(tmp_path, opted=OPTED, plain=PLAIN)


def _forget(
    store: SqliteStore, national: str, language: str, *args: str, answer: str = ""
) -> Result:
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(store.path),
        "SPILLWAY_GDPR__HASH_KEY": KEY,
        "SPILLWAY_SHOP__LANGUAGE": language,
    }
    return CliRunner().invoke(app, ["gdpr", "forget", national, *args], input=answer, env=env)


def _flat(output: str) -> str:
    return " ".join(output.split())


async def test_the_result_says_whether_the_number_stays_on_the_do_not_call_list(
    world: SqliteStore,
) -> None:
    key = KEY.encode()
    plain = forget(world, "+45" + PLAIN, key=key, actor="dpo", now=time.time())
    opted = forget(world, "+45" + OPTED, key=key, actor="dpo", now=time.time())
    assert plain.total > 0 and not plain.do_not_call_kept
    assert opted.do_not_call_kept and opted.rows["do_not_call"] == 1
    # Forgotten again: nothing left to erase, but the hash an erasure left still blocks it.
    again = forget(world, "+45" + OPTED, key=key, actor="dpo", now=time.time())
    assert again.rows["do_not_call"] == 0 and again.do_not_call_kept


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_cli_claims_a_kept_do_not_call_entry_only_when_there_was_one(
    world: SqliteStore, language: str
) -> None:
    kept = load_console_text(language)("cli.gdpr.do_not_call_kept")
    plain = _forget(world, PLAIN, language, "--yes")
    opted = _forget(world, OPTED, language, "--yes")
    assert plain.exit_code == 0 and opted.exit_code == 0, plain.output + opted.output
    assert kept not in _flat(plain.output)
    assert "do-not-call" not in plain.output and "spærret" not in plain.output
    assert kept in _flat(opted.output)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_console_claims_a_kept_do_not_call_entry_only_when_there_was_one(
    world: SqliteStore, language: str
) -> None:
    text = load_console_text(language)
    settings = Settings(
        web={
            "users": USERS,
            "session_secret": "s" * 40,
            "language": language,
        },
        gdpr={"hash_key": KEY},
        callbacks={"spool_dir": str(world.path.parent / "spool")},
    )
    results = {}
    async with _client((world, settings), "ada") as (client, token):
        for national in (PLAIN, OPTED):
            done = await client.post(
                "/data-protection/forget",
                data={"phone": national, "confirm": "+45" + national, "csrf_token": token},
            )
            assert done.status_code == 303
            page = (await client.get("/data-protection")).text
            results[national] = page.split('id="forgotten"')[1].split("</section>")[0]
    # The counts' sentence ends where it did before the keyed hash was claimed in it.
    after_counts = text("dp.forgotten_counts", rows="", callbacks="\0").split("\0")[1]
    for result in results.values():
        assert re.search(r"\d+ \S+ \S+" + re.escape(after_counts) + "</p>", result), result
    # No keyed hash claimed, in this sentence or its own, for the number never on the list.
    assert 'id="do-not-call-kept"' not in results[PLAIN] and "hash" not in results[PLAIN]
    assert f'<p id="do-not-call-kept">{text("dp.do_not_call_kept")}</p>' in results[OPTED]


@pytest.mark.parametrize(
    ("language", "yes", "no", "suffix", "again", "nothing"),
    [
        ("en", "yes", "n", "[y/N]:", "Please answer y or n.", "Nothing erased."),
        ("da", "j", "nej", "[j/N]:", "Svar j eller n.", "Intet er slettet."),
    ],
)
async def test_the_confirmation_takes_the_admins_yes_and_no(
    world: SqliteStore,
    language: str,
    yes: str,
    no: str,
    suffix: str,
    again: str,
    nothing: str,
) -> None:
    refused = _forget(world, PLAIN, language, answer=f"{no}\n")
    assert refused.exit_code == 1 and nothing in refused.output
    assert suffix in refused.output and "Aborted" not in refused.output
    assert "Error" not in refused.output
    assert export_person(world, "+45" + PLAIN, Settings(), now=time.time()).rows > 0
    # Neither yes nor no: asked again in the admin's words; English "y" is taken too.
    done = _forget(world, PLAIN, language, answer=f"maybe\n{yes}\n")
    assert done.exit_code == 0, done.output
    assert again in done.output and done.output.count(suffix) == 2
    assert export_person(world, "+45" + PLAIN, Settings(), now=time.time()).rows == 0
    english = _forget(world, OPTED, language, answer="y\n")
    assert english.exit_code == 0, english.output
    # The end of the input is a no, worded, never click's English "Aborted!".
    ended = _forget(world, OPTED, language, answer="")
    assert ended.exit_code == 1 and nothing in ended.output and "Abort" not in ended.output
