"""Numbers that opted out of AI timing for good: every request of theirs is a plain callback.

``spillway callbacks optout --ai-timing PHONE`` adds one (``--remove`` takes
it away). Kept as the do-not-call list is, by one :mod:`spillway.number_lists`
class, in E.164 (``ai_timing_optout``), and in the personal-data map, so that
export shows it and ``gdpr forget`` removes it. Intake
(:func:`scheduler.intake.record`) looks a number up here at every door, and
the request then gets ``conventional`` timing with reason ``customer``; so do
the number's requests already open.
"""

from __future__ import annotations

from scheduler.timing.choice import Timing, TimingReason
from spillway.number_lists import AI_TIMING_OPTOUT
from spillway.storage import Transaction

_OPEN = ("pending", "dialling")


def opted_out_of_ai_timing(tx: Transaction, phone: str, *, hash_key: bytes | None = None) -> bool:
    """Whether ``phone`` (E.164) asked never to have its callbacks timed by the model."""
    return AI_TIMING_OPTOUT.holds(tx, phone, hash_key=hash_key)


def add(tx: Transaction, phone: str, *, source: str, now: float, region: str) -> str | None:
    """Opt ``phone`` out of AI timing, its open requests too; its E.164 form (None: no number)."""
    e164 = AI_TIMING_OPTOUT.put(tx, phone, source=source, now=now, region=region)
    if e164 is None:
        return None
    # planned_by NULL: a pending request's next attempt is planned again, by the rule.
    tx.execute(
        "UPDATE callback_requests SET timing = :t, timing_reason = :r, "
        "planned_by = CASE WHEN status = 'pending' THEN NULL ELSE planned_by END "
        "WHERE phone = :p AND status IN (:a, :b)",
        {
            "t": Timing.CONVENTIONAL.value,
            "r": TimingReason.CUSTOMER.value,
            "p": e164,
            "a": _OPEN[0],
            "b": _OPEN[1],
        },
    )
    return e164


def ask_plain(tx: Transaction, request_id: int) -> bool:
    """The customer asked for a plain callback after the request was recorded (a
    menu key after the confirmation, a word to the bot): conventional timing,
    reason ``customer``. False when the request is no longer open."""
    changed = tx.execute(
        "UPDATE callback_requests SET timing = :t, timing_reason = :r, traditional = 1, "
        "planned_by = CASE WHEN status = 'pending' THEN NULL ELSE planned_by END "
        "WHERE id = :id AND status IN (:a, :b)",
        {
            "t": Timing.CONVENTIONAL.value,
            "r": TimingReason.CUSTOMER.value,
            "id": request_id,
            "a": _OPEN[0],
            "b": _OPEN[1],
        },
    )
    return changed > 0


def remove(tx: Transaction, phone: str, *, region: str) -> tuple[str | None, bool]:
    """Take ``phone`` off the list: its E.164 form, and whether it was on it.

    Requests already recorded keep the timing they have: the choice was made
    at their intake; the number's next requests are timed as anyone's.
    """
    return AI_TIMING_OPTOUT.take_off(tx, phone, region=region)
