"""Which contact model an explanation uses: the one the scheduler stored, or one fitted now.

`spillway callbacks explain`, the console's request page and `spillway gdpr
export` explain a callback's timing over the model the dialer uses: the one
the scheduler daemon stored at its last refit
(:mod:`scheduler.timing.stored_model`), while it is fresh (no older than
``callbacks.model_max_age_hours``, as the dialer's own rule) and was fitted
by this code with these settings. Otherwise (none stored: the daemon has not
run, or its policy needs no model; stale; another version; unreadable) the
model is fitted from the attempts now, as before, and the explanation says
which it was and why (:attr:`ModelSource.why`). A stored model that cannot
be read is logged and never stops an explanation or an export.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from scheduler.timing.contact_model import ContactModel, fit
from scheduler.timing.model_keeper import (
    MAX_ROWS,
    read_attempt_log,
    season_calendar,
    with_seasons,
)
from scheduler.timing.segment_activity import read_prior_tilts
from scheduler.timing.signal_evidence import SignalSettings
from scheduler.timing.stored_model import (
    MODEL_NAME,
    StoredModel,
    customer_model,
    fitting_fingerprint,
    from_text,
)
from spillway.aggregates import COUNTED
from spillway.console_text import load_console_text
from spillway.language_pack import LanguagePack
from spillway.seasons import NO_SEASONS, SeasonCalendar
from spillway.settings import Settings
from spillway.storage import Store

log = logging.getLogger(__name__)

CLOCK_SKEW_S = 300.0  # a model fitted this far "in the future" (another host's clock) is fine


class Why(StrEnum):
    """Why the stored model was used, or not."""

    STORED = "stored"  # used
    NONE = "none"  # nothing stored
    STALE = "stale"  # older than callbacks.model_max_age_hours
    CHANGED = "changed"  # fitted by other code or with other settings
    UNREADABLE = "unreadable"  # corrupt: logged


@dataclass(frozen=True)
class ModelSource:
    """The model an explanation uses: ``stored`` (then each customer's part is read from
    their attempts, :meth:`for_customer`, their seasons read from ``seasons`` in
    ``timezone`` as the keeper read them) or ``fitted`` now from every attempt."""

    why: Why
    stored: StoredModel | None = None
    fitted: ContactModel | None = None
    seasons: SeasonCalendar = NO_SEASONS
    timezone: str = "Europe/Copenhagen"

    @property
    def fitted_at(self) -> float:
        model = self.stored or self.fitted
        assert model is not None
        return model.fitted_at

    @property
    def attempts(self) -> int:
        model = self.stored or self.fitted
        assert model is not None
        return model.attempts

    def for_customer(self, store: Store, phone: str) -> ContactModel:
        """The model as it stands for ``phone``."""
        if self.fitted is not None:
            return self.fitted
        assert self.stored is not None
        attempts = customer_attempts(
            store, self.stored, phone, seasons=self.seasons, timezone=self.timezone
        )
        return customer_model(self.stored, phone, attempts)

    def note(self, pack: LanguagePack, max_age_hours: float) -> str:
        """Which model the explanation used, in the pack's words (its count of attempts
        as the language writes numbers: "1.234")."""
        attempts = load_console_text(pack.code).number(self.attempts)
        if self.why is Why.STORED:
            return pack.say("explain_model_stored", attempts=attempts)
        why = pack.say(f"explain_model_why_{self.why.value}", hours=f"{max_age_hours:g}")
        return pack.say("explain_model_fitted", attempts=attempts, why=why)


def customer_attempts(
    store: Store,
    stored: StoredModel,
    phone: str,
    *,
    seasons: SeasonCalendar = NO_SEASONS,
    timezone: str = "Europe/Copenhagen",
) -> list[dict[str, object]]:
    """``phone``'s finished attempts among those the stored model was fitted on, oldest
    first, each with its season (as :func:`~scheduler.timing.model_keeper.read_attempt_log`
    reads them with the same calendar and timezone)."""
    window = stored.window
    if window.through_started_at is None:
        return []
    since = "" if window.since_started_at is None else "AND started_at >= :since "
    rows = store.query(
        "SELECT segment, local_weekday, local_hour, attempt_no, outcome, started_at "
        f"FROM callback_attempts WHERE phone = :phone AND {COUNTED} "
        f"AND started_at <= :through {since}ORDER BY started_at",
        {
            "phone": phone,
            "through": window.through_started_at,
            "since": window.since_started_at,
        },
    )
    return with_seasons(rows, seasons, timezone)


def load_stored(
    store: Store, fingerprint: str, *, now: float, max_age_s: float
) -> tuple[StoredModel | None, Why]:
    """The stored model if it may be used now, and why (not)."""
    try:
        rows = store.query(
            "SELECT fingerprint, fitted_at, body FROM fitted_models WHERE name = :name",
            {"name": MODEL_NAME},
        )
    except Exception as exc:  # a database opened without migration 22: fit, as before
        log.warning("no stored contact model to read (%s): fitting one now", exc)
        return None, Why.NONE
    if not rows:
        return None, Why.NONE
    row = rows[0]
    if row["fingerprint"] != fingerprint:
        return None, Why.CHANGED
    if not -CLOCK_SKEW_S <= now - float(row["fitted_at"]) <= max_age_s:
        return None, Why.STALE
    try:
        stored = from_text(str(row["body"]))
    except Exception as exc:  # whatever a damaged row does, the explanation goes on
        log.warning("the stored contact model is unreadable (%s): fitting one now", exc)
        return None, Why.UNREADABLE
    if stored.fingerprint != fingerprint:  # the row's columns and its body disagree
        log.warning("the stored contact model's body is not its row's: fitting one now")
        return None, Why.UNREADABLE
    return stored, Why.STORED


def model_source(store: Store, settings: Settings, *, now: float) -> ModelSource:
    """The stored model if fresh, else one fitted from the attempts now (and why)."""
    cb = settings.callbacks
    calendar, zone = season_calendar(settings), cb.default_timezone
    fingerprint = fitting_fingerprint(
        cb.segment_industry, MAX_ROWS, seasons=calendar, timezone=zone
    )
    stored, why = load_stored(store, fingerprint, now=now, max_age_s=cb.model_max_age_hours * 3600)
    if stored is not None:
        return ModelSource(why, stored=stored, seasons=calendar, timezone=zone)
    attempts = read_attempt_log(store, cb.segment_industry, seasons=calendar, timezone=zone)
    # As the daemon's keeper fits: the segments' pooled signals move their priors.
    tilts = read_prior_tilts(
        store,
        cb.segment_industry,
        now_s=now,
        settings=SignalSettings.from_settings(cb),
        default_timezone=zone,
    )
    return ModelSource(why, fitted=fit(attempts, now=now, prior_tilt=tilts))
