"""The simulator, its worlds, its independent rule checker and its command line.

Worlds are checked field by field; every policy runs a world to the end with
no rule broken (as recomputed by the checker, which is itself shown to catch
planted violations); the same seed gives the same month; the predicted
policy learns an evening world well enough to beat calling at once.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from scheduler.simulation.offline_eval import ips_first_attempt
from scheduler.simulation.report import kpis, rule_violations
from scheduler.simulation.simulator import PolicyName, make_policy, simulate
from scheduler.simulation.world import World, load_world
from spillway.errors import InputError

REPO = Path(__file__).resolve().parent.parent
KEYS = {
    "requests",
    "calls_placed",
    "rule_violations",
    "first_attempt_contact_rate",
    "contact_rate",
    "contact_within_3_attempts_rate",
    "contact_within_deadline_rate",
    "mean_attempts_per_request",
    "mean_attempts_per_contact",
    "median_hours_to_contact",
    "mean_hours_to_contact",
    "mean_lead_value",
    "weekly",
}


def _evening(rows: int = 7) -> list[list[float]]:
    day = [0.02] * 8 + [0.15] * 9 + [0.65] * 3 + [0.1] * 4
    return [day for _ in range(rows)]


def small_world(**overrides: object) -> dict[str, object]:
    world: dict[str, object] = {
        "start": "2026-03-02T00:00:00+01:00",
        "days": 14,
        "seed": 3,
        "lead_half_life_hours": 24,
        "rules": {"agents": 3, "max_attempts": 4},
        "segments": [
            {
                "name": "households",
                "count": 600,
                "industry": "consumer",
                "answer_prob": _evening(),
                "customer_noise": 0.3,
                "personal_peak": {"hours": 2, "boost": 2.0},
                "requests_per_day": 25,
            },
            {
                "name": "abroad",
                "count": 200,
                "timezone": "America/New_York",
                "answer_prob": _evening(),
                "requests_per_day": 5,
            },
        ],
    }
    world.update(overrides)
    return world


def _write(tmp_path: Path, world: dict[str, object]) -> Path:
    path = tmp_path / "world.yaml"
    path.write_text(yaml.safe_dump(world))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start": "2026-03-02T00:00:00"}, "start: .*offset"),
        ({"days": 0}, "days:"),
        ({"colour": "blue"}, "colour: Extra inputs"),
        ({"rules": {"agents": 0}}, "rules.agents:"),
    ],
)
def test_a_bad_world_names_the_field(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        load_world(_write(tmp_path, small_world(**change)))


def test_a_bad_matrix_names_the_segment_and_the_field(tmp_path: Path) -> None:
    world = small_world()
    world["segments"][0]["answer_prob"] = _evening(6)  # type: ignore[index]
    with pytest.raises(InputError, match=r"segments\.0\.answer_prob: .*7 rows"):
        load_world(_write(tmp_path, world))


@pytest.mark.parametrize("policy", list(PolicyName))
def test_every_policy_runs_to_the_end_within_the_rules(policy: PolicyName) -> None:
    world = World.model_validate(small_world())
    run = simulate(world, policy)
    result = kpis(run)
    assert set(result) >= KEYS
    assert result["rule_violations"] == 0
    assert result["requests"] > 200 and result["calls_placed"] >= result["requests"]
    assert all(r.closed for r in run.requests)  # every request counted in full
    assert all(a.propensity is not None and 0 < a.propensity <= 1 for a in run.attempts)
    assert [w["week"] for w in result["weekly"]] == [1, 2]


def test_the_checker_catches_what_the_policy_code_might_get_wrong() -> None:
    world = World.model_validate(small_world())
    run = simulate(world, PolicyName.TRADITIONAL)
    assert rule_violations(run) == []
    first, second = run.attempts[0], run.attempts[1]
    planted = [
        dataclasses.replace(first, at=first.at + 13 * 3600),  # past 20:00, or the next night
        *[dataclasses.replace(second, request=first.request, at=first.at + 60 * i) for i in (1, 2)],
        *run.attempts[2:],
    ]
    broken = dataclasses.replace(run, attempts=planted)
    found = " | ".join(rule_violations(broken))
    assert "outside the calling hours" in found
    assert "apart" in found  # the minimum gap


def test_the_same_world_makes_the_same_month() -> None:
    world = World.model_validate(small_world())
    assert kpis(simulate(world, PolicyName.PREDICTED)) == kpis(
        simulate(world, PolicyName.PREDICTED)
    )


def test_predicted_learns_the_evening_and_beats_calling_at_once() -> None:
    world = World.model_validate(small_world(days=21))
    traditional = kpis(simulate(world, PolicyName.TRADITIONAL))
    predicted = kpis(simulate(world, PolicyName.PREDICTED))
    assert predicted["first_attempt_contact_rate"] > traditional["first_attempt_contact_rate"] + 0.1
    assert predicted["mean_attempts_per_contact"] <= traditional["mean_attempts_per_contact"]


def test_replay_estimates_a_policy_from_logged_decisions() -> None:
    world = World.model_validate(small_world())
    logged = simulate(world, PolicyName.PREDICTED)
    target = make_policy(PolicyName.SEGMENT_ORACLE, world, logged.people)
    estimate = ips_first_attempt(logged, target, world.rules.calling_rules())
    truth = kpis(simulate(world, PolicyName.SEGMENT_ORACLE))["first_attempt_contact_rate"]
    assert estimate.decisions == len(logged.requests) and estimate.matched > 0
    assert estimate.snips is not None and abs(estimate.snips - truth) < 0.12


def test_the_shipped_worlds_load() -> None:
    worlds = sorted((REPO / "configs" / "worlds").glob("*.yaml"))
    assert len(worlds) >= 5
    for path in worlds:
        assert load_world(path).segments


def test_simulate_json_and_report_from_the_command_line(tmp_path: Path) -> None:
    path = _write(tmp_path, small_world(days=7))
    runner = CliRunner()
    result = runner.invoke(
        app, ["simulate", "--world", str(path), "--policy", "traditional", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= KEYS and data["policy"] == "traditional"
    out = tmp_path / "report"
    result = runner.invoke(app, ["simulate", "report", "--world", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text()
    for chart in ("kpis", "learning", "heatmap", "reliability"):
        assert (out / f"world-{chart}.png").stat().st_size > 1000
        assert f"world-{chart}.png" in page


def test_a_bad_world_is_one_clear_line_on_the_command_line(tmp_path: Path) -> None:
    path = _write(tmp_path, small_world(days=-1))
    done = subprocess.run(
        [sys.executable, "-m", "cli", "simulate", "--world", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "days: Input should be greater than or equal to 1" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 2
