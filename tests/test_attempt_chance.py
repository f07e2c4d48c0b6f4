"""The chance of an answer an attempt shows is the model's, not how often its hour was picked.

The Model page's calibration read "90 % til 100 % | 146 | 98 % | 43 %", and a request's
attempts "intet svar | forudsagt | 100 %" three times: the column held the share of the
planner's Thompson draws that picked the hour (its propensity, for offline evaluation),
and an hour the model is sure of is picked by every draw whatever its chance. A plan now
states the model's P(answer) in its hour (``Plan.chance``; the attempt's ``chance``), and
the share is named as what it is (``pick_share``; migration 26). Attempts from before
kept no chance: the calibration leaves them out and says how many.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from scheduler.requests import stored_reason
from scheduler.rules import CallingRules, RequestFacts
from scheduler.timing.contact_model import SLOTS, FloatArray
from scheduler.timing.plan_reason import stored_chance
from scheduler.timing.slot_policy import SlotPolicy, fixed_probabilities
from spillway.console_text import load_console_text
from spillway.schema import MIGRATIONS
from spillway.storage import AsyncStore, SqliteStore, Store
from tests.console_fixtures import console_pages, console_settings
from tests.older_database import sqlite_before
from web.model_view import calibration, reliability

ALWAYS = CallingRules(windows=((0.0, 24.0),) * 7, holiday_country=None, min_gap_s=0)
NOW = 1_790_000_000.0  # a moment well inside the calling hours every day (all day)


def _facts() -> RequestFacts:
    return RequestFacts(phone="+4520123401", timezone="Europe/Copenhagen", created_at=NOW)


def test_an_hour_every_draw_picks_states_the_model_s_chance_not_the_share() -> None:
    """The walkthrough's "100 %": a curve the model is sure of, so every draw picks the
    same hour (the first of a flat one); its chance is still 43 %."""
    policy = SlotPolicy("predicted", fixed_probabilities(lambda _f: np.full(SLOTS, 0.43)))
    plan = policy.plan(_facts(), NOW, None, ALWAYS)
    assert plan.pick_share == 1.0  # every draw picks the first hour of a flat curve
    assert plan.chance == pytest.approx(0.43)
    # The reason the request keeps states the same chance, and the dialer reads it back.
    assert stored_chance(stored_reason(plan)) == pytest.approx(0.43)


def test_the_chance_is_the_model_s_mean_not_the_winning_draw() -> None:
    """The draw that won is the highest of many: it overstates the chance."""
    mean = np.full(SLOTS, 0.3)

    def draws(_facts: RequestFacts, _rng: np.random.Generator, n: int) -> FloatArray:
        rows = np.full((n, SLOTS), 0.3)
        rows[0] = 0.9  # the draw that chooses: a lucky one
        return rows

    told = SlotPolicy("predicted", draws, expected=lambda _f: mean).plan(
        _facts(), NOW, None, ALWAYS
    )
    assert told.chance == pytest.approx(0.3)
    # Without the model's mean at hand: the mean of all the draws in that hour.
    unaided = SlotPolicy("predicted", draws).plan(_facts(), NOW, None, ALWAYS)
    assert unaided.chance == pytest.approx((0.9 + 32 * 0.3) / 33)
    assert unaided.chance is not None and unaided.chance < 0.9


def _request(store: Store, request_id: int, *, simulated: bool = False) -> None:
    store.insert(
        "callback_requests",
        {
            "id": request_id,
            "phone": f"+45201234{request_id:02d}",
            "source": "simulate" if simulated else "api",
            "status": "unreached",
            "created_at": NOW,
            "simulated": int(simulated),
        },
    )


def _attempt(store: Store, request_id: int, n: int, answered: bool, **logged: Any) -> None:
    store.insert(
        "callback_attempts",
        {
            "id": f"a-{request_id}-{n}",
            "request_id": request_id,
            "phone": f"+45201234{request_id:02d}",
            "attempt_no": n,
            "started_at": NOW + n * 3600,
            "ended_at": NOW + n * 3600 + 30,
            "outcome": "answered" if answered else "no_answer",
            "local_weekday": 0,
            "local_hour": 10,
            "hours_since_request": float(n),
            "policy": "predicted",
            **logged,
        },
    )


def test_the_calibration_bins_the_stated_chance_and_counts_what_it_left_out(
    store: SqliteStore,
) -> None:
    _request(store, 1)
    for n, answered in enumerate([True, False, False, True, False], start=1):
        _attempt(store, 1, n, answered, chance=0.43, pick_share=1.0)
    _attempt(store, 1, 6, False, pick_share=1.0)  # from before the chance was kept
    _request(store, 2, simulated=True)
    _attempt(store, 2, 1, True, chance=0.9, pick_share=0.5)
    drawn = calibration(store)
    assert not drawn.simulated and drawn.simulated_left_out == 1 and drawn.without_chance == 1
    [row] = reliability(drawn.pairs)
    # The 43 % bin, answered 2 of 5: not "90 % til 100 %" beside 43 % answered.
    assert (row.low, row.high, row.attempts) == (0.4, 0.5, 5)
    assert (row.mean_predicted, row.observed) == (0.43, 0.4)


def test_simulated_attempts_from_before_the_chance_are_counted_when_drawn_from(
    store: SqliteStore,
) -> None:
    _request(store, 2, simulated=True)
    _attempt(store, 2, 1, True, pick_share=1.0)
    drawn = calibration(store)
    assert (drawn.pairs, drawn.simulated, drawn.without_chance) == ([], True, 1)


@pytest.fixture
def older_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqliteStore]:
    """A database migrated up to the one before migration 26."""
    store = sqlite_before(tmp_path / "older.db", monkeypatch, 26)
    yield store
    store.close()


def _older_rows_survive_migration_26(store: Store) -> None:
    _request(store, 1)
    store.execute("UPDATE callback_requests SET plan_probability = 0.8 WHERE id = 1")
    _attempt(store, 1, 1, False, probability=1.0)
    assert [m.version for m in store.migrate()] == [26]
    [attempt] = store.query("SELECT pick_share, chance FROM callback_attempts")
    assert (attempt["pick_share"], attempt["chance"]) == (1.0, None)
    [request] = store.query("SELECT plan_pick_share FROM callback_requests")
    assert request["plan_pick_share"] == 0.8
    drawn = calibration(store)
    assert (drawn.pairs, drawn.without_chance) == ([], 1)  # left out, and counted


def test_migration_26_keeps_the_pick_share_and_leaves_the_chance_unknown_sqlite(
    older_sqlite: SqliteStore,
) -> None:
    _older_rows_survive_migration_26(older_sqlite)


@pytest.mark.postgres
def test_migration_26_keeps_the_pick_share_and_leaves_the_chance_unknown_postgres(
    pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import spillway.postgres
    from spillway.postgres import PostgresStore

    before = tuple(m for m in MIGRATIONS if m.version < 26)
    monkeypatch.setattr(spillway.postgres, "MIGRATIONS", before)
    store = PostgresStore(pg_dsn)
    try:
        store.migrate()
        monkeypatch.setattr(spillway.postgres, "MIGRATIONS", MIGRATIONS)
        _older_rows_survive_migration_26(store)
    finally:
        store.close()


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("language", ["en", "da"])
async def test_the_pages_say_which_attempts_kept_no_chance(
    store: SqliteStore, language: str
) -> None:
    text = load_console_text(language)
    _request(store, 1)
    _attempt(store, 1, 1, False, chance=0.43, pick_share=1.0)
    _attempt(store, 1, 2, False, pick_share=1.0)  # from before the chance was kept
    db = AsyncStore(store)
    try:
        pages = await console_pages(console_settings(language), db, ["/model", "/requests/1"])
    finally:
        db.close()
    table = pages["/requests/1"].split('id="attempts"')[1].split("</table>")[0]
    cells = table.split('<td class="probability">')[1:]
    assert cells[0].startswith(text.percent(0.43))
    assert text.percent(1.0) not in table  # the pick share is never shown as a chance
    not_kept = f'<span class="no-chance" title="{text("request.chance_not_kept")}">-</span>'
    assert cells[1].startswith(not_kept)
    left_out = pages["/model"].split('id="calibration-without-chance">')[1].split("</p>")[0]
    assert left_out == text.count("model.calibration_without_chance", 1)


@pytest.mark.asyncio(loop_scope="session")
async def test_a_model_that_learned_nothing_says_so_and_names_no_segment(
    store: SqliteStore,
) -> None:
    """Simulated attempts are never learned from: the heatmap is the starting values."""
    _request(store, 2, simulated=True)
    _attempt(store, 2, 1, True, chance=0.5, pick_share=1.0)
    db = AsyncStore(store)
    try:
        page = (await console_pages(console_settings("da"), db, ["/model"]))["/model"]
    finally:
        db.close()
    text = load_console_text("da")
    assert f"<h2>{text('model.heatmaps_prior')} <small>" in page
    assert text("model.heatmaps") not in page
    learned = page.split('id="model-learned">')[1].split("</p>")[0]
    assert learned.startswith(text("model.learned_nothing"))
    assert "Den lærer kun af rigtige opkald: det 1 simulerede forsøg (skrevet af " in learned


@pytest.mark.asyncio(loop_scope="session")
async def test_a_model_that_learned_names_its_segments(console_db: AsyncStore) -> None:
    page = (await console_pages(console_settings("da"), console_db, ["/model"]))["/model"]
    text = load_console_text("da")
    learned = page.split('id="model-learned">')[1].split("</p>")[0]
    assert learned.startswith("Lært af ") and "til rigtige kunder; segmenter med egne" in learned
    assert f"<h2>{text('model.heatmaps')} <small>" in page
