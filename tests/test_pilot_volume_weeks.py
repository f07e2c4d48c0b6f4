"""bench/bench_pilot_volume.py's week-by-week paired differences and their t interval."""

from __future__ import annotations

import math

import pytest

from bench.bench_pilot_volume import difference_table, week_differences


def test_a_week_difference_is_paired_by_seed_with_a_t_interval() -> None:
    # Week 1: differences 1, 2, 3 points (mean 2, sd 1, t(0.975, 2) = 4.302653).
    # Week 2: -1, 0, +4 points (mean 1, sd sqrt(7)).
    first = [[0.51, 0.52, 0.53], [0.49, 0.60, 0.44]]
    second = [[0.50, 0.50, 0.50], [0.50, 0.60, 0.40]]
    week1, week2 = week_differences(first, second)
    half1 = 4.302653 * 1 / math.sqrt(3)
    assert (week1.week, week1.seeds, week1.seeds_below) == (1, 3, 0)
    assert week1.mean_points == pytest.approx(2.0)
    assert (week1.low_points, week1.high_points) == pytest.approx((2 - half1, 2 + half1), abs=1e-5)
    half2 = 4.302653 * math.sqrt(7) / math.sqrt(3)
    assert week2.mean_points == pytest.approx(1.0)
    assert week2.seeds_below == 1
    assert (week2.low_points, week2.high_points) == pytest.approx((1 - half2, 1 + half2), abs=1e-5)


def test_pairing_matters_a_shared_seed_effect_cancels() -> None:
    # Seeds differ a lot, but the first policy is always 1 point above: the interval is tight.
    first = [[0.21, 0.41, 0.61]]
    second = [[0.20, 0.40, 0.60]]
    (week,) = week_differences(first, second)
    assert week.mean_points == pytest.approx(1.0)
    assert week.high_points - week.low_points == pytest.approx(0.0, abs=1e-9)


def test_one_seed_has_no_interval() -> None:
    (week,) = week_differences([[0.3]], [[0.2]])
    assert week.mean_points == pytest.approx(10.0)
    assert math.isnan(week.low_points) and math.isnan(week.high_points)


def test_the_table_has_a_row_per_world_with_both_policies() -> None:
    results = {
        "pilot/a": {
            "predicted": {"month": [0.5, 0.5], "weeks": [[0.5, 0.6]]},
            "traditional": {"month": [0.4, 0.4], "weeks": [[0.4, 0.4]]},
        },
        "pilot/b": {"predicted": {"month": [0.5], "weeks": [[0.5]]}},
    }
    rows = difference_table(results).splitlines()
    assert len(rows) == 3
    assert rows[2].startswith("| pilot/a | +15.0 [")
    assert rows[2].endswith("(0/2 below) |")


def test_paired_gives_the_month_and_weeks_with_standard_errors_merged_seed_by_seed() -> None:
    from bench.bench_pilot_volume import _merge, paired

    def one(month: float, week: float) -> dict[str, dict[str, object]]:
        figures = {
            "month": [month],
            "weeks": [[week]] * 4,
            "attempts_per_contact": [2.0],
            "rules_broken_or_outside_told_window": 0,
        }
        return {"w": {"predicted": figures}}

    variant: dict[str, dict[str, object]] = {}
    baseline: dict[str, dict[str, object]] = {}
    for v, b in ((0.42, 0.40), (0.44, 0.40)):  # +2 and +4 points
        _merge(variant, one(v, v))
        _merge(baseline, one(b, b))
    row = paired(baseline, variant, "predicted").splitlines()[2]
    # Mean +3.0, standard error sd / sqrt(2) = 1.414 / 1.414 = 1.0, both seeds up.
    assert "| 40.0 → 43.0 | +3.0 ± 1.0 (2/2 up) |" in row
    assert row.count("+3.0 ± 1.0 (2/2 up)") == 5
