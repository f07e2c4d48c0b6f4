"""Why a callback request was closed, or its last attempt failed, is stored as a code and
its values (``callback_requests.last_error``, spillway/request_problem.py) and worded when
shown: `callbacks show` and `explain`, the console's request page and the data export say
it in Danish for a Danish admin (they showed the stored English sentence). Rows stored
before as English sentences of the product's kinds are read back into their codes when
shown, never rewritten; any other stored text is shown as stored."""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from cli.main import app
from scheduler import do_not_call
from scheduler.subject_access import export_person
from spillway import request_problem as problem
from spillway.console_text import load_console_text
from spillway.language_pack import load_pack
from spillway.phone import phone_refusal
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.console_fixtures import console_pages, console_settings
from tests.test_callbacks_explain import _request

EN, DA = load_console_text("en"), load_console_text("da")
PHONE = "+4520123456"


@pytest.mark.parametrize(
    ("made", "english", "danish"),
    [
        (problem.do_not_call(), "the number is on the do-not-call list", "der ikke må ringes til"),
        (
            problem.max_attempts(6, 6),
            "6 attempts made, at most 6",
            "6 forsøg foretaget, højst 6 tilladt",
        ),
        (problem.expired(), "the request has expired", "tilbagekaldet er udløbet"),
        (
            problem.no_time(),
            "no allowed time before the request expires",
            "intet tilladt tidspunkt, før tilbagekaldet udløber",
        ),
        (
            problem.rule_left_no_time("rule_min_gap", {"minutes": "30"}),
            "no allowed time before the request expires (less than 30 minutes since the last "
            "attempt)",
            "udløber (mindre end 30 minutter siden sidste opkald)",
        ),
        (problem.broken("no such zone"), "broken: no such zone", "fejl i tilbagekaldet: no such"),
        (problem.cancelled_by_admin(), "cancelled by an admin", "af en administrator"),
        (
            problem.cancelled_in_console("sam"),
            "cancelled by sam in the console",
            "annulleret af sam i konsollen",
        ),
        (problem.merged_into(12), "merged into request 12", "lagt sammen med tilbagekald 12"),
        (problem.erased(), "erased on request", "slettet på kundens anmodning"),
        (
            problem.served_inbound(),
            "a colleague took the customer's call in the queue before the callback",
            "en kollega tog sig af kunden i køen, før der blev ringet tilbage",
        ),
        (
            problem.cancelled_by_caller(),
            "the customer cancelled it in the same call, before it was dialled",
            "kunden aflyste det i samme opkald, før der blev ringet",
        ),
    ],
)
def test_each_problem_is_stored_as_its_code_and_said_in_each_language(
    made: problem.Problem, english: str, danish: str
) -> None:
    stored = made.stored()
    assert json.loads(stored)["code"] == made.code
    assert problem.read_problem(stored) == made
    assert problem.problem_words(stored, EN) == english
    said = problem.problem_words(stored, DA)
    assert said is not None and danish in said and said != english


def test_every_code_is_made_by_a_writer_above() -> None:
    """A code added without words and a test here would be shown as its JSON."""
    made = {
        problem.do_not_call().code,
        problem.max_attempts(1, 1).code,
        problem.expired().code,
        problem.no_time().code,
        problem.rule_left_no_time("rule_after_asked", {}).code,
        problem.broken("x").code,
        problem.cancelled_by_admin().code,
        problem.cancelled_in_console("x").code,
        problem.merged_into(1).code,
        problem.erased().code,
        problem.served_inbound().code,
        problem.cancelled_by_caller().code,
        problem.NUMBER_INVALID,
        problem.NUMBER_KIND,
        problem.NUMBER_ABROAD,
    }
    assert made == set(problem.CODES)


@pytest.mark.parametrize(
    ("number", "allowed"),
    [
        ("12", None),  # cannot be read
        ("+4590123456", None),  # premium-rate
        ("+4580123456", None),  # toll-free
        ("+46701234567", None),  # abroad, shop.country only
        ("+46701234567", ()),  # abroad, no country listed
        ("+46701234567", ("DK", "NO")),
        ("+881612345678", ("DK",)),  # satellite
    ],
)
def test_a_refused_number_is_said_as_intake_said_it_in_each_language(
    number: str, allowed: tuple[str, ...] | None
) -> None:
    """The code keeps all the intake's words need: the stored row says the same, in
    English and in Danish; and the English sentence stored before reads back to it."""
    e164, why = phone_refusal(number, "DK", allowed_countries=allowed)
    assert e164 is None and why is not None
    stored = problem.number_refused(why).stored()
    assert problem.problem_words(stored, EN) == str(why)
    assert problem.problem_words(stored, DA) == why.said(DA) != str(why)
    assert problem.read_problem(str(why)) == problem.number_refused(why)


@pytest.mark.parametrize(
    ("stored", "danish"),
    [
        # Stored before the codes: the product's English sentences, read back.
        ("the number is on the do-not-call list", "nummeret står på listen over numre"),
        ("6 attempts made, at most 6", "6 forsøg foretaget, højst 6 tilladt"),
        ("broken: 12 is not a zone", "fejl i tilbagekaldet: 12 is not a zone"),
        ("cancelled by 42 in the console", "annulleret af 42 i konsollen"),
        ("a premium-rate number is not called back", "der ringes ikke tilbage til overtakserede"),
        ("merged into request 7", "lagt sammen med tilbagekald 7"),
        # Text of no known kind, and JSON of no known code or missing its values: as stored.
        ("annulleret af en medarbejder", "annulleret af en medarbejder"),
        ('{"code": "invented"}', '{"code": "invented"}'),
        ('{"code": "max_attempts", "made": 3}', '{"code": "max_attempts", "made": 3}'),
    ],
)
def test_an_older_stored_problem_is_said_in_danish(stored: str, danish: str) -> None:
    said = problem.problem_words(stored, DA)
    assert said is not None and said.startswith(danish), said


def _opted_out(store: SqliteStore) -> int:
    """A request the customer's opt-out closed, as the product stores it now."""
    request_id = _request(store, PHONE)
    with store.transaction() as tx:
        do_not_call.opt_out(tx, PHONE, source="admin", now=time.time(), region="DK")
    return request_id


def _invoke(store: SqliteStore, language: str, *args: str) -> str:
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(store.path),
        "SPILLWAY_SHOP__LANGUAGE": language,
        "COLUMNS": "300",
    }
    done = CliRunner().invoke(app, ["callbacks", *args], env=env)
    assert done.exit_code == 0, done.output
    return done.output


def test_a_danish_admin_sees_why_a_do_not_call_request_closed_in_danish(
    store: SqliteStore,
) -> None:
    request_id = _opted_out(store)
    [row] = store.query(
        "SELECT status, last_error FROM callback_requests WHERE id = ?", (request_id,)
    )
    assert row["status"] == "cancelled" and json.loads(row["last_error"]) == {"code": "do_not_call"}
    danish = "nummeret står på listen over numre, der ikke må ringes til"
    shown = _invoke(store, "da", "show", str(request_id))
    assert danish in shown and "do-not-call" not in shown and '"code"' not in shown, shown
    explained = _invoke(store, "da", "explain", str(request_id))
    assert f"({danish})" in explained and "do-not-call" not in explained, explained
    english = _invoke(store, "en", "show", str(request_id))
    assert "the number is on the do-not-call list" in english, english
    # Shown in words, stored as it was: nothing is rewritten.
    [after] = store.query("SELECT last_error FROM callback_requests WHERE id = ?", (request_id,))
    assert after["last_error"] == row["last_error"]


def test_an_older_english_row_is_shown_in_danish_and_kept(store: SqliteStore) -> None:
    request_id = _request(store, PHONE)
    store.execute(
        "UPDATE callback_requests SET status = 'cancelled', closed_at = ?, "
        "last_error = 'cancelled by an admin' WHERE id = ?",
        (time.time(), request_id),
    )
    shown = _invoke(store, "da", "show", str(request_id))
    assert "annulleret af en administrator" in shown and "by an admin" not in shown, shown
    [row] = store.query("SELECT last_error FROM callback_requests WHERE id = ?", (request_id,))
    assert row["last_error"] == "cancelled by an admin"


def test_the_export_keeps_the_stored_codes_and_words_them_beside(store: SqliteStore) -> None:
    """The export gives the rows as stored (the right of access is to what is kept), and
    the coded columns' words in the shop's language beside them."""
    request_id = _opted_out(store)
    store.execute(
        "UPDATE callback_requests SET plan_reason = ? WHERE id = ?",
        ('{"code": "retry", "outcome": "busy"}', request_id),
    )
    for language, closed, planned in (
        (
            "da",
            "nummeret står på listen over numre, der ikke må ringes til",
            "nyt forsøg efter optaget",
        ),
        ("en", "the number is on the do-not-call list", "retry after busy"),
    ):
        settings = Settings(shop={"language": language})
        exported = export_person(store, PHONE, settings, now=time.time()).as_json()
        [row] = exported["data"]["callback_requests"]
        assert json.loads(row["last_error"]) == {"code": "do_not_call"}
        assert row["last_error_words"] == closed
        assert row["plan_reason_words"] == planned
        # Only the coded columns are worded: no other table gains a field.
        assert not any("last_error_words" in r for r in exported["data"].get("sms_outbox", []))


@pytest.mark.asyncio(loop_scope="session")
async def test_a_requests_page_says_why_it_closed_in_the_consoles_language(
    console_db: AsyncStore, store: SqliteStore
) -> None:
    """The page's problem and its plan line (closed, and why) say the stored code in words,
    an older English row too, never the stored JSON."""
    rows = {
        3: problem.cancelled_in_console("sam").stored(),
        4: "the request has expired",  # stored before the codes
    }
    for request_id, stored in rows.items():
        store.execute(
            "UPDATE callback_requests SET status = 'cancelled', last_error = ? WHERE id = ?",
            (stored, request_id),
        )
    said = {
        "da": ("annulleret af sam i konsollen", "tilbagekaldet er udløbet"),
        "en": ("cancelled by sam in the console", "the request has expired"),
    }
    for language, (cancelled, expired) in said.items():
        pages = await console_pages(
            console_settings(language), console_db, ["/requests/3", "/requests/4"]
        )
        assert f'<dd id="problem">{cancelled}</dd>' in pages["/requests/3"], language
        assert pages["/requests/3"].count(cancelled) >= 2  # the plan's closing line too
        assert f'<dd id="problem">{expired}</dd>' in pages["/requests/4"], language
        assert "&#34;code&#34;" not in pages["/requests/3"] + pages["/requests/4"]


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_rule_problem_with_values_is_said_with_them_and_a_day_named(language: str) -> None:
    # A cap or a closed day keeps its values: the words name them, the weekday by name.
    text = load_console_text(language)
    pack = load_pack(language)
    capped = problem.rule_left_no_time("rule_number_per_day", {"made": 3, "most": 3})
    assert pack.say("rule_number_per_day", made=3, most=3) in capped.said(text)
    closed = problem.read_problem(
        problem.rule_left_no_time("rule_closed_day", {"weekday": 6}).stored()
    )
    assert closed is not None
    assert pack.reading.weekdays[6] in closed.said(text)
    # A key no pack has (a rule since renamed) is said as no time, not as an error.
    gone = problem.rule_left_no_time("rule_gone", {})
    assert gone.said(text) == text("plan_reason.no_time")
