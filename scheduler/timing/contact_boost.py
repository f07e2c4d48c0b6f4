"""The contact model's boosted part: gradient boosting over the attempt log, blended in.

Fitted by :func:`scheduler.timing.contact_model.fit` once there are
``GBM_MIN_ATTEMPTS`` attempts: scikit-learn's histogram gradient boosting over
segment, weekday, hour, attempt number and the customer's contact rate so far,
blended with the Beta-binomial part in logit space with the weight that gives
the lowest log-loss on the most recent fifth of the attempts (a time split).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from scheduler.timing import contact_model
from scheduler.timing.contact_model import (
    BLEND_WEIGHTS,
    GBM_MAX_ROWS,
    MAX_ATTEMPT_FEATURE,
    RATE_BUCKETS,
    AttemptLog,
    ContactModel,
    FloatArray,
    _logit,
    _shrunk,
    _sigmoid,
    fit,
)


def _gbm_features(
    log: AttemptLog, seg_codes: NDArray[np.int64], cust_codes: NDArray[np.int64]
) -> FloatArray:
    """Per attempt: segment, weekday, hour, attempt number and the customer's rate *before* it."""
    n = len(log)
    answered = log.answered.astype(np.float64)
    # Running counts per customer, excluding the attempt itself (no leak of its answer).
    order = np.argsort(cust_codes, kind="stable")
    sorted_codes = cust_codes[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_codes)) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    position = np.arange(n) - group_start
    cum_answers = np.cumsum(answered[order])
    before_answers = cum_answers - answered[order] - np.r_[0, cum_answers][group_start]
    tries_before = position.astype(np.float64)
    rate = np.where(
        tries_before > 0,
        1.0
        + np.minimum(
            RATE_BUCKETS - 1, np.floor(before_answers / np.maximum(tries_before, 1) * RATE_BUCKETS)
        ),
        0.0,
    )
    rate_by_attempt = np.empty(n)
    rate_by_attempt[order] = rate
    return np.column_stack(
        [
            seg_codes,
            log.slot // 24,
            log.slot % 24,
            np.minimum(log.attempt_no, MAX_ATTEMPT_FEATURE),
            rate_by_attempt,
        ]
    ).astype(np.float64)


def _log_loss(y: FloatArray, p: FloatArray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def with_gbm(
    model: ContactModel,
    log: AttemptLog,
    seg_codes: NDArray[np.int64],
    cust_codes: NDArray[np.int64],
    seed: int,
) -> ContactModel:
    from sklearn.ensemble import HistGradientBoostingClassifier

    # One OpenMP thread (GBM_THREADS): on a PBX the cores are busy with calls, and a
    # booster of at most GBM_MAX_ROWS rows fitted with a thread per core spends its time
    # waiting for the others (bench/bench_gdpr.py times an export both ways).
    with threadpool_limits(limits=contact_model.GBM_THREADS, user_api="openmp"):
        features = _gbm_features(log, seg_codes, cust_codes)
        y = log.answered.astype(np.float64)
        features, y_fit = features[-GBM_MAX_ROWS:], y[-GBM_MAX_ROWS:]
        split = int(len(y_fit) * 0.8)
        booster = HistGradientBoostingClassifier(
            max_iter=80,
            learning_rate=0.1,
            max_leaf_nodes=31,
            categorical_features=[0],
            random_state=seed,
        )
        booster.fit(features[:split], y_fit[:split])
        # The blend weight, chosen on the most recent fifth. The Beta-binomial part
        # of a held-out attempt comes from a fit on the attempts before it, so
        # neither part has seen the answers it is judged on.
        held = slice(split, len(y_fit))
        offset = len(log) - len(y_fit)
        held_rows = np.arange(split, len(y_fit)) + offset
        earlier = fit(
            _prefix(log, int(held_rows[0])),
            now=model.fitted_at,
            gbm=False,
            prior_tilt=model.prior_tilt,
        )
        hier = _point_means(
            earlier,
            [log.customer[int(i)] for i in held_rows],
            [log.segment[int(i)] for i in held_rows],
            log.slot[held_rows],
        )
        boosted = booster.predict_proba(features[held])[:, 1]
        losses = {
            w: _log_loss(y_fit[held], _sigmoid(w * _logit(hier) + (1 - w) * _logit(boosted)))
            for w in BLEND_WEIGHTS
        }
        best = min(losses, key=losses.__getitem__)
        booster.fit(features, y_fit)  # the final booster sees every row
        return dataclasses.replace(
            model,
            gbm=booster if best < 1.0 else None,
            gbm_weight=1.0 - best,
            holdout_log_loss=losses[best],
            _gbm_cache={},
        )


def _prefix(log: AttemptLog, stop: int) -> AttemptLog:
    """The first ``stop`` attempts of ``log``."""
    columns = (f.name for f in dataclasses.fields(log) if f.name != "industry")
    return dataclasses.replace(log, **{name: getattr(log, name)[:stop] for name in columns})


def _point_means(
    model: ContactModel,
    customers: Sequence[str],
    segments: Sequence[str],
    slots: NDArray[np.int64],
) -> FloatArray:
    """The Beta-binomial mean for many (customer, segment, slot) triples at once."""
    curves = {s: model.segment_mean(s) for s in set(segments)}
    base = np.array([curves[s][k] for s, k in zip(segments, slots, strict=True)])
    people = np.array([model.customers.get(c, -1) for c in customers])
    mean = base.copy()
    known = people >= 0
    if known.any():
        rows, where = people[known], slots[known]
        alpha, beta = _shrunk(
            base[known],
            model.cust_factor[rows],
            model.cust_tries[rows, where],
            model.cust_answers[rows, where],
        )
        mean[known] = alpha / (alpha + beta)
    return np.asarray(mean, dtype=np.float64)
