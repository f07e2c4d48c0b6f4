"""Why a policy chose a callback's time is stored as a code and its values
(``callback_requests.plan_reason``) and worded when shown: `callbacks show` and
`callbacks explain` say it in Danish for a Danish admin (they printed the stored English
sentence). Rows stored before as English sentences of the policies' kinds are read back
into their codes when shown, never rewritten; any other stored text is shown as stored."""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from cli.main import app
from scheduler import requests
from scheduler.outcomes import AttemptOutcome
from scheduler.rules import RequestFacts, rules_from_settings
from scheduler.timing.plan_reason import chance, read_reason, reason_words, retry
from scheduler.timing.policy import ConventionalPolicy
from spillway.console_text import load_console_text
from spillway.storage import SqliteStore
from tests.conftest import make_settings
from tests.test_callbacks_explain import _request

EN, DA = load_console_text("en"), load_console_text("da")


def test_a_plan_stores_its_reason_as_a_code_and_its_values(store: SqliteStore) -> None:
    rules = rules_from_settings(make_settings())
    facts = RequestFacts(phone="+4520123456", timezone="Europe/Copenhagen", created_at=time.time())
    plan = ConventionalPolicy().plan(facts, time.time(), AttemptOutcome.NO_ANSWER, rules)
    request_id = _request(store, "+4520123456")
    with store.transaction() as tx:
        requests.keep_plan(tx, request_id, plan)
    [row] = store.query("SELECT plan_reason FROM callback_requests WHERE id = ?", (request_id,))
    assert json.loads(row["plan_reason"]) == {"code": "retry", "outcome": "no_answer"}
    # Logs and the closing error keep the English words.
    assert str(plan.reason) == "retry after no answer"


@pytest.mark.parametrize(
    ("stored", "english", "danish"),
    [
        (retry("busy").stored(), "retry after busy", "nyt forsøg efter optaget"),
        (
            chance(0.42, 0.8712, "christmas").stored(),
            "a 42% chance the customer answers then, the best time the calling rules allow "
            "once the wait is weighed in, season christmas",
            "42 % chance for, at kunden svarer på det tidspunkt, det bedste opkaldsreglerne "
            "tillader, når ventetiden er regnet med, sæson christmas",
        ),
        # Stored before the codes: the policies' English sentences, read back.
        ("as soon as allowed", "as soon as allowed", "så snart det er tilladt"),
        ("retry after no_answer", "retry after no answer", "nyt forsøg efter intet svar"),
        (
            "P(answer) 60% in this hour, lead value 1.00",
            "a 60% chance the customer answers then, the best time the calling rules allow "
            "once the wait is weighed in",
            "60 % chance for, at kunden svarer på det tidspunkt, det bedste opkaldsreglerne "
            "tillader, når ventetiden er regnet med",
        ),
        (
            "no allowed time before the request expires",
            "no allowed time before the request expires",
            "intet tilladt tidspunkt, før tilbagekaldet udløber",
        ),
        # Text of no known kind (a test's own policy, say) is shown as stored.
        ("the model's best hour", "the model's best hour", "the model's best hour"),
    ],
)
def test_a_stored_reason_is_said_in_each_language(stored: str, english: str, danish: str) -> None:
    assert reason_words(stored, EN) == english
    assert reason_words(stored, DA) == danish


def test_a_json_reason_of_no_known_code_is_not_read() -> None:
    assert read_reason('{"code": "invented"}') is None
    assert reason_words('{"code": "invented"}', DA) == '{"code": "invented"}'


def _planned(store: SqliteStore, reason: str) -> int:
    request_id = _request(store, "+4520123456")
    store.execute(
        "UPDATE callback_requests SET planned_by = 'traditional', plan_pick_share = 1.0, "
        "plan_reason = ? WHERE id = ?",
        (reason, request_id),
    )
    return request_id


@pytest.mark.parametrize(
    ("language", "said", "not_said"),
    [
        ("da", ": nyt forsøg efter intet svar", "retry after"),
        ("en", ": retry after no answer", "nyt forsøg"),
    ],
)
def test_callbacks_show_says_the_plans_reason_in_the_admins_language(
    store: SqliteStore, language: str, said: str, not_said: str
) -> None:
    request_id = _planned(store, retry("no_answer").stored())
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(store.path),
        "SPILLWAY_SHOP__LANGUAGE": language,
        "COLUMNS": "300",
    }
    done = CliRunner().invoke(app, ["callbacks", "show", str(request_id)], env=env)
    assert done.exit_code == 0, done.output
    assert said in done.output and not_said not in done.output, done.output
    # Shown in words, stored as it was: nothing is rewritten.
    [row] = store.query("SELECT plan_reason FROM callback_requests WHERE id = ?", (request_id,))
    assert row["plan_reason"] == retry("no_answer").stored()


@pytest.mark.parametrize(
    ("language", "said"),
    [("da", "(så snart det er tilladt)"), ("en", "(as soon as allowed)")],
)
def test_callbacks_explain_says_an_old_english_reason_in_the_admins_language(
    store: SqliteStore, language: str, said: str
) -> None:
    request_id = _planned(store, "as soon as allowed")
    store.execute(
        "UPDATE callback_requests SET not_before = ? WHERE id = ?", (time.time() + 3600, request_id)
    )
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(store.path),
        "SPILLWAY_SHOP__LANGUAGE": language,
        "COLUMNS": "300",
    }
    done = CliRunner().invoke(app, ["callbacks", "explain", str(request_id)], env=env)
    assert done.exit_code == 0, done.output
    assert said in done.output, done.output
    [row] = store.query("SELECT plan_reason FROM callback_requests WHERE id = ?", (request_id,))
    assert row["plan_reason"] == "as soon as allowed"
