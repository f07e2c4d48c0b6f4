"""The contact-probability model and the slot policy: pure functions over data, no sockets.

Cold start follows business hours (and the industry's shape); segment data
moves the estimate; a failed attempt lowers that customer's estimate for
that slot only; a learned model's probabilities are calibrated on data drawn
from known probabilities; the policy never proposes a moment the rules
refuse, logs a probability with each choice, and prefers a clearly better
hour over a slightly earlier one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from scheduler.rules import CallingRules, RequestFacts, refusal
from scheduler.timing import contact_model
from scheduler.timing.contact_model import SLOTS, AttemptLog, cold_start_prior, fit, slot_of
from scheduler.timing.slot_policy import (
    ModelUnavailable,
    SlotPolicy,
    candidates,
    fixed_probabilities,
    model_probabilities,
)

CPH = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 3, 3, 9, 30, tzinfo=CPH).timestamp()  # a Tuesday morning


def _log(
    rows: list[tuple[str, str, int, bool]],
    industry: dict[str, str] | None = None,
    attempt_no: list[int] | None = None,
) -> AttemptLog:
    """(customer, segment, slot, answered) rows; first attempts unless ``attempt_no`` says."""
    return AttemptLog(
        customer=[r[0] for r in rows],
        segment=[r[1] for r in rows],
        slot=np.array([r[2] for r in rows], dtype=np.int64),
        attempt_no=np.array(attempt_no or [1] * len(rows), dtype=np.int64),
        answered=np.array([r[3] for r in rows], dtype=np.bool_),
        industry=industry or {},
    )


def test_cold_start_follows_business_hours_and_the_industry() -> None:
    office = cold_start_prior()
    assert office[slot_of(1, 10)] > office[slot_of(1, 19)] > office[slot_of(1, 3)]
    assert office[slot_of(6, 10)] < office[slot_of(1, 10)]  # Sundays are quieter
    it = cold_start_prior("it")
    assert it[slot_of(0, 9)] < it[slot_of(1, 9)]  # Monday-morning meetings
    consumer = cold_start_prior("consumer")
    assert consumer[slot_of(1, 18)] > consumer[slot_of(1, 11)]  # evenings
    model = fit(_log([]), now=NOW)
    assert np.allclose(model.mean("+4520000000", "new_segment"), office)


def test_segment_data_moves_the_estimate_towards_what_happened() -> None:
    tuesday_10, tuesday_15 = slot_of(1, 10), slot_of(1, 15)
    rows = [(f"c{i}", "shops", tuesday_10, False) for i in range(60)]
    rows += [(f"d{i}", "shops", tuesday_15, i % 10 < 8) for i in range(60)]
    model = fit(_log(rows), now=NOW)
    mean = model.mean("someone new", "shops")
    prior = cold_start_prior()
    assert mean[tuesday_10] < prior[tuesday_10] / 2
    assert mean[tuesday_15] > 0.6
    # Another segment learned nothing from this one.
    assert np.allclose(model.mean("x", "other"), prior)


WEEKDAY_CALLING = [slot_of(d, h) for d in range(5) for h in range(8, 20)]


def _drawn_log(truth: np.ndarray, tries_per_slot: int, seed: int) -> AttemptLog:
    """``tries_per_slot`` attempts in every weekday slot 8-20, answered with ``truth``."""
    rng = np.random.default_rng(seed)
    slots = WEEKDAY_CALLING * tries_per_slot
    return _log([(f"c{i}", "crew", s, bool(rng.random() < truth[s])) for i, s in enumerate(slots)])


def test_a_segment_that_defies_the_cold_start_curve_soon_leaves_it_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Night-shift workers: hardly reachable by day, best in the evening (the defaults
    say the opposite). The data choose a weak prior, so 240 attempts show it."""
    night = np.full(SLOTS, 0.05)
    for day in range(5):
        night[slot_of(day, 17) : slot_of(day, 20)] = 0.5
    weekday = WEEKDAY_CALLING

    def error() -> float:
        means = [fit(_drawn_log(night, 4, seed), now=NOW).segment_mean("crew") for seed in range(5)]
        return float(np.mean([np.abs(m[weekday] - night[weekday]).mean() for m in means]))

    chosen = error()
    monkeypatch.setattr(contact_model, "STRENGTHS", contact_model.STRENGTHS[:1])
    always_strong = error()
    assert chosen < 0.1 and chosen < always_strong * 0.6
    monkeypatch.undo()
    # A segment that answers as the defaults expect keeps the strong prior.
    typical = fit(_drawn_log(cold_start_prior(), 4, seed=2), now=NOW)
    strength = typical.seg_alpha[0] + typical.seg_beta[0]
    assert strength[slot_of(1, 11)] >= 4 + contact_model.PRIOR_STRENGTH  # 4 tries, and more


def test_retries_to_harder_customers_do_not_make_their_hour_look_worse() -> None:
    """Tuesday 18:00 and Thursday 18:00 answer alike for new customers (half of them), but
    Tuesday's tries are mostly retries to people who missed a call, who answer less.
    The curve a new customer is planned with must not hold that against Tuesday."""
    tuesday, thursday = slot_of(1, 18), slot_of(3, 18)
    rows = [(f"n{i}", "crew", tuesday, i % 2 == 0) for i in range(100)]
    rows += [(f"t{i}", "crew", thursday, i % 2 == 0) for i in range(100)]
    # Retries (second attempts) answer at 0.3: 60 of 200, on Tuesdays only.
    rows += [(f"r{i}", "crew", tuesday, i % 10 < 3) for i in range(200)]
    log = _log(rows, attempt_no=[1] * 200 + [2] * 200)
    mean = fit(log, now=NOW, gbm=False).mean("someone new", "crew")
    pooled = (50 + 60) / 300  # what plain counting says of Tuesday
    assert mean[tuesday] > pooled + 0.05
    assert abs(mean[tuesday] - mean[thursday]) < abs(pooled - mean[thursday]) / 2


def test_a_failed_attempt_lowers_that_customers_estimate_for_that_slot_only() -> None:
    slot = slot_of(2, 11)
    base = [(f"c{i}", "shops", slot, i % 2 == 0) for i in range(40)]
    before = fit(_log(base), now=NOW)
    after = fit(_log([*base, ("alice", "shops", slot, False)]), now=NOW)
    alice_before = before.mean("alice", "shops")
    alice_after = after.mean("alice", "shops")
    assert alice_after[slot] < alice_before[slot]
    # Her reachability is lower everywhere, but that slot fell the most.
    drop = alice_before - alice_after
    assert drop[slot] == pytest.approx(drop.max())
    # Someone else's estimate for the slot barely moved.
    assert abs(after.mean("bob", "shops")[slot] - before.mean("bob", "shops")[slot]) < 0.01


def test_probabilities_are_calibrated_on_data_drawn_from_known_ones() -> None:
    rng = np.random.default_rng(3)
    truth = np.clip(cold_start_prior() * rng.uniform(0.5, 1.8, SLOTS), 0, 0.9)
    slots = rng.integers(0, SLOTS, size=60_000)
    answered = rng.random(60_000) < truth[slots]
    log = AttemptLog(
        customer=[f"c{i % 20_000}" for i in range(60_000)],
        segment=["shops"] * 60_000,
        slot=slots.astype(np.int64),
        attempt_no=np.ones(60_000, dtype=np.int64),
        answered=answered,
    )
    model = fit(log, now=NOW, gbm=False)
    predicted = model.segment_mean("shops")[slots]
    order = np.argsort(predicted)
    for chunk in np.array_split(order, 10):
        assert abs(predicted[chunk].mean() - answered[chunk].mean()) < 0.04


def _attempt_effect_log(n: int, later_factor: float, seed: int) -> AttemptLog:
    """Answers that depend on the hour and, by ``later_factor``, on attempt >= 3."""
    rng = np.random.default_rng(seed)
    slots = rng.integers(0, SLOTS, size=n)
    attempts = rng.integers(1, 6, size=n)
    p = cold_start_prior()[slots] * np.where(attempts >= 3, later_factor, 1.0)
    return AttemptLog(
        customer=[f"c{i}" for i in range(n)],
        segment=["shops"] * n,
        slot=slots.astype(np.int64),
        attempt_no=attempts.astype(np.int64),
        answered=rng.random(n) < np.clip(p, 0, 0.95),
    )


def test_the_boosted_part_is_blended_in_only_when_it_earns_its_weight() -> None:
    # The attempt number matters (later attempts answered far less): the booster,
    # which sees it, takes the blend and reproduces the effect.
    model = fit(_attempt_effect_log(30_000, 0.2, seed=5), now=NOW)
    assert model.gbm_weight >= 0.5 and model.holdout_log_loss is not None
    tuesday_11 = slot_of(1, 11)
    first, fourth = (
        model.mean("new", "shops", 1)[tuesday_11],
        model.mean("new", "shops", 4)[tuesday_11],
    )
    assert fourth < first / 2
    # It does not: the blend stays with the Beta-binomial part.
    flat = fit(_attempt_effect_log(30_000, 1.0, seed=6), now=NOW)
    assert flat.gbm_weight <= 0.25
    # Thompson draws carry the booster's shift too.
    draws = model.sample(np.random.default_rng(0), "new", "shops", 4, draws=200, sharpen=16)
    assert draws[:, tuesday_11].mean() == pytest.approx(fourth, abs=0.05)


RULES = CallingRules(holiday_country="DK")


def _facts(**overrides: object) -> RequestFacts:
    values: dict[str, object] = {
        "phone": "+4520123456",
        "timezone": "Europe/Copenhagen",
        "created_at": NOW,
        "segment": "shops",
    }
    values.update(overrides)
    return RequestFacts(**values)  # type: ignore[arg-type]


def test_candidates_are_only_moments_the_rules_allow() -> None:
    facts = _facts(last_attempt_at=NOW - 600)  # ten minutes ago: the gap keeps the next hour
    found = candidates(RULES, facts, NOW, patience_s=86400)
    assert found, "some hour in three days must be allowed"
    for candidate in found:
        assert refusal(RULES, facts, candidate.at) is None
        local = datetime.fromtimestamp(candidate.at, CPH)
        assert 8 <= local.hour < 20 and local.weekday() != 6
    assert found[0].at >= NOW - 600 + RULES.min_gap_s
    values = [c.lead_value for c in found]
    assert values == sorted(values, reverse=True)  # a lead is worth less the longer it waits


def test_the_policy_waits_for_a_clearly_better_hour_and_says_why() -> None:
    evening = np.full(SLOTS, 0.1)
    evening[[slot_of(d, h) for d in range(7) for h in (17, 18, 19)]] = 0.6
    policy = SlotPolicy("oracle", fixed_probabilities(lambda f: evening), explores=False)
    plan = policy.plan(_facts(), NOW, None, RULES)
    assert plan.at is not None
    when = datetime.fromtimestamp(plan.at, CPH)
    assert (when.date(), when.hour) == (datetime.fromtimestamp(NOW, CPH).date(), 17)
    assert plan.pick_share == 1.0 and "60%" in str(plan.reason)
    # A flat curve: call now.
    flat = SlotPolicy("oracle", fixed_probabilities(lambda f: np.full(SLOTS, 0.3)), explores=False)
    assert flat.plan(_facts(), NOW, None, RULES).at == NOW


def test_thompson_choices_log_their_probability() -> None:
    model = fit(_log([]), now=NOW)
    policy = SlotPolicy(
        "predicted", model_probabilities(lambda: model, now=lambda: NOW, max_age_s=3600), seed=1
    )
    plans = [policy.plan(_facts(), NOW, None, RULES) for _ in range(30)]
    assert all(p.at is not None and refusal(RULES, _facts(), p.at) is None for p in plans)
    assert all(p.pick_share is not None and 0 < p.pick_share <= 1 for p in plans)


def test_a_missing_or_stale_model_is_refused_so_the_dialer_falls_back() -> None:
    missing = model_probabilities(lambda: None, now=lambda: NOW, max_age_s=3600)
    with pytest.raises(ModelUnavailable, match="no contact model"):
        missing(_facts(), np.random.default_rng(0), 1)
    old = fit(_log([]), now=NOW - 7200)
    stale = model_probabilities(lambda: old, now=lambda: NOW, max_age_s=3600)
    with pytest.raises(ModelUnavailable, match="stale"):
        stale(_facts(), np.random.default_rng(0), 1)


def test_a_weaker_prior_needs_clearly_better_evidence_to_replace_the_strongest() -> None:
    # Log marginal likelihoods per strength (strongest first) for three segments: a
    # weaker prior 1 nat better (a few hundred counts at pilot volume say that by
    # chance), one 10 nats better (a segment that defies the cold-start curve), and
    # the middle strength clearly best.
    evidence = np.array(
        [
            [-100.0, -100.0, -100.0],
            [-99.5, -95.0, -80.0],
            [-99.0, -90.0, -79.5],
        ]
    )
    chosen = contact_model.prior_choice(evidence, contact_model.STRENGTH_MARGIN_NATS)
    assert chosen.tolist() == [0, 2, 1]


def test_the_booster_is_fitted_and_asked_on_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenMP's thread per core made a subject-access export's fit 3-4x slower on a busy
    machine (bench/bench_gdpr.py): the booster is fitted and asked on one thread."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_info

    seen: list[tuple[str, list[int]]] = []

    def recording(name: str) -> Any:
        real = getattr(HistGradientBoostingClassifier, name)

        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            threads = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"]
            seen.append((name, threads))
            return real(self, *args, **kwargs)

        return call

    for name in ("fit", "predict_proba"):
        monkeypatch.setattr(HistGradientBoostingClassifier, name, recording(name))
    model = fit(_attempt_effect_log(30_000, 0.2, seed=5), now=NOW)
    assert model.gbm is not None
    model.mean("new", "shops", 4)  # asks the booster for a fresh key
    assert {name for name, _ in seen} == {"fit", "predict_proba"}
    assert all(threads and set(threads) == {1} for _, threads in seen), seen


def _alternating_log(tries_per_slot: int, seed: int) -> tuple[np.ndarray, AttemptLog]:
    """Weekday hours 8-20 answering 0.6 and 0.05 in turn: every hour beside a step."""
    truth = np.full(SLOTS, 0.04)
    for slot in WEEKDAY_CALLING:
        truth[slot] = 0.6 if slot % 2 == 0 else 0.05
    return truth, _drawn_log(truth, tries_per_slot, seed)


def test_a_lighter_neighbour_weight_offered_is_taken_only_on_clear_evidence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Offered (a bench option, bench/bench_pilot_volume.py ``neighbour_eb_15``), a
    lighter borrowing from the neighbouring hours replaces the default where a segment's
    counts show steps between hours; one try per slot leaves the fit as it was."""
    weekday = WEEKDAY_CALLING
    for tries, better in ((20, True), (1, False)):
        truth, log = _alternating_log(tries, seed=tries)
        default = fit(log, now=NOW, gbm=False).segment_mean("crew")
        monkeypatch.setattr(contact_model, "NEIGHBOUR_WEIGHTS_OFFERED", (0.15,))
        offered = fit(log, now=NOW, gbm=False).segment_mean("crew")
        monkeypatch.undo()
        error, error_offered = (np.abs(m - truth)[weekday].mean() for m in (default, offered))
        if better:
            assert error_offered < error * 0.95
        else:
            assert np.array_equal(offered, default)


def test_a_step_in_the_pooled_signals_cuts_the_borrowing_across_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Busy 8-17, hardly reachable after, and 17:00 seldom tried: borrowing half of 16:00's
    counts makes 17:00 look likely. A segment whose pooled signals step there borrows
    less (against the step power off, bench option ``neighbour_step_0``)."""
    truth = np.full(SLOTS, 0.04)
    tilt = np.ones(SLOTS)
    for day in range(5):
        truth[slot_of(day, 8) : slot_of(day, 17)] = 0.45
        tilt[slot_of(day, 8) : slot_of(day, 17)] = 1.2
        tilt[slot_of(day, 17) : slot_of(day, 20)] = 0.3
    rng = np.random.default_rng(3)
    rows = [
        (f"c{slot}-{i}", "crew", slot, bool(rng.random() < truth[slot]))
        for slot in WEEKDAY_CALLING
        for i in range(20 if slot % 24 < 17 else 1)
    ]
    five = [slot_of(day, 17) for day in range(5)]
    stepped = fit(_log(rows), now=NOW, gbm=False, prior_tilt={"crew": tilt}).segment_mean("crew")
    unsignalled = fit(_log(rows), now=NOW, gbm=False).segment_mean("crew")
    monkeypatch.setattr(contact_model, "NEIGHBOUR_STEP_POWER", 0.0)
    plain = fit(_log(rows), now=NOW, gbm=False, prior_tilt={"crew": tilt}).segment_mean("crew")
    assert np.all(np.abs(stepped[five] - 0.04) < np.abs(plain[five] - 0.04))
    # Without signals nothing changes: no segment has a tilt to step.
    assert np.array_equal(unsignalled, fit(_log(rows), now=NOW, gbm=False).segment_mean("crew"))
