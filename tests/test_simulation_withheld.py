"""The ablation per data source: a run can deny the policy and its model the segments'
industry or the customers' time zones, without changing the world, and the ablation has a
predicted row for each signal kind a world sends."""

from __future__ import annotations

from scheduler.simulation.ablation import per_source
from scheduler.simulation.report import kpis
from scheduler.simulation.signal_world import kinds_sent
from scheduler.simulation.simulator import SHOP_ZONE, PolicyName, Withheld, simulate
from scheduler.simulation.world import World, load_world
from spillway.paths import repo_root

WORLDS = repo_root() / "configs" / "worlds"


def _short(path: str, days: int = 3) -> World:
    return load_world(WORLDS / path).model_copy(update={"days": days, "seed": 4})


def test_industry_left_out_fits_the_model_without_it() -> None:
    world = _short("time_zones.yaml")
    told = simulate(world, PolicyName.PREDICTED)
    blind = simulate(world, PolicyName.PREDICTED, withheld=frozenset({Withheld.INDUSTRY}))
    assert told.model is not None and blind.model is not None
    assert told.model.industry == {"copenhagen": "it", "new_york": "it", "tokyo": "consumer"}
    assert blind.model.industry == {}
    # The same customers and requests: only what the policy knew differs.
    assert [r.created_at for r in told.requests] == [r.created_at for r in blind.requests]


def test_time_zone_left_out_plans_in_the_shops_zone_and_keeps_the_rules() -> None:
    world = _short("time_zones.yaml")
    told = simulate(world, PolicyName.PREDICTED)
    blind = simulate(world, PolicyName.PREDICTED, withheld=frozenset({Withheld.TIME_ZONE}))
    zones = {d.facts.timezone for d in told.decisions}
    assert zones == {"Europe/Copenhagen", "America/New_York", "Asia/Tokyo"}
    assert {d.facts.timezone for d in blind.decisions} == {SHOP_ZONE}
    # The rules still hold in each customer's own zone (recomputed from the log).
    assert kpis(blind)["rule_violations"] == 0
    # Customers far away are reached less often when their hours are taken for the shop's.
    assert kpis(blind)["first_attempt_contact_rate"] < kpis(told)["first_attempt_contact_rate"]


def test_the_ablation_has_a_row_per_kind_sent_and_per_source_left_out() -> None:
    consumers = load_world(WORLDS / "signals" / "consumers_evening.yaml")
    assert kinds_sent(consumers) == ["web_visit", "email_open", "app_open", "inbound_call"]
    office = load_world(WORLDS / "signals" / "b2b_monday_meetings.yaml")
    assert kinds_sent(office) == ["web_visit", "email_open", "inbound_call"]
    assert kinds_sent(load_world(WORLDS / "time_zones.yaml")) == []
    assert [v.name for v in per_source(consumers)] == [
        "predicted_no_signals",
        "only_web_visit",
        "only_email_open",
        "only_app_open",
        "only_inbound_call",
        "predicted_signals",
        "no_industry",
        "no_time_zone",
    ]
