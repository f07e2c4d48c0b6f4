"""A simulated request's reason: which world, policy and seed wrote it.

`spillway simulate --store` (and `spillway demo console`) store it as each request's
``reason`` in one fixed English form, "simulated: world b2b_monday_meetings.yaml,
policy pilot, seed 7". The stored text stays as it always was (older rows have it,
and the CSV export shows what is stored); :func:`read_label` reads it back so that
the console says it in the admin's language. What marks a row as simulated is its
``simulated`` column, never this text: `spillway db purge-simulated` and the
reports go by that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DEMO = " (the demo)"
_STORED = re.compile(
    r"simulated: world (?P<world>.+?), policy (?P<policy>\w+), seed (?P<seed>-?\d+)"
    r"(?P<demo>" + re.escape(_DEMO) + r")?"
)


@dataclass(frozen=True, slots=True)
class SimulationLabel:
    """Where a simulated request came from."""

    world: str  # the world file's name
    policy: str  # a scheduler.simulation.simulator.PolicyName value
    seed: int
    demo: bool = False  # written by `spillway demo console`

    def stored(self) -> str:
        """The reason as stored on each of the run's requests."""
        said = f"simulated: world {self.world}, policy {self.policy}, seed {self.seed}"
        return said + (_DEMO if self.demo else "")


def read_label(reason: str | None) -> SimulationLabel | None:
    """The label a stored reason is (None: another reason, such as a shop's own text)."""
    found = _STORED.fullmatch((reason or "").strip())
    if found is None:
        return None
    return SimulationLabel(
        found["world"], found["policy"], int(found["seed"]), demo=bool(found["demo"])
    )
