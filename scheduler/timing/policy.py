"""When to call: the policy interface, and the conventional rule that is always there.

A policy only proposes a time; the hard rules (:mod:`scheduler.rules`) always
decide whether it may be dialled. The conventional rule is what call centres
do without prediction: call as soon as the rules allow, and after a failed
attempt try again after a fixed back-off. It is the fallback whenever a
predicting policy is missing, stale or fails, and it is what customers who
asked for a traditional callback get.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from scheduler.outcomes import AttemptOutcome
from scheduler.rules import CallingRules, RequestFacts, next_allowed
from scheduler.timing import plan_reason
from scheduler.timing.plan_reason import PlanReason


@dataclass(frozen=True, slots=True)
class ShadowPlan:
    """Shadow mode: the predicted plan that was not used, beside the one that was.

    ``*_probability``: the contact model's P(answer) in each plan's hour of the
    week (its mean, not a Thompson draw); ``propensity``: the share of draws
    with which the predicted policy chose its moment.
    """

    predicted_at: float
    predicted_probability: float
    conventional_probability: float
    propensity: float | None
    same_slot: bool  # both plans fall in the same local hour


@dataclass(frozen=True, slots=True)
class Plan:
    """The next attempt: when, how often the policy's draws pick it, the chance of an
    answer then, and why.

    ``pick_share`` is the policy's propensity (offline evaluation and the shadow report
    weigh by it): 1.0 for a rule that always picks its moment. It is no chance of an
    answer: a hour the model is sure of is picked by nearly every draw, whatever its
    chance. ``chance`` is the model's P(answer) in the planned hour (None: the policy
    predicts none, as the conventional rule).
    """

    at: float | None  # None: no attempt is possible any more
    policy: str
    pick_share: float | None = None
    reason: PlanReason | str = ""  # a PlanReason: stored as its code and values
    shadow: ShadowPlan | None = None  # shadow mode only: the plan logged beside this one
    chance: float | None = None


class Policy(Protocol):
    """Picks the next attempt time for a request inside the hard rules."""

    @property
    def name(self) -> str: ...

    def plan(
        self, facts: RequestFacts, now: float, last: AttemptOutcome | None, rules: CallingRules
    ) -> Plan: ...


@dataclass(frozen=True, slots=True)
class ConventionalPolicy:
    """As soon as the rules allow; after a failed attempt, a fixed back-off first."""

    retry_backoff_s: float = 2 * 3600.0
    name: str = "traditional"

    def plan(
        self, facts: RequestFacts, now: float, last: AttemptOutcome | None, rules: CallingRules
    ) -> Plan:
        earliest = now if last is None else now + self.retry_backoff_s
        at = next_allowed(rules, facts, earliest)
        if at is None:
            return Plan(None, self.name, 1.0, plan_reason.no_time())
        why = plan_reason.first() if last is None else plan_reason.retry(last.value)
        return Plan(at, self.name, 1.0, why)


@dataclass
class FallbackPolicy:
    """``inner``, with ``fallback`` for any request it fails on (``on_failure`` is told why).

    The one fallback mechanism: the dialer's (which logs and counts) and the
    simulator's use it.
    """

    inner: Policy
    fallback: Policy
    on_failure: Callable[[Exception], None] = lambda _exc: None

    @property
    def name(self) -> str:
        return self.inner.name

    def plan(
        self, facts: RequestFacts, now: float, last: AttemptOutcome | None, rules: CallingRules
    ) -> Plan:
        try:
            return self.inner.plan(facts, now, last, rules)
        except Exception as exc:  # the prediction failed: the conventional rule, for this one
            self.on_failure(exc)
            return self.fallback.plan(facts, now, last, rules)
