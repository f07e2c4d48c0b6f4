"""Offline evaluation: what another policy would have achieved, from logged decisions alone.

Every plan is logged with how often its policy picks it (its pick share)
(:class:`scheduler.timing.policy.Plan`). Inverse propensity scoring re-weights the
logged first attempts that a target policy would have chosen the same way:
an unbiased estimate of the target's first-attempt contact rate, without
dialling anyone. `spillway simulate --replay` checks the estimate against
the target's own simulated run.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.rules import CallingRules
from scheduler.simulation.simulator import SimRun
from scheduler.timing.policy import Policy

SAME_CHOICE_S = 1.0  # two plans for the same moment (both pick the same candidate hour)


@dataclass(frozen=True, slots=True)
class IpsEstimate:
    decisions: int  # logged first-attempt decisions
    matched: int  # of which the target would have made the same choice
    ips: float  # inverse propensity estimate of the target's first-attempt contact rate
    snips: float | None  # the self-normalised estimate (lower variance, slightly biased)


def ips_first_attempt(run: SimRun, target: Policy, rules: CallingRules) -> IpsEstimate:
    """Estimate ``target``'s first-attempt contact rate from ``run``'s logged decisions."""
    answered = {a.request for a in run.attempts if a.attempt_no == 1 and a.answered}
    total = weight_sum = weighted = 0.0
    matched = 0
    for decision in run.decisions:
        if decision.last is not None or decision.plan.at is None:
            continue
        total += 1
        propensity = decision.plan.pick_share or 1.0
        choice = target.plan(decision.facts, decision.now, None, rules)
        if choice.at is None or abs(choice.at - decision.plan.at) > SAME_CHOICE_S:
            continue
        matched += 1
        weight = 1.0 / propensity
        weight_sum += weight
        weighted += weight * (decision.request in answered)
    return IpsEstimate(
        int(total),
        matched,
        round(weighted / total, 4) if total else 0.0,
        round(weighted / weight_sum, 4) if weight_sum else None,
    )
