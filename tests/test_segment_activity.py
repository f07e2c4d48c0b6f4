"""A segment's pooled signals move its cold-start prior (scheduler/timing/segment_activity.py),
without sockets: before any call outcome the segment's curve points at the hours its
customers are active in; call outcomes overrule it; no signals change nothing; and the
daemon's refit reads the stored signals of the segment's customers only."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from scheduler.signals import SignalEvent, record
from scheduler.timing.contact_model import AttemptLog, cold_start_prior, fit, slot_of
from scheduler.timing.model_keeper import ModelKeeper
from scheduler.timing.model_source import Why, model_source
from scheduler.timing.segment_activity import pooled_counts, prior_tilts, read_prior_tilts
from scheduler.timing.signal_evidence import SignalSettings, segment_tilt
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore

CPH = "Europe/Copenhagen"
DAY_S = 86400.0
NOW = datetime(2026, 3, 30, 6, 0, tzinfo=ZoneInfo(CPH)).timestamp()  # a Monday morning
SETTINGS = SignalSettings()
WEEKDAY_HOURS = [slot_of(day, hour) for day in range(5) for hour in range(8, 20)]


def _afternoon_events(n: int, hour: int = 15) -> list[tuple[str, str, float]]:
    """``n`` events of segment "trades" at ``hour`` on the weekdays of the last three weeks."""
    found = []
    for i in range(n):
        day = 1 + (i % 19)
        moment = datetime.fromtimestamp(NOW - day * DAY_S, ZoneInfo(CPH)).replace(hour=hour)
        if moment.weekday() < 5:
            found.append(("trades", CPH, moment.timestamp() + 60 * (i % 50)))
    return found


def _log(rows: list[tuple[str, int, bool]]) -> AttemptLog:
    """(customer, slot, answered) first attempts of segment "trades"."""
    return AttemptLog(
        customer=[c for c, _, _ in rows],
        segment=["trades"] * len(rows),
        slot=np.array([s for _, s, _ in rows], dtype=np.int64),
        attempt_no=np.ones(len(rows), dtype=np.int64),
        answered=np.array([a for _, _, a in rows], dtype=np.bool_),
    )


def _best_weekday_hour(curve: np.ndarray) -> int:
    return int(WEEKDAY_HOURS[int(np.argmax(curve[WEEKDAY_HOURS]))] % 24)


def test_pooled_events_move_a_segment_prior_to_the_hours_its_customers_are_active() -> None:
    counts = pooled_counts(_afternoon_events(400), now_s=NOW, settings=SETTINGS)
    tilts = prior_tilts(counts, {})
    before = fit(_log([]), now=NOW, gbm=False)
    after = fit(_log([]), now=NOW, gbm=False, prior_tilt=tilts)
    # Office hours are flat from 9 to 17: the earliest of them wins without the signals.
    assert _best_weekday_hour(before.segment_mean("trades")) == 9
    assert _best_weekday_hour(after.segment_mean("trades")) == 15
    # When, not whether: the reachability weighted by the curve is unchanged.
    plain = cold_start_prior(None)
    assert abs(float((plain * tilts["trades"]).sum()) - float(plain.sum())) < 1e-9


def test_the_pooled_tilt_is_sharper_than_one_customers_tilt_of_the_same_events() -> None:
    # Pooled events mix the segment's hours with browsing at any waking hour, which pulls
    # the ratio of events to expected towards 1: the segment's tilt is that ratio squared.
    counts = pooled_counts(
        _afternoon_events(400) + _afternoon_events(200, hour=10), now_s=NOW, settings=SETTINGS
    )
    pooled = prior_tilts(counts, {})["trades"]
    whole = segment_tilt(counts["trades"], cold_start_prior(None))
    assert whole is not None
    three, ten, eleven = slot_of(2, 15), slot_of(2, 10), slot_of(2, 11)
    assert pooled[three] / pooled[ten] == pytest.approx((whole[three] / whole[ten]) ** 2)
    assert pooled[three] / pooled[eleven] > 1.5 * whole[three] / whole[eleven]
    # Still when, not whether.
    plain = cold_start_prior(None)
    assert float((plain * pooled).sum()) == pytest.approx(float(plain.sum()))
    # Twice the setting's strength: a strength of 0.5 gives the whole ratio.
    half = prior_tilts(counts, {}, strength=0.5)["trades"]
    assert np.allclose(half, whole)


def test_call_outcomes_overrule_the_pooled_activity() -> None:
    # The signals say 15:00, the calls say 09:00 answers and 15:00 does not.
    tilts = prior_tilts(pooled_counts(_afternoon_events(400), now_s=NOW, settings=SETTINGS), {})
    rows = []
    for i in range(300):
        day = i % 5
        rows.append((f"c{i}", slot_of(day, 9), i % 10 < 6))  # 60 % answer at nine
        rows.append((f"d{i}", slot_of(day, 15), i % 10 < 1))  # 10 % at three
    with_signals = fit(_log(rows), now=NOW, gbm=False, prior_tilt=tilts).segment_mean("trades")
    without = fit(_log(rows), now=NOW, gbm=False).segment_mean("trades")
    nine, three = slot_of(2, 9), slot_of(2, 15)
    assert with_signals[nine] > 0.5 > 0.2 > with_signals[three]
    assert abs(with_signals[nine] - without[nine]) < 0.03
    assert abs(with_signals[three] - without[three]) < 0.03


def test_no_pooled_signals_change_nothing() -> None:
    assert prior_tilts(pooled_counts([], now_s=NOW, settings=SETTINGS), {}) == {}
    # Events past the horizon weigh nothing: no tilt at all.
    old = [("trades", CPH, NOW - 200 * DAY_S)]
    assert prior_tilts(pooled_counts(old, now_s=NOW, settings=SETTINGS), {}) == {}
    rows = [(f"c{i}", slot_of(i % 5, 10 + i % 6), i % 3 == 0) for i in range(200)]
    plain = fit(_log(rows), now=NOW, gbm=False)
    empty = fit(_log(rows), now=NOW, gbm=False, prior_tilt={})
    assert np.array_equal(plain.seg_alpha, empty.seg_alpha)
    assert np.array_equal(plain.seg_beta, empty.seg_beta)


def _fill(store: SqliteStore) -> None:
    trades, other, stranger = "+4520111111", "+4520222222", "+4520333333"
    with store.transaction() as tx:
        for phone, segment in ((trades, "trades"), (other, "shops")):
            request = NewRequest(phone, RequestSource.API, "t", segment=segment)
            intake.record(tx, request, region="DK", now=NOW - 30 * DAY_S)
        for i, (_, _, at) in enumerate(_afternoon_events(60)):
            record(tx, f"t{i}", SignalEvent(trades, "web_visit", at), source="t", now_s=NOW)
        # A number with no request belongs to no segment; a future event is not seen yet.
        record(tx, "s1", SignalEvent(stranger, "web_visit", NOW - DAY_S), source="t", now_s=NOW)
        record(tx, "o1", SignalEvent(other, "web_visit", NOW + DAY_S), source="t", now_s=NOW)


def test_the_refit_pools_the_stored_signals_of_each_segments_customers(
    store: SqliteStore,
) -> None:
    _fill(store)
    tilts = read_prior_tilts(store, {}, now_s=NOW, settings=SETTINGS)
    assert set(tilts) == {"trades"}
    assert _best_weekday_hour(cold_start_prior(None) * tilts["trades"]) == 15
    assert read_prior_tilts(store, {}, now_s=NOW, settings=SignalSettings(strength=0)) == {}


@pytest.mark.asyncio(loop_scope="session")
async def test_the_daemons_keeper_fits_with_the_pooled_signals(store: SqliteStore) -> None:
    _fill(store)
    db = AsyncStore(store)
    keeper = ModelKeeper(db, refit_every_s=60, clock=lambda: NOW, keep=False, signals=SETTINGS)
    model = await keeper.refit()
    assert set(model.prior_tilt) == {"trades"}
    assert _best_weekday_hour(model.segment_mean("trades")) == 15
    # Without the signal settings (as before), no tilt.
    plain = await ModelKeeper(db, refit_every_s=60, clock=lambda: NOW, keep=False).refit()
    assert plain.prior_tilt == {} and _best_weekday_hour(plain.segment_mean("trades")) == 9
    db.close()


def test_an_explanation_fitting_its_own_model_pools_the_signals_too(store: SqliteStore) -> None:
    """With no stored model, `callbacks explain` fits one as the daemon's keeper does."""
    _fill(store)
    source = model_source(store, Settings(), now=NOW)
    assert source.why is Why.NONE and source.fitted is not None
    assert set(source.fitted.prior_tilt) == {"trades"}
