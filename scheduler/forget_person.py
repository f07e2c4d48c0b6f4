"""Forgetting a person everywhere Spillway keeps them: the database and the callback spool.

One call for every door that erases (`spillway gdpr forget`, the console's
data-protection page): :func:`spillway.erasure.forget` over the store, then
the callback spool files that hold their number (:func:`scheduler.spool.forget_spooled`),
so no door erases less than another. Before it, :func:`preview_forget` says what
would go and whether an access request holds the number, for the question asked first.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialplan.spool import callback_spool
from scheduler.spool import forget_spooled
from scheduler.subject_access import person_rows
from spillway.erasure import Erased, forget
from spillway.phone import phone_forms
from spillway.settings import Settings
from spillway.storage import Row, Store


@dataclass(frozen=True, slots=True)
class ForgetPreview:
    """What `gdpr forget` would erase, said before it asks."""

    rows: dict[str, int]  # per table, the rows `gdpr export` finds: only tables with some
    hold: Row | None  # the access-request hold on the number (`gdpr hold`), if placed

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def preview_forget(store: Store, e164: str) -> ForgetPreview:
    """The rows :func:`forget_everywhere` would erase for ``e164``, counted the way the
    subject-access export finds them, and its hold: erasure deletes the hold too."""
    found = person_rows(store, e164)
    held = found.get("gdpr_holds") or []
    rows = {name: len(table) for name, table in found.items() if table}
    return ForgetPreview(rows, held[0] if held else None)


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
