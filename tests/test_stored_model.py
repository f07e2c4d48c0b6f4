"""The contact model the scheduler stores for `callbacks explain` and `gdpr export`: it
explains exactly as the fit it came from, holds no number, is used only while fresh and
fitted by this code with these settings, and a damaged one never stops an export."""

from __future__ import annotations

import base64
import html
import json
import logging
import random
import re
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from scheduler.subject_access import export_person
from scheduler.timing import model_source as model_source_module
from scheduler.timing.contact_model import fit
from scheduler.timing.model_keeper import MAX_ROWS, ModelKeeper, read_attempt_window
from scheduler.timing.model_source import Why, customer_attempts, model_source
from scheduler.timing.stored_model import (
    FORMAT_VERSION,
    UnreadableModel,
    customer_model,
    fitting_fingerprint,
    from_text,
    save_model,
    stored_form,
    to_text,
)
from spillway.seasons import SeasonCalendar, SeasonPeriod
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.gdpr_world import fill_through_every_door

ASYNC = pytest.mark.asyncio(loop_scope="session")
NOW = time.time()
SUBJECT = "+4520123456"
ZONE = ZoneInfo("Europe/Copenhagen")
TODAY = datetime.fromtimestamp(NOW, ZONE).date()
# A holiday 60 to 120 days back (the fill's attempts span 1 to 201 days), in which
# customers answer far less: a season factor well below 1, for every segment.
HOLIDAY = (TODAY - timedelta(days=120), TODAY - timedelta(days=60))
SQL = (
    "INSERT INTO callback_attempts (id, request_id, phone, attempt_no, started_at, ended_at, "
    "outcome, local_weekday, local_hour, hours_since_request, segment, policy) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'predicted')"
)


def _fill(store: SqliteStore, customers: int = 700, each: int = 9, holiday: bool = False) -> None:
    """Enough attempts for the booster (first attempts answer far more often than retries,
    which only the booster learns, so the blend gives it a share), in two segments;
    ``holiday``: answered a third as often in :data:`HOLIDAY`."""
    rng = random.Random(5)
    rows = []
    for n in range(customers):
        phone = SUBJECT if n == 0 else f"+4531{n:06d}"
        segment = ("b2b", "shops", None)[n % 3]
        request_id = store.insert(
            "callback_requests",
            {
                "phone": phone,
                "source": "api",
                "created_at": NOW - 3600,
                "status": "pending" if n == 0 else "done",
                "segment": segment,
                "timezone": "Europe/Copenhagen",
            },
        )
        for k in range(each):
            at = NOW - 86400 - rng.random() * 200 * 86400
            attempt_no = 1 + k % 4
            hour = rng.randrange(24)
            p = (0.6 if attempt_no == 1 else 0.08) * (1.3 if 9 <= hour < 17 else 0.6)
            if holiday and HOLIDAY[0] <= datetime.fromtimestamp(at, ZONE).date() <= HOLIDAY[1]:
                p /= 3
            outcome = "answered" if rng.random() < p else "no_answer"
            rows.append(
                (
                    uuid.uuid4().hex,
                    request_id,
                    phone,
                    attempt_no,
                    at,
                    at + 30,
                    outcome,
                    rng.randrange(7),
                    hour,
                    1.0,
                    segment,
                )
            )
    store.db.conn.executemany(SQL, rows)
    store.db.conn.commit()


@pytest.fixture
def filled(store: SqliteStore) -> SqliteStore:
    _fill(store)
    return store


def _keep(store: SqliteStore, settings: Settings, now: float = NOW) -> None:
    """What the scheduler's keeper does after a refit."""
    industry = settings.callbacks.segment_industry
    log, window = read_attempt_window(store, industry)
    model = fit(log, now=now)
    save_model(store, stored_form(model, window, fitting_fingerprint(industry, MAX_ROWS)))


def test_a_stored_model_gives_each_customer_what_the_fit_gives(filled: SqliteStore) -> None:
    log, window = read_attempt_window(filled)
    model = fit(log, now=NOW)
    assert model.gbm is not None and model.gbm_weight > 0  # the booster's table is tested
    stored = from_text(to_text(stored_form(model, window, "f")))
    tilt = np.random.default_rng(1).uniform(0.5, 1.5, 168)
    for phone, segment in [
        (SUBJECT, "b2b"),
        ("+4531000004", "shops"),
        ("+4531000002", None),
        ("+4599999999", "b2b"),  # never called
        (SUBJECT, "a segment never seen"),
    ]:
        mine = customer_model(stored, phone, customer_attempts(filled, stored, phone))
        for attempt_no in (1, 2, 5, 9):
            for t in (None, tilt):
                assert np.array_equal(
                    mine.mean(phone, segment, attempt_no, t),
                    model.mean(phone, segment, attempt_no, t),
                )
        a, b = np.random.default_rng(3), np.random.default_rng(3)
        assert np.array_equal(
            mine.sample(a, phone, segment, 2, draws=4), model.sample(b, phone, segment, 2, draws=4)
        )
    assert SUBJECT in mine.customers and len(mine.customers) == 1


@ASYNC
async def test_the_stored_model_holds_no_number(tmp_path: Path, store: SqliteStore) -> None:
    """Fitted on a database filled through every door, as the daemon's keeper stores it."""
    await fill_through_every_door(store, tmp_path, national="20123456", call_id="c1", opt_out=False)
    _fill(store, customers=50, each=4)
    keeper = ModelKeeper(AsyncStore(store), refit_every_s=60)
    await keeper.refit()
    [row] = store.query("SELECT body FROM fitted_models")
    body = row["body"]
    assert keeper.model is not None and SUBJECT in keeper.model.customers
    assert from_text(body).customers == len(keeper.model.customers) >= 50
    for number in ("20123456", "4520123456", "4531000001", "31000001", "31000049"):
        assert number not in body


@ASYNC
async def test_a_keeper_told_not_to_keep_stores_nothing(filled: SqliteStore) -> None:
    keeper = ModelKeeper(AsyncStore(filled), refit_every_s=60, keep=False)
    await keeper.refit()
    assert filled.query("SELECT count(*) AS n FROM fitted_models")[0]["n"] == 0


@ASYNC
async def test_a_model_that_cannot_be_stored_is_still_dialled_with(
    filled: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    filled.execute("DROP TABLE fitted_models")
    keeper = ModelKeeper(AsyncStore(filled), refit_every_s=60)
    with caplog.at_level(logging.WARNING):
        model = await keeper.refit()
    assert keeper.current() is model and keeper.last_error is None
    assert "not stored" in caplog.text


def test_export_explains_over_the_stored_model_without_fitting(
    filled: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    fitted = export_person(filled, SUBJECT, settings, now=NOW + 60).explanations[0]
    assert fitted.model_source == "none" and "fitted just now" in fitted.model_note
    assert "the scheduler has stored no contact model yet" in fitted.model_note
    _keep(filled, settings)

    def no_fit(*args: object, **kwargs: object) -> None:
        raise AssertionError("fitted although a fresh model is stored")

    monkeypatch.setattr(model_source_module, "fit", no_fit)
    stored = export_person(filled, SUBJECT, settings, now=NOW + 60)
    [why] = stored.explanations
    assert why.model_source == "stored" and "last fitted" in why.model_note
    assert why.model_fitted_at == NOW
    # The same explanation in every other respect (the model is the same, only stored).
    said = {"model_source", "model_note", "model_fitted_at"}
    assert {k: v for k, v in why.as_json().items() if k not in said} == {
        k: v for k, v in fitted.as_json().items() if k not in said
    }
    assert why.week == fitted.week
    assert stored.as_json()["callback_timing"][0]["model_fitted_at"].startswith("20")


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        ("UPDATE fitted_models SET body = 'not json'", Why.UNREADABLE),
        ("UPDATE fitted_models SET body = substr(body, 1, length(body) - 400)", Why.UNREADABLE),
        (
            "UPDATE fitted_models SET body = replace(body, "
            f"'\"format\": {FORMAT_VERSION}', '\"format\": 0')",
            Why.UNREADABLE,
        ),
        (
            "UPDATE fitted_models SET body = replace(body, '\"shape\": [', '\"shape\": [1, ')",
            Why.UNREADABLE,
        ),
        ("UPDATE fitted_models SET fitted_at = fitted_at - 25 * 3600", Why.STALE),
        ("UPDATE fitted_models SET fingerprint = 'another version'", Why.CHANGED),
    ],
)
def test_a_damaged_stale_or_foreign_model_is_not_used(
    filled: SqliteStore, caplog: pytest.LogCaptureFixture, damage: str, why: Why
) -> None:
    settings = Settings()
    _keep(filled, settings)
    filled.execute(damage)
    with caplog.at_level(logging.WARNING):
        export = export_person(filled, SUBJECT, settings, now=NOW + 60)
    [said] = export.explanations
    assert said.model_source == why.value and "fitted just now" in said.model_note
    assert len(said.week) == 168
    assert ("unreadable" in caplog.text) == (why is Why.UNREADABLE)


def test_a_database_without_the_table_explains_all_the_same(filled: SqliteStore) -> None:
    filled.execute("DROP TABLE fitted_models")
    [said] = export_person(filled, SUBJECT, Settings(), now=NOW).explanations
    assert said.model_source == "none" and len(said.week) == 168


def test_other_settings_do_not_use_a_model_fitted_with_others(filled: SqliteStore) -> None:
    _keep(filled, Settings())
    other = Settings(callbacks={"segment_industry": {"b2b": "it"}})
    assert model_source(filled, other, now=NOW).why is Why.CHANGED
    assert model_source(filled, Settings(), now=NOW).why is Why.STORED


@ASYNC
async def test_the_consoles_request_page_says_which_model(store: SqliteStore) -> None:
    from tests.console_seed import seed
    from tests.test_console_auth import _client, _login, _settings

    seed(store, time.time())
    settings = _settings()
    db = AsyncStore(store)
    await ModelKeeper(db, refit_every_s=60, industry=settings.callbacks.segment_industry).refit()
    async with _client(settings, db) as client:
        await _login(client, "vera")
        page = (await client.get("/requests/1")).text
    db.close()
    found = re.search(r'<p id="model-note" class="small">([^<]*)</p>', page)
    assert found, "no model note on the request's page"
    assert "the scheduler last fitted" in html.unescape(found.group(1))


# -- seasons -------------------------------------------------------------------------------
def _calendar(tmp_path: Path, first: date, last: date, name: str = "sommerferie") -> Path:
    path = tmp_path / f"seasons-{name}-{first}-{last}.yaml"
    path.write_text(
        "periods:\n"
        f"  - {{name: {name}, from: {first}, to: {last}}}\n"
        f"  - {{name: vinterferie, from: {TODAY - timedelta(days=30)}, "
        f"to: {TODAY - timedelta(days=24)}, region: dk-week7}}\n"
    )
    return path


def _season_settings(calendar: Path, **callbacks: object) -> Settings:
    return Settings(callbacks={"seasons_file": str(calendar), **callbacks})


@pytest.fixture
def holiday(store: SqliteStore) -> SqliteStore:
    _fill(store, holiday=True)
    return store


def test_a_stored_model_with_seasons_gives_each_customer_what_the_fit_gives(
    holiday: SqliteStore,
) -> None:
    calendar = SeasonCalendar(
        (SeasonPeriod("sommerferie", *HOLIDAY), SeasonPeriod("juleferie", TODAY, TODAY))
    )
    log, window = read_attempt_window(holiday, seasons=calendar, timezone="Europe/Copenhagen")
    model = fit(log, now=NOW)
    assert model.seasons is not None and model.gbm is not None and model.gbm_weight > 0
    assert model.season_factor("b2b", "sommerferie") < 0.6  # learned: the season matters
    stored = from_text(to_text(stored_form(model, window, "f")))
    assert stored.seasons is not None
    assert stored.seasons.names == model.seasons.names
    for part in ("factors", "answers", "expected"):
        assert np.array_equal(getattr(stored.seasons, part), getattr(model.seasons, part))
    in_season = 0
    for phone, segment in [
        (SUBJECT, "b2b"),
        ("+4531000004", "shops"),
        ("+4531000002", None),
        ("+4531000007", "b2b"),
        ("+4599999999", "b2b"),  # never called
    ]:
        attempts = customer_attempts(
            holiday, stored, phone, seasons=calendar, timezone="Europe/Copenhagen"
        )
        in_season += sum(a.get("season") == "sommerferie" for a in attempts)
        mine = customer_model(stored, phone, attempts)
        for attempt_no in (1, 3):
            assert np.array_equal(
                mine.mean(phone, segment, attempt_no), model.mean(phone, segment, attempt_no)
            )
        assert np.array_equal(
            mine.mean_many([phone], [segment]), model.mean_many([phone], [segment])
        )
        for season in ("sommerferie", "juleferie", None):
            assert mine.season_factor(segment, season) == model.season_factor(segment, season)
    assert in_season > 0  # the customers' own tries in the season were counted as the fit does


def test_a_stored_model_with_seasons_is_checked_on_reading(holiday: SqliteStore) -> None:
    calendar = SeasonCalendar((SeasonPeriod("sommerferie", *HOLIDAY),))
    log, window = read_attempt_window(holiday, seasons=calendar)
    good = json.loads(to_text(stored_form(fit(log, now=NOW, gbm=False), window, "f")))
    assert good["seasons"] == ["sommerferie"]

    def damaged(change: str) -> dict[str, object]:
        raw = json.loads(json.dumps(good))
        if change == "no names":
            raw["seasons"] = None
        elif change == "names twice":
            raw["seasons"] = ["sommerferie", "sommerferie"]
        elif change == "a name too many":
            raw["seasons"] = ["sommerferie", "juleferie"]
        elif change == "no factors":
            del raw["arrays"]["season_factors"]
        elif change == "a negative factor":
            factors = raw["arrays"]["season_factors"]
            negative = np.full(factors["shape"], -1.0, dtype="<f8").tobytes()
            factors["data"] = base64.b64encode(negative).decode("ascii")
        return raw

    for change in ("no names", "names twice", "a name too many", "no factors", "a negative factor"):
        with pytest.raises(UnreadableModel):
            from_text(json.dumps(damaged(change)))


@ASYNC
async def test_the_keeper_stores_a_model_with_seasons_and_explanations_use_it(
    tmp_path: Path, holiday: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _season_settings(_calendar(tmp_path, *HOLIDAY))
    fitted = export_person(holiday, SUBJECT, settings, now=NOW + 60).explanations[0]
    assert fitted.model_source == "none"
    cb = settings.callbacks
    keeper = ModelKeeper(
        AsyncStore(holiday),
        refit_every_s=60,
        industry=cb.segment_industry,
        clock=lambda: NOW,
        seasons=model_source_module.season_calendar(settings),
        timezone=cb.default_timezone,
    )
    model = await keeper.refit()
    assert model.seasons is not None and "sommerferie" in model.seasons.names
    [row] = holiday.query("SELECT body FROM fitted_models")
    assert from_text(row["body"]).seasons is not None

    def no_fit(*args: object, **kwargs: object) -> None:
        raise AssertionError("fitted although a fresh model is stored")

    monkeypatch.setattr(model_source_module, "fit", no_fit)
    [why] = export_person(holiday, SUBJECT, settings, now=NOW + 60).explanations
    assert why.model_source == "stored"
    said = {"model_source", "model_note", "model_fitted_at"}
    assert {k: v for k, v in why.as_json().items() if k not in said} == {
        k: v for k, v in fitted.as_json().items() if k not in said
    }
    assert why.week == fitted.week


def test_a_changed_season_calendar_invalidates_the_stored_model(
    tmp_path: Path, holiday: SqliteStore
) -> None:
    path = _calendar(tmp_path, *HOLIDAY)
    settings = _season_settings(path)
    calendar = model_source_module.season_calendar(settings)
    industry = settings.callbacks.segment_industry
    log, window = read_attempt_window(holiday, industry, seasons=calendar)
    fingerprint = fitting_fingerprint(industry, MAX_ROWS, seasons=calendar)
    save_model(holiday, stored_form(fit(log, now=NOW, gbm=False), window, fingerprint))
    assert model_source(holiday, settings, now=NOW).why is Why.STORED
    moved = _calendar(tmp_path, HOLIDAY[0], HOLIDAY[1] + timedelta(days=1))
    renamed = _calendar(tmp_path, *HOLIDAY, name="ferie")
    for other in (
        _season_settings(moved),  # a period's dates
        _season_settings(renamed),  # a period's name
        _season_settings(path, season_region="dk-week7"),  # the region
        _season_settings(path, default_timezone="America/New_York"),  # where a date is read
        Settings(),  # no calendar at all
    ):
        assert model_source(holiday, other, now=NOW).why is Why.CHANGED
    assert model_source(holiday, _season_settings(path), now=NOW).why is Why.STORED
