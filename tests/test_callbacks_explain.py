"""`spillway callbacks explain ID`: the customer's right of access to how their callback
time is computed, in plain words, over a real SQLite database."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from scheduler.rules import CallingRules, RequestFacts, last_calling_day
from scheduler.timing.contact_model import AttemptLog, fit
from scheduler.timing.explain import DAYS, CallHistory, Explanation, explain
from spillway.console_text import load_console_text
from spillway.storage import AsyncStore, SqliteStore


def _config(tmp_path: Path, store: SqliteStore, extra: str = "") -> Path:
    config = tmp_path / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {store.path}\n{extra}")
    return config


def _request(store: SqliteStore, phone: str, **kwargs: object) -> int:
    with store.transaction() as tx:
        return intake.record(
            tx,
            NewRequest(phone, RequestSource.API, "t", segment="shops", **kwargs),  # type: ignore[arg-type]
            region="DK",
            now=time.time(),
        ).id


def _attempts(store: SqliteStore, request_id: int, phone: str, outcomes: list[str]) -> None:
    for n, outcome in enumerate(outcomes, start=1):
        store.insert(
            "callback_attempts",
            {
                "id": uuid.uuid4().hex,
                "request_id": request_id,
                "phone": phone,
                "attempt_no": n,
                "started_at": time.time() - 86400 * n,
                "ended_at": time.time() - 86400 * n + 30,
                "outcome": outcome,
                "local_weekday": 1,
                "local_hour": 10,
                "hours_since_request": 1.0,
                "segment": "shops",
                "policy": "predicted",
            },
        )


def test_explain_shows_the_factors_the_week_and_why_hours_are_refused(
    tmp_path: Path, store: SqliteStore
) -> None:
    config = _config(tmp_path, store)
    earlier = _request(store, "+4520123456")
    _attempts(store, earlier, "+4520123456", ["no_answer", "answered"])
    store.execute("UPDATE callback_requests SET status = 'done' WHERE id = ?", (earlier,))
    request_id = _request(store, "+4520123456")
    result = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "explain", str(request_id), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["policy"] == "predicted" and len(data["week"]) == 168
    assert (
        "Calls to this number so far: 2 (0 for this request, 2 for other requests), 1 "
        "answered. An hour in which you did not answer counts against that hour for you."
    ) in data["factors"]
    refused = [c for c in data["week"] if not c["allowed"]]
    assert refused and all(c["reason"] for c in refused)
    assert all(0 < c["probability"] < 1 for c in data["week"])
    # The text form: the heatmap has a row per day, and the reasons are listed.
    text = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "explain", str(request_id)]
    )
    assert text.exit_code == 0, text.output
    assert "Chance of reaching you" in text.output
    assert sum(text.output.count(day) for day in ("Mon ", "Tue ", "Wed ", "Sun ")) >= 4
    assert "outside the calling hours" in text.output or "expired" in text.output
    # Without colour (a log, a mail, NO_COLOR) refused hours are still told apart, and
    # the shades are named: they were only grey and green before.
    rows = [line for line in text.output.splitlines() if line[:4] in {f"{d[:3]} " for d in DAYS}]
    assert len(rows) == 7 and all(len(row.split(maxsplit=1)[1]) == 24 for row in rows)
    assert any("-" in row for row in rows) and "- no calls then" in text.output


def test_a_traditional_callback_is_explained_as_such(tmp_path: Path, store: SqliteStore) -> None:
    config = _config(tmp_path, store)
    request_id = _request(store, "+4520123457", traditional=True)
    result = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "explain", str(request_id), "--json"]
    )
    data = json.loads(result.stdout)
    assert data["policy"] == "traditional"
    assert "No prediction is used" in data["factors"][0]


def test_explaining_a_request_that_does_not_exist_says_so(
    tmp_path: Path, store: SqliteStore
) -> None:
    result = CliRunner().invoke(
        app, ["--config", str(_config(tmp_path, store)), "callbacks", "explain", "999"]
    )
    assert result.exit_code != 0
    assert "no callback request 999" in str(result.exception) + result.output


# -- every statement true of the request (the pure explanation) --------------------------
ZONE = ZoneInfo("Europe/Copenhagen")
WED_9 = datetime(2026, 7, 1, 9, 0, tzinfo=ZONE).timestamp()  # an ordinary Wednesday


def _explained(
    log: AttemptLog | None = None,
    *,
    first_attempt_at: float | None = None,
    now: float = WED_9,
    **row: object,
) -> Explanation:
    data: dict[str, Any] = {
        "id": 1,
        "status": "pending",
        # A caller told the deadline (the bot's read-back): a promise, not only an aim.
        "source": "bot",
        "traditional": 0,
        "not_before": None,
        "not_after": None,
        "planned_by": None,
        "plan_pick_share": None,
        "plan_reason": None,
        "last_error": None,
        **row,
    }
    facts = RequestFacts(
        phone="+4520123456",
        timezone="Europe/Copenhagen",
        created_at=min(WED_9, now),
        not_after=data["not_after"],
        segment="shops",
    )
    empty = AttemptLog([], [], np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool))
    model = fit(log or empty, now=now, gbm=False)
    return explain(
        data,
        facts,
        CallingRules(),
        model,
        now=now,
        configured_policy="predicted",
        history=CallHistory(),
        first_attempt_at=first_attempt_at,
    )


def test_a_call_planned_after_the_promise_says_so_and_why() -> None:
    # Timed by prediction, the customer was told the deadline's day ("today at the
    # latest"): 14:45 keeps it, Thursday does not.
    result = _explained(
        not_before=datetime(2026, 7, 1, 14, 45, tzinfo=ZONE).timestamp(), planned_by="predicted"
    )
    assert result.timeline == [
        "Promised a first call by Wed 01 Jul 20:00.",
        "Next call planned: Wed 01 Jul 14:45.",
    ]
    # What `callbacks show` and the console's plan line give as the promise: the day's
    # close the customer was told, not the scheduler's target hour (13:00).
    assert result.promised_by == datetime(2026, 7, 1, 20, 0, tzinfo=ZONE).timestamp()
    assert result.deadline_at == datetime(2026, 7, 1, 13, 0, tzinfo=ZONE).timestamp()
    result = _explained(
        not_before=datetime(2026, 7, 2, 9, 0, tzinfo=ZONE).timestamp(), planned_by="predicted"
    )
    assert result.timeline == [
        "Promised a first call by Wed 01 Jul 20:00.",
        "Next call planned: Thu 02 Jul 09:00, after that deadline: that hour is judged "
        "the likelier to reach you.",
    ]
    # Timed conventionally, the customer was told the deadline's hour.
    result = _explained(
        not_before=datetime(2026, 7, 1, 14, 45, tzinfo=ZONE).timestamp(),
        planned_by="traditional",
        timing="conventional",
    )
    assert result.timeline == [
        "Promised a first call by Wed 01 Jul 13:00.",
        "Next call planned: Wed 01 Jul 14:45, after that deadline.",
    ]
    assert result.promised_by == result.deadline_at
    # Timed by prediction inside a window the customer named (12-14): the window is the
    # promise, not the day's close.
    result = _explained(
        not_before=datetime(2026, 7, 1, 12, 30, tzinfo=ZONE).timestamp(),
        planned_by="predicted",
        deadline=datetime(2026, 7, 1, 14, 0, tzinfo=ZONE).timestamp(),
    )
    assert result.timeline == [
        "Promised a first call by Wed 01 Jul 14:00.",
        "Next call planned: Wed 01 Jul 12:30.",
    ]
    assert result.promised_by == result.deadline_at


def test_the_best_hours_lie_inside_the_window_the_customer_asked_for() -> None:
    start = datetime(2026, 7, 2, 14, 0, tzinfo=ZONE).timestamp()
    end = datetime(2026, 7, 2, 17, 0, tzinfo=ZONE).timestamp()
    result = _explained(not_before=start, not_after=end)
    best = result.best_hours()
    assert best and all(start <= c.starts_at < end for c in best)
    assert result.timeline[1] == (
        "Next call planned: Thu 02 Jul 14:00, after that deadline: the calling rules and the "
        "time you asked for allow no call before then."
    )


def test_a_cancelled_request_has_no_next_call() -> None:
    result = _explained(
        status="cancelled", not_before=WED_9 + 3600, last_error="cancelled by an admin"
    )
    assert result.planned_at is None
    assert result.timeline == [
        "No further calls: this request is cancelled (cancelled by an admin)."
    ]
    assert result.best_hours() == []


def test_two_past_calls_are_not_called_learning() -> None:
    log = AttemptLog(
        ["+4520123456", "+4520123456"],
        ["shops", "shops"],
        np.array([10, 11]),
        np.array([1, 2]),
        np.array([False, True]),
    )
    factors = " ".join(_explained(log).factors)
    assert "The model has learned from only 2 calls so far: too few to know" in factors
    assert "learned from 2 past calls" not in factors


def test_a_request_flagged_traditional_does_not_claim_the_customer_asked() -> None:
    factors = _explained(traditional=1, source="csv").factors
    assert "You asked" not in factors[0]
    assert factors[0].startswith("This request is marked for conventional timing")
    assert "(it came in through csv)" in factors[0]


def test_a_due_request_outside_the_calling_hours_is_not_called_now() -> None:
    late = datetime(2026, 7, 1, 22, 29, tzinfo=ZONE).timestamp()  # Wednesday evening
    result = _explained(now=late)
    assert "Next call: now, as soon as an agent is free." not in result.timeline
    # Said before the week's hours (`callbacks explain`), the line points at them; said
    # alone (`callbacks show`, the JSON), it gives its reason itself.
    assert result.timeline_before_hours[1] == (
        "Next call: Thu 02 Jul 08:00, when calls are allowed again (not now: see the hours below)."
    )
    assert result.timeline[1] == (
        "Next call: Thu 02 Jul 08:00, when calls are allowed again (not now: the calling "
        "rules allow no call in this hour)."
    )


def test_a_time_asked_for_in_a_refused_hour_is_not_said_to_be_planned() -> None:
    # Imported with "not before 22:00": the calling hours end at 20:00 (the second
    # walkthrough's request 470 said "Next call planned: 22:00").
    asked = datetime(2026, 7, 1, 22, 0, tzinfo=ZONE).timestamp()
    result = _explained(not_before=asked)
    assert not any(line.startswith("Next call planned") for line in result.timeline)
    assert result.timeline_before_hours[1] == (
        "Next call: Thu 02 Jul 08:00, the first hour the calling rules allow after "
        "Wed 01 Jul 22:00 (see the hours below)."
    )
    assert result.timeline[1] == (
        "Next call: Thu 02 Jul 08:00, the first hour the calling rules allow after "
        "Wed 01 Jul 22:00."
    )


def test_the_console_gives_the_explanation_the_command_gives(
    tmp_path: Path, store: SqliteStore
) -> None:
    """One loader: a promise kept by the first call is said on the console page too."""
    from spillway.settings import Settings
    from web.console_data import ModelCache, request_detail

    request_id = _request(store, "+4520123456")
    [row] = store.query("SELECT created_at FROM callback_requests WHERE id = ?", (request_id,))
    store.insert(
        "callback_attempts",
        {
            "id": uuid.uuid4().hex,
            "request_id": request_id,
            "phone": "+4520123456",
            "attempt_no": 1,
            "started_at": row["created_at"] + 60,
            "ended_at": row["created_at"] + 90,
            "outcome": "no_answer",
            "local_weekday": 1,
            "local_hour": 10,
            "hours_since_request": 0.02,
            "segment": "shops",
            "policy": "predicted",
        },
    )
    config = _config(tmp_path, store)
    command = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "explain", str(request_id), "--json"]
    )
    assert command.exit_code == 0, command.output
    said = json.loads(command.stdout)["timeline"]
    note = json.loads(command.stdout)["model_note"]
    assert "fitted just now" in note  # no scheduler has stored one here
    # From the API: no caller was told the deadline, so it is the aim, met.
    assert said[0].startswith("The aim is a first call by ") and ": met (first call" in said[0]
    detail = request_detail(
        store,
        request_id,
        Settings(storage={"sqlite_path": store.path}),
        ModelCache(60),
        time.time(),
    )
    assert detail is not None
    assert detail[2].timeline == said
    assert detail[2].model_note == note


def test_a_simulated_requests_own_calls_are_counted(tmp_path: Path, store: SqliteStore) -> None:
    """`spillway simulate --store` requests: six attempts, explained as "We have not
    called this number before" because the model (rightly) never learns from simulated
    calls, and the sentence asked the model instead of the attempts (issue 19)."""
    from scheduler.simulation import store as sim_store
    from scheduler.simulation.simulator import PolicyName, simulate
    from scheduler.simulation.world import load_world

    run = simulate(
        load_world(Path("configs/worlds/consumers_evening.yaml")), PolicyName.TRADITIONAL
    )
    period = sim_store.stored_rows(run, time.time(), label="test")
    sim_store.write(store, period, pause_s=0)
    [row] = store.query(
        "SELECT id, attempts FROM callback_requests WHERE simulated = 1 AND attempts >= 3 "
        "ORDER BY id LIMIT 1"
    )
    [answered] = store.query(
        "SELECT count(*) AS n FROM callback_attempts WHERE request_id = ? AND outcome = 'answered'",
        (row["id"],),
    )
    result = CliRunner().invoke(
        app,
        [
            "--config",
            str(_config(tmp_path, store)),
            "callbacks",
            "explain",
            str(row["id"]),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    factors = " ".join(json.loads(result.stdout)["factors"])
    assert "We have not called this number before" not in factors
    n = row["attempts"]
    assert (
        f"Calls to this number so far: {n} ({n} for this request, 0 for other requests), "
        f"{answered['n']} answered. These calls were simulated, and the model never learns "
        "from simulated calls"
    ) in factors


def test_calls_the_model_has_not_learned_from_yet_are_still_counted() -> None:
    """A model fitted before the number's calls ended (the console's cached one)."""
    history = CallHistory(own=1, calls=3, answered=0)
    factors = " ".join(
        explain(
            {"id": 1, "status": "pending", "source": "api", "traditional": 0},
            RequestFacts(phone="+4520123456", timezone="Europe/Copenhagen", created_at=WED_9),
            CallingRules(),
            fit(AttemptLog.from_rows([]), now=WED_9, gbm=False),
            now=WED_9,
            configured_policy="predicted",
            history=history,
        ).factors
    )
    assert "We have not called this number before" not in factors
    assert "Calls to this number so far: 3 (1 for this request, 2 for other requests)" in factors
    assert "The model has not learned from them yet" in factors


@pytest.mark.parametrize(
    ("language", "denial"), [("en", "no past calls"), ("da", "ingen tidligere opkald")]
)
def test_calls_so_far_are_never_denied_by_the_segment_sentence(language: str, denial: str) -> None:
    """A simulated customer with six calls was told "We have no past calls for customers
    like you" beside "Calls to this number so far: 6": the model (rightly) learned from
    none of them, and the sentence now says what the model learned, not what happened."""
    from spillway.language_pack import load_pack

    pack = load_pack(language)
    factors = explain(
        {"id": 1, "status": "unreached", "source": "simulate", "traditional": 0},
        RequestFacts(
            phone="+4520123456", timezone="Europe/Copenhagen", created_at=WED_9, segment="shops"
        ),
        CallingRules(),
        fit(AttemptLog.from_rows([]), now=WED_9, gbm=False),
        now=WED_9,
        configured_policy="predicted",
        history=CallHistory(own=6, calls=6, answered=0, simulated=True),
        language=language,
    ).factors
    shape = pack.say("explain_shape_business_hours")
    assert pack.say("explain_segment_new", segment="shops", shape=shape) in factors
    calls = pack.say("explain_history_calls", calls=6, own=6, other=0, answered=0)
    assert any(f.startswith(calls) for f in factors)
    assert not any(denial in f for f in factors), factors


def test_the_console_plan_gives_the_promise_the_customer_was_told() -> None:
    """The request page's policy line and its promise line name one moment (a request
    timed by prediction: the day's close, 20:00, not the target hour, 13:00)."""
    from spillway.console_text import load_console_text
    from web.console import plan_words

    result = _explained(
        not_before=datetime(2026, 7, 1, 14, 45, tzinfo=ZONE).timestamp(), planned_by="predicted"
    )
    said = plan_words(load_console_text("en"), result)
    assert said[0].startswith("The customer was promised a first call by ") and "20:00" in said[0]
    assert said[-1].startswith("Timing: ") and "First call by 2026-07-01 20:00;" in said[-1], said


# -- a window the customer named: no call after it ------------------------------------
THU_9 = datetime(2026, 7, 2, 9, 0, tzinfo=ZONE).timestamp()
THU_12 = datetime(2026, 7, 2, 12, 0, tzinfo=ZONE).timestamp()


def test_no_call_is_planned_after_the_window_the_customer_named() -> None:
    """The dialer's own planning (the walkthrough's request for "Monday 09-12" said "Given
    up after: Thu 09:00"): a retry after a busy call at 11:00 has no allowed time left
    (the conventional back-off lands after 12:00), and no moment after the window's end
    is allowed before the expiry, three days on: the request is closed, never called later."""
    from dataclasses import replace

    from scheduler.outcomes import AttemptOutcome
    from scheduler.rules import expiry, next_allowed
    from scheduler.timing.policy import ConventionalPolicy

    rules = CallingRules()
    facts = RequestFacts(
        phone="+4520123456",
        timezone="Europe/Copenhagen",
        created_at=WED_9,
        not_before=THU_9,
        not_after=THU_12,
        expires_at=THU_9 + 3 * 86400,
        attempts=1,
        last_attempt_at=THU_9 + 2 * 3600,
    )
    assert expiry(rules, facts) > THU_12 + 2 * 86400
    plan = ConventionalPolicy().plan(facts, THU_9 + 2 * 3600, AttemptOutcome.BUSY, rules)
    assert plan.at is None
    assert next_allowed(rules, facts, THU_12) is None
    # Inside the window, a call is allowed (the gap since the last call aside).
    assert next_allowed(rules, replace(facts, last_attempt_at=None), THU_9 + 2.5 * 3600)


@pytest.mark.parametrize(
    ("language", "window_ends", "console"),
    [
        ("en", "when the time you asked for ends", "when the window the customer asked for ends"),
        ("da", "når det tidsrum, du bad om, slutter", "når det tidsrum, kunden bad om, slutter"),
    ],
)
def test_a_named_window_is_given_up_at_its_end_not_at_the_expiry(
    language: str, window_ends: str, console: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`callbacks explain` and the console's plan said "Given up after: Thu 10 Dec 09:00"
    (the expiry) for a request whose window ended on Monday at 12:00."""
    from cli.commands.explain import show
    from spillway.console_text import load_console_text
    from web.console import plan_words

    result = _explained(not_before=THU_9, not_after=THU_12, deadline=THU_12)
    assert result.expires_at > THU_12 + 86400  # kept: 72 calling hours on
    assert result.window_end == result.given_up_at == THU_12
    assert result.as_json()["given_up_at"] == THU_12
    text = load_console_text(language)
    zone = "Europe/Copenhagen"
    show(result, text)
    said = " ".join(capsys.readouterr().out.split())  # as one line: Rich wraps at 80
    ends = text.when(THU_12, zone, text("cli.explain.when"))
    assert f"{ends}, {window_ends}" in said, said
    assert text.when(result.expires_at, zone, text("cli.explain.when")) not in said
    line = plan_words(text, result)[-1]
    assert text.when(THU_12, zone) in line and console in line, line
    assert text.when(result.expires_at, zone) not in line
    # Without a window the request is given up at its expiry, said as before.
    plain = _explained()
    assert plain.window_end is None and plain.given_up_at == plain.expires_at
    show(plain, text)
    said = " ".join(capsys.readouterr().out.split())
    assert text.when(plain.expires_at, zone, text("cli.explain.when")) in said
    assert window_ends not in said


DA_LAST_DAY = "onsdag d. 1. juli"  # Wednesday 1 July 2026, before a night's give-up
DA_STOP = "der ringes ikke efter 2026-07-01 20:00"


@pytest.mark.parametrize(
    ("language", "last_day", "night", "console"),
    [
        ("da", f"Vi stopper med at ringe efter {DA_LAST_DAY}", "02.12", f"; {DA_STOP}."),
        ("en", "Wednesday 01 July", "02:12", "; no call after 2026-07-01 20:00."),
    ],
)
def test_a_give_up_time_at_night_is_said_as_the_last_calling_day(
    language: str, last_day: str, night: str, console: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`callbacks explain` said "Vi opgiver efter: tor 10. dec kl. 02.12": a time of night
    no call is made at, abbreviated unlike the plan's lines above it. Given up at night,
    the calls end with the last calling day, said as that day; inside calling hours the
    moment is kept, worded as the plan's lines word a moment."""
    from cli.commands.explain import show
    from spillway.console_text import load_console_text
    from web.console import plan_words

    text = load_console_text(language)
    rules = CallingRules()
    at_night = datetime(2026, 7, 2, 2, 12, tzinfo=ZONE).timestamp()  # Thursday, 02:12
    assert last_calling_day(rules, at_night, "Europe/Copenhagen") == (date(2026, 7, 1), False)
    show(replace(_explained(), expires_at=at_night), text, rules=rules)
    said = " ".join(capsys.readouterr().out.split())
    assert last_day in said and night not in said, said
    # The console's request page says the end of that day's calls, in the one format it
    # writes every moment in.
    line = plan_words(text, replace(_explained(), expires_at=at_night), rules)[-1]
    assert line.endswith(console) and night not in line and "02:12" not in line, line
    assert plan_words(text, replace(_explained(), expires_at=THU_12), rules)[-1].endswith(
        f"{text.when(THU_12, 'Europe/Copenhagen')}."
    )
    show(replace(_explained(), expires_at=THU_12), text, rules=rules)
    said = " ".join(capsys.readouterr().out.split())
    assert text.when(THU_12, "Europe/Copenhagen", text("cli.explain.when")) in said, said


@pytest.mark.asyncio(loop_scope="session")
async def test_the_request_page_says_a_night_give_up_time_as_the_last_calling_day(
    console_db: AsyncStore, store: SqliteStore
) -> None:
    """The console's request page said "opgives efter 2026-12-10 02:12", a time of night
    no call is made at: it says the end of the last calling day's hours, as the page
    writes every moment (`callbacks explain` says the day, to a customer)."""
    from tests.console_fixtures import console_pages, console_settings

    [row] = store.query("SELECT timezone FROM callback_requests WHERE id = 3")
    zone = row["timezone"] or "Europe/Copenhagen"
    at_night = datetime.combine(
        date.fromtimestamp(time.time()) + timedelta(days=8),
        datetime.min.time().replace(hour=2, minute=12),
        ZoneInfo(zone),
    ).timestamp()
    store.execute(
        "UPDATE callback_requests SET expires_at = :at, status = 'pending', not_after = NULL "
        "WHERE id = 3",
        {"at": at_night},
    )
    day, in_hours = last_calling_day(CallingRules(), at_night, zone)
    assert not in_hours
    for language in ("da", "en"):
        text = load_console_text(language)
        page = (await console_pages(console_settings(language), console_db, ["/requests/3"]))[
            "/requests/3"
        ]
        hours = CallingRules().window(day)
        assert hours is not None
        said = text.when(_at(day, hours[1], zone), zone)
        assert f" {said}." in page, language
        assert text.when(at_night, zone) not in page, language


def _at(day: date, hour: float, zone: str) -> float:
    return (
        datetime.combine(day, datetime.min.time(), ZoneInfo(zone)) + timedelta(hours=hour)
    ).timestamp()
