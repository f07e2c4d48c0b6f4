"""A new scheduler's first moments are a state, not an error.

An admin's walkthrough: on a fresh install `spillway scheduler status` said "last error:
policy predicted failed… no contact model has been fitted yet" (and kept saying it
long after the model was fitted). Before the first fit the conventional rule times the
predicted requests, as designed; the status now says so as the node's timing, and a
real failure (the fit itself failing) is still the node's last error."""

from __future__ import annotations

import time
from typing import Any

import pytest

from cli.commands.scheduler import status_lines
from scheduler.dialer import Dialer, DialerConfig, status_report
from scheduler.rules import CallingRules
from scheduler.timing.model_keeper import ModelKeeper
from scheduler.timing.slot_policy import SlotPolicy, model_probabilities
from spillway.console_text import load_console_text
from spillway.storage import AsyncStore, SqliteStore
from tests.test_dialer_logic import FakePbx, _add

pytestmark = pytest.mark.asyncio(loop_scope="session")
ALWAYS = CallingRules(windows=((0.0, 24.0),) * 7, holiday_country=None, min_gap_s=0)


def _dialer(db: AsyncStore, keeper: ModelKeeper) -> Dialer:
    policy = SlotPolicy(
        "predicted", model_probabilities(keeper.current, now=time.time, max_age_s=3600)
    )
    dialer = Dialer(
        db, FakePbx(), ALWAYS, DialerConfig(status_poll_s=0.01, node="n1"), policy=policy
    )
    dialer.model_fitted_at = keeper.fitted_at
    dialer.model_error = lambda: keeper.last_error
    return dialer


async def _status(
    store: SqliteStore, db: AsyncStore, dialer: Dialer, *, dials: bool = True
) -> dict[str, Any]:
    """One tick and the status report. ``dials``: the tick must place the call (a
    fitted model may rightly plan it for a later hour, depending on the time of day)."""
    placed = await dialer.tick()
    assert placed == 1 or not dials, placed
    await dialer.wait_idle(5)
    await db.run(dialer._heartbeat, False)
    return status_report(store, time.time())


@pytest.mark.parametrize("language", ["en", "da"])
async def test_before_the_first_fit_the_status_says_how_it_times_not_an_error(
    store: SqliteStore, language: str
) -> None:
    text = load_console_text(language)
    _add(store, "+4520123461")
    db = AsyncStore(store)
    keeper = ModelKeeper(db, refit_every_s=1800)  # not fitted yet
    dialer = _dialer(db, keeper)
    report = await _status(store, db, dialer)
    [attempt] = store.query("SELECT policy FROM callback_attempts")
    assert attempt["policy"] == "traditional"  # the conventional rule timed it
    assert dialer.last_error is None and dialer.fallbacks == 0
    lines = status_lines(report, 2.0, text, refit_minutes=30)
    node = lines[-1]
    timing = text("model.first_fit", minutes="30")
    first_fit = text("cli.scheduler.node_first_fit", line="", timing=timing)
    assert node.endswith(first_fit), node
    assert text("cli.scheduler.node_error", line="", error="").strip(", :") not in node
    # Callbacks not timed by the model (conventional policy): nothing to wait for.
    assert not status_lines(report, 2.0, text)[-1].endswith(first_fit)
    # Once fitted, the node no longer says it.
    await keeper.refit()
    _add(store, "+4520123462")
    report = await _status(store, db, dialer, dials=False)
    fitted = status_lines(report, 2.0, text, refit_minutes=30)
    assert not fitted[-1].endswith(first_fit)
    db.close()


async def test_a_fit_that_failed_is_still_an_error(store: SqliteStore) -> None:
    _add(store, "+4520123471")
    db = AsyncStore(store)
    keeper = ModelKeeper(db, refit_every_s=1800)
    keeper.last_error = "contact model refit failed: disk full"
    dialer = _dialer(db, keeper)
    report = await _status(store, db, dialer)
    assert dialer.fallbacks == 1
    [node] = report["nodes"]
    assert "contact model refit failed: disk full" in node["last_error"]
    text = load_console_text("en")
    assert "last error: policy predicted failed" in status_lines(report, 2.0, text)[-1]
    db.close()
