"""Forgetting a person everywhere Spillway keeps them: the database and the callback spool.

One call for every door that erases (`spillway gdpr forget`, the console's
data-protection page): :func:`spillway.erasure.forget` over the store, then
the callback spool files that hold their number (:func:`scheduler.spool.forget_spooled`),
so no door erases less than another.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialplan.spool import callback_spool
from scheduler.spool import forget_spooled
from spillway.erasure import Erased, forget
from spillway.phone import phone_forms
from spillway.settings import Settings
from spillway.storage import Store


@dataclass(frozen=True, slots=True)
class Forgotten:
    erased: Erased
    spool_files: int  # callback spool files removed

    @property
    def counts(self) -> dict[str, int]:
        """What went, per table (and the spool), only where something did."""
        found = {**self.erased.rows, "callback spool files": self.spool_files}
        return {name: n for name, n in found.items() if n}


def forget_everywhere(
    store: Store, e164: str, settings: Settings, *, actor: str, now: float
) -> Forgotten:
    """Erase ``e164`` from the store and the spool; ``actor`` goes into the audit log.

    Raises :class:`spillway.errors.ConfigError` when ``gdpr.hash_key`` is not set
    (the do-not-call entry could not be kept as a keyed hash).
    """
    key = settings.gdpr.require_hash_key()
    erased = forget(store, e164, key=key, actor=actor, now=now)
    spooled = forget_spooled(callback_spool(settings).local, phone_forms(e164))
    return Forgotten(erased, spooled)
