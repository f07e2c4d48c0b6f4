"""Forgetting a person everywhere Spillway keeps them: the database and the callback spool.

One call for every door that erases (`spillway gdpr forget`, the console's
data-protection page): :func:`spillway.erasure.forget` over the store, then
the callback spool files that hold their number (:func:`scheduler.spool.forget_spooled`),
so no door erases less than another. Before it, :func:`preview_forget` says what
would go and whether an access request holds the number, for the question asked first.

A held number (`gdpr hold`: an access request in progress) is refused here, not in
each door, with :class:`OnHold`: erasing would destroy what the answer must contain.
A door that means it passes the admin's reason as ``release_hold``: the hold is then
released first, so the audit log keeps ``release`` and why, and then erased.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialplan.spool import callback_spool
from scheduler.spool import forget_spooled
from scheduler.subject_access import person_rows
from spillway.audit import checked_reason
from spillway.erasure import Erased, forget
from spillway.errors import InputError
from spillway.phone import phone_forms
from spillway.retention import release
from spillway.settings import Settings
from spillway.storage import Row, Store
from spillway.wording import Wording

# The spool's entry in :attr:`Forgotten.counts`, beside the tables: files, not rows.
SPOOL_FILES = "callback_spool_files"


class OnHold(InputError):
    """The number is on hold (an access request in progress): not erased without a
    reason to release the hold. ``hold`` is the hold's row: since when, by whom, why."""

    def __init__(self, hold: Row) -> None:
        code = f"{InputError.code}.on_hold"  # a stable code: errors.input.on_hold
        hinted = Wording(f"hints.{code}")
        super().__init__(Wording(f"errors.{code}"), hint=hinted, code=code)
        self.hold = hold


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
        """What went, per table (and the spool), only where something did; the keys are
        the packs' ``table.*`` words (``callback_spool_files`` the spool's), so every door
        says them in the reader's language."""
        found = {**self.erased.rows, SPOOL_FILES: self.spool_files}
        return {name: n for name, n in found.items() if n}


def forget_everywhere(
    store: Store,
    e164: str,
    settings: Settings,
    *,
    actor: str,
    now: float,
    release_hold: str | None = None,
) -> Forgotten:
    """Erase ``e164`` from the store and the spool; ``actor`` goes into the audit log.

    A held number raises :class:`OnHold` unless ``release_hold`` says why the hold
    ends: then it is released first (audited as ``release`` with that reason), since
    the erasure would delete the hold row without a word. Raises
    :class:`spillway.errors.InputError` for a reason that is empty or holds the number,
    and :class:`spillway.errors.ConfigError` when ``gdpr.hash_key`` is not set (the
    do-not-call entry could not be kept as a keyed hash); nothing is erased then.
    """
    key = settings.gdpr.require_hash_key()
    why = None if release_hold is None else checked_reason(release_hold, e164)
    held = store.query("SELECT * FROM gdpr_holds WHERE phone = :p", {"p": e164})
    if held and why is None:
        raise OnHold(held[0])
    if held and why is not None:
        release(store, e164, reason=why, actor=actor, now=now)
    erased = forget(store, e164, key=key, actor=actor, now=now)
    spooled = forget_spooled(callback_spool(settings).local, phone_forms(e164))
    return Forgotten(erased, spooled)
