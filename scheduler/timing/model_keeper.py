"""The daemon's contact model: refitted on a schedule from the attempts table, off the loop.

Every ``callbacks.model_refit_minutes`` the keeper reads the finished attempts
(the most recent :data:`MAX_ROWS`), fits :func:`scheduler.timing.contact_model.fit`
in its own worker thread and swaps the new model in. A refit that fails is
logged and the previous model stays, until it is older than
``callbacks.model_max_age_hours``: then the policy raises
:class:`~scheduler.timing.slot_policy.ModelUnavailable` and the dialer uses the
conventional rule (and counts it, see `spillway scheduler status`).

Each refit also pools the stored signals by segment, a factor on each segment's
cold-start prior (:mod:`scheduler.timing.segment_activity`), when the keeper is
given the signal settings.

Each new model is also stored, without its customers, for the explanations
(`callbacks explain`, `gdpr export`: :mod:`scheduler.timing.stored_model`);
a model that cannot be stored is logged and dialled with all the same.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

from scheduler.timing.contact_model import AttemptLog, ContactModel, FloatArray, fit
from scheduler.timing.segment_activity import read_prior_tilts
from scheduler.timing.signal_evidence import SignalSettings
from scheduler.timing.slot_policy import (
    SlotPolicy,
    calendar_season,
    model_expected,
    model_probabilities,
    model_season_factor,
)
from scheduler.timing.stored_model import (
    AttemptWindow,
    fitting_fingerprint,
    save_model,
    stored_form,
)
from spillway.aggregates import COUNTED, aggregate_rows
from spillway.seasons import NO_SEASONS, SeasonCalendar, calendar_for
from spillway.settings import Settings
from spillway.storage import AsyncStore, Row, Store

log = logging.getLogger(__name__)

MAX_ROWS = 2_000_000
ANONYMOUS = ""  # the "customer" of attempts kept only as aggregate counts
ATTEMPT_COLUMNS = "phone, segment, local_weekday, local_hour, attempt_no, outcome, started_at"


def season_calendar(settings: Settings) -> SeasonCalendar:
    """``callbacks.seasons_file`` for ``callbacks.season_region`` (empty: none configured)."""
    return calendar_for(settings.callbacks.seasons_file, settings.callbacks.season_region)


def read_attempt_log(
    store: Store,
    industry: Mapping[str, str] | None = None,
    *,
    limit: int = MAX_ROWS,
    seasons: SeasonCalendar = NO_SEASONS,
    timezone: str = "Europe/Copenhagen",
) -> AttemptLog:
    """The finished attempts, oldest first (at most ``limit``, the most recent).

    Attempts that retention or erasure removed live on as anonymous counts
    (:mod:`spillway.aggregates`); they come first, as the oldest, one row per
    try under no customer, so the model keeps the hour-of-week shape they
    taught it (while room is left under ``limit``).

    ``seasons``: each attempt's season is that of its date in ``timezone`` (the shop's:
    a season calendar is a region's), so the model learns each season's factor.
    """
    return read_attempt_window(store, industry, limit=limit, seasons=seasons, timezone=timezone)[0]


def read_attempt_window(
    store: Store,
    industry: Mapping[str, str] | None = None,
    *,
    limit: int = MAX_ROWS,
    seasons: SeasonCalendar = NO_SEASONS,
    timezone: str = "Europe/Copenhagen",
) -> tuple[AttemptLog, AttemptWindow]:
    """:func:`read_attempt_log`, and which attempts it read (by start time)."""
    rows = store.query(
        f"SELECT {ATTEMPT_COLUMNS} FROM (SELECT {ATTEMPT_COLUMNS} "
        f"FROM callback_attempts WHERE {COUNTED} ORDER BY started_at DESC LIMIT :n) AS recent "
        "ORDER BY started_at",
        {"n": limit},
    )
    with store.transaction() as tx:
        counts = aggregate_rows(tx)
    window = AttemptWindow(
        rows[0]["started_at"] if rows and len(rows) >= limit else None,
        rows[-1]["started_at"] if rows else None,
    )
    rows = with_seasons(rows, seasons, timezone)
    log = AttemptLog.from_rows([*_expanded(counts, limit - len(rows)), *rows], industry)
    return log, window


def with_seasons(rows: list[Row], seasons: SeasonCalendar, timezone: str) -> list[Row]:
    """``rows`` (with ``started_at``), each with the ``season`` of its date in ``timezone``
    (unchanged without a calendar): as the fit reads them, and an explanation too."""
    if not seasons.periods:
        return rows
    zone = ZoneInfo(timezone)
    return [
        {**r, "season": seasons.season_on(datetime.fromtimestamp(r["started_at"], zone).date())}
        for r in rows
    ]


def _expanded(counts: list[Row], room: int) -> list[Row]:
    """Aggregate counts as attempt rows of an anonymous customer (at most ``room``)."""
    rows: list[Row] = []
    for c in counts:
        if len(rows) >= room:
            break
        slot = {
            "phone": ANONYMOUS,
            "segment": c["segment"],
            "local_weekday": c["local_weekday"],
            "local_hour": c["local_hour"],
            "attempt_no": c["attempt_no"],
        }
        answers = int(c["answers"])
        rows += [{**slot, "outcome": "answered"}] * answers
        rows += [{**slot, "outcome": "no_answer"}] * (int(c["tries"]) - answers)
    return rows[: max(room, 0)]


class ModelKeeper:
    """Holds the latest model; :meth:`run` refits it until stopped."""

    def __init__(
        self,
        store: AsyncStore,
        *,
        refit_every_s: float,
        industry: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        fitter: Callable[..., ContactModel] = fit,
        keep: bool = True,
        seasons: SeasonCalendar = NO_SEASONS,
        timezone: str = "Europe/Copenhagen",
        signals: SignalSettings | None = None,
    ) -> None:
        """``keep``: store each new model for the explanations (`callbacks explain`);
        ``signals``: pool the stored signals into the segments' priors (None: not)."""
        self.signals = signals
        self.store = store
        self.refit_every_s = refit_every_s
        self.industry = dict(industry or {})
        self.clock = clock
        self.fitter = fitter
        self.seasons = seasons
        self.timezone = timezone
        self.model: ContactModel | None = None
        self.last_error: str | None = None
        self.keep = keep
        self.fingerprint = fitting_fingerprint(
            self.industry, MAX_ROWS, seasons=seasons, timezone=timezone
        )
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spillway-model")

    def current(self) -> ContactModel | None:
        return self.model

    def fitted_at(self) -> float | None:
        return self.model.fitted_at if self.model is not None else None

    async def refit(self) -> ContactModel:
        """One refit now; the new model replaces the old only when it succeeded."""
        attempts, window = await self.store.run(
            lambda: read_attempt_window(
                self.store.store, self.industry, seasons=self.seasons, timezone=self.timezone
            )
        )
        now = self.clock()
        tilts: dict[str, FloatArray] = {}
        if self.signals is not None:
            signals = self.signals
            tilts = await self.store.run(
                lambda: read_prior_tilts(
                    self.store.store,
                    self.industry,
                    now_s=now,
                    settings=signals,
                    default_timezone=self.timezone,
                )
            )
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        model = await loop.run_in_executor(
            self._pool, lambda: self.fitter(attempts, now=now, prior_tilt=tilts)
        )
        self.model = model
        self.last_error = None
        log.info(
            "contact model refitted on %d attempts in %.1f s (boosted share %.2f)",
            len(attempts),
            time.perf_counter() - started,
            model.gbm_weight,
        )
        if self.keep:
            await self._store_model(model, window)
        return model

    async def _store_model(self, model: ContactModel, window: AttemptWindow) -> None:
        """Store ``model`` for the explanations; a failure is logged, never raised (the
        dialer has its model; an explanation fits its own meanwhile)."""
        loop = asyncio.get_running_loop()
        try:
            stored = await loop.run_in_executor(
                self._pool, lambda: stored_form(model, window, self.fingerprint)
            )
            await self.store.run(save_model, self.store.store, stored)
        except Exception as exc:
            log.warning("contact model not stored for the explanations: %s", exc)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    await self.refit()
                except Exception as exc:  # keep dialling on the old model, or the fallback
                    self.last_error = f"contact model refit failed: {exc}"
                    log.error("%s; the previous model stays until it is stale", self.last_error)
                try:
                    await asyncio.wait_for(stop.wait(), self.refit_every_s)
                except TimeoutError:
                    pass
        finally:
            self._pool.shutdown(wait=False, cancel_futures=True)


def predicted_policy(
    settings: Settings, keeper: ModelKeeper, *, seed: int | None = None
) -> SlotPolicy:
    """The predicted policy over the keeper's model, as configured."""
    cb = settings.callbacks
    signals = SignalSettings.from_settings(cb)
    probabilities = model_probabilities(
        keeper.current, now=keeper.clock, max_age_s=cb.model_max_age_hours * 3600, signals=signals
    )
    seasons = season_calendar(settings)
    return SlotPolicy(
        "predicted",
        probabilities,
        patience_s=cb.patience_hours * 3600,
        seed=seed if seed is not None else int(time.time()),
        season_of=calendar_season(seasons) if seasons.periods else None,
        season_factor=model_season_factor(keeper.current) if seasons.periods else None,
        expected=model_expected(keeper.current, now=keeper.clock, signals=signals),
    )
