"""The pilot's verdict over data, as a team lead reads it (walk-lead, groups 2 and 4).

A better first attempt while time to first contact is significantly worse is a mixed
result, said as what was shown; "pays" is said only from the ROI, with the investment
set and its whole range above 0; the saving is said with its range; each sample size
says how many weeks it takes at the pilot's pace; "within 3 attempts" is not sized
from the first-attempt rate; and `simulate report --frontier`'s note follows its table.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest

from scheduler.contact_facts import RequestRecord
from scheduler.pilot.report import (
    PRIOR_BASELINE,
    PRIOR_OVERALL,
    WEEK_S,
    PilotRows,
    observed_weeks,
    pilot_report,
    weeks_needed,
)
from scheduler.pilot.stats import mean_difference
from scheduler.pilot.verdict import money_verdict, pilot_verdict
from scheduler.simulation.frontier import Frontier, FrontierPoint
from scheduler.simulation.frontier_text import frontier_finding
from spillway.callback_settings import PilotRoiSettings, PilotSettings
from spillway.console_text import load_console_text
from spillway.language_pack import load_pack
from web.pilot_page import summary
from web.pilot_verdict_words import costs_words, needed_words, saved_words

H = 3600.0
LANGUAGES = ("en", "da")


def _arm(reached: int, missed: int, hours: float) -> list[RequestRecord]:
    """``reached`` customers answered the first attempt ``hours`` after asking; ``missed``
    were called three times and never reached."""
    return [RequestRecord(0.0, "done", "p", 1, True, hours * H, 1) for _ in range(reached)] + [
        RequestRecord(0.0, "unreached", "p", 3, False, None) for _ in range(missed)
    ]


def _report(investment: float = 0.0, lead_value: float = 0.0) -> dict[str, Any]:
    """Predicted: 120 of 200 reached at the first attempt, 10 h after asking; conventional:
    60 of 200, 1 h after. First attempt significantly better, first contact significantly
    later."""
    rows = PilotRows(arms={"predicted": _arm(120, 80, 10.0), "conventional": _arm(60, 140, 1.0)})
    roi = PilotRoiSettings(investment=investment, lead_value=lead_value)
    return pilot_report(rows, PilotSettings(share_predicted=0.5, roi=roi), weeks=4.0)


def test_better_first_attempt_and_later_contact_is_mixed_and_without_an_roi_not_paying() -> None:
    report = _report()
    assert report["primary"]["verdict"] == "predicted better"
    verdict = pilot_verdict(report)
    assert verdict.shown == "better"
    assert verdict.costs == ("median_hours_to_contact",)
    assert verdict.headline == "mixed"
    assert verdict.money == "unpriced" and not verdict.pays


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_mixed_summary_names_the_cost_and_says_no_pays(language: str) -> None:
    text = load_console_text(language)
    report = _report()
    said = summary(text, report, "DKK")
    rates = {"predicted": text.percent(0.6, 1), "conventional": text.percent(0.3, 1)}
    # What was shown, both ways, in one sentence: nine hours later (10 h against 1 h).
    costs = costs_words(text, report["secondary"])
    assert text("format.duration_h", n=text.number(9, 2)) in costs
    assert said.startswith(text("pilot.in_short.mixed", **rates, costs=costs)), said
    assert text("pilot.in_short.better", **rates) not in said
    # The cost is said once, not again as "on the other hand".
    assert text("pilot.in_short.loss_proven") not in said
    # No ROI without an investment: the summary says so instead of "pays".
    assert said.endswith(text("pilot.in_short.money.unpriced")), said
    for paying in ("pays", "does_not_pay"):
        opening = text(f"pilot.in_short.money.{paying}").split(":")[0]
        assert opening not in said


@pytest.mark.parametrize("language", LANGUAGES)
def test_pays_is_said_only_when_the_roi_s_whole_range_is_above_zero(language: str) -> None:
    text = load_console_text(language)
    cheap = _report(investment=100.0, lead_value=50.0)
    assert money_verdict(cheap["money"]) == "pays"
    low, high = cheap["money"]["intervals"]["roi"]
    assert 0 < low < cheap["money"]["roi"] < high
    said = summary(text, cheap, "DKK")
    assert text("pilot.in_short.money.pays").split(":")[0] in said
    assert text.percent(low, 1) in said and text.percent(high, 1) in said
    dear = _report(investment=10_000_000.0, lead_value=50.0)
    assert money_verdict(dear["money"]) == "does_not_pay"
    assert text("pilot.in_short.money.does_not_pay").split(":")[0] in summary(text, dear, "DKK")


def test_an_roi_whose_range_covers_zero_is_uncertain() -> None:
    money = {"terms": {"saved_cost": 10.0, "investment": 100.0}, "roi": 0.2}
    assert money_verdict(money | {"intervals": {"roi": [-0.3, 0.7]}}) == "uncertain"
    assert money_verdict(money | {"intervals": {"roi": [0.05, 0.7]}}) == "pays"
    assert money_verdict({"terms": {"saved_cost": None, "investment": 0.0}, "roi": None}) == (
        "uncounted"
    )


def test_the_money_s_ranges_are_centred_on_its_sums() -> None:
    money = _report(investment=100.0, lead_value=50.0)["money"]
    low, high = money["intervals"]["saved_cost"]
    assert (low + high) / 2 == pytest.approx(money["terms"]["saved_cost"], abs=0.01)
    low, high = money["intervals"]["roi"]
    assert (low + high) / 2 == pytest.approx(money["roi"], abs=1e-3)


def test_mean_difference_by_hand() -> None:
    a, b = [1.0, 2.0, 3.0], [1.0, 1.0, 4.0]
    half = 1.959964 * ((statistics.variance(a) + statistics.variance(b)) / 3) ** 0.5
    found = mean_difference(a, b)
    assert (found.low, found.high) == pytest.approx((-half, half), abs=1e-5)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_saving_whose_range_includes_zero_is_said_as_maybe_chance(language: str) -> None:
    text = load_console_text(language)
    money = {"terms": {"saved_cost": 120.0}, "intervals": {"saved_cost": [-50.0, 290.0]}}
    said = saved_words(text, money, "DKK")
    values = {"amount": text.money(120, "DKK"), "low": text.money(-50, "DKK")}
    assert said == text("pilot.saved_chance", **values, high=text.money(290, "DKK"))
    proven = saved_words(text, money | {"intervals": {"saved_cost": [10.0, 290.0]}}, "DKK")
    assert proven.startswith(text.money(120, "DKK") + " (")
    # Not counted: words, not "-", which read as a minus sign.
    assert saved_words(text, {"terms": {"saved_cost": None}}, "DKK") == text("pilot.not_worked_out")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sample_size_says_its_weeks_at_the_current_pace(language: str) -> None:
    text = load_console_text(language)
    report = _report()
    # 200 callbacks a group in 4 weeks is 50 a week: the weeks are the number needed / 50.
    primary = report["primary"]
    assert primary["weeks_needed"] == pytest.approx(primary["n_needed_per_arm"] / 50, abs=0.05)
    # Beside the number needed, in whole weeks and the language's words.
    weeks = math.ceil(primary["weeks_needed"])
    shown = needed_words(text, primary, "effect")
    assert shown == f"{text.number(primary['n_needed_per_arm'])} (effect), " + text.count(
        "pilot.pace.weeks", weeks
    )
    assert needed_words(text, {**primary, "n_needed_per_arm": None}, "effect") == text(
        "pilot.needed_unknown"
    )
    assert weeks_needed({"n_needed_per_arm": 300, "n": {"a": 40, "b": 20}}, 2.0) == 30.0
    assert weeks_needed({"n_needed_per_arm": None, "n": {"a": 40, "b": 20}}, 2.0) is None
    rows = PilotRows(arms={"predicted": _arm(1, 0, 1.0), "conventional": []})
    # Imported a minute ago: no pace yet.
    assert observed_weeks(rows, 0.0, 60.0) is None
    assert observed_weeks(rows, 0.0, 2 * WEEK_S) == pytest.approx(2.0)


def test_within_3_attempts_is_sized_from_the_overall_contact_rate_before_outcomes() -> None:
    """No conventional outcome yet (every conventional request waits): the first attempt
    is sized from the material's 23 %, within 3 attempts from its overall 45 %, so the
    two rows no longer show the same number."""
    waiting = [RequestRecord(0.0, "pending", "p", 0, False, None) for _ in range(5)]
    rows = PilotRows(arms={"predicted": _arm(3, 2, 1.0), "conventional": waiting})
    report = pilot_report(rows, PilotSettings(share_predicted=0.5))
    within = report["secondary"][0]
    assert report["primary"]["baseline"] == {"rate": PRIOR_BASELINE, "source": "assumed"}
    assert within["baseline"] == {"rate": PRIOR_OVERALL, "source": "assumed_overall"}
    assert within["n_needed_per_arm"] != report["primary"]["n_needed_per_arm"]


def _point(patience: float | None, first: float, median: float) -> FrontierPoint:
    return FrontierPoint(patience, 1, 100, first, 0.9, 0.5, median, median)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_frontier_note_follows_its_table(language: str) -> None:
    """The note said a shorter patience reaches fewer at the first attempt while the table
    (one seed) showed more: now it says what the table shows, and that one seed is noise."""
    pack = load_pack(language)
    shorter_wins = Frontier("w", (11,), None, (_point(2, 0.249, 1.1), _point(24, 0.231, 2.6)))
    said = frontier_finding(pack, shorter_wins)
    assert pack.say("sim_frontier_first_more") in said
    assert pack.say("sim_frontier_time_fewer") in said
    assert pack.say("sim_frontier_first_fewer") not in said
    assert pack.say("sim_frontier_one_seed", seed=11) in said and "--seeds 1,2,3" in said
    longer_wins = Frontier("w", (1, 2, 3), None, (_point(2, 0.2, 1.0), _point(72, 0.3, 7.0)))
    said = frontier_finding(pack, longer_wins)
    assert pack.say("sim_frontier_first_fewer") in said
    assert pack.say("sim_frontier_time_fewer") in said  # the shorter patience, sooner
    assert "--seeds" not in said  # three seeds: no noise warning
