"""Told windows in the simulator: a caller who names one ("this afternoon", "tomorrow
morning") gets it on the request, and the first attempt must fall inside it.

The world field is checked like the others; the simulator's windows are the bot's own
(bot/dialogue/time_phrases.py, moment by moment); a world where every caller names one
has every request windowed and no first attempt outside, under the policies that learn
and the one that does not; the KPI counts a first attempt planted outside; and a world
that names none draws exactly the customers and requests it drew before.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.dialogue.time_phrases import callback_window
from scheduler.simulation.kpi_text import kpi_view
from scheduler.simulation.report import kpis
from scheduler.simulation.simulator import PolicyName, SimRun, simulate
from scheduler.simulation.store import stored_rows
from scheduler.simulation.told_window import Phrase, phrase_for, told_window
from scheduler.simulation.world import World, load_world
from spillway.errors import InputError
from spillway.language_pack import load_pack


def _world(asks_window: object, **overrides: Any) -> dict[str, Any]:
    day = [0.05] * 8 + [0.3] * 9 + [0.6] * 3 + [0.1] * 4
    segment: dict[str, Any] = {
        "name": "households",
        "count": 400,
        "answer_prob": [day] * 7,
        "customer_noise": 0.3,
        "requests_per_day": 20,
    }
    abroad: dict[str, Any] = {
        "name": "abroad",
        "count": 100,
        "timezone": "America/New_York",
        "answer_prob": [day] * 7,
        "requests_per_day": 4,
    }
    if asks_window is not None:
        segment["asks_window"] = asks_window
        abroad["asks_window"] = asks_window
    world: dict[str, Any] = {
        "start": "2026-03-02T00:00:00+01:00",
        "days": 10,
        "seed": 5,
        "rules": {"agents": 3},
        "segments": [segment, abroad],
    }
    world.update(overrides)
    return world


@pytest.mark.parametrize("bad", [1.5, -0.1, "often"])
def test_asks_window_is_checked_and_the_error_names_it(tmp_path: Path, bad: object) -> None:
    path = tmp_path / "world.yaml"
    path.write_text(yaml.safe_dump(_world(bad)), encoding="utf-8")
    with pytest.raises(InputError, match=r"segments\.0\.asks_window"):
        load_world(path)


def test_a_missing_asks_window_means_none() -> None:
    world = World.model_validate(_world(None))
    assert [s.asks_window for s in world.segments] == [0.0, 0.0]
    run = simulate(world, PolicyName.TRADITIONAL)
    assert all(r.not_before is None and r.not_after is None for r in run.requests)
    assert kpis(run)["told_window_requests"] == 0
    assert kpis(run)["told_window_contact_rate"] is None


@pytest.mark.parametrize("zone", ["Europe/Copenhagen", "America/New_York"])
@pytest.mark.parametrize("phrase", list(Phrase))
def test_the_simulated_window_is_the_one_the_bot_tells(zone: str, phrase: Phrase) -> None:
    tz = ZoneInfo(zone)
    # Every quarter of an hour over two days, one of them a daylight-saving change.
    start = (
        datetime(2026, 3, 27, 6, tzinfo=tz)
        if "Europe" in zone
        else datetime(2026, 3, 7, 6, tzinfo=tz)
    )
    for step in range(0, 48 * 4):
        now = (start + timedelta(minutes=15 * step)).timestamp()
        bot = callback_window(phrase.value, now, zone, "en")
        assert bot is not None
        ours = told_window(phrase, now, zone)
        assert (ours.not_before, ours.not_after) == (bot.not_before, bot.not_after), (
            phrase,
            datetime.fromtimestamp(now, tz),
        )


def test_a_caller_names_tomorrows_afternoon_late_in_the_day() -> None:
    tz = "Europe/Copenhagen"
    at = datetime(2026, 3, 4, 14, 59, tzinfo=ZoneInfo(tz)).timestamp()
    assert phrase_for(True, at, tz) is Phrase.THIS_AFTERNOON
    assert phrase_for(True, at + 60, tz) is Phrase.TOMORROW_AFTERNOON
    assert phrase_for(False, at, tz) is Phrase.TOMORROW_MORNING


@pytest.mark.parametrize("policy", [PolicyName.PREDICTED, PolicyName.TRADITIONAL])
def test_every_caller_names_a_window_and_every_first_attempt_is_inside(
    policy: PolicyName,
) -> None:
    run = simulate(World.model_validate(_world(1.0)), policy)
    result = kpis(run)
    assert result["requests"] > 100
    assert result["told_window_requests"] == result["requests"]
    assert all(r.not_after is not None for r in run.requests)
    assert result["first_attempts_outside_told_window"] == 0
    assert result["rule_violations"] == 0
    # The promise is inside the window, as production makes it.
    assert all(r.deadline_at <= r.not_after for r in run.requests if r.not_after is not None)
    # Most windows have calling hours in them: most callers are reached inside theirs.
    assert result["told_window_contact_rate"] > 0.5
    firsts = {a.request: a.at for a in run.attempts if a.attempt_no == 1}
    assert len(firsts) > 0.9 * result["requests"]


def _planted(run: SimRun, minutes_after_end: float) -> SimRun:
    """``run`` with the first attempt of its first attempted request moved past its window."""
    first = next(a for a in run.attempts if a.attempt_no == 1)
    request = run.requests[first.request]
    assert request.not_after is not None
    moved = dataclasses.replace(first, at=request.not_after + minutes_after_end * 60)
    return dataclasses.replace(run, attempts=[moved if a is first else a for a in run.attempts])


def test_the_kpi_counts_a_first_attempt_outside_its_window() -> None:
    run = simulate(World.model_validate(_world(1.0, days=3)), PolicyName.TRADITIONAL)
    assert kpis(run)["first_attempts_outside_told_window"] == 0
    assert kpis(_planted(run, 30))["first_attempts_outside_told_window"] == 1
    # The window's end is outside it (not_after is exclusive, as in the rules).
    assert kpis(_planted(run, 0))["first_attempts_outside_told_window"] == 1
    # Before the window's start, too.
    first = next(a for a in run.attempts if a.attempt_no == 1)
    request = dataclasses.replace(run.requests[first.request], not_before=first.at + 60)
    early = dataclasses.replace(
        run, requests=[request if r.id == request.id else r for r in run.requests]
    )
    assert kpis(early)["first_attempts_outside_told_window"] == 1


def test_windows_move_no_customer_and_no_request() -> None:
    without = simulate(World.model_validate(_world(None)), PolicyName.TRADITIONAL)
    half = simulate(World.model_validate(_world(0.5)), PolicyName.TRADITIONAL)
    assert [(r.customer, r.created_at) for r in half.requests] == [
        (r.customer, r.created_at) for r in without.requests
    ]
    told = kpis(half)["told_window_requests"]
    assert 0.35 * len(half.requests) < told < 0.65 * len(half.requests)


def test_the_report_labels_the_window_kpis_in_both_languages() -> None:
    result = kpis(simulate(World.model_validate(_world(1.0, days=3)), PolicyName.TRADITIONAL))
    for language in ("en", "da"):
        lines = {line.key: line for line in kpi_view(load_pack(language), "w", {"p": result}).lines}
        assert lines["first_attempts_outside_told_window"].values == ("0",)
        assert lines["told_window_requests"].values == (str(result["requests"]),)
        assert lines["told_window_contact_rate"].values[0].endswith("%")
    english = kpi_view(load_pack("en"), "w", {"p": result}).lines
    labels = {line.key: line.label for line in english}
    assert labels["first_attempts_outside_told_window"] == "first attempts outside the told window"


def test_a_stored_month_keeps_each_told_windows_end() -> None:
    run = simulate(World.model_validate(_world(0.5, days=3)), PolicyName.TRADITIONAL)
    period = stored_rows(run, run.world.start.timestamp() + 30 * 86400, label="w")

    def wall_clock(at: float, zone: str, weeks: int = 0) -> datetime:
        """``at`` on the local clock, ``weeks`` later (rows are moved in the local calendar)."""
        return datetime.fromtimestamp(at, ZoneInfo(zone)).replace(tzinfo=None) + timedelta(
            weeks=weeks
        )

    told = 0
    for request, stored in zip(run.requests, period.requests, strict=True):
        if request.not_after is None:
            assert stored.row["not_after"] is None
            continue
        told += 1
        assert request.expires_at is not None
        zone, weeks = stored.row["timezone"], period.weeks_moved
        for key, at in (("not_after", request.not_after), ("expires_at", request.expires_at)):
            moved = wall_clock(stored.row[key], zone)
            assert abs((moved - wall_clock(at, zone, weeks)).total_seconds()) < 1e-3, key
    assert told > 10
