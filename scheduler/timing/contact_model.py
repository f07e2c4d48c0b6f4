"""The contact-probability model: P(answer | customer, local hour of week, attempt, history).

Two parts, combined:

1. **Hierarchical Beta-binomial**, by hour-of-week slot (168: Monday 00-01
   local is slot 0). Each segment's estimate starts from a cold-start prior
   (business hours, or the industry's default shape) worth a few attempts
   (how many, the segment's own data choose by their marginal likelihood, so
   a segment that answers at other hours than the defaults soon leaves them
   behind; where the shop has its customers' signals, the prior's shape is
   first moved by the segment's pooled activity, and the data choose between
   that and the plain shape as they choose its strength), and is updated with
   the segment's attempts, each retry counted by
   how much less retries answer than first attempts, since they go to the
   customers who missed a call (a slot's prior also borrows
   from its neighbouring hours and the same hour on other weekdays, because
   a caller busy at ten is often busy at eleven, up to a fixed strength so
   that its own data wins once there is some; less from a neighbour where the
   segment's pooled signals step between the two hours). Each customer is shrunk
   towards their segment: first an overall reachability factor (answers
   against what the segment predicts), then per slot, so a failed attempt
   in a slot lowers that customer's estimate for that slot.
2. **Gradient boosting** (scikit-learn; :mod:`scheduler.timing.contact_boost`) over
   segment, weekday, hour, attempt number and the customer's contact rate so far,
   once there are enough attempts. The two are blended in logit space with the weight that gives
   the lowest log-loss on the most recent fifth of the attempts (a time
   split); with too little data the weight is all on the first part.

Seasons (school holidays) get a factor per segment: :mod:`scheduler.timing.season_effect`.

:func:`fit` is a pure function of the attempt log, so the daemon's refit,
the simulator and the benchmark run the same code. The model is immutable;
a refit makes a new one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from scheduler.timing.season_effect import SEASON_ROUNDS, SeasonEffect, SeasonRows

SLOTS = 168
PRIOR_STRENGTH = 12.0  # pseudo-attempts behind a segment's cold-start prior
CUSTOMER_STRENGTH = 8.0  # pseudo-attempts tying a customer's slot to the segment
FACTOR_STRENGTH = 3.0  # pseudo-answers tying a customer's reachability to 1
NEIGHBOUR_WEIGHT = 0.5
# Lighter borrowing from the neighbouring hours a segment's counts may choose instead, by
# the same margin as a weaker prior (bench options; (): none offered, the default only).
NEIGHBOUR_WEIGHTS_OFFERED: tuple[float, ...] = ()
NEIGHBOUR_JOINT = False  # True: offered at every prior strength and shape (bench only)
# Where a segment's pooled signals step between two hours (tilt ratio r < 1, the smaller
# over the larger), each borrows NEIGHBOUR_WEIGHT * r ** this from the other (0: off). The
# hours beside a step are seldom tried, so half the busy neighbour's counts made them look
# likely (mixed_sparse's tradespeople at 17:00: 0.28 believed, 0.04 true). Against 0,
# paired by seed (10): the 6 worlds with signals -0.0 to +1.0 points first-attempt, none
# down beyond its noise; without signals nothing changes (docs/PERFORMANCE.md, "Each
# segment choosing its neighbour weight").
NEIGHBOUR_STEP_POWER = 1.0
WEEKDAY_POOL_WEIGHT = 0.15
BORROW_STRENGTH = 24.0  # at most this many pseudo-attempts borrowed from other slots
# (prior, borrowed) strengths a segment's prior may have; the data choose (empirical Bayes).
STRENGTHS = ((PRIOR_STRENGTH, BORROW_STRENGTH), (3.0, 6.0), (1.0, 2.0))
# How much better (log marginal likelihood, nats) a weaker prior must explain a segment's
# counts before it replaces a stronger one. On the few hundred attempts of a pilot month a
# weaker prior often wins by chance, and the segment's curve turns noisy: a margin of 2
# gained 2.0 points of first-attempt contact on time_zones at pilot volume (10 seeds),
# level elsewhere and at full volume (docs/SIMULATION.md, "Learning at pilot volume").
STRENGTH_MARGIN_NATS = 2.0
GBM_MIN_ATTEMPTS = 5_000
GBM_MAX_ROWS = 300_000  # fitted on the most recent rows; enough for five features
# OpenMP threads of the booster's fit and predictions (None: one per core, the library's
# default, which a loaded machine makes 3-4x slower; bench/bench_gdpr.py compares both).
GBM_THREADS: int | None = 1
BLEND_WEIGHTS = (1.0, 0.75, 0.5, 0.25, 0.0)  # weight of the Beta-binomial part
MAX_ATTEMPT_FEATURE = 6
ATTEMPT_ROUNDS = 2  # refinements of the segment curve by attempt number
ATTEMPT_STRENGTH = 10.0  # pseudo-answers tying an attempt number's share to 1
RATE_BUCKETS = 10

FloatArray = NDArray[np.float64]


def slot_of(weekday: int, hour: int) -> int:
    """The hour-of-week slot (Monday 00:00-01:00 local is 0)."""
    return weekday * 24 + hour


def cold_start_prior(industry: str | None = None) -> FloatArray:
    """P(answer) by slot before any attempt: the shape of business hours or the industry's.

    Defaults a call centre would write down: people answer in working hours
    more than in the evening, and hardly at night. ``it``: morning meetings
    on Mondays 8-10 (the material's example). ``consumer``: evenings best.
    """
    hours = np.arange(24)
    day = np.where((hours >= 9) & (hours < 17), 0.30, 0.0)
    day += np.where(((hours >= 8) & (hours < 9)) | ((hours >= 17) & (hours < 20)), 0.22, 0.0)
    day = np.where(day == 0.0, 0.05, day)
    weekend = np.where((hours >= 10) & (hours < 18), 0.20, 0.05)
    if industry == "consumer":
        day = np.where((hours >= 9) & (hours < 17), 0.15, day)
        day = np.where((hours >= 17) & (hours < 21), 0.35, day)
        weekend = np.where((hours >= 10) & (hours < 20), 0.30, 0.05)
    grid = np.vstack([day] * 5 + [weekend, weekend])
    if industry == "it":
        grid[0, 8:10] = 0.08
    return np.asarray(grid.reshape(SLOTS), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class AttemptLog:
    """Past attempts as columns (one row per attempt, oldest first)."""

    customer: Sequence[str]  # the number (E.164), or a simulated customer's id
    segment: Sequence[str]
    slot: NDArray[np.int64]
    attempt_no: NDArray[np.int64]  # 1 for the first attempt of a request
    answered: NDArray[np.bool_]
    industry: Mapping[str, str] = field(default_factory=dict)  # segment -> industry
    season: Sequence[str] = ()  # per attempt: the season's name, "" for none; (): no seasons

    def __len__(self) -> int:
        return len(self.answered)

    @classmethod
    def from_rows(
        cls, rows: Sequence[Mapping[str, Any]], industry: Mapping[str, str] | None = None
    ) -> AttemptLog:
        """From ``callback_attempts`` rows that ended (outcome set), oldest first."""
        return cls(
            customer=[str(r["phone"]) for r in rows],
            segment=[str(r["segment"] or "default") for r in rows],
            slot=np.array(
                [slot_of(int(r["local_weekday"]), int(r["local_hour"])) for r in rows],
                dtype=np.int64,
            ),
            attempt_no=np.array([int(r["attempt_no"]) for r in rows], dtype=np.int64),
            answered=np.array([r["outcome"] == "answered" for r in rows], dtype=np.bool_),
            industry=dict(industry or {}),
            season=[str(r.get("season") or "") for r in rows],
        )


def _borrowed(
    counts: FloatArray, neighbour_weight: float | FloatArray = NEIGHBOUR_WEIGHT
) -> FloatArray:
    """What each slot borrows from others: its neighbouring hours, and the same hour on
    the other working days (rows of 168 slots; its own count excluded).

    ``neighbour_weight`` of the hour before and after (circular; per slot, an array:
    the weight between each slot and the next), and
    ``WEEKDAY_POOL_WEIGHT`` of the same hour on each other working day
    (Monday-Friday), so an hour's shape is learned from every weekday while a
    day of its own (Monday's meetings) still shows once it has data.
    """
    pair = np.broadcast_to(neighbour_weight, counts.shape)
    near = np.roll(pair, 1, axis=-1) * np.roll(counts, 1, axis=-1) + pair * np.roll(
        counts, -1, axis=-1
    )
    days = counts.reshape(*counts.shape[:-1], 7, 24)
    weekdays = days[..., :5, :]
    pooled = np.zeros_like(days)
    pooled[..., :5, :] = WEEKDAY_POOL_WEIGHT * (weekdays.sum(axis=-2, keepdims=True) - weekdays)
    return np.asarray(near + pooled.reshape(counts.shape), dtype=np.float64)


def _shrunk(
    base: FloatArray, factor: FloatArray | float, tries: FloatArray, answers: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """A customer's Beta(alpha, beta): the segment's ``base`` scaled by their reachability
    ``factor``, worth CUSTOMER_STRENGTH attempts, updated with their own ``tries`` and
    ``answers`` (arrays broadcast: one customer's 168 slots, or many rows)."""
    mean = np.clip(base * factor, 0.005, 0.97)
    alpha = mean * CUSTOMER_STRENGTH + answers
    beta = (1 - mean) * CUSTOMER_STRENGTH + tries - answers
    return alpha, beta


def _logit(p: FloatArray) -> FloatArray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.asarray(np.log(p / (1 - p)), dtype=np.float64)


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1 / (1 + np.exp(-x)), dtype=np.float64)


@dataclass(frozen=True)
class ContactModel:
    """A fitted model; ask it for a customer's probabilities (and draws) over the 168 slots."""

    segments: dict[str, int]
    seg_alpha: FloatArray  # [segments, 168]
    seg_beta: FloatArray
    customers: dict[str, int]
    cust_tries: FloatArray  # [customers, 168]
    cust_answers: FloatArray
    cust_factor: FloatArray  # [customers]: reachability against the segment
    industry: dict[str, str]
    attempts: int
    fitted_at: float
    gbm: Any = None  # HistGradientBoostingClassifier, or None
    gbm_weight: float = 0.0  # the GBM's share of the blend, in logit space
    holdout_log_loss: float | None = None
    seasons: SeasonEffect | None = None  # learned season factors; None: no season in the log
    # segment -> factor per slot on its cold-start prior, from the pooled signals of its
    # customers (:func:`scheduler.timing.signal_evidence.segment_tilt`); for a segment with
    # no attempts yet (one with attempts has it in ``seg_alpha``/``seg_beta`` already).
    prior_tilt: dict[str, FloatArray] = field(default_factory=dict)
    _gbm_cache: dict[tuple[int, int, int], FloatArray] = field(default_factory=dict)

    # -- the Beta-binomial part -----------------------------------------------------------
    def _segment_index(self, segment: str | None) -> int | None:
        return self.segments.get(segment or "default")

    def season_factor(self, segment: str | None, season: str | None) -> float:
        """How much more (above 1) or less the segment answers in ``season`` (1: no data)."""
        index = self._segment_index(segment)
        return 1.0 if self.seasons is None or index is None else self.seasons.factor(index, season)

    def segment_mean(self, segment: str | None) -> FloatArray:
        index = self._segment_index(segment)
        if index is None:
            name = segment or "default"
            plain = cold_start_prior(self.industry.get(name))
            return tilted_prior(plain, self.prior_tilt.get(name))
        a, b = self.seg_alpha[index], self.seg_beta[index]
        return np.asarray(a / (a + b), dtype=np.float64)

    def posterior(
        self, customer: str, segment: str | None, tilt: FloatArray | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """Beta(alpha, beta) per slot for this customer (the Beta-binomial part only).

        ``tilt``: a factor per slot on the customer's prior, from their own signals
        (:mod:`scheduler.timing.signal_evidence`); their answers update the tilted prior."""
        base = self.segment_mean(segment)
        if tilt is not None:
            base = np.clip(base * tilt, 0.001, 0.97)
        index = self.customers.get(customer)
        if index is None:
            return base * CUSTOMER_STRENGTH, (1 - base) * CUSTOMER_STRENGTH
        return _shrunk(
            base, self.cust_factor[index], self.cust_tries[index], self.cust_answers[index]
        )

    # -- the blend ------------------------------------------------------------------------------
    def mean(
        self,
        customer: str,
        segment: str | None,
        attempt_no: int = 1,
        tilt: FloatArray | None = None,
    ) -> FloatArray:
        """P(answer) per slot: the blend of both parts (``tilt``: see :meth:`posterior`)."""
        hier = self._hier_mean(customer, segment, tilt)
        if self.gbm is None or self.gbm_weight == 0.0:
            return hier
        boosted = self._gbm_slots(customer, segment, attempt_no)
        w = self.gbm_weight
        return _sigmoid((1 - w) * _logit(hier) + w * _logit(boosted))

    def mean_many(self, customers: Sequence[str], segments: Sequence[str | None]) -> FloatArray:
        """``[n, 168]`` P(answer) for many requests at once (the Beta-binomial part)."""
        curves = {s: self.segment_mean(s) for s in set(segments)}
        base = np.vstack([curves[s] for s in segments])
        people = np.array([self.customers.get(c, -1) for c in customers])
        known = people >= 0
        mean = base.copy()
        if known.any():
            rows = people[known]
            alpha, beta = _shrunk(
                base[known],
                self.cust_factor[rows, None],
                self.cust_tries[rows],
                self.cust_answers[rows],
            )
            mean[known] = alpha / (alpha + beta)
        return np.asarray(mean, dtype=np.float64)

    def sample(
        self,
        rng: np.random.Generator,
        customer: str,
        segment: str | None,
        attempt_no: int = 1,
        draws: int = 1,
        sharpen: float = 1.0,
        tilt: FloatArray | None = None,
    ) -> FloatArray:
        """Thompson draws ``[draws, 168]`` of this customer's probabilities.

        ``sharpen`` > 1 draws as if there were that many times more data: less
        exploration (see docs/PERFORMANCE.md for what each setting cost).

        What is uncertain, and worth exploring, is the segment's curve: it is
        drawn from its posterior, and the customer's own history is applied
        to each draw (their reachability and their answers slot by slot). A
        new customer's own deviations cannot be learned before their first
        call, so drawing them would only add noise to the choice; their own
        signals (``tilt``, see :meth:`posterior`) move each draw.
        """
        index = self._segment_index(segment)
        if index is None:
            prior = self.segment_mean(segment)
            alpha, beta = prior * PRIOR_STRENGTH, (1 - prior) * PRIOR_STRENGTH
        else:
            alpha, beta = self.seg_alpha[index], self.seg_beta[index]
        curves = rng.beta(alpha * sharpen, beta * sharpen, size=(draws, SLOTS))
        if tilt is not None:
            curves = np.clip(curves * tilt, 0.001, 0.97)
        person = self.customers.get(customer)
        if person is not None:
            a, b = _shrunk(
                curves, self.cust_factor[person], self.cust_tries[person], self.cust_answers[person]
            )
            curves = a / (a + b)
        if self.gbm is not None and self.gbm_weight > 0.0:
            # The booster's view shifts every draw by the same amount.
            shift = self.mean(customer, segment, attempt_no, tilt) - self._hier_mean(
                customer, segment, tilt
            )
            curves = np.clip(curves + shift, 0.001, 0.999)
        return np.asarray(curves, dtype=np.float64)

    def _hier_mean(
        self, customer: str, segment: str | None, tilt: FloatArray | None = None
    ) -> FloatArray:
        alpha, beta = self.posterior(customer, segment, tilt)
        return np.asarray(alpha / (alpha + beta), dtype=np.float64)

    def _gbm_slots(self, customer: str, segment: str | None, attempt_no: int) -> FloatArray:
        seg = self._segment_index(segment)
        seg_code = -1 if seg is None else seg
        index = self.customers.get(customer)
        rate = (
            0.0
            if index is None
            else _rate_bucket(self.cust_answers[index].sum(), self.cust_tries[index].sum())
        )
        key = (seg_code, min(attempt_no, MAX_ATTEMPT_FEATURE), int(rate))
        cached = self._gbm_cache.get(key)
        if cached is None:
            slots = np.arange(SLOTS)
            features = np.column_stack(
                [
                    np.full(SLOTS, seg_code),
                    slots // 24,
                    slots % 24,
                    np.full(SLOTS, key[1]),
                    np.full(SLOTS, key[2]),
                ]
            )
            with threadpool_limits(limits=GBM_THREADS, user_api="openmp"):  # as in the fit
                cached = np.asarray(self.gbm.predict_proba(features)[:, 1], dtype=np.float64)
            self._gbm_cache[key] = cached
        return cached


def _rate_bucket(answers: float, tries: float) -> float:
    """The customer's contact rate so far as a feature: 0 with no history, else 1..10."""
    if tries <= 0:
        return 0.0
    return 1.0 + min(RATE_BUCKETS - 1, math.floor(answers / tries * RATE_BUCKETS))


def _codes(values: Sequence[str]) -> tuple[dict[str, int], NDArray[np.int64]]:
    table: dict[str, int] = {}
    codes = np.fromiter(
        (table.setdefault(v, len(table)) for v in values), dtype=np.int64, count=len(values)
    )
    return table, codes


def tilted_prior(prior: FloatArray, tilt: FloatArray | None) -> FloatArray:
    """A cold-start curve moved by a segment's pooled activity (``tilt``: None, unchanged)."""
    if tilt is None:
        return prior
    return np.asarray(np.clip(prior * tilt, 0.001, 0.97), dtype=np.float64)


def prior_choice(evidence: FloatArray, margin_nats: float) -> NDArray[np.int64]:
    """Which prior strength each segment gets: an index into ``STRENGTHS`` per column.

    ``evidence``: ``[strengths, segments]`` log marginal likelihoods, strongest
    prior first. The strongest is kept unless a weaker one explains the
    segment's counts better by more than ``margin_nats`` than every stronger
    one still in the running (0: the plain empirical-Bayes maximum).
    """
    chosen = np.zeros(evidence.shape[1], dtype=np.int64)
    best = evidence[0].copy()
    for index in range(1, evidence.shape[0]):
        better = evidence[index] > best + margin_nats
        chosen = np.where(better, index, chosen)
        best = np.where(better, evidence[index], best)
    return chosen


def _segment_posterior(
    prior: FloatArray, tries: FloatArray, answers: FloatArray, tilted: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """Each segment's Beta(alpha, beta) by slot, its prior strength chosen by the data.

    ``tilted``: the same curves moved by each segment's pooled signals (None: none).
    Then each strength is offered with the tilted shape first and the plain one
    after it, so the pooled activity leads while there are few counts and the plain
    shape takes over only where the counts say it is better by the margin.

    A slot's prior is the cold-start curve, moved by what nearby slots saw
    (:func:`_borrowed`). How much that prior is worth is chosen per segment
    among ``STRENGTHS`` by the marginal likelihood of the segment's own
    counts (empirical Bayes, :func:`prior_choice`): where the attempts agree
    with the cold-start curve it stays strong, and a segment that answers at
    other hours than the defaults expect (night-shift workers) soon leaves it
    behind.
    """
    # Imported here, not at the top: scipy costs light CLI commands (`callbacks list`,
    # `gdpr export`) ~0.3 s at start-up, and only fitting needs it.
    from scipy.special import betaln

    evidence, alphas, betas = [], [], []
    shapes = [prior] if tilted is None else [tilted, prior]
    default: float | FloatArray = NEIGHBOUR_WEIGHT
    if tilted is not None and NEIGHBOUR_STEP_POWER > 0:
        tilt = tilted / prior
        after = np.roll(tilt, -1, axis=-1)
        default = NEIGHBOUR_WEIGHT * (np.minimum(tilt, after) / np.maximum(tilt, after)) ** (
            NEIGHBOUR_STEP_POWER
        )
    for neighbour_weight in (default, *NEIGHBOUR_WEIGHTS_OFFERED):
        borrowed_tries = _borrowed(tries, neighbour_weight)
        borrowed_answers = _borrowed(answers, neighbour_weight)
        for (prior_strength, borrow_strength), shape in (
            (strengths, shape) for strengths in STRENGTHS for shape in shapes
        ):
            rate = (borrowed_answers + shape * prior_strength) / (borrowed_tries + prior_strength)
            strength = prior_strength + np.minimum(borrowed_tries, borrow_strength)
            a0 = np.clip(rate, 1e-3, 1 - 1e-3) * strength
            b0 = strength - a0
            evidence.append(
                (betaln(a0 + answers, b0 + tries - answers) - betaln(a0, b0)).sum(axis=1)
            )
            alphas.append(a0 + answers)
            betas.append(b0 + tries - answers)
    per_weight = len(STRENGTHS) * len(shapes)
    by_weight = np.vstack(evidence).reshape(-1, per_weight, prior.shape[0])
    rows = np.arange(prior.shape[0])
    if NEIGHBOUR_JOINT:
        chosen = prior_choice(by_weight.reshape(-1, prior.shape[0]), STRENGTH_MARGIN_NATS)
    else:
        # The prior's strength and shape as with the default neighbour weight; then a
        # lighter one at that prior must explain the counts better by the margin (a step
        # in the curve beside a rarely tried hour), so thin data keep the default.
        prior_index = prior_choice(by_weight[0], STRENGTH_MARGIN_NATS)
        weight_index = prior_choice(by_weight[:, prior_index, rows], STRENGTH_MARGIN_NATS)
        chosen = weight_index * per_weight + prior_index
    return np.stack(alphas)[chosen, rows], np.stack(betas)[chosen, rows]


def fit(
    log: AttemptLog,
    *,
    now: float,
    gbm: bool = True,
    seed: int = 0,
    prior_tilt: Mapping[str, FloatArray] | None = None,
) -> ContactModel:
    """Fit both parts on ``log`` (pure; seconds for a million attempts).

    ``prior_tilt``: segment -> factor per slot on its cold-start prior, from the pooled
    signals of its customers (:func:`scheduler.timing.signal_evidence.segment_tilt`)."""
    tilts = dict(prior_tilt or {})
    segments, seg_codes = _codes(log.segment)
    customers, cust_codes = _codes(log.customer)
    n_seg, n_cust = max(len(segments), 1), len(customers)
    answered = log.answered.astype(np.float64)
    flat_seg = seg_codes * SLOTS + log.slot
    seg_answers = (
        np.bincount(flat_seg, weights=answered, minlength=n_seg * SLOTS)
        .reshape(n_seg, SLOTS)
        .astype(float)
    )
    names = sorted(segments, key=segments.__getitem__)
    prior = (
        np.vstack([cold_start_prior(log.industry.get(s)) for s in names])
        if names
        else np.zeros((1, SLOTS))
    )
    tilted = (
        np.vstack([tilted_prior(row, tilts.get(s)) for row, s in zip(prior, names, strict=True)])
        if names and any(s in tilts for s in names)
        else None
    )
    # Retries go to customers who did not answer before, who are on average harder
    # to reach: counted as plain tries, the hours where retries fall would look
    # worse than they are for the next new customer. So a try counts as much as
    # its attempt number's share of answers against the curve (1 for a first
    # attempt), and the curve and those shares are refined in turn.
    attempt_index = np.minimum(log.attempt_no, MAX_ATTEMPT_FEATURE) - 1
    answers_by_attempt = np.bincount(attempt_index, weights=answered, minlength=MAX_ATTEMPT_FEATURE)
    weight = np.ones(len(log))
    # A try in a season counts as its season's factor (1 without seasons: the same sums).
    season_rows = SeasonRows.of(log.season, seg_codes, n_seg)
    in_season, seasons = np.ones(len(log)), None
    rounds = ATTEMPT_ROUNDS + (0 if season_rows is None else SEASON_ROUNDS)
    for round_no in range(1 + rounds):
        weighted = np.bincount(flat_seg, weights=weight * in_season, minlength=n_seg * SLOTS)
        seg_weighted = np.maximum(weighted.reshape(n_seg, SLOTS), seg_answers)
        seg_alpha, seg_beta = _segment_posterior(prior, seg_weighted, seg_answers, tilted)
        seg_mean = seg_alpha / (seg_alpha + seg_beta)
        point = seg_mean[seg_codes, log.slot] * in_season  # the answers each try should get
        if round_no == rounds:
            break
        by_attempt = np.bincount(attempt_index, weights=point, minlength=MAX_ATTEMPT_FEATURE)
        share = (answers_by_attempt + ATTEMPT_STRENGTH) / (by_attempt + ATTEMPT_STRENGTH)
        weight = (share / share[0])[attempt_index]
        if season_rows is not None:
            seasons = season_rows.learn(answered, seg_mean[seg_codes, log.slot] * weight)
            in_season = season_rows.per_attempt(seasons)

    flat_cust = cust_codes * SLOTS + log.slot
    cust_tries = (
        np.bincount(flat_cust, minlength=n_cust * SLOTS).reshape(n_cust, SLOTS).astype(float)
    )
    cust_answers = (
        np.bincount(flat_cust, weights=answered, minlength=n_cust * SLOTS)
        .reshape(n_cust, SLOTS)
        .astype(float)
    )
    expected = np.bincount(cust_codes, weights=point, minlength=n_cust)
    got = cust_answers.sum(axis=1)
    factor = (got + FACTOR_STRENGTH) / (expected + FACTOR_STRENGTH)

    model = ContactModel(
        segments=segments,
        seg_alpha=seg_alpha,
        seg_beta=seg_beta,
        customers=customers,
        cust_tries=cust_tries,
        cust_answers=cust_answers,
        cust_factor=factor,
        industry=dict(log.industry),
        attempts=len(log),
        fitted_at=now,
        seasons=seasons,
        prior_tilt=tilts,
    )
    if not gbm or len(log) < GBM_MIN_ATTEMPTS:
        return model
    # Imported here: the boosted part fits through this module (a held-out refit).
    from scheduler.timing.contact_boost import with_gbm

    return with_gbm(model, log, seg_codes, cust_codes, seed)
