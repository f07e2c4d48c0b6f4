"""The shipped worlds at pilot volume (configs/worlds/pilot/): they load, and each is its
full-volume world with 20-30 requests a working day in all, over 28 days."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scheduler.simulation.world import arrivals, load_world, population

WORLDS = Path(__file__).resolve().parent.parent / "configs" / "worlds"
SHIPPED = sorted(WORLDS.glob("*.yaml"))


def test_every_shipped_world_has_a_pilot_version() -> None:
    assert SHIPPED
    assert sorted(p.name for p in (WORLDS / "pilot").glob("*.yaml")) == [p.name for p in SHIPPED]


@pytest.mark.parametrize("full_path", SHIPPED, ids=lambda p: p.stem)
def test_a_pilot_world_is_its_world_at_20_to_30_requests_a_day(full_path: Path) -> None:
    full, pilot = load_world(full_path), load_world(WORLDS / "pilot" / full_path.name)
    assert pilot.days == 28
    assert 20 <= sum(s.requests_per_day for s in pilot.segments) <= 30
    # The same customers, hours and rules: only the volume and the length differ.
    assert pilot.rules == full.rules
    assert [(s.name, s.count, s.answer_prob, s.timezone) for s in pilot.segments] == [
        (s.name, s.count, s.answer_prob, s.timezone) for s in full.segments
    ]
    # Requests arrive on working days (Monday-Friday): 20 of the 28.
    made = arrivals(pilot, population(pilot, np.random.default_rng(0)), np.random.default_rng(1))
    assert 20 <= len(made) / 20 <= 30
