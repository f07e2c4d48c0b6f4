"""Worlds with signals: the `signals:` block is read and checked (a bad value names its
key), each customer's events follow their own true answer hours as faithfully as the
block says, the policy sees only the events before the simulated now, and a request that
came through the overflow bot is an inbound call."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scheduler.simulation.signal_world import SimSignals, has_signals, only_kinds, without_signals
from scheduler.simulation.simulator import PolicyName, simulate
from scheduler.simulation.world import World, load_world, population
from scheduler.timing.signal_evidence import local_slots
from spillway.errors import InputError
from spillway.paths import repo_root

SHIPPED = sorted((repo_root() / "configs" / "worlds" / "signals").glob("*.yaml"))


def _world(**signals: float) -> World:
    world = load_world(repo_root() / "configs" / "worlds" / "signals" / "b2b_monday_meetings.yaml")
    segments = [
        s.model_copy(update={"signals": s.signals.model_copy(update=signals)})  # type: ignore[union-attr]
        for s in world.segments
    ]
    return world.model_copy(update={"segments": segments, "days": 7})


def test_signal_worlds_are_shipped_and_read() -> None:
    assert len(SHIPPED) >= 3
    for path in SHIPPED:
        world = load_world(path)
        assert has_signals(world)
        assert all(s.signals is not None and s.signals.history_days > 0 for s in world.segments)


def test_a_bad_signals_value_names_its_key(tmp_path: Path) -> None:
    text = SHIPPED[0].read_text(encoding="utf-8").replace("fidelity: 0.8", "fidelity: 1.5", 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"segments\.0\.signals\.fidelity"):
        load_world(bad)


def _correlation_with_truth(world: World) -> float:
    people = population(world, np.random.default_rng(world.seed))
    sim = SimSignals(world, people, expiry_s=3 * 86400)
    end = world.start.timestamp() + world.days * 86400
    found = []
    for customer in range(40):
        events = sim.until(customer, end)
        counts = np.bincount(
            local_slots([e.at_s for e in events], people.timezone[customer]), minlength=168
        )
        found.append(np.corrcoef(counts, people.truth[customer])[0, 1])
    return float(np.mean(found))


def test_events_follow_the_customers_own_answer_hours_as_faithfully_as_asked() -> None:
    faithful = _correlation_with_truth(_world(web_visits_per_week=60.0, fidelity=1.0))
    loose = _correlation_with_truth(_world(web_visits_per_week=60.0, fidelity=0.0))
    assert faithful > 0.7 > 0.5 > loose


def test_the_policy_sees_only_events_before_now_and_inbound_calls_at_the_request() -> None:
    world = _world(web_visits_per_week=5.0, inbound_call_share=1.0)
    run = simulate(world, PolicyName.PREDICTED)
    assert run.decisions
    for decision in run.decisions:
        assert decision.facts.signals, "every customer has a month of history"
        assert all(s.at_s <= decision.now for s in decision.facts.signals)
        calls = [s for s in decision.facts.signals if s.kind == "inbound_call"]
        assert decision.facts.created_at in [s.at_s for s in calls]


def test_a_world_stripped_of_signals_or_kinds_keeps_its_customers_and_requests() -> None:
    world = _world()
    plain = without_signals(world)
    assert not has_signals(plain)
    mails = only_kinds(world, {"email_open"})
    block = mails.segments[0].signals
    assert block is not None and block.web_visits_per_week == 0 and block.email_opens_per_week
    a, b = simulate(world, PolicyName.TRADITIONAL), simulate(plain, PolicyName.TRADITIONAL)
    assert [(r.customer, r.created_at) for r in a.requests] == [
        (r.customer, r.created_at) for r in b.requests
    ]
    assert [x.answered for x in a.attempts] == [x.answered for x in b.attempts]
