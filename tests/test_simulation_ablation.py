"""Which data matters: the ablation per data source has the rows the issue names (no
signals, each kind alone, all, industry or time zone left out), each shows `predicted`
what its name says, the gap closed is taken by the means over the seeds, the words come
from the language pack as percentages, and `spillway simulate report --ablation` prints
the rows and puts them in the HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from scheduler.simulation.ablation import (
    Ablation,
    AblationRow,
    SeedResult,
    gap_closed,
    shown_world,
    summarise,
    variants,
)
from scheduler.simulation.ablation_text import ablation_view, percent
from scheduler.simulation.signal_world import has_signals, kinds_sent
from scheduler.simulation.simulator import PolicyName, Withheld
from scheduler.simulation.world import World, load_world
from spillway.console_text import load_console_text
from spillway.language_pack import load_pack
from spillway.paths import repo_root
from tests.tiny_worlds import tiny_world

WORLDS = repo_root() / "configs" / "worlds"


def _consumers() -> World:
    return load_world(WORLDS / "signals" / "consumers_evening.yaml")


def test_the_rows_are_the_named_ones_and_each_shows_what_its_name_says() -> None:
    world = _consumers()
    rows = {v.name: v for v in variants(world)}
    assert list(rows) == [
        "traditional",
        "predicted_no_signals",
        "only_web_visit",
        "only_email_open",
        "only_app_open",
        "only_inbound_call",
        "predicted_signals",
        "no_industry",
        "no_time_zone",
        "segment_oracle",
        "oracle",
    ]
    assert rows["traditional"].policy is PolicyName.TRADITIONAL
    assert rows["oracle"].policy is PolicyName.ORACLE
    assert not has_signals(shown_world(world, rows["predicted_no_signals"]))
    for kind in ("web_visit", "email_open", "app_open", "inbound_call"):
        row = rows[f"only_{kind}"]
        assert row.kind == kind and row.policy is PolicyName.PREDICTED
        assert kinds_sent(shown_world(world, row)) == [kind]
    assert shown_world(world, rows["predicted_signals"]) == world
    assert rows["predicted_signals"].withheld == frozenset()
    for name, withheld in (
        ("no_industry", Withheld.INDUSTRY),
        ("no_time_zone", Withheld.TIME_ZONE),
    ):
        assert rows[name].withheld == {withheld}
        assert shown_world(world, rows[name]) == world  # all signals, one source denied


def test_a_world_without_signals_has_no_signal_rows() -> None:
    names = [v.name for v in variants(load_world(WORLDS / "time_zones.yaml"))]
    assert names == [
        "traditional",
        "predicted_no_signals",
        "no_industry",
        "no_time_zone",
        "segment_oracle",
        "oracle",
    ]
    bench_pair = [v.name for v in variants(_consumers(), by_source=False)]
    assert bench_pair == [
        "traditional",
        "predicted_no_signals",
        "predicted_signals",
        "segment_oracle",
        "oracle",
    ]


def test_gap_closed_on_hand_made_numbers() -> None:
    assert gap_closed(0.5, 0.3, 0.7) == pytest.approx(0.5)
    assert gap_closed(0.7, 0.3, 0.7) == pytest.approx(1.0)
    assert gap_closed(0.2, 0.3, 0.7) == pytest.approx(-0.25)  # worse than the rule
    assert gap_closed(0.4, 0.3, 0.3) is None  # the oracle is no better: no gap
    assert gap_closed(0.4, 0.3, 0.2) is None


def _seed(seed: int, traditional: float, row: float, oracle: float) -> SeedResult:
    rates = {"traditional": traditional, "predicted_signals": row, "oracle": oracle}
    return SeedResult(
        seed=seed,
        first_attempt_contact_rate=rates,
        attempts_per_contact={"traditional": 3.0, "predicted_signals": 2.0 + seed, "oracle": 1.5},
        rule_violations={"traditional": 0, "predicted_signals": seed, "oracle": 0},
        told_window_exceptions={"traditional": 0, "predicted_signals": 2 * seed, "oracle": 0},
    )


def _hand_made() -> Ablation:
    # Seed 1: 20% -> 40% of 60% (half the gap); seed 2: 30% -> 50% of 50% (all of it).
    per_seed = [_seed(1, 0.2, 0.4, 0.6), _seed(2, 0.3, 0.5, 0.5)]
    return summarise(_consumers(), variants(_consumers(), by_source=False), per_seed)


def test_the_gap_is_closed_by_the_means_over_the_seeds() -> None:
    found = _hand_made()
    row = found.row("predicted_signals")
    assert row.first_attempt_contact_rate == pytest.approx(0.45)
    # Means 25%, 45%, 55%: 20 of 30 points, not the mean of 50% and 100%.
    assert row.gap_closed_share == pytest.approx(2 / 3)
    assert row.gap_closed_share_per_seed == pytest.approx((0.5, 1.0))
    assert row.attempts_per_contact == pytest.approx(3.5)
    assert row.rule_violations == 3
    assert row.told_window_exceptions == 6  # the told-window exceptions, over the seeds
    assert found.row("traditional").gap_closed_share == pytest.approx(0.0)
    assert found.row("oracle").gap_closed_share == pytest.approx(1.0)
    assert found.seeds == (1, 2)
    as_json = found.as_json()
    assert as_json["gap_closed_by_the_means"]["predicted_signals"] == pytest.approx(0.667)
    assert as_json["signals_gap_closed_per_seed"] == [0.5, 1.0]
    assert as_json["first_attempts_outside_told_window"]["predicted_signals"] == 6
    assert as_json["runs"][1]["first_attempts_outside_told_window"]["predicted_signals"] == 4


def test_the_words_are_the_packs_and_every_figure_a_percentage() -> None:
    en, da = load_pack("en"), load_pack("da")
    assert percent(en, 0.5612, 1) == "56.1%"
    assert percent(da, 0.5612, 1) == "56,1 %"
    assert percent(en, None) == "no gap"
    row = AblationRow("only_email_open", "email_open", 0.4, 0.25, (0.2, 0.3), 2.0, 0)
    found = Ablation(seeds=(1, 2), events_per_week=3.5, rows=(row,), runs=())
    english = ablation_view(en, "consumers", found)
    danish = ablation_view(da, "consumers", found)
    assert english.lines[0].label == "predicted, e-mail opens alone"
    assert danish.lines[0].label == "forudsagt, kun åbnede e-mails"
    assert (english.lines[0].first_attempt_contact, english.lines[0].gap_closed) == ("40.0%", "25%")
    assert english.lines[0].gap_closed_per_seed == "20%, 30%"
    assert danish.lines[0].gap_closed_per_seed == "20 %, 30 %"
    assert english.per_seed_shown and "seeds 1, 2" in english.title


def test_simulate_report_ablation_prints_the_rows(tmp_path: Path) -> None:
    world = tiny_world(WORLDS / "signals" / "consumers_evening.yaml", tmp_path / "tiny.yaml")
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        ["simulate", "report", "--world", str(world), "--out", str(out), "--ablation"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    # The plain policy's name is the console's ("conventional" since the team lead's walk).
    plain = load_console_text("en")("simulated_reason.policy.traditional")
    for label in (
        f"{plain}: call at once, then after a fixed wait",
        "predicted, no signals (call log, industry, time zone)",
        "predicted, web visits alone",
        "predicted, e-mail opens alone",
        "predicted, app opens alone",
        "predicted, inbound calls alone",
        "predicted, all signals",
        "predicted, all signals, industry left out",
        "predicted, all signals, time zone left out",
        "oracle: knows each customer's true hours",
        "gap closed",
    ):
        assert label in result.stdout, label
    assert "100%" in result.stdout  # the oracle closes the whole gap
    assert (out / "tiny-ablation.png").stat().st_size > 1000
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "tiny-ablation.png" in page and "predicted, all signals, industry left out" in page


def test_simulate_report_ablation_as_json(tmp_path: Path) -> None:
    world = tiny_world(WORLDS / "signals" / "consumers_evening.yaml", tmp_path / "tiny.yaml")
    result = CliRunner().invoke(
        app,
        [
            *("simulate", "report", "--world", str(world), "--out", str(tmp_path / "r")),
            *("--ablation", "--json", "--language", "da"),
        ],
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)["tiny"]
    assert set(found) == {"kpis", "ablation"}
    rates = found["ablation"]["mean_first_attempt_contact_rate"]
    assert "only_inbound_call" in rates and "no_time_zone" in rates
    # Every row's told-window exceptions are counted from its run (the rules allow none).
    outside = found["ablation"]["first_attempts_outside_told_window"]
    assert set(outside) == set(rates) and set(outside.values()) == {0}
    # The report's own four runs are the ablation's rows for the world's seed.
    assert rates["traditional"] == found["kpis"]["traditional"]["first_attempt_contact_rate"]
    assert rates["predicted_signals"] == found["kpis"]["predicted"]["first_attempt_contact_rate"]
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "forudsagt, alle signaler, branchen udeladt" in page


def test_seeds_without_ablation_is_refused(tmp_path: Path) -> None:
    world = tiny_world(WORLDS / "signals" / "consumers_evening.yaml", tmp_path / "tiny.yaml")
    result = CliRunner().invoke(
        app, ["simulate", "report", "--world", str(world), "--seeds", "1,2"]
    )
    assert result.exit_code == 2
    assert "--seeds goes with --ablation or --frontier" in result.output
