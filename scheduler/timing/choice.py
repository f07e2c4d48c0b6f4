"""Which timing a callback request gets, decided once at intake (pure).

Every door records a request through :func:`scheduler.intake.record`,
which asks :func:`choose_timing` and stores the answer on the request
(``timing``, ``timing_reason``). In order:

1. the customer asked for a plain callback (by voice, a menu key, the API's
   ``timing: conventional``, a CSV column) or opted out of AI timing for
   good (``spillway callbacks optout --ai-timing``): ``conventional``,
   reason ``customer``, always, pilot or not;
2. a pilot is on (``callbacks.pilot.share_predicted``) and covers the
   request's queue: ``predicted`` or ``conventional``, reason ``pilot``,
   drawn from a hash of the request id (random per request, the same every
   time it is asked, with no generator state to lose in a restart);
3. otherwise ``callbacks.policy``, reason ``policy``.

The dialer plans each request by its stored timing (:func:`planned_timing`);
old rows without one follow ``callbacks.policy``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from spillway.settings import Settings


class Timing(StrEnum):
    """How a request's calls are timed."""

    PREDICTED = "predicted"  # the contact model picks the hour (inside the rules)
    CONVENTIONAL = "conventional"  # as soon as the rules allow, then a fixed back-off


class TimingReason(StrEnum):
    """Why a request has its timing."""

    POLICY = "policy"  # callbacks.policy
    PILOT = "pilot"  # the pilot split drew it
    CUSTOMER = "customer"  # the customer asked for a plain callback, or opted out for good


# The configured policy's name (callbacks.policy) for each timing.
POLICY_TIMING: dict[str, Timing] = {
    "predicted": Timing.PREDICTED,
    "traditional": Timing.CONVENTIONAL,
    # Shadow mode dials the conventional plan (the predicted one is only logged).
    "shadow": Timing.CONVENTIONAL,
}
# Salt of the pilot's hash: a pilot's draw never equals any other hash of the id.
_PILOT_SALT = b"spillway-pilot-split:"


@dataclass(frozen=True, slots=True)
class TimingConfig:
    """What intake needs of the settings to choose a request's timing."""

    policy: Timing = Timing.PREDICTED
    share_predicted: float | None = None  # None: no pilot
    pilot_queues: tuple[str, ...] = ()  # empty: every queue
    default_queue: str = ""  # a request's queue when it names none

    @classmethod
    def from_settings(cls, settings: Settings) -> TimingConfig:
        callbacks = settings.callbacks
        return cls(
            policy=POLICY_TIMING[callbacks.policy],
            share_predicted=callbacks.pilot.share_predicted,
            pilot_queues=tuple(callbacks.pilot.queues),
            default_queue=settings.queue.name,
        )


@dataclass(frozen=True, slots=True)
class TimingChoice:
    timing: Timing
    reason: TimingReason


def asks_conventional(value: str | None) -> bool:
    """A door's ``timing`` field (API, CSV): ``conventional`` asks for a plain callback;
    empty leaves it to intake. Anything else is a ValueError that says what is accepted
    (a customer may refuse the prediction, not order it)."""
    text = (value or "").strip().lower()
    if text == Timing.CONVENTIONAL.value:
        return True
    if not text:
        return False
    raise ValueError(
        f"timing {value!r}: expected 'conventional' (a plain callback) or nothing "
        "(callbacks.policy or the pilot decide)"
    )


def pilot_draw(request_id: int) -> float:
    """A number in [0, 1) fixed by the request id: uniform over ids, reproducible."""
    digest = hashlib.sha256(_PILOT_SALT + str(int(request_id)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def request_queue(context: Mapping[str, Any], segment: str | None, default_queue: str) -> str:
    """The queue or team a request belongs to: the door's ``queue``, its segment, or the default."""
    queue = context.get("queue")
    if isinstance(queue, str) and queue:
        return queue
    return segment or default_queue


def in_pilot(config: TimingConfig, queue: str) -> bool:
    """Whether a pilot is on and covers ``queue``."""
    if config.share_predicted is None:
        return False
    return not config.pilot_queues or queue in config.pilot_queues


def choose_timing(
    config: TimingConfig, *, request_id: int, customer_asked: bool, queue: str
) -> TimingChoice:
    """The timing of a new request (see the module's docstring for the order)."""
    if customer_asked:
        return TimingChoice(Timing.CONVENTIONAL, TimingReason.CUSTOMER)
    if config.share_predicted is not None and in_pilot(config, queue):
        predicted = pilot_draw(request_id) < config.share_predicted
        return TimingChoice(
            Timing.PREDICTED if predicted else Timing.CONVENTIONAL, TimingReason.PILOT
        )
    return TimingChoice(config.policy, TimingReason.POLICY)


def policy_word(policy: str) -> str:
    """The one word a user sees for a policy's stored name (a request's ``planned_by``, an
    attempt's ``policy``, ``callbacks.policy``): the rule-based timing is ``conventional``
    wherever it is shown, though the rows and the configuration call it ``traditional``;
    a name that is no timing (a simulated oracle's) is shown as it is."""
    timing = POLICY_TIMING.get(policy)
    return policy if timing is None or policy == "shadow" else timing.value


def predicted_chance(policy: str | None, chance: float | None) -> float | None:
    """The chance of an answer a plan's policy predicted for its hour, as shown beside an
    attempt or a plan (``chance``: as stored, ``callback_attempts.chance``): None for
    conventional timing, which predicts none. Never the attempt's ``pick_share``: how
    often the policy picks an hour is no chance of an answer (the conventional rule's
    is 1.0, a rule that always picks its hour)."""
    if policy is not None and POLICY_TIMING.get(policy) == Timing.CONVENTIONAL:
        return None
    return chance


def planned_timing(timing: str | None, *, traditional: bool, policy: str) -> Timing:
    """The timing the dialer plans a stored request by.

    ``timing`` as stored (None on rows from before it was); ``traditional``
    the older flag of a customer's plain callback; ``policy`` callbacks.policy.
    """
    if traditional or timing == Timing.CONVENTIONAL.value:
        return Timing.CONVENTIONAL
    if timing == Timing.PREDICTED.value:
        return Timing.PREDICTED
    return POLICY_TIMING.get(policy, Timing.PREDICTED)
