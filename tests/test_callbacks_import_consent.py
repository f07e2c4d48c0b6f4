"""A callback is a call to a real person, made only when it was meant: a CSV row or an API
request whose consent says no is refused and stores nothing; a number on the do-not-call
list (also one erased while on it) is refused the same way at both doors, by line in the
import, with its code, and the import still exits 0 (only a row to correct fails a cron
job); and `callbacks optout --remove` takes a number off the list again after asking,
in the admin's language."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from typer.testing import CliRunner

from cli.main import app
from scheduler.csv_import import parse_csv, to_fix
from spillway.erasure import forget
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.api_client import api_client

KEY = "k3y-for-the-consent-tests"
TOKEN = "t0ken-for-tests-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# What each pack says of a refused row, and of the summary (line numbers are the file's).
SAID = {
    "en": {
        "no_consent": "line 3: consent says no: the customer did not agree to be called back",
        "do_not_call": "line 2: phone '+********56': the number is on the do-not-call list",
        "summary": "0 requests added, 0 merged into open ones, 1 already there, "
        "1 row refused (0 to correct, 1 on the do-not-call list, 0 whose consent says no)",
        "not_done": "Nothing changed: +********56 stays on the do-not-call list.",
        "removed": "+********56 is off the do-not-call list",
        "yes": "y",
        "as_asked": "Every refused row was refused as the customer asked (on the do-not-call "
        "list, or consent says no): nothing to correct.",
        "to_fix": "1 row to correct in",
    },
    "da": {
        "no_consent": "linje 3: consent er nej: kunden har ikke sagt ja til at blive ringet op",
        "do_not_call": "linje 2: nummeret '+********56': det står på listen over numre, "
        "der ikke må ringes til",
        "summary": "0 tilbagekald tilføjet, 0 lagt sammen med åbne, 1 fandtes allerede, "
        "1 række afvist (0 skal rettes, 1 spærret mod opkald, 0 uden samtykke)",
        "not_done": "Intet er ændret: +********56 står stadig på listen over numre, "
        "der ikke må ringes til.",
        "removed": "+********56 er fjernet fra listen over numre, der ikke må ringes til",
        "yes": "j",
        "as_asked": "Alle afviste rækker blev afvist efter kundens eget ønske (spærret mod opkald, "
        "eller uden samtykke): der er intet at rette.",
        "to_fix": "1 række skal rettes i",
    },
}


def _cli(store: SqliteStore, language: str, *args: str, answer: str = "") -> tuple[int, str]:
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(store.path),
        "SPILLWAY_SHOP__LANGUAGE": language,
        "SPILLWAY_GDPR__HASH_KEY": KEY,
    }
    done = CliRunner().invoke(app, ["callbacks", *args], env=env, input=answer)
    return done.exit_code, " ".join(done.output.split())


def _import(store: SqliteStore, language: str, folder: Path, text: str) -> tuple[int, str]:
    """`callbacks import` of a file holding ``text``: its exit code and what it said."""
    csv_file = folder / "in.csv"
    csv_file.write_text(text)
    return _cli(store, language, "import", str(csv_file))


def _names(store: SqliteStore) -> list[str | None]:
    return [r["name"] for r in store.query("SELECT name FROM callback_requests ORDER BY id")]


@pytest.mark.parametrize("no", ["no", "nej", "NEJ", "false", "0", "n", "f"])
def test_every_no_the_docs_accept_refuses_the_row(no: str) -> None:
    text = f"phone;name;consent\n20123456;Yes;ja\n+4546464646;NoConsent;{no}\n"
    parsed = parse_csv(text, region="DK", default_timezone="Europe/Copenhagen")
    assert [(line, r.name, r.consent) for line, r in parsed.requests] == [(2, "Yes", True)]
    assert [(e.line, e.code) for e in parsed.errors] == [(3, "callback.no_consent")]


def test_an_empty_or_missing_consent_says_nothing_and_the_row_goes_in() -> None:
    """The docs require only ``phone``: a file without consent imports as before."""
    for text in ("phone,name,consent\n20123456,Anna,\n", "phone,name\n20123456,Anna\n"):
        parsed = parse_csv(text, region="DK", default_timezone="Europe/Copenhagen")
        assert parsed.errors == []
        assert [(r.name, r.consent) for _, r in parsed.requests] == [("Anna", False)]


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_row_without_consent_is_refused_by_line_and_leaves_no_trace(
    store: SqliteStore, tmp_path: Path, language: str
) -> None:
    code, said = _import(
        store,
        language,
        tmp_path,
        "phone;name;consent\n20123456;Anna;ja\n+4546464646;NoConsent;nej\n",
    )
    assert code == 0, said  # refused as the customer asked: a cron job has nothing to fix
    assert SAID[language]["no_consent"] in said and "[callback.no_consent]" in said
    assert SAID[language]["as_asked"] in said and SAID[language]["to_fix"] not in said
    assert _names(store) == ["Anna"]
    phones = [r["phone"] for r in store.query("SELECT phone FROM callback_requests")]
    assert "+4546464646" not in phones


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_re_import_after_an_opt_out_stores_nothing_and_says_so_by_line(
    store: SqliteStore, tmp_path: Path, language: str
) -> None:
    rows = "phone;name\n20123456;Anna\n31223344;Bo\n"
    assert _import(store, language, tmp_path, rows)[0] == 0
    assert _cli(store, language, "optout", "20123456")[0] == 0
    before = [dict(r) for r in store.query("SELECT id, status FROM callback_requests")]
    for _again in range(2):
        code, said = _import(store, language, tmp_path, rows)
        assert code == 0, said
        assert SAID[language]["do_not_call"] in said and "[callback.do_not_call]" in said
        assert SAID[language]["summary"] in said and SAID[language]["as_asked"] in said
    # Anna's one request, cancelled by the opt-out, and Bo's: no new row for either.
    after = [dict(r) for r in store.query("SELECT id, status FROM callback_requests")]
    assert after == before and [r["status"] for r in after] == ["cancelled", "pending"]


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_row_to_correct_beside_rows_refused_as_asked_exits_1_and_counts_only_it(
    store: SqliteStore, tmp_path: Path, language: str
) -> None:
    """The cron job fails for the row someone must fix, not for the customer's no."""
    store.insert("do_not_call", {"phone": "+4531223344", "source": "admin", "added_at": 1.0})
    code, said = _import(
        store,
        language,
        tmp_path,
        "phone;name;consent\n20123456;Anna;ja\n+4546464646;NoConsent;nej\n"
        "31223344;Listed;\n12;Typo;ja\n",
    )
    assert code == 1, said
    assert "[callback.bad_phone]" in said and "[callback.no_consent]" in said
    assert SAID[language]["to_fix"] + " " + str(tmp_path / "in.csv") in said
    assert SAID[language]["as_asked"] not in said
    assert _names(store) == ["Anna"]  # the good row is in all the same


def test_only_the_refusals_a_customer_asked_for_need_no_correcting() -> None:
    text = "phone;consent\n20123456;ja\n+4546464646;nej\n12;ja\n"
    parsed = parse_csv(text, region="DK", default_timezone="Europe/Copenhagen")
    assert [(e.line, e.as_asked) for e in parsed.errors] == [(3, True), (4, False)]
    assert [e.line for e in to_fix(parsed.errors)] == [4]


def test_a_number_erased_while_on_the_list_is_still_refused_and_can_be_taken_off(
    store: SqliteStore, tmp_path: Path
) -> None:
    """The erasure keeps only the keyed hash: the import matches it, and --remove
    takes that hash off too (the customer asked again)."""
    assert _cli(store, "en", "optout", "20123456")[0] == 0
    forget(store, "+4520123456", key=KEY.encode(), actor="dpo", now=time.time())
    [entry] = store.query("SELECT phone FROM do_not_call")
    assert "20123456" not in entry["phone"]  # the hash, not the number
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("phone,name\n20123456,Anna\n")
    code, said = _cli(store, "en", "import", str(csv_file))
    assert code == 0 and "[callback.do_not_call]" in said
    assert _names(store) == []
    code, said = _cli(store, "en", "optout", "--remove", "--yes", "20123456")
    assert code == 0 and SAID["en"]["removed"] in said
    assert store.query("SELECT phone FROM do_not_call") == []
    assert _cli(store, "en", "import", str(csv_file))[0] == 0
    assert _names(store) == ["Anna"]


@pytest.mark.parametrize("language", ["en", "da"])
def test_remove_asks_first_and_a_no_leaves_the_number_on_the_list(
    store: SqliteStore, language: str
) -> None:
    assert _cli(store, language, "optout", "20123456")[0] == 0
    code, said = _cli(store, language, "optout", "--remove", "20123456", answer="\n")
    assert code == 1 and SAID[language]["not_done"] in said
    assert [r["phone"] for r in store.query("SELECT phone FROM do_not_call")] == ["+4520123456"]
    answer = SAID[language]["yes"] + "\n"
    code, said = _cli(store, language, "optout", "--remove", "20123456", answer=answer)
    assert code == 0 and SAID[language]["removed"] in said
    assert store.query("SELECT phone FROM do_not_call") == []


def test_remove_takes_one_number(store: SqliteStore, tmp_path: Path) -> None:
    listed = tmp_path / "robinson.txt"
    listed.write_text("20123456\n")
    env = {"SPILLWAY_STORAGE__SQLITE_PATH": str(store.path)}
    args = ["callbacks", "optout", "--remove", "--file", str(listed)]
    refused = CliRunner().invoke(app, args, env=env)
    assert refused.exit_code != 0 and "--remove takes one number" in str(refused.exception)


@pytest_asyncio.fixture(loop_scope="session")
async def client(store: SqliteStore) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(web={"api_token": TOKEN}, gdpr={"hash_key": KEY})
    async with api_client(settings, store) as c:
        yield c


@pytest.mark.asyncio(loop_scope="session")
async def test_the_api_refuses_consent_false_and_stores_nothing(
    client: httpx.AsyncClient, store: SqliteStore
) -> None:
    refused = await client.post(
        "/callbacks", json={"phone": "+4546464646", "name": "No", "consent": False}, headers=AUTH
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "no_consent"
    assert refused.json()["error"]["field"] == "consent"
    assert _names(store) == []
    for phone, body in (("+4520123456", {"consent": True}), ("+4531223344", {})):
        taken = await client.post("/callbacks", json={"phone": phone, **body}, headers=AUTH)
        assert taken.status_code == 201, taken.text
        assert taken.json()["status"] == "pending"


@pytest.mark.asyncio(loop_scope="session")
async def test_the_api_refuses_a_do_not_call_number_and_stores_nothing(
    client: httpx.AsyncClient, store: SqliteStore
) -> None:
    store.insert("do_not_call", {"phone": "+4520123456", "source": "admin", "added_at": 1.0})
    answer = await client.post(
        "/callbacks", json={"phone": "20 12 34 56", "name": "Anna"}, headers=AUTH
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == ("do_not_call", "phone")
    assert "do-not-call list" in error["message"]
    assert store.query("SELECT * FROM callback_requests") == []
