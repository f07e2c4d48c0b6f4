"""The worlds with signals written apart (configs/worlds/signals_apart/, issue 23): each
file is what bench/make_worlds_apart.py writes, loads, and has signals somewhere."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench.make_worlds_apart import OUT, WORLDS
from scheduler.simulation.world import load_world


def test_the_directory_holds_exactly_the_generated_worlds() -> None:
    assert sorted(p.stem for p in OUT.glob("*.yaml")) == sorted(WORLDS)


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_a_world_written_apart_is_its_generator_output_and_loads(name: str) -> None:
    path: Path = OUT / f"{name}.yaml"
    make, _what = WORLDS[name]
    written = yaml.safe_load(path.read_text())
    assert written == make()
    assert any("signals" in segment for segment in written["segments"])
    world = load_world(path)
    assert world.days == 28
    assert 40 <= sum(s.requests_per_day for s in world.segments) <= 50
    assert path.read_text().startswith("# Written apart (issue 23)")
