"""A small world under ``predicted``, against a stored run: what signals must not change.

Signals tilt a customer's prior only when the customer has some; a world without a
``signals:`` block must plan every call exactly as before. The stored file is the
run's KPIs and a digest of every attempt (who, when, answered). Regenerate it only
for a change meant to move ``predicted``: ``SPILLWAY_REGEN_GOLDEN=1 pytest`` this file.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from scheduler.simulation.report import kpis
from scheduler.simulation.simulator import PolicyName, simulate
from scheduler.simulation.world import load_world
from spillway.paths import repo_root

GOLDEN = Path(__file__).parent / "golden" / "simulate_small_predicted.json"


def _run() -> dict[str, object]:
    world = load_world(repo_root() / "configs" / "worlds" / "pilot" / "time_zones.yaml")
    # Pinned at the patience the file was made with, whatever the default is.
    run = simulate(
        world.model_copy(update={"days": 10, "patience_hours": 24.0}), PolicyName.PREDICTED
    )
    digest = hashlib.sha256()
    for a in run.attempts:
        digest.update(f"{a.request},{a.customer},{a.at!r},{a.answered}\n".encode())
    return {"kpis": kpis(run), "attempts": len(run.attempts), "sha256": digest.hexdigest()}


def test_predicted_without_signals_plans_as_before() -> None:
    found = _run()
    if os.environ.get("SPILLWAY_REGEN_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
    assert found == json.loads(GOLDEN.read_text(encoding="utf-8"))
