"""Lists of numbers a customer asked to be on: do not call, and no AI timing.

Both are kept alike: one row per number in E.164 (``phone``, ``source``,
``added_at``), and after an erasure the number's keyed hash in its place
(:func:`spillway.personal_data.keyed_hash`), so the wish outlives the
number. One :class:`NumberList` per table, so that a lookup, an addition or
a removal cannot differ between the two. What a list entry does to a
person's requests (cancel them, time them conventionally) is the caller's:
:func:`scheduler.do_not_call.opt_out`, :mod:`scheduler.timing.optout`.
"""

from __future__ import annotations

from dataclasses import dataclass

from spillway.personal_data import keyed_hash
from spillway.phone import normalise_phone
from spillway.storage import Transaction


@dataclass(frozen=True, slots=True)
class NumberList:
    """The numbers in ``table`` (a name from this module, never from input)."""

    table: str

    def holds(self, tx: Transaction, phone: str, *, hash_key: bytes | None = None) -> bool:
        """Whether ``phone`` (E.164) is on the list: as itself, or (``hash_key``: the
        ``gdpr.hash_key`` secret) as the keyed hash an erasure left in its place."""
        forms = {"p": phone, "h": keyed_hash(phone, hash_key) if hash_key else phone}
        return bool(tx.query(f"SELECT 1 FROM {self.table} WHERE phone IN (:p, :h)", forms))

    def put(
        self, tx: Transaction, phone: str, *, source: str, now: float, region: str
    ) -> str | None:
        """Add ``phone`` (any form ``region`` reads) once; its E.164 form (None: no number)."""
        e164 = normalise_phone(phone, region)
        if e164 is None:
            return None
        tx.execute(
            f"INSERT INTO {self.table} (phone, source, added_at) VALUES (:p, :s, :at) "
            "ON CONFLICT (phone) DO NOTHING",
            {"p": e164, "s": source, "at": now},
        )
        return e164

    def take_off(
        self, tx: Transaction, phone: str, *, region: str, hash_key: bytes | None = None
    ) -> tuple[str | None, bool]:
        """Remove ``phone`` (with ``hash_key``, the keyed hash an erasure left of it too):
        its E.164 form (None: no number), and whether it was on."""
        e164 = normalise_phone(phone, region)
        if e164 is None:
            return None, False
        forms = {"p": e164, "h": keyed_hash(e164, hash_key) if hash_key else e164}
        removed = tx.execute(f"DELETE FROM {self.table} WHERE phone IN (:p, :h)", forms)
        return e164, removed > 0


DO_NOT_CALL = NumberList("do_not_call")
AI_TIMING_OPTOUT = NumberList("ai_timing_optout")
