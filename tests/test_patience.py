"""Promises kept: the patience setting (first-attempt contact against time) is validated
and reaches the policy, a shorter patience plans earlier, the frontier pools hand-made
runs as it says, and `spillway simulate report` shows every KPI as percentages and
hours in the language pack's words, with the material's figures in their own column."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from scheduler.rules import CallingRules, RequestFacts
from scheduler.simulation.frontier import frontier
from scheduler.simulation.kpi_text import kpi_view
from scheduler.simulation.simulator import PolicyName, SimAttempt, SimRequest, SimRun, make_policy
from scheduler.simulation.world import World, load_world, population
from scheduler.timing.contact_model import SLOTS, slot_of
from scheduler.timing.model_keeper import ModelKeeper, predicted_policy
from scheduler.timing.policy import FallbackPolicy
from scheduler.timing.slot_policy import HOUR_S, SlotPolicy, fixed_probabilities
from spillway.config_file import load_settings
from spillway.errors import ConfigError, InputError
from spillway.language_pack import load_pack
from spillway.paths import repo_root
from tests.tiny_worlds import tiny_world

CPH = ZoneInfo("Europe/Copenhagen")
MONDAY_9 = datetime(2026, 3, 2, 9, tzinfo=CPH).timestamp()


def _settings(tmp_path: Path, callbacks: str) -> Any:
    path = tmp_path / "spillway.yaml"
    path.write_text(f"callbacks:\n{callbacks}", encoding="utf-8")
    return load_settings(path, use_default_path=False)


def test_patience_is_validated_and_errors_name_the_key_written(tmp_path: Path) -> None:
    assert _settings(tmp_path, "  patience_hours: 6\n").callbacks.patience_hours == 6
    # The older name is still accepted, and says the same.
    assert _settings(tmp_path, "  lead_half_life_hours: 6\n").callbacks.patience_hours == 6
    with pytest.raises(
        ConfigError, match=r"callbacks\.patience_hours = 0: expected a number greater than 0"
    ):
        _settings(tmp_path, "  patience_hours: 0\n")
    with pytest.raises(ConfigError, match=r"callbacks\.lead_half_life_hours = -1"):
        _settings(tmp_path, "  lead_half_life_hours: -1\n")
    with pytest.raises(
        ConfigError,
        match=r"callbacks\.patience_hours = 6: expected patience_hours alone: its older name "
        r"lead_half_life_hours is set too; keep patience_hours \(in .*; "
        r"callbacks\.lead_half_life_hours in ",
    ):
        _settings(tmp_path, "  patience_hours: 6\n  lead_half_life_hours: 6\n")


def test_the_configured_patience_reaches_the_dialers_policy(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "  patience_hours: 6\n")
    keeper = cast(ModelKeeper, SimpleNamespace(current=lambda: None, clock=lambda: 0.0))
    assert predicted_policy(settings, keeper, seed=1).patience_s == 6 * HOUR_S


def _first_plan(patience_hours: float) -> float:
    """An hour now with a fair chance, one at 19:00 with a good one: which is planned?"""
    probabilities = np.full(SLOTS, 0.01)
    probabilities[slot_of(0, 9)] = 0.2  # Monday 09:00, the request's own hour
    probabilities[slot_of(0, 19)] = 0.6  # Monday 19:00, ten hours later
    policy = SlotPolicy(
        "predicted",
        fixed_probabilities(lambda _facts: probabilities),
        patience_s=patience_hours * HOUR_S,
        explores=False,
    )
    facts = RequestFacts(phone="+4520123456", timezone="Europe/Copenhagen", created_at=MONDAY_9)
    plan = policy.plan(facts, MONDAY_9, None, CallingRules(expiry_s=3 * 86400))
    assert plan.at is not None
    return plan.at


def test_a_shorter_patience_plans_earlier() -> None:
    # 19:00 is past the four-hour promise (a quarter less) and ten hours on:
    # worth 0.6 x 0.75 x 0.5 ** (10 / patience) against 0.2 now.
    assert _first_plan(2) == MONDAY_9
    assert _first_plan(72) == MONDAY_9 + 10 * HOUR_S


def test_a_worlds_patience_is_validated_and_reaches_its_policies(tmp_path: Path) -> None:
    world = load_world(repo_root() / "configs" / "worlds" / "consumers_evening.yaml")
    data = world.model_dump(mode="json")
    data["patience_hours"] = 0
    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputError, match="patience_hours: Input should be greater than 0"):
        load_world(path)
    shown = world.model_copy(update={"patience_hours": 5.0})
    people = population(shown, np.random.default_rng(0))
    oracle = make_policy(PolicyName.ORACLE, shown, people)
    assert isinstance(oracle, SlotPolicy) and oracle.patience_s == 5 * HOUR_S
    predicted = make_policy(PolicyName.PREDICTED, shown, people, sim=lambda: cast(Any, None))
    assert isinstance(predicted, FallbackPolicy)
    assert cast(SlotPolicy, predicted.inner).patience_s == 5 * HOUR_S


def _run(world: World, requests: list[tuple[float | None, bool]]) -> SimRun:
    """A hand-made run: per request, the hours to contact (None: never) and whether the
    first attempt answered; every deadline is 4 h after the request."""
    made: list[SimRequest] = []
    attempts: list[SimAttempt] = []
    for i, (hours, first) in enumerate(requests):
        contacted = None if hours is None else 1000.0 + hours * HOUR_S
        made.append(SimRequest(i, i, 1000.0, 1000.0 + 4 * HOUR_S, contacted_at=contacted))
        attempts.append(SimAttempt(i, i, 1, 1000.0, first, "predicted", 1.0, 0, 9))
    people = population(world, np.random.default_rng(0))
    return SimRun(world, "predicted", people, made, attempts, None, [])


def test_the_frontier_pools_every_request_of_every_run_once() -> None:
    world = load_world(repo_root() / "configs" / "worlds" / "consumers_evening.yaml")
    short = [_run(world, [(1.0, True), (3.0, False), (None, False)]), _run(world, [(2.0, True)])]
    long = [_run(world, [(5.0, True), (9.0, True), (None, False)]), _run(world, [(6.0, True)])]
    traditional = [_run(world, [(0.0, True), (8.0, False), (12.0, False), (None, False)])]
    found = frontier("w", [1, 2], {24.0: long, 4.0: short}, traditional)
    assert [p.patience_hours for p in found.points] == [4.0, 24.0]  # shortest first
    four, day = found.points
    assert (four.runs, four.requests) == (2, 4)
    assert four.first_attempt_contact_rate == 0.5  # 2 of 4
    assert four.contact_within_deadline_rate == 0.75  # 1, 3 and 2 h of 4 requests
    assert four.contact_rate == 0.75
    assert four.median_hours_to_contact == 2.0 and four.mean_hours_to_contact == 2.0
    assert day.first_attempt_contact_rate == 0.75
    assert day.contact_within_deadline_rate == 0.0
    assert day.median_hours_to_contact == 6.0 and day.mean_hours_to_contact == pytest.approx(6.667)
    assert found.traditional is not None
    assert found.traditional.patience_hours is None
    assert found.traditional.median_hours_to_contact == 8.0
    assert found.as_json()["predicted"][0]["patience_hours"] == 4.0


def test_every_kpi_in_words_units_and_the_materials_column() -> None:
    kpis = {
        "predicted": {
            "policy": "predicted",
            "requests": 200,
            "first_attempt_contact_rate": 0.6175,
            "contact_within_deadline_rate": 0.32,
            "mean_attempts_per_contact": 1.5,
            "median_hours_to_contact": 6.8,
            "mean_hours_to_contact": None,
            "weekly": [],
        }
    }
    english = {line.key: line for line in kpi_view(load_pack("en"), "w", kpis).lines}
    danish = {line.key: line for line in kpi_view(load_pack("da"), "w", kpis).lines}
    assert english["first_attempt_contact_rate"].label == "reached at the first attempt"
    assert english["first_attempt_contact_rate"].values == ("61.8%",)
    assert english["first_attempt_contact_rate"].material == "23.0% → 38.0%"
    assert danish["first_attempt_contact_rate"].values == ("61,8 %",)
    assert english["contact_within_deadline_rate"].label == "reached within the promised deadline"
    assert "67% of B2B customers" in english["contact_within_deadline_rate"].material
    assert english["median_hours_to_contact"].values == ("6.8 h",)
    assert danish["median_hours_to_contact"].values == ("6,8 t",)
    assert english["mean_hours_to_contact"].material == "18.0 h → 6.0 h"
    assert english["requests"].values == ("200",) and english["requests"].material == ""
    with pytest.raises(ValueError, match="new_kpi"):
        kpi_view(load_pack("en"), "w", {"p": {**kpis["predicted"], "new_kpi": 1}})


def test_simulate_report_shows_every_kpi_and_the_frontier(tmp_path: Path) -> None:
    world = tiny_world(
        repo_root() / "configs" / "worlds" / "consumers_evening.yaml", tmp_path / "tiny.yaml"
    )
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        ["simulate", "report", "--world", str(world), "--out", str(out), "--frontier"],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 0, result.output
    for label in (
        "reached at the first attempt",
        "reached within the promised deadline",
        "median time to contact",
        "mean time to contact",
        "the material's figures (conventional → predicted timing)",
        "23.0% → 38.0%",
        "predicted, patience 2 h",
        "predicted, patience 12 h",
        "predicted, patience 24 h (this configuration)",
        "predicted, patience 72 h",
    ):
        assert label in result.stdout, label
    assert "first_attempt_contact_rate" not in result.stdout  # words, not keys
    assert "%" in result.stdout and " h " in result.stdout
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "reached within the promised deadline" in page and "tiny-frontier.png" in page
    assert (out / "tiny-frontier.png").stat().st_size > 1000


def test_simulate_report_frontier_as_json_reuses_the_reports_runs(tmp_path: Path) -> None:
    world = tiny_world(
        repo_root() / "configs" / "worlds" / "consumers_evening.yaml", tmp_path / "tiny.yaml"
    )
    result = CliRunner().invoke(
        app,
        [
            *("simulate", "report", "--world", str(world), "--out", str(tmp_path / "r")),
            *("--frontier", "--json", "--language", "da"),
        ],
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)["tiny"]
    points = {p["patience_hours"]: p for p in found["frontier"]["predicted"]}
    assert sorted(points) == [2.0, 4.0, 8.0, 12.0, 24.0, 72.0]
    kpis = found["kpis"]
    assert (
        points[24.0]["first_attempt_contact_rate"]
        == kpis["predicted"]["first_attempt_contact_rate"]
    )
    assert points[24.0]["median_hours_to_contact"] == kpis["predicted"]["median_hours_to_contact"]
    traditional = found["frontier"]["traditional"]
    assert (
        traditional["contact_within_deadline_rate"]
        == kpis["traditional"]["contact_within_deadline_rate"]
    )
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "kontakt inden for den lovede frist" in page and "forudsagt, tålmodighed 2 t" in page
