"""Why a callback request closes without contact: its final status and the problem it keeps.

The dialer closes a request when a rule refuses it for good (out of attempts,
expired, on the do-not-call list) or when its policy finds no allowed time
left; ``last_error`` keeps why, as a code and its values
(:mod:`spillway.request_problem`). The simulator closes its requests by the same
functions, so a simulated request given up says why as a real one does.
"""

from __future__ import annotations

from scheduler.requests import RequestStatus
from scheduler.rules import Refusal, Rule
from scheduler.timing.plan_reason import NO_TIME, PlanReason
from scheduler.timing.policy import Plan
from spillway import request_problem as problem


def closing_status(why: Refusal) -> RequestStatus:
    """The final status of a request a rule refuses for good, as intake would record it."""
    if why.rule is Rule.DO_NOT_CALL:
        return RequestStatus.CANCELLED
    if why.rule is Rule.DESTINATION:
        return RequestStatus.INVALID_NUMBER
    return RequestStatus.UNREACHED


def closing_problem(why: Refusal, phone: str, allowed: frozenset[str]) -> problem.Problem:
    """Why a rule closed a request, as ``last_error`` keeps it (``allowed``: the countries
    callbacks dial); a rule that closes none left no allowed time before the expiry, kept
    with the rule that refused (the admin reads which one: the customer's window, a cap)."""
    values = dict(why.values)
    if why.rule is Rule.DO_NOT_CALL:
        return problem.do_not_call()
    if why.rule is Rule.DESTINATION:
        return problem.destination(phone, allowed)
    if why.rule is Rule.MAX_ATTEMPTS:
        return problem.max_attempts(int(values["made"]), int(values["most"]))
    if why.rule is Rule.EXPIRED:
        return problem.expired()
    return problem.rule_left_no_time(why.key, values)


def no_time(plan: Plan) -> problem.Problem | str:
    """A plan with no time left, as ``last_error`` keeps it (another policy's own reason
    as its words)."""
    why = plan.reason
    return problem.no_time() if isinstance(why, PlanReason) and why.code == NO_TIME else str(why)
