"""What became of one callback attempt, from what Asterisk recorded.

The dialplan that dials the customer (``spillway-callback-dial``) writes the
attempt's status into Asterisk's own database (AstDB
``spillway-attempt/<attempt id>``): ``AGENT`` while an agent-first attempt
waits in the queue (``NOAGENT`` if none takes it), ``dialling`` when the
customer's phone starts ringing, ``INTRO`` while an answering customer
hears who is calling (customer first: the attempt still holds its agent),
``ANSWER`` once they are reached (in the queue, or hung up on the
announcement; agent first: the moment they answer), ``NOAGENT`` or ``MACHINE`` when the connect
step finds no agent or an answering machine, else Dial's ``DIALSTATUS``.
:func:`outcome_of` maps that to an :class:`AttemptOutcome`.
"""

from __future__ import annotations

from enum import StrEnum


class AttemptOutcome(StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    CONGESTION = "congestion"
    FAILED = "failed"  # the number could not be dialled (unavailable, cancelled)
    NO_AGENT = "no_agent"  # the customer answered, but no agent was free to take it
    MACHINE = "machine"  # an answering machine (Asterisk's AMD())
    LOST = "lost"  # Asterisk lost the call (restarted mid-dial): status unknown
    NOT_STARTED = "not_started"  # the Originate never reached Asterisk: not an attempt


DIALSTATUS_OUTCOMES = {
    "ANSWER": AttemptOutcome.ANSWERED,
    "NOANSWER": AttemptOutcome.NO_ANSWER,
    "BUSY": AttemptOutcome.BUSY,
    "CONGESTION": AttemptOutcome.CONGESTION,
    "CHANUNAVAIL": AttemptOutcome.FAILED,
    "CANCEL": AttemptOutcome.FAILED,
    "DONTCALL": AttemptOutcome.FAILED,
    "TORTURE": AttemptOutcome.FAILED,
    "INVALIDARGS": AttemptOutcome.FAILED,
    "NOAGENT": AttemptOutcome.NO_AGENT,
    "MACHINE": AttemptOutcome.MACHINE,
}

# Outcomes after which the request is done: the customer was reached.
REACHED = frozenset({AttemptOutcome.ANSWERED})


def outcome_when_gone(status: str | None) -> AttemptOutcome:
    """The outcome of an attempt whose channels are gone while its status says under way.

    A customer who was hearing the announcement (``INTRO``) answered: they
    were reached, even if Asterisk went away before the status said so.
    Anything else was lost with Asterisk.
    """
    if status is not None and status.strip().upper() == "INTRO":
        return AttemptOutcome.ANSWERED
    return AttemptOutcome.LOST


def outcome_of(status: str | None) -> AttemptOutcome | None:
    """The outcome for an AstDB status; None while the attempt is still under way."""
    if status is None:
        return AttemptOutcome.NOT_STARTED
    status = status.strip().upper()
    # Ringing the customer; (agent first) queued for an agent; AMD() still listening;
    # the customer hears the announcement (not yet in the queue: the agent is not yet rung).
    if status in ("DIALLING", "AGENT", "AMD", "INTRO"):
        return None
    return DIALSTATUS_OUTCOMES.get(status, AttemptOutcome.FAILED)
