"""A callback given up says why, real or simulated.

`/requests/470` and `/export/callbacks.csv?status=unreached` showed "ikke nået", 6 attempts,
"Problem -" for every simulated request: the simulator closed them without a reason.
The dialer keeps one (docs/OPERATIONS.md: ``max_attempts``), and the simulator now closes
its requests by the same functions (:mod:`scheduler.closing`).
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest

from scheduler import intake
from scheduler.dialer import Dialer, DialerConfig
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from scheduler.simulation import store as sim_store
from scheduler.simulation.simulator import PolicyName, simulate
from scheduler.simulation.world import load_world
from spillway.request_problem import MAX_ATTEMPTS, problem_code
from spillway.storage import AsyncStore, SqliteStore
from tests.test_dialer_logic import ALWAYS, FakePbx

PILOT_WORLD = Path("configs/worlds/pilot/b2b_monday_meetings.yaml")


@pytest.mark.asyncio(loop_scope="session")
async def test_a_real_request_out_of_attempts_keeps_max_attempts(store: SqliteStore) -> None:
    phone = "+4520123481"
    with store.transaction() as tx:
        request = intake.record(
            tx, NewRequest(phone, RequestSource.API, "t"), region="DK", now=time.time()
        ).id
    pbx = FakePbx(statuses={phone: "NOANSWER"})
    db = AsyncStore(store)
    rules = dataclasses.replace(ALWAYS, max_attempts=2)
    dialer = Dialer(db, pbx, rules, DialerConfig(retry_backoff_s=0, status_poll_s=0.01, node="t"))
    try:
        for _ in range(2):
            assert await dialer.tick() == 1
            await dialer.wait_idle(5)
    finally:
        db.close()
    [row] = store.query(
        "SELECT status, attempts, last_error FROM callback_requests WHERE id = ?", (request,)
    )
    assert (row["status"], row["attempts"]) == ("unreached", 2)
    assert json.loads(row["last_error"]) == {"code": MAX_ATTEMPTS, "made": 2, "most": 2}
    assert pbx.dialled == [phone, phone]


def test_every_simulated_request_given_up_keeps_why() -> None:
    world = load_world(PILOT_WORLD)
    run = simulate(world, PolicyName.PILOT)
    period = sim_store.stored_rows(run, time.time(), label="test")
    most = world.rules.calling_rules().max_attempts
    given_up = [s for s in period.requests if s.row["status"] == "unreached"]
    assert given_up  # the world gives some up
    codes = [problem_code(s.row["last_error"]) for s in given_up]
    assert None not in codes
    for stored in given_up:
        if len(stored.attempts) == most:  # out of attempts, as the dialer would say
            assert json.loads(stored.row["last_error"]) == {
                "code": MAX_ATTEMPTS,
                "made": most,
                "most": most,
            }
    assert MAX_ATTEMPTS in codes
    reached = [s for s in period.requests if s.row["status"] == "done"]
    assert reached and all(s.row["last_error"] is None for s in reached)


def test_a_simulated_attempt_keeps_its_plan_s_chance_and_pick_share() -> None:
    """As the dialer logs a real one: a conventional attempt states no chance."""
    run = simulate(load_world(PILOT_WORLD), PolicyName.PILOT)
    period = sim_store.stored_rows(run, time.time(), label="test")
    attempts = [a for s in period.requests for a in s.attempts]
    predicted = [a for a in attempts if a["policy"] == "predicted"]
    conventional = [a for a in attempts if a["policy"] == "traditional"]
    assert predicted and conventional
    assert all(0.0 < a["chance"] < 1.0 for a in predicted)
    assert all(a["chance"] is None and a["pick_share"] == 1.0 for a in conventional)
    # The share that was read as the chance differs from it: hours every draw picks.
    assert any(a["pick_share"] == 1.0 and a["chance"] < 0.9 for a in predicted)
    expected = [a.chance or 0.0 for a in run.attempts if a.policy == "predicted"]
    assert sorted(a["chance"] for a in predicted) == sorted(expected)
