"""Seasons (school holidays): the calendar file, the learned effect, the plan, the explanation.

A season is never a calling rule: it weighs the predicted policy's candidate hours by the
factor the contact model learned for the customer's segment, and nothing else.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from scheduler.outcomes import AttemptOutcome
from scheduler.rules import CallingRules, RequestFacts
from scheduler.simulation.report import rule_violations
from scheduler.simulation.simulator import PolicyName, SimRun, simulate
from scheduler.simulation.world import World
from scheduler.timing.contact_model import AttemptLog, fit, slot_of
from scheduler.timing.explain import CallHistory, explain
from scheduler.timing.model_keeper import read_attempt_log
from scheduler.timing.slot_policy import SlotPolicy, candidates, fixed_probabilities
from spillway.errors import ConfigError
from spillway.seasons import SeasonCalendar, SeasonPeriod, load_calendar, parse_calendar
from spillway.storage import SqliteStore
from tests.test_callbacks_explain import _attempts, _request
from tests.test_config_errors import _run

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "configs" / "seasons" / "dk-school-holidays.yaml"
ZONE = ZoneInfo("Europe/Copenhagen")
HOLIDAY = ("2026-06-27", "2026-08-09")  # sommerferie 2026


# -- the calendar file ---------------------------------------------------------------------
def test_the_danish_example_knows_the_holidays_and_the_two_winter_weeks() -> None:
    week7 = load_calendar(EXAMPLE, "dk-week7")
    week8 = load_calendar(EXAMPLE, "dk-week8")
    assert week7.season_on(date(2026, 7, 15)) == "sommerferie" == week8.season_on(date(2026, 7, 15))
    assert week7.season_on(date(2026, 10, 14)) == "efteraarsferie"  # week 42
    assert week7.season_on(date(2026, 12, 28)) == "juleferie"
    # Winter holiday: week 7 (9-13 Feb 2026) in some municipalities, week 8 in others.
    assert week7.season_on(date(2026, 2, 10)) == "vinterferie"
    assert week8.season_on(date(2026, 2, 10)) is None
    assert week8.season_on(date(2026, 2, 18)) == "vinterferie"
    assert week7.season_on(date(2026, 9, 1)) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "periods:\n  - {name: a, from: 2026-01-01, to: 2026-01-05}\n"
            "  - {name: b, from: 2026-02-03, to: 2026-01-01}\n",
            "line 3: periods.1: 'to' (2026-01-01) is before 'from' (2026-02-03)",
        ),
        (
            "periods:\n  - name: a\n    from: 2026-01-01\n    to: 2026-13-05\n",
            "line 2: periods.0.to: expected a date such as 2027-02-13",
        ),
        ("periods:\n  - {from: 2026-01-01, to: 2026-01-05}\n", "line 2: periods.0.name: missing"),
        (
            "periods:\n  - {name: a, from: 2026-01-01, to: 2026-01-05, factor: 2}\n",
            "line 2: periods.0.factor: not a key of a period (name, from, to, region)",
        ),
        ("holidays: []\n", "line 1: expected 'periods:'"),
    ],
    ids=["to-before-from", "bad-date", "no-name", "unknown-key", "no-periods"],
)
def test_a_bad_calendar_names_its_line_and_key(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_calendar(text, "seasons.yaml")
    assert "season calendar seasons.yaml " + expected in str(caught.value)


def test_a_region_the_calendar_does_not_know_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"no period for region 'dk-week9'.*dk-week7, dk-week8"):
        load_calendar(EXAMPLE, "dk-week9")


def test_the_setting_is_checked_when_the_configuration_is_read(tmp_path: Path) -> None:
    bad = tmp_path / "seasons.yaml"
    bad.write_text("periods:\n  - {name: a, from: 2026-02-03, to: 2026-01-01}\n")
    yaml = f"callbacks:\n  seasons_file: {bad}\n".encode()
    code, lines, _ = _run(tmp_path, yaml=yaml)
    assert code == 2 and len(lines) == 1, lines
    assert "callbacks.seasons_file" in lines[0] and f"{bad} line 2: periods.0" in lines[0]
    good = f"callbacks:\n  seasons_file: {EXAMPLE}\n  season_region: dk-week8\n".encode()
    assert _run(tmp_path, yaml=good)[0] == 0


# -- the model --------------------------------------------------------------------------------
def _log(rows: list[tuple[str, int, bool, str]], seasons: bool = True) -> AttemptLog:
    return AttemptLog(
        customer=[f"c{i}" for i in range(len(rows))],
        segment=[r[0] for r in rows],
        slot=np.array([r[1] for r in rows], dtype=np.int64),
        attempt_no=np.ones(len(rows), dtype=np.int64),
        answered=np.array([r[2] for r in rows], dtype=np.bool_),
        season=[r[3] for r in rows] if seasons else (),
    )


def test_without_a_season_in_the_log_the_model_is_exactly_as_before() -> None:
    rng = np.random.default_rng(4)
    rows = [("b2b", slot_of(i % 5, 9 + i % 8), bool(rng.random() < 0.4), "") for i in range(900)]
    plain, empty = fit(_log(rows, seasons=False), now=0.0), fit(_log(rows), now=0.0)
    assert empty.seasons is None and empty.season_factor("b2b", "sommerferie") == 1.0
    assert np.array_equal(plain.seg_alpha, empty.seg_alpha)
    assert np.array_equal(plain.cust_factor, empty.cust_factor)


def test_a_holiday_teaches_its_factor_and_leaves_the_ordinary_weeks_alone() -> None:
    """Office hours answer at 0.4; in the holiday at 0.2 (a factor of 0.5). Another
    segment is not touched by it."""
    rng = np.random.default_rng(7)
    rows = []
    for i in range(4000):
        season = "sommerferie" if i % 2 else ""
        p = 0.4 * (0.5 if season else 1.0)
        rows.append(("b2b", slot_of(i % 5, 9 + i % 8), bool(rng.random() < p), season))
    rows += [("shop", slot_of(1, 10), bool(rng.random() < 0.3), "") for _ in range(300)]
    seasonal, blind = fit(_log(rows), now=0.0), fit(_log(rows, seasons=False), now=0.0)
    factor = seasonal.season_factor("b2b", "sommerferie")
    assert 0.42 < factor < 0.6
    ordinary = [slot_of(d, h) for d in range(5) for h in range(9, 17)]
    # The ordinary weeks' curve is near the truth, not dragged down by the holiday.
    assert abs(seasonal.segment_mean("b2b")[ordinary].mean() - 0.4) < 0.03
    assert blind.segment_mean("b2b")[ordinary].mean() < 0.33
    assert seasonal.season_factor("shop", "sommerferie") == pytest.approx(1.0)


# -- the simulator and the plan ----------------------------------------------------------------
def _office() -> list[list[float]]:
    day = [0.02] * 8 + [0.45] * 9 + [0.25] * 3 + [0.05] * 4
    weekend = [0.02] * 8 + [0.2] * 8 + [0.02] * 8
    return [day] * 5 + [weekend] * 2


def _holiday_world(factor: float) -> World:
    return World.model_validate(
        {
            "start": "2026-06-01T00:00:00+02:00",
            "days": 42,
            "seed": 1,
            "lead_half_life_hours": 96,
            "patience_hours": 96,
            "rules": {"agents": 5, "max_attempts": 4},
            "segments": [
                {
                    "name": "b2b",
                    "count": 3000,
                    "industry": "it",
                    "answer_prob": _office(),
                    "requests_per_day": 40,
                    "customer_noise": 0.3,
                    "seasons": [
                        {"name": "sommerferie", "from": HOLIDAY[0], "to": HOLIDAY[1]}
                        | {"answer_factor": factor}
                    ],
                }
            ],
        }
    )


@pytest.fixture(scope="module")
def holiday_run() -> SimRun:
    return simulate(_holiday_world(0.3), PolicyName.PREDICTED)


def test_the_model_learns_that_holiday_weeks_answer_less(holiday_run: SimRun) -> None:
    model = holiday_run.model
    assert model is not None
    factor = model.season_factor("b2b", "sommerferie")
    assert 0.2 < factor < 0.4, factor  # the truth: 0.3
    ordinary = model.mean("someone new", "b2b")
    assert (ordinary * factor)[slot_of(2, 10)] < ordinary[slot_of(2, 10)] - 0.1
    # Calls were still placed in the holiday (a season never refuses), within the rules.
    assert any(a.season == "sommerferie" for a in holiday_run.attempts)
    assert rule_violations(holiday_run) == []


def _facts(created: datetime) -> RequestFacts:
    return RequestFacts("+4520123456", "Europe/Copenhagen", created.timestamp(), segment="b2b")


def _in_holiday(facts: RequestFacts, day: date) -> str | None:
    return "sommerferie" if date.fromisoformat(HOLIDAY[0]) <= day <= date(2026, 8, 9) else None


def test_the_plan_moves_out_of_the_holiday_by_the_learned_factor(holiday_run: SimRun) -> None:
    """Thursday 6 August, 17:00, near the holiday's end: with the learned factor a call
    after a first one went unanswered waits for Monday, after it; without seasons it is
    placed on Friday, in it. A first call stays on Friday either way: the caller was told
    the deadline's day (Friday 11:00's), which the policy keeps
    (:func:`scheduler.timing.slot_policy.first_call_by`)."""
    model = holiday_run.model
    assert model is not None
    facts = _facts(datetime(2026, 8, 6, 17, 0, tzinfo=ZONE))
    probs = fixed_probabilities(lambda _f: model.mean("someone new", "b2b"))

    def plan_day(seasons: bool, last: AttemptOutcome | None) -> date:
        policy = SlotPolicy(
            "predicted",
            probs,
            96 * 3600.0,
            explores=False,
            season_of=_in_holiday if seasons else None,
            season_factor=lambda _f, s: model.season_factor("b2b", s),
        )
        plan = policy.plan(facts, facts.created_at, last, CallingRules())
        assert plan.at is not None
        return datetime.fromtimestamp(plan.at, ZONE).date()

    unanswered = AttemptOutcome.NO_ANSWER
    assert plan_day(seasons=False, last=unanswered) == date(2026, 8, 7)
    assert plan_day(seasons=True, last=unanswered) == date(2026, 8, 10)
    assert plan_day(seasons=True, last=None) == date(2026, 8, 7)


def test_a_season_never_removes_a_candidate_hour() -> None:
    """Every hour of the holiday stays a candidate, and a plan is made even when every
    candidate lies in a season the customers hardly answer in."""
    facts = _facts(datetime(2026, 7, 6, 9, 0, tzinfo=ZONE))
    rules = CallingRules()
    plain = candidates(rules, facts, facts.created_at, patience_s=86400.0)
    seasonal = candidates(rules, facts, facts.created_at, patience_s=86400.0, season_of=_in_holiday)
    assert [c.at for c in plain] == [c.at for c in seasonal] and plain
    assert all(c.season == "sommerferie" for c in seasonal)
    policy = SlotPolicy(
        "predicted",
        fixed_probabilities(lambda _f: np.full(168, 0.3)),
        explores=False,
        season_of=_in_holiday,
        season_factor=lambda _f, _s: 0.01,
    )
    assert policy.plan(facts, facts.created_at, None, rules).at == plain[0].at


# -- the explanation --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "fall in sommerferie"), ("da", "ligger i sommerferie")],
)
def test_explain_names_the_season_that_moved_the_time(
    holiday_run: SimRun, language: str, words: str
) -> None:
    model = holiday_run.model
    assert model is not None
    now = datetime(2026, 8, 7, 10, 0, tzinfo=ZONE).timestamp()
    monday = datetime(2026, 8, 10, 9, 0, tzinfo=ZONE).timestamp()
    row = {"id": 1, "status": "pending", "traditional": 0, "not_before": monday}
    row |= {"planned_by": "predicted", "not_after": None}
    facts = replace_created(now)
    result = explain(
        row,
        facts,
        CallingRules(),
        model,
        now=now,
        configured_policy="predicted",
        history=CallHistory(),
        language=language,
        season_of=_in_holiday,
    )
    percent = round(100 - 100 * model.season_factor("b2b", "sommerferie"))
    said = [f for f in result.factors if words in f]
    assert said and f"{percent}%" in said[0], result.factors
    # Without the calendar nothing is said of seasons.
    plain = explain(
        row,
        facts,
        CallingRules(),
        model,
        now=now,
        configured_policy="predicted",
        history=CallHistory(),
    )
    assert not any("sommerferie" in f for f in plain.factors)
    # The week's chances carry the factor in the holiday's hours, and only there.
    factor = model.season_factor("b2b", "sommerferie")
    for cell, before in zip(result.week, plain.week, strict=True):
        in_it = _in_holiday(facts, datetime.fromtimestamp(cell.starts_at, ZONE).date())
        assert cell.probability == pytest.approx(before.probability * (factor if in_it else 1))


def replace_created(now: float) -> RequestFacts:
    return RequestFacts("+4520123456", "Europe/Copenhagen", now, segment="b2b")


def test_the_daemon_reads_each_attempts_season_from_the_calendar(store: SqliteStore) -> None:
    """The model keeper's attempt log carries the season of each attempt's local date."""
    phone = "+4520123456"
    _attempts(store, _request(store, phone), phone, ["no_answer", "answered", "no_answer"])
    started = sorted(
        r["started_at"] for r in store.query("SELECT started_at FROM callback_attempts")
    )
    days = [datetime.fromtimestamp(at, ZONE).date() for at in started]
    calendar = SeasonCalendar((SeasonPeriod("vinterferie", days[1], days[2]),))
    log = read_attempt_log(store, seasons=calendar, timezone="Europe/Copenhagen")
    assert list(log.season) == ["", "vinterferie", "vinterferie"]
    assert set(read_attempt_log(store).season) == {""}  # no calendar: no season


def test_the_cli_explain_names_a_configured_season(tmp_path: Path, store: SqliteStore) -> None:
    """`spillway callbacks explain` with callbacks.seasons_file: the shop's calls in the
    season went unanswered, so a plan after it is explained by the season."""
    now = time.time()
    today = datetime.fromtimestamp(now, ZONE).date()
    calendar = tmp_path / "seasons.yaml"
    # The season runs a week past today, so the first hour the shop calls in (a Monday,
    # when today is a Saturday; after a holiday) lies in it whatever day the test runs.
    first, last = today - timedelta(days=12), today + timedelta(days=7)
    calendar.write_text(f"periods:\n  - {{name: vinterferie, from: {first}, to: {last}}}\n")
    phone = "+4520123456"
    done = _request(store, phone)
    for n in range(120):
        in_season = n % 2 == 0
        at = now - 86400 * (1 + n % 10 if in_season else 20 + n % 10)
        store.insert(
            "callback_attempts",
            {
                "id": uuid.uuid4().hex, "request_id": done, "phone": f"+45201{n:05d}",
                "attempt_no": 1, "started_at": at, "ended_at": at + 30,
                "outcome": "no_answer" if in_season or n % 4 == 1 else "answered",
                "local_weekday": 1, "local_hour": 10, "hours_since_request": 1.0,
                "segment": "shops", "policy": "predicted",
            },
        )  # fmt: skip
    store.execute("UPDATE callback_requests SET status = 'done' WHERE id = ?", (done,))
    request_id = _request(store, phone)
    after = datetime.combine(last + timedelta(days=1), datetime.min.time(), ZONE) + timedelta(
        hours=10
    )
    store.execute(
        "UPDATE callback_requests SET not_before = ?, planned_by = 'predicted' WHERE id = ?",
        (after.timestamp(), request_id),
    )
    config = tmp_path / "c.yaml"
    config.write_text(
        f"storage:\n  sqlite_path: {store.path}\ncallbacks:\n  seasons_file: {calendar}\n"
    )
    args = ["--config", str(config), "callbacks", "explain", str(request_id), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    factors = json.loads(result.stdout)["factors"]
    assert any("fall in vinterferie" in f and "less often" in f for f in factors), factors
