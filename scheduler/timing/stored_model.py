"""The contact model as the scheduler daemon stores it, for `callbacks explain` and `gdpr export`.

Fitting reads every attempt and takes seconds (on a loaded PBX, several); an
explanation of one callback should not pay that. So after each refit the
daemon's :class:`~scheduler.timing.model_keeper.ModelKeeper` stores the model
in the ``fitted_models`` table, and an explanation reuses it while it is fresh
(:mod:`scheduler.timing.model_source`).

What is stored is the model *without* its customers: the segments' curves
(Beta parameters by hour of the week), the season factors by segment (when
the attempts carried seasons), the booster's share of the blend, and
the booster as its predictions over every input it is ever asked about
(segment x attempt number x contact-rate bucket x hour of the week; those
are its only features, all discrete), so no per-customer part, no phone
number and no customer's counts are kept here. The part of one customer is
computed again from their own attempts when they are explained
(:func:`customer_model`), exactly as :func:`~scheduler.timing.contact_model.fit`
computes it. What remains has the status of ``contact_aggregates``: anonymous
counts by segment and hour, which erasure and retention keep on purpose.

The format is plain data: JSON, with each array as base64 of little-endian
float64 and its shape, checked on reading. Nothing is unpickled (a pickled
scikit-learn model would run code from the database and break at the next
scikit-learn upgrade). A model is valid only for the code and settings that
fitted it (:func:`fitting_fingerprint`), the season calendar and the
timezone its attempts' seasons were read in included.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import inspect
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from scheduler.timing import contact_model, season_effect
from scheduler.timing.contact_model import (
    FACTOR_STRENGTH,
    MAX_ATTEMPT_FEATURE,
    RATE_BUCKETS,
    SLOTS,
    ContactModel,
    FloatArray,
    slot_of,
)
from scheduler.timing.season_effect import SeasonEffect
from spillway.seasons import NO_SEASONS, SeasonCalendar
from spillway.storage import Store

# Of the stored text; a change makes every stored model unreadable. 2: the season factors.
FORMAT_VERSION = 2
MODEL_NAME = "contact"  # the row of fitted_models the daemon keeps
# The booster's table: segment (code + 1; 0 is a segment the fit never saw), attempt
# number (0..MAX_ATTEMPT_FEATURE), contact-rate bucket (0..RATE_BUCKETS), hour of the week.
ATTEMPT_VALUES = MAX_ATTEMPT_FEATURE + 1
RATE_VALUES = RATE_BUCKETS + 1


class UnreadableModel(ValueError):
    """The stored text is not a model this code wrote (corrupt, truncated, other format)."""


@dataclass(frozen=True, slots=True)
class AttemptWindow:
    """Which attempts a fit read, by start time: the high-water mark and, when the log
    was cut at its limit, the oldest (None: no attempt / no cut)."""

    since_started_at: float | None = None
    through_started_at: float | None = None


@dataclass(frozen=True)
class StoredModel:
    """A fitted model without its customers (see the module's docstring)."""

    fingerprint: str
    fitted_at: float
    attempts: int
    customers: int  # how many customers it learned from (a count, for the console)
    segments: dict[str, int]
    industry: dict[str, str]
    seg_alpha: FloatArray  # [segments, 168]
    seg_beta: FloatArray
    gbm_weight: float
    holdout_log_loss: float | None
    gbm_table: FloatArray | None  # [segments + 1, ATTEMPT_VALUES, RATE_VALUES, 168]
    window: AttemptWindow
    seasons: SeasonEffect | None = None  # the learned season factors; None: no season seen


def fitting_fingerprint(
    industry: Mapping[str, str],
    max_rows: int,
    *,
    seasons: SeasonCalendar = NO_SEASONS,
    timezone: str = "Europe/Copenhagen",
) -> str:
    """What a stored model is valid for: the format, the model's code (its constants
    included) and the settings the fit reads, the season calendar among them (its
    periods, its region and the timezone an attempt's date is read in, which decide
    each attempt's season). Any change invalidates stored models."""
    basis = json.dumps(
        {
            "format": FORMAT_VERSION,
            "code": _code_hash(),
            "industry": sorted(industry.items()),
            "max_rows": max_rows,
            "seasons": _calendar_basis(seasons, timezone),
        },
        sort_keys=True,
    )
    return hashlib.sha256(basis.encode()).hexdigest()


def _calendar_basis(calendar: SeasonCalendar, timezone: str) -> dict[str, Any] | None:
    """What of a season calendar the fit depends on (None: no calendar, so no timezone)."""
    if not calendar.periods:
        return None
    return {
        "periods": [  # in order: the first period covering a day names its season
            [p.name, p.first.isoformat(), p.last.isoformat(), p.region] for p in calendar.periods
        ],
        "region": calendar.region,
        "timezone": timezone,
    }


@functools.cache
def _code_hash() -> str:
    """A hash of the model's modules (read once per process)."""
    try:
        code = inspect.getsource(contact_model) + inspect.getsource(season_effect)
    except (OSError, TypeError):  # no source shipped: the format version alone
        code = ""
    return hashlib.sha256(code.encode()).hexdigest()


class TabulatedBooster:
    """The booster's predictions, looked up: what ``ContactModel._gbm_slots`` asks of a
    scikit-learn classifier (``predict_proba`` over its five features), nothing more."""

    def __init__(self, table: FloatArray) -> None:
        self.table = table

    def predict_proba(self, features: FloatArray) -> FloatArray:
        f = np.asarray(features).astype(np.int64)
        seg, weekday, hour, attempt, rate = (f[:, i] for i in range(5))
        if (attempt < 0).any() or (attempt >= ATTEMPT_VALUES).any():
            raise ValueError("attempt number outside the booster's table")
        p = self.table[seg + 1, attempt, rate, weekday * 24 + hour]
        return np.column_stack([1.0 - p, p])


def _tabulated(booster: Any, segments: int) -> FloatArray:
    """The booster's P(answer) over every input it can be asked about."""
    seg, attempt, rate, slot = np.meshgrid(
        np.arange(-1, segments),
        np.arange(ATTEMPT_VALUES),
        np.arange(RATE_VALUES),
        np.arange(SLOTS),
        indexing="ij",
    )
    features = np.column_stack(
        [g.ravel() for g in (seg, slot // 24, slot % 24, attempt, rate)]
    ).astype(np.float64)
    with threadpool_limits(limits=contact_model.GBM_THREADS, user_api="openmp"):
        p = booster.predict_proba(features)[:, 1]
    return np.asarray(p, dtype=np.float64).reshape(segments + 1, ATTEMPT_VALUES, RATE_VALUES, SLOTS)


def stored_form(model: ContactModel, window: AttemptWindow, fingerprint: str) -> StoredModel:
    """``model`` as it is stored: its customers left out, its booster tabulated."""
    booster = model.gbm if model.gbm_weight > 0.0 else None
    return StoredModel(
        fingerprint=fingerprint,
        fitted_at=float(model.fitted_at),
        attempts=int(model.attempts),
        customers=len(model.customers),
        segments=dict(model.segments),
        industry=dict(model.industry),
        seg_alpha=np.asarray(model.seg_alpha, dtype=np.float64),
        seg_beta=np.asarray(model.seg_beta, dtype=np.float64),
        gbm_weight=float(model.gbm_weight),
        holdout_log_loss=model.holdout_log_loss,
        gbm_table=None if booster is None else _tabulated(booster, len(model.segments)),
        window=window,
        seasons=model.seasons,
    )


def customer_model(
    stored: StoredModel, customer: str, attempts: Sequence[Mapping[str, Any]]
) -> ContactModel:
    """The model as a fit gives it for ``customer``, from their own finished ``attempts``
    (``callback_attempts`` rows in the fit's window, oldest first, each with its
    ``season`` as the fit read it): the same arithmetic as
    :func:`~scheduler.timing.contact_model.fit`, for one customer."""
    n_seg = len(stored.segments)
    seg_mean = stored.seg_alpha / (stored.seg_alpha + stored.seg_beta)
    booster = None if stored.gbm_table is None else TabulatedBooster(stored.gbm_table)
    base = ContactModel(
        segments=stored.segments,
        seg_alpha=stored.seg_alpha,
        seg_beta=stored.seg_beta,
        customers={},
        cust_tries=np.zeros((0, SLOTS)),
        cust_answers=np.zeros((0, SLOTS)),
        cust_factor=np.zeros(0),
        industry=stored.industry,
        attempts=stored.attempts,
        fitted_at=stored.fitted_at,
        gbm=booster,
        gbm_weight=stored.gbm_weight,
        holdout_log_loss=stored.holdout_log_loss,
        seasons=stored.seasons,
    )
    if not attempts:
        return base
    slots = np.array(
        [slot_of(int(r["local_weekday"]), int(r["local_hour"])) for r in attempts], dtype=np.int64
    )
    answered = np.array([r["outcome"] == "answered" for r in attempts]).astype(np.float64)
    names = [str(r["segment"] or "default") for r in attempts]
    codes = [stored.segments.get(name, n_seg) for name in names]
    # Each attempt's segment curve at its hour (a segment the fit never saw: its prior).
    at_slot = np.array(
        [
            seg_mean[code, k] if code < n_seg else base.segment_mean(name)[k]
            for name, code, k in zip(names, codes, slots, strict=True)
        ]
    )
    if stored.seasons is not None:
        # A try in a season counts as its factor, as in the fit (1 outside every season).
        effect = stored.seasons
        at_slot = at_slot * np.array(
            [
                effect.factor(code, str(r.get("season") or ""))
                for code, r in zip(codes, attempts, strict=True)
            ]
        )
    one = np.zeros(len(attempts), dtype=np.int64)
    tries = np.bincount(slots, minlength=SLOTS).reshape(1, SLOTS).astype(float)
    answers = np.bincount(slots, weights=answered, minlength=SLOTS).reshape(1, SLOTS).astype(float)
    # bincount, as in fit: the same sums in the same order, so the same bits.
    expected = np.bincount(one, weights=at_slot, minlength=1)
    factor = (answers.sum(axis=1) + FACTOR_STRENGTH) / (expected + FACTOR_STRENGTH)
    # The stored model with this one customer's part (a cache of its own, as with_gbm's).
    return replace(
        base,
        customers={customer: 0},
        cust_tries=tries,
        cust_answers=answers,
        cust_factor=factor,
        _gbm_cache={},
    )


# -- the stored text -------------------------------------------------------------------------
def _array(a: FloatArray) -> dict[str, Any]:
    data = np.ascontiguousarray(a, dtype="<f8").tobytes()
    return {"shape": list(a.shape), "data": base64.b64encode(data).decode("ascii")}


def to_text(stored: StoredModel) -> str:
    arrays = {"seg_alpha": stored.seg_alpha, "seg_beta": stored.seg_beta}
    if stored.gbm_table is not None:
        arrays["gbm_table"] = stored.gbm_table
    seasons = None
    if stored.seasons is not None:
        seasons = sorted(stored.seasons.names, key=stored.seasons.names.__getitem__)
        arrays["season_factors"] = stored.seasons.factors
        arrays["season_answers"] = stored.seasons.answers
        arrays["season_expected"] = stored.seasons.expected
    return json.dumps(
        {
            "format": FORMAT_VERSION,
            "fingerprint": stored.fingerprint,
            "fitted_at": stored.fitted_at,
            "attempts": stored.attempts,
            "customers": stored.customers,
            "segments": stored.segments,
            "industry": stored.industry,
            "gbm_weight": stored.gbm_weight,
            "holdout_log_loss": stored.holdout_log_loss,
            "since_started_at": stored.window.since_started_at,
            "through_started_at": stored.window.through_started_at,
            "seasons": seasons,  # the season of each column of the season arrays
            "arrays": {name: _array(a) for name, a in arrays.items()},
        }
    )


def _read_array(raw: Any, shape: tuple[int, ...]) -> FloatArray:
    if not isinstance(raw, dict) or tuple(raw.get("shape", ())) != shape:
        raise UnreadableModel(f"an array is not of shape {shape}")
    data = base64.b64decode(str(raw.get("data", "")), validate=True)
    if len(data) != 8 * math.prod(shape):
        raise UnreadableModel("an array is truncated")
    a = np.frombuffer(data, dtype="<f8").astype(np.float64).reshape(shape)
    if not np.isfinite(a).all():
        raise UnreadableModel("an array holds a value that is not a number")
    return a


def _number(raw: Any, name: str, *, optional: bool = False) -> Any:
    if raw is None and optional:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise UnreadableModel(f"{name} is not a number")
    return raw


def _mapping(raw: Any, kind: type) -> bool:
    """Whether ``raw`` is a dict of text to ``kind`` (bool is no int here)."""
    return isinstance(raw, dict) and all(
        isinstance(k, str) and isinstance(v, kind) and not isinstance(v, bool)
        for k, v in raw.items()
    )


def from_text(text: str) -> StoredModel:
    """The model :func:`to_text` wrote; :class:`UnreadableModel` for anything else."""
    try:
        raw = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise UnreadableModel(f"not JSON ({exc})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_VERSION:
        raise UnreadableModel("another format")
    segments: Any = raw.get("segments")
    industry: Any = raw.get("industry")
    if not _mapping(segments, int) or sorted(segments.values()) != list(range(len(segments))):
        raise UnreadableModel("the segments are not numbered 0..n-1")
    if not _mapping(industry, str):
        raise UnreadableModel("the industries are not text")
    arrays = raw.get("arrays")
    if not isinstance(arrays, dict):
        raise UnreadableModel("no arrays")
    rows = max(len(segments), 1)
    alpha = _read_array(arrays.get("seg_alpha"), (rows, SLOTS))
    beta = _read_array(arrays.get("seg_beta"), (rows, SLOTS))
    if (alpha <= 0).any() or (beta <= 0).any():
        raise UnreadableModel("a Beta parameter is not positive")
    table = None
    if "gbm_table" in arrays:
        shape = (len(segments) + 1, ATTEMPT_VALUES, RATE_VALUES, SLOTS)
        table = _read_array(arrays["gbm_table"], shape)
        if (table < 0).any() or (table > 1).any():
            raise UnreadableModel("a probability is outside 0..1")
    weight = float(_number(raw.get("gbm_weight"), "gbm_weight"))
    if not 0.0 <= weight <= 1.0 or (weight > 0.0 and table is None):
        raise UnreadableModel("the booster's share does not match its table")
    loss = _number(raw.get("holdout_log_loss"), "holdout_log_loss", optional=True)
    seasons = _read_seasons(raw.get("seasons"), arrays, rows)
    return StoredModel(
        fingerprint=str(raw.get("fingerprint", "")),
        fitted_at=float(_number(raw.get("fitted_at"), "fitted_at")),
        attempts=int(_number(raw.get("attempts"), "attempts")),
        customers=int(_number(raw.get("customers"), "customers")),
        segments={str(k): int(v) for k, v in segments.items()},
        industry={str(k): str(v) for k, v in industry.items()},
        seg_alpha=alpha,
        seg_beta=beta,
        gbm_weight=weight,
        holdout_log_loss=None if loss is None else float(loss),
        gbm_table=table,
        window=AttemptWindow(
            _number(raw.get("since_started_at"), "since_started_at", optional=True),
            _number(raw.get("through_started_at"), "through_started_at", optional=True),
        ),
        seasons=seasons,
    )


def _read_seasons(raw: Any, arrays: dict[str, Any], rows: int) -> SeasonEffect | None:
    """The season factors (None when the fit saw no season), checked as every field."""
    stored = {name for name in arrays if name.startswith("season_")}
    if raw is None:
        if stored:
            raise UnreadableModel("season arrays without their seasons")
        return None
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(name, str) and name for name in raw)
        or len(set(raw)) != len(raw)
    ):
        raise UnreadableModel("the seasons are not distinct names")
    shape = (rows, len(raw))
    factors = _read_array(arrays.get("season_factors"), shape)
    answers = _read_array(arrays.get("season_answers"), shape)
    expected = _read_array(arrays.get("season_expected"), shape)
    if (factors <= 0).any() or (answers < 0).any() or (expected < 0).any():
        raise UnreadableModel("a season factor is not positive or its counts are negative")
    return SeasonEffect({name: i for i, name in enumerate(raw)}, factors, answers, expected)


# -- the fitted_models table -----------------------------------------------------------------
def save_model(store: Store, stored: StoredModel, *, name: str = MODEL_NAME) -> None:
    """Store ``stored`` as the latest model ``name`` (one row, replaced by each refit)."""
    store.execute(
        "INSERT INTO fitted_models (name, fingerprint, fitted_at, body) "
        "VALUES (:name, :fingerprint, :fitted_at, :body) "
        "ON CONFLICT (name) DO UPDATE SET fingerprint = excluded.fingerprint, "
        "fitted_at = excluded.fitted_at, body = excluded.body",
        {
            "name": name,
            "fingerprint": stored.fingerprint,
            "fitted_at": stored.fitted_at,
            "body": to_text(stored),
        },
    )
