"""Shadow mode (``callbacks.policy: shadow``): dial the conventional plan, log the predicted one.

:class:`ShadowPolicy` plans every request by the conventional rule (that is
what is dialled, and what the attempt records as its policy); for a first
attempt it also asks the predicted policy and the contact model, and hangs
the result on the plan (:class:`scheduler.timing.policy.ShadowPlan`). The dialer
writes it to ``shadow_plans`` (:func:`record_shadow`).

What would the predicted plan have reached? :func:`shadow_estimate` answers
with a *doubly robust* estimate of its first-attempt contact rate, per request

    p(predicted hour) + [same hour] x (answered - p(conventional hour))

where p is the contact model's P(answer). Why not plain inverse propensity:
the logging policy is the conventional rule, which is deterministic (its
choice has propensity 1, every other hour 0), so inverse propensity scoring
only sees the requests where both plans fell in the same hour and counts the
others as misses: biased towards 0 whenever the plans differ, which is the
point of predicting. The direct method (the model's p of the predicted hour)
covers every request but is only as good as the model; the correction term
replaces the model by what happened wherever the conventional attempt was
in the predicted hour, and the model's calibration on the conventional
attempts (observed against expected) is reported beside it. The plain
inverse propensity figure is reported too, for comparison.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.contact_facts import ANSWERED
from scheduler.outcomes import AttemptOutcome
from scheduler.rules import CallingRules, RequestFacts
from scheduler.timing.contact_model import FloatArray, slot_of
from scheduler.timing.model_keeper import ModelKeeper, predicted_policy
from scheduler.timing.policy import ConventionalPolicy, Plan, Policy, ShadowPlan
from scheduler.timing.slot_policy import ModelNotFittedYet
from spillway.settings import Settings
from spillway.storage import Store, Transaction

Z_95 = 1.959964


def _hour(at: float, zone: str) -> tuple[int, int]:
    """The local hour of ``at``: (days since the epoch, hour-of-week slot)."""
    when = datetime.fromtimestamp(at, ZoneInfo(zone))
    return when.toordinal(), slot_of(when.weekday(), when.hour)


@dataclass
class ShadowPolicy:
    """The conventional plan, with the predicted first-attempt plan logged beside it."""

    conventional: Policy
    predicted: Policy
    # The model's mean P(answer) per hour-of-week slot for a request (raises when
    # there is no usable model: then nothing is logged).
    answer_probabilities: Callable[[RequestFacts], FloatArray]
    on_failure: Callable[[Exception], None] = lambda _exc: None
    name: str = "shadow"

    def plan(
        self, facts: RequestFacts, now: float, last: AttemptOutcome | None, rules: CallingRules
    ) -> Plan:
        plan = self.conventional.plan(facts, now, last, rules)
        if last is not None or facts.attempts > 0 or plan.at is None:
            return plan  # only first attempts are compared
        try:
            other = self.predicted.plan(facts, now, None, rules)
            if other.at is None:
                return plan
            probabilities = self.answer_probabilities(facts)
        except Exception as exc:  # the predicted side failed: the plan used is unaffected
            self.on_failure(exc)
            return plan
        conv_day, conv_slot = _hour(plan.at, facts.timezone)
        pred_day, pred_slot = _hour(other.at, facts.timezone)
        return replace(
            plan,
            shadow=ShadowPlan(
                predicted_at=other.at,
                predicted_probability=float(probabilities[pred_slot]),
                conventional_probability=float(probabilities[conv_slot]),
                propensity=other.pick_share,
                same_slot=(conv_day, conv_slot) == (pred_day, pred_slot),
            ),
        )


def shadow_policy(
    settings: Settings, keeper: ModelKeeper, *, retry_backoff_s: float
) -> ShadowPolicy:
    """The daemon's shadow mode: the conventional rule, the predicted policy over ``keeper``."""

    def answer_probabilities(facts: RequestFacts) -> FloatArray:
        model = keeper.current()
        if model is None:
            raise ModelNotFittedYet("no contact model has been fitted yet")
        return model.mean(facts.phone, facts.segment, facts.attempts + 1)

    return ShadowPolicy(
        ConventionalPolicy(retry_backoff_s=retry_backoff_s),
        predicted_policy(settings, keeper),
        answer_probabilities,
    )


def record_shadow(tx: Transaction, request_id: int, plan: Plan, now: float) -> None:
    """Log ``plan``'s shadow for the request (a later first plan replaces an earlier one)."""
    shadow = plan.shadow
    if shadow is None or plan.at is None:
        return
    tx.execute(
        "INSERT INTO shadow_plans (request_id, planned_at, conventional_at, "
        "conventional_probability, predicted_at, predicted_probability, predicted_propensity, "
        "same_slot) VALUES (:id, :now, :c_at, :c_p, :p_at, :p_p, :prop, :same) "
        "ON CONFLICT (request_id) DO UPDATE SET planned_at = :now, conventional_at = :c_at, "
        "conventional_probability = :c_p, predicted_at = :p_at, predicted_probability = :p_p, "
        "predicted_propensity = :prop, same_slot = :same",
        {
            "id": request_id,
            "now": now,
            "c_at": plan.at,
            "c_p": shadow.conventional_probability,
            "p_at": shadow.predicted_at,
            "p_p": shadow.predicted_probability,
            "prop": shadow.propensity,
            "same": int(shadow.same_slot),
        },
    )


@dataclass(frozen=True, slots=True)
class ShadowOutcome:
    """One shadowed request whose first attempt ended."""

    conventional_probability: float
    predicted_probability: float
    same_slot: bool
    answered: bool  # the conventional first attempt


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def shadow_estimate(rows: list[ShadowOutcome]) -> dict[str, Any]:
    """The predicted plan's first-attempt contact rate, estimated from the shadow log."""
    n = len(rows)
    if n == 0:
        return {"requests": 0, "method": "doubly robust", "estimate": None}
    observed = _mean([float(r.answered) for r in rows])
    expected = _mean([r.conventional_probability for r in rows])
    terms = [
        r.predicted_probability
        + (float(r.answered) - r.conventional_probability if r.same_slot else 0.0)
        for r in rows
    ]
    estimate = _mean(terms)
    half = (
        Z_95 * math.sqrt(sum((t - estimate) ** 2 for t in terms) / (n - 1) / n) if n > 1 else None
    )
    return {
        "requests": n,
        "method": "doubly robust",
        "conventional_observed": round(observed, 4),
        "conventional_expected": round(expected, 4),
        "estimate": round(estimate, 4),
        "interval": [round(estimate - half, 4), round(estimate + half, 4)] if half else None,
        "direct_method": round(_mean([r.predicted_probability for r in rows]), 4),
        "inverse_propensity": round(_mean([float(r.answered and r.same_slot) for r in rows]), 4),
        "same_hour": sum(r.same_slot for r in rows),
    }


def shadow_report(store: Store, since: float, until: float) -> dict[str, Any]:
    """The shadow log of requests planned in [since, until) whose first attempt ended."""
    rows = store.query(
        "SELECT s.conventional_probability, s.predicted_probability, s.same_slot, "
        "a.outcome FROM shadow_plans s JOIN callback_attempts a "
        "ON a.request_id = s.request_id AND a.attempt_no = 1 "
        "WHERE s.planned_at >= :since AND s.planned_at < :until AND a.outcome IS NOT NULL",
        {"since": since, "until": until},
    )
    return shadow_estimate(
        [
            ShadowOutcome(
                float(r["conventional_probability"]),
                float(r["predicted_probability"]),
                bool(r["same_slot"]),
                r["outcome"] == ANSWERED,
            )
            for r in rows
        ]
    )
