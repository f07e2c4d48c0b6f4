"""`spillway report pilot`: the statistics against hand-computed values, customer opt-outs
kept apart, no verdict while the interval covers 0, the ROI formula, and shadow mode's log
and estimate."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cli.commands import report as report_command
from cli.main import app
from scheduler import intake
from scheduler.contact_facts import RequestRecord
from scheduler.daemon import planning_policy
from scheduler.dialer import Dialer, DialerConfig
from scheduler.intake import NewRequest
from scheduler.outcomes import AttemptOutcome
from scheduler.pilot.report import PilotRows, pilot_report, pilot_report_from_store
from scheduler.pilot.roi import pilot_roi
from scheduler.pilot.stats import n_for_means, n_for_proportions, newcombe, wilson
from scheduler.requests import RequestSource
from scheduler.rules import CallingRules, RequestFacts
from scheduler.timing.model_keeper import ModelKeeper
from scheduler.timing.policy import ConventionalPolicy, Plan, ShadowPlan
from scheduler.timing.shadow import (
    ShadowOutcome,
    ShadowPolicy,
    record_shadow,
    shadow_estimate,
    shadow_report,
)
from scheduler.timing.shadow import shadow_policy as make_shadow_policy
from spillway.callback_settings import PilotRoiSettings, PilotSettings
from spillway.console_text import load_console_text
from spillway.errors import InputError
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.conftest import make_settings
from tests.pilot_seed import EXPECTED, seed_pilot
from tests.test_dialer_logic import BrokenPolicy, FakePbx

ALWAYS = CallingRules(windows=((0.0, 24.0),) * 7, holiday_country=None, min_gap_s=0)


def test_wilson_and_newcombe_give_the_published_intervals() -> None:
    # Newcombe (1998), Statistics in Medicine 17, table II: 56/70 - 48/80, method 10.
    d = newcombe(56, 70, 48, 80)
    assert (round(d.low, 4), round(d.high, 4)) == (0.0524, 0.3339)
    w = wilson(5, 10)  # by hand: (0.6 +- 1.96 * 0.1553...) / 1.3841 around 0.5
    assert (round(w.low, 4), round(w.high, 4)) == (0.2366, 0.7634)


def test_sample_sizes_by_hand() -> None:
    # p 0.30 -> 0.35: (1.96 sqrt(2 x .325 x .675) + 0.8416 sqrt(.21 + .2275))^2 / .05^2
    # = (1.298242 + 0.556677)^2 / 0.0025 = 1376.3 -> 1377 per arm
    assert n_for_proportions(0.30, 0.05, 0.05, 0.8) == 1377
    # 2 ((1.96 + 0.8416) x 1 / 0.5)^2 = 62.8 -> 63
    assert n_for_means(1.0, 0.5, 0.05, 0.8) == 63


@pytest.fixture
def config(tmp_path: Path, store: SqliteStore) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(
        f"storage:\n  sqlite_path: {store.path}\nshop:\n  timezone: Europe/Copenhagen\n"
        "callbacks:\n  pilot:\n    roi:\n      staff_cost_per_hour: 35\n"
        "      minutes_per_attempt: 6\n      lead_value: 20\n      investment: 50\n"
    )
    return path


def report_json(config: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["--config", str(config), "report", "pilot", "--json", *args])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_the_hand_counted_pilot(config: Path, store: SqliteStore) -> None:
    seed_pilot(store, time.time())
    report = report_json(config)
    primary = report["primary"]
    assert primary["key"] == "first_attempt_contact_rate"
    assert (primary["predicted"], primary["conventional"]) == (0.6, 0.3)
    assert primary["n"] == {"predicted": 10, "conventional": 10}  # invalid number, opt-outs out
    assert primary["difference"] == 0.3
    # By hand: Wilson 6/10 = (0.31267, 0.83182), 3/10 = (0.10780, 0.60320);
    # 0.3 - sqrt(0.28733^2 + 0.30320^2) = -0.1177, 0.3 + sqrt(0.23182^2 + 0.19220^2) = 0.6011
    assert primary["interval"] == [-0.1177, 0.6011]
    assert primary["method"].startswith("Newcombe")
    assert primary["n_needed_per_arm"] == 1377  # from the conventional arm's 30 %, +5 points
    assert primary["enough"] is False
    assert primary["verdict"] is None
    assert primary["verdict_text"] == "the difference may be chance"
    within, attempts, hours = report["secondary"]
    assert (within["predicted"], within["conventional"]) == (0.8, 0.5)
    assert within["interval"][0] < 0 < within["interval"][1] and within["verdict"] is None
    assert attempts["predicted"] == round(EXPECTED["attempts_per_contact"]["predicted"], 4)
    assert attempts["conventional"] == 4.4 and attempts["n"] == {"predicted": 9, "conventional": 5}
    assert attempts["difference"] == round(19 / 9 - 4.4, 4)
    assert attempts["method"].startswith("delta method")
    # By hand: residuals t - R b of the predicted arm (R = 19/9): six of -1.1111, -0.1111,
    # 0.8889, 1.8889 and 4 (the one never reached): sum of squares 27.7778, / 9 / (10 x 0.9^2)
    # = 0.38104; conventional (R = 4.4): three of -3.4, two of -2.4, five of 3: 91.2 / 9 /
    # (10 x 0.5^2) = 4.05333. -2.28889 +- 1.96 sqrt(4.43437) = [-6.4162, 1.8384]
    assert attempts["interval"] == [-6.4162, 1.8384]
    assert attempts["verdict"] is None
    assert (hours["predicted"], hours["conventional"], hours["difference"]) == (3.0, 6.0, -3.0)
    assert hours["interval"][0] <= -3.0 <= hours["interval"][1]
    assert hours["method"].startswith("percentile bootstrap")
    # The same data give the same intervals (the bootstrap's seed is fixed).
    assert report_json(config)["secondary"] == report["secondary"]


def test_customers_who_opted_out_are_in_neither_arm(config: Path, store: SqliteStore) -> None:
    seed_pilot(store, time.time())
    report = report_json(config)
    assert report["opted_out"]["requests"] == 2
    assert report["opted_out"]["first_attempt_contact_rate"] == 0.5
    assert report["arms"]["conventional"]["requests"] == 10
    assert report["arms"]["predicted"]["requests"] == 11  # with the invalid number
    # With them the conventional arm would have counted 4 of 12.
    assert report["primary"]["conventional"] == 0.3


def test_the_window_selects_requests_by_creation(config: Path, store: SqliteStore) -> None:
    seed_pilot(store, time.time())
    hour_ago = datetime.fromtimestamp(time.time() - 3600, ZoneInfo("UTC")).isoformat()
    assert report_json(config, "--since", hour_ago)["primary"]["n"] == {
        "predicted": 0,
        "conventional": 0,
    }
    result = CliRunner().invoke(
        app, ["--config", str(config), "report", "pilot", "--since", "last tuesday"]
    )
    assert isinstance(result.exception, InputError) and "since" in str(result.exception)


def _records(hits: int, n: int) -> list[RequestRecord]:
    """``n`` callable requests, the first ``hits`` reached on their one attempt after 1 h."""
    reached = [RequestRecord(0.0, "done", None, 1, True, 3600.0, 1)] * hits
    return reached + [RequestRecord(0.0, "unreached", None, 1, False, None)] * (n - hits)


def test_a_verdict_only_when_the_interval_excludes_zero() -> None:
    settings = PilotSettings()
    better = pilot_report(
        PilotRows(arms={"predicted": _records(60, 100), "conventional": _records(30, 100)}),
        settings,
    )["primary"]
    assert better["interval"][0] > 0 and better["verdict"] == "predicted better"
    worse = pilot_report(
        PilotRows(arms={"predicted": _records(30, 100), "conventional": _records(60, 100)}),
        settings,
    )["primary"]
    assert worse["interval"][1] < 0 and worse["verdict"] == "predicted worse"
    close = pilot_report(
        PilotRows(arms={"predicted": _records(33, 100), "conventional": _records(30, 100)}),
        settings,
    )["primary"]
    assert close["interval"][0] < 0 < close["interval"][1] and close["verdict"] is None
    empty = pilot_report(PilotRows(), settings)["primary"]
    assert empty["interval"] is None and empty["verdict"] is None


def test_the_roi_formula(config: Path, store: SqliteStore) -> None:
    seed_pilot(store, time.time())
    money = report_json(config)["money"]
    # 35 / h x 6 min = 3.50 an attempt: predicted 19 attempts / 10 callbacks, conventional 22 / 10.
    assert money["arms"]["predicted"]["cost_per_callback"] == 6.65
    assert money["arms"]["conventional"]["cost_per_callback"] == 7.70
    # saved (7.70 - 6.65) x 10 = 10.50; extra revenue (0.9 - 0.5) x 10 x 20 = 80;
    # ROI = (10.50 + 80 - 50) / 50 = 0.81
    assert money["terms"] == {"saved_cost": 10.5, "extra_revenue": 80.0, "investment": 50.0}
    assert money["roi"] == 0.81 and money["arms"]["predicted"]["roi"] == 0.81
    assert money["arms"]["conventional"]["baseline"] is True
    no_investment = pilot_roi(
        {"predicted": _records(6, 10), "conventional": _records(3, 10)},
        PilotRoiSettings(investment=0),
    )
    assert no_investment["roi"] is None and "investment" in no_investment["note"]


# -- shadow mode ------------------------------------------------------------------


def test_the_shadow_estimate_by_hand() -> None:
    rows = [
        ShadowOutcome(0.2, 0.6, same_slot=False, answered=False),  # 0.6
        ShadowOutcome(0.3, 0.5, same_slot=True, answered=True),  # 0.5 + (1 - 0.3) = 1.2
        ShadowOutcome(0.4, 0.4, same_slot=True, answered=False),  # 0.4 + (0 - 0.4) = 0
        ShadowOutcome(0.1, 0.7, same_slot=False, answered=True),  # 0.7
    ]
    got = shadow_estimate(rows)
    assert got["method"] == "doubly robust"
    assert got["estimate"] == 0.625  # (0.6 + 1.2 + 0 + 0.7) / 4
    assert got["direct_method"] == 0.55  # (0.6 + 0.5 + 0.4 + 0.7) / 4
    assert got["inverse_propensity"] == 0.25  # answered in the same hour: 1 of 4
    assert (got["conventional_observed"], got["conventional_expected"]) == (0.5, 0.25)
    assert got["same_hour"] == 2
    assert shadow_estimate([])["estimate"] is None


class _Fixed:
    name = "predicted"

    def __init__(self, at: float) -> None:
        self.at = at

    def plan(
        self, facts: RequestFacts, now: float, last: AttemptOutcome | None, rules: CallingRules
    ) -> Plan:
        return Plan(self.at, self.name, 0.5, "fixed")


def test_the_shadow_policy_uses_the_conventional_plan(store: SqliteStore) -> None:
    now = datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen")).timestamp()
    facts = RequestFacts(phone="+4520123456", timezone="Europe/Copenhagen", created_at=now)
    probabilities = [0.01 * (i % 50) for i in range(168)]
    failures: list[Exception] = []
    policy = ShadowPolicy(
        ConventionalPolicy(),
        _Fixed(now + 5 * 3600),
        lambda f: probabilities,  # type: ignore[arg-type,return-value]
        failures.append,
    )
    plan = policy.plan(facts, now, None, ALWAYS)
    assert (plan.at, plan.policy) == (now, "traditional")
    assert plan.shadow is not None
    assert plan.shadow.predicted_at == now + 5 * 3600 and plan.shadow.propensity == 0.5
    # Tuesday 10:00 is slot 24 + 10, 15:00 slot 24 + 15.
    assert plan.shadow.conventional_probability == probabilities[34]
    assert plan.shadow.predicted_probability == probabilities[39]
    assert plan.shadow.same_slot is False
    # Only first attempts are shadowed; a failing prediction leaves the plan alone.
    assert policy.plan(facts, now, AttemptOutcome.NO_ANSWER, ALWAYS).shadow is None
    policy.predicted = BrokenPolicy()
    assert policy.plan(facts, now, None, ALWAYS).shadow is None and len(failures) == 1


@pytest.mark.asyncio(loop_scope="session")
async def test_shadow_mode_dials_conventionally_and_logs_the_predicted_plan(
    store: SqliteStore,
) -> None:
    clock = [datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen")).timestamp()]
    with store.transaction() as tx:
        request_id = intake.record(
            tx, NewRequest("+4520123451", RequestSource.API, "t"), region="DK", now=clock[0]
        ).id
    db = AsyncStore(store)
    keeper = ModelKeeper(db, refit_every_s=60, clock=lambda: clock[0])
    await keeper.refit()  # the cold-start priors
    settings = make_settings(callbacks={"policy": "shadow"})
    dialer = Dialer(
        db,
        FakePbx(),
        CallingRules(holiday_country=None),
        DialerConfig(status_poll_s=0.01, node="t"),
        policy=make_shadow_policy(settings, keeper, retry_backoff_s=900),
        clock=lambda: clock[0],
    )
    assert await dialer.tick() == 1
    await dialer.wait_idle(5)
    [attempt] = store.query("SELECT * FROM callback_attempts")
    assert attempt["policy"] == "traditional" and attempt["started_at"] == clock[0]
    [logged] = store.query("SELECT * FROM shadow_plans")
    assert logged["request_id"] == request_id
    assert logged["conventional_at"] == clock[0] and logged["predicted_at"] >= clock[0]
    assert 0 < logged["conventional_probability"] < 1
    assert 0 < logged["predicted_probability"] < 1
    estimate = shadow_report(store, clock[0] - 60, clock[0] + 60)
    assert estimate["requests"] == 1 and estimate["conventional_observed"] == 1.0
    db.close()


def test_the_daemon_plans_by_the_configured_policy(store: SqliteStore) -> None:
    keeper = ModelKeeper(AsyncStore(store), refit_every_s=60)
    shadow = make_settings(callbacks={"policy": "shadow"})
    planner = planning_policy(shadow, keeper, retry_backoff_s=900)
    assert isinstance(planner, ShadowPolicy)
    assert (
        planner.conventional.plan(  # the conventional rule with the dialer's back-off
            RequestFacts(phone="+4520123456", timezone="UTC", created_at=0.0),
            0.0,
            AttemptOutcome.BUSY,
            ALWAYS,
        ).at
        == 900.0
    )
    predicted = planning_policy(make_settings(), keeper, retry_backoff_s=900)
    assert predicted is not None and predicted.name == "predicted"
    assert planning_policy(shadow, None, retry_backoff_s=900) is None


def test_the_report_and_the_shadow_log_on_postgres(pg_dsn: str) -> None:
    from spillway.postgres import PostgresStore

    pg = PostgresStore(pg_dsn)
    pg.migrate()
    try:
        now = time.time()
        seed_pilot(pg, now)
        plan = Plan(now, "traditional", 1.0, shadow=ShadowPlan(now + 3600, 0.4, 0.2, 0.5, False))
        with pg.transaction() as tx:
            record_shadow(tx, 1000, plan, now)
            # Planned again (a new window): the later plan replaces the first.
            record_shadow(tx, 1000, dataclasses.replace(plan, at=now + 60), now)
        [logged] = pg.query("SELECT * FROM shadow_plans")
        assert logged["conventional_at"] == now + 60 and logged["predicted_probability"] == 0.4
        report = pilot_report_from_store(pg, PilotSettings(), 0.0, now + 1, "Europe/Copenhagen")
        assert report["primary"]["interval"] == [-0.1177, 0.6011]
        assert report["opted_out"]["requests"] == 2
        assert report["shadow"]["requests"] == 1  # request 1000's first attempt was answered
        assert report["shadow"]["conventional_observed"] == 1.0
    finally:
        pg.close()


def test_the_money_line_says_what_is_missing_instead_of_none(
    tmp_path: Path, store: SqliteStore
) -> None:
    """An empty pilot printed "saved cost None, extra revenue None"."""
    bare = tmp_path / "bare.yaml"
    bare.write_text(f"storage:\n  sqlite_path: {store.path}\n")
    result = CliRunner().invoke(app, ["--config", str(bare), "report", "pilot"])
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())  # as one line, whatever Rich wrapped
    assert "None" not in shown
    assert "saved cost and extra revenue not computed: both arms need callbacks" in shown
    assert "investment not configured: set callbacks.pilot.roi.investment" in shown
    seed_pilot(store, time.time())
    seeded = CliRunner().invoke(app, ["--config", str(bare), "report", "pilot"])
    shown = " ".join(seeded.output.split())
    assert "extra revenue not counted: set callbacks.pilot.roi.lead_value" in shown


def test_the_money_line_gives_the_configured_terms(config: Path, store: SqliteStore) -> None:
    seed_pilot(store, time.time())
    result = CliRunner().invoke(app, ["--config", str(config), "report", "pilot"])
    assert result.exit_code == 0, result.output
    found = report_json(config)["money"]
    money, (low, high) = found["terms"], found["intervals"]["saved_cost"]
    # Every amount with the shop's currency (shop.currency: DKK, the shop is in Denmark); the
    # saving with its range, said as possibly chance when the range includes 0.
    saved = f"DKK {money['saved_cost']:,.2f}"
    ends = f"(between DKK {low:,.2f} and DKK {high:,.2f})"
    said = f"{saved}, but it may be chance {ends}" if low <= 0 <= high else f"{saved} {ends}"
    assert (
        f"saved cost {said}, extra revenue DKK "
        f"{money['extra_revenue']:.2f}; investment DKK 50.00" in " ".join(result.output.split())
    )


def test_the_agent_hour_defaults_to_a_danish_one_in_dkk(tmp_path: Path, store: SqliteStore) -> None:
    """The default was 35 "an hour" in shop.currency: 35 DKK, a tenth of a Danish agent's
    loaded hour. It is 350 DKK now, shown with its currency and setting."""
    assert Settings().callbacks.pilot.roi.staff_cost_per_hour == 350.0
    assert not Settings().callbacks.pilot.roi.staff_cost_in_wrong_currency("DKK")
    bare = tmp_path / "bare.yaml"
    bare.write_text(f"storage:\n  sqlite_path: {store.path}\n")
    result = CliRunner().invoke(app, ["--config", str(bare), "report", "pilot"])
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    assert (
        "An agent's hour costs DKK 350.00, all costs included "
        "(callbacks.pilot.roi.staff_cost_per_hour); an attempt takes 6.75 min of agent time "
        "(callbacks.pilot.roi.minutes_per_attempt)." in shown
    )
    assert "cost per callback (DKK)" in shown and "is not set" not in shown


def test_a_shop_in_euro_is_told_the_default_agent_hour_is_in_dkk(
    tmp_path: Path, store: SqliteStore
) -> None:
    euro = tmp_path / "euro.yaml"
    euro.write_text(f"storage:\n  sqlite_path: {store.path}\nshop:\n  country: DE\n")
    result = CliRunner().invoke(app, ["--config", str(euro), "report", "pilot"])
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    assert (
        "The price of an agent's hour is not set (callbacks.pilot.roi.staff_cost_per_hour): "
        "its default, DKK 350.00, is a Danish agent's hour, but the shop's money is in EUR "
        "(shop.currency)" in shown
    )
    euro.write_text(
        f"storage:\n  sqlite_path: {store.path}\nshop:\n  country: DE\n"
        "callbacks:\n  pilot:\n    roi:\n      staff_cost_per_hour: 45\n"
    )
    result = CliRunner().invoke(app, ["--config", str(euro), "report", "pilot"])
    shown = " ".join(result.output.split())
    assert "costs EUR 45.00" in shown and "is not set" not in shown


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_report_is_in_the_admin_s_language(
    tmp_path: Path, store: SqliteStore, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Danish admin read "Pilot: requests created", "KPI", "no verdict: too few data"
    while the console's Pilot page was Danish: the command says the page's words."""
    # Wide enough that no table cell is wrapped across lines.
    monkeypatch.setattr(report_command, "console", Console(width=300))
    text = load_console_text(language)
    config = tmp_path / f"{language}.yaml"
    config.write_text(
        f"storage:\n  sqlite_path: {store.path}\n"
        f"shop:\n  timezone: Europe/Copenhagen\n  language: {language}\n"
        "callbacks:\n  pilot:\n    share_predicted: 0.5\n"
        "    roi:\n      staff_cost_per_hour: 35\n"
    )
    empty = CliRunner().invoke(app, ["--config", str(config), "report", "pilot"])
    assert empty.exit_code == 0, empty.output
    shown = " ".join(empty.output.split())
    assert text("pilot.verdicts.too_few") in shown
    assert text("cli.report.not_computed", why=text("pilot.note_arms")) in shown
    now = time.time()
    seed_pilot(store, now)
    result = CliRunner().invoke(app, ["--config", str(config), "report", "pilot"])
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    for key in ("kpi", "verdict", "verdicts.covers_zero", "kpis.first_attempt_contact_rate"):
        assert text(f"pilot.{key}") in shown, key
    # The pilot's start is its first request's time (every seeded one was made 40 h ago).
    first = datetime.fromtimestamp(now - 40 * 3600, ZoneInfo("Europe/Copenhagen"))
    since = text("pilot.start_first", first=first.strftime("%Y-%m-%d %H:%M"))
    window = text("pilot.window", since=since, until="", zone="")
    assert f"{text('pilot.title')}: {window.split(' ()')[0]}" in shown  # "... til <time>"
    assert (
        text("pilot.opted_out", requests=text.count("count.requests", 2), rate=text.percent(0.5, 1))
        in shown
    )
    # The hand-counted first-attempt rates (6/10, 3/10) and the interval, as the page writes them.
    assert text.percent(0.6, 1) in shown and text.percent(0.3, 1) in shown
    interval = "+30.0 pts [-11.8, +60.1]" if language == "en" else "+30,0 %-point [-11,8; +60,1]"
    assert interval in shown
    english = ("Pilot: requests created", "KPI", "may be chance", "conventional", "Opted out")
    if language == "da":
        assert not [word for word in english if word in shown]
        assert "forudsagt" in shown and "konventionel" in shown
    # --json keeps its codes: no words of the language.
    assert report_json(config)["primary"]["verdict_text"] == "the difference may be chance"
