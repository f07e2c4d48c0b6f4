"""Retention (`spillway gdpr retention`): personal data removed when its period has passed.

Each table of the map (:data:`spillway.personal_data.PERSONAL_DATA`) keeps its
rows for its :class:`~spillway.personal_data.Period`, counted from its
``clock`` column (phone numbers 24 months, call times 12 months by default:
``gdpr.*`` settings); a row that exists only for its parent (a call's
transcript, a request's attempts) goes with the parent too. Attempts are
folded into the anonymous contact aggregates before they go, so the contact
model keeps what it learned. A person on hold (an access request in
progress, `spillway gdpr hold`) is skipped until released. The scheduler
daemon runs :func:`apply_retention` once a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from spillway.aggregates import fold_attempts
from spillway.audit import audit, checked_reason
from spillway.personal_data import PERSONAL_DATA, Erasure, Period, person_where, table
from spillway.phone import phone_forms
from spillway.settings import GdprSettings
from spillway.storage import Row, Store, check_identifier

MONTH_S = 365.25 / 12 * 86400
REASONS_JOINED = "; "  # between the reasons of a hold placed more than once


@dataclass(frozen=True, slots=True)
class Periods:
    """How long each period keeps rows, in seconds."""

    phone_numbers_s: float
    call_times_s: float

    @classmethod
    def from_settings(cls, gdpr: GdprSettings) -> Periods:
        return cls(gdpr.phone_numbers_months * MONTH_S, gdpr.call_times_months * MONTH_S)

    def cutoffs(self, now: float) -> dict[str, float]:
        return {
            f"cut_{Period.PHONE_NUMBERS.value}": now - self.phone_numbers_s,
            f"cut_{Period.CALL_TIMES.value}": now - self.call_times_s,
        }


def expiring_where(name: str, held: tuple[str, ...]) -> tuple[str, dict[str, Any]] | None:
    """A WHERE clause for the rows of ``name`` past their period (or whose owning parent
    row is), none of a held person's; None when the table's rows never expire."""
    own = _expiring(name)
    if own is None:
        return None
    if not held:
        return own, {}
    person, params = person_where(name, held, prefix="held")
    return f"{own} AND NOT COALESCE({person}, 0 = 1)", params


def _expiring(name: str) -> str | None:
    spec = table(name)
    parts = []
    if spec.period is not Period.UNTIL_ERASED and spec.clock:
        parts.append(f"{check_identifier(spec.clock)} < :cut_{spec.period.value}")
    for link in spec.links:
        parent = _expiring(link.parent) if link.owned and link.parent else None
        if parent is not None and link.parent is not None:
            parts.append(
                f"{check_identifier(link.column)} IN (SELECT "
                f"{check_identifier(link.parent_key)} FROM {check_identifier(link.parent)} "
                f"WHERE {parent})"
            )
    return "(" + " OR ".join(parts) + ")" if parts else None


def apply_retention(
    store: Store,
    periods: Periods,
    *,
    now: float,
    dry_run: bool = False,
    actor: str = "retention",
    batch_rows: int | None = None,
) -> dict[str, int]:
    """Remove (or, ``dry_run``, count) the rows past their period; rows per table.

    ``batch_rows``: at most this many rows of each table in this call, so that a
    daemon sharing the database can call it again and again with its other work
    in between, until it removes nothing. A table that filled its batch may have
    more rows to remove, so the tables after it (their parents) wait for a later
    call: a parent row never goes before its children.
    """
    counted: dict[str, int] = {}
    with store.transaction() as tx:
        held = tuple(
            sorted(
                {
                    f
                    for r in tx.query("SELECT phone FROM gdpr_holds")
                    for f in phone_forms(r["phone"])
                }
            )
        )
        for spec in reversed(PERSONAL_DATA):
            found = expiring_where(spec.name, held)
            if found is None:
                continue
            where, params = found
            params |= periods.cutoffs(now)
            name = check_identifier(spec.name)
            if batch_rows is not None and not dry_run:
                # This batch's keys first: the fold and the delete then act on
                # exactly these rows, and the search stops at the first ones found.
                key = check_identifier(spec.key)
                keys = tx.query(
                    f"SELECT {key} AS k FROM {name} WHERE {where} LIMIT {int(batch_rows)}", params
                )
                params = {f"k{i}": r["k"] for i, r in enumerate(keys)}
                where = f"{key} IN ({', '.join(':' + p for p in params) or 'NULL'})"
            if dry_run:
                counted[spec.name] = int(
                    tx.query(f"SELECT count(*) AS n FROM {name} WHERE {where}", params)[0]["n"]
                )
                continue
            if spec.feeds_aggregates:
                fold_attempts(tx, where, params)
            if spec.deletes_rows:
                counted[spec.name] = tx.execute(f"DELETE FROM {name} WHERE {where}", params)
            else:
                sets = ", ".join(
                    f"{check_identifier(c.name)} = NULL"
                    for c in spec.columns
                    if c.erasure is Erasure.BLANK
                )
                counted[spec.name] = tx.execute(f"UPDATE {name} SET {sets} WHERE {where}", params)
            if batch_rows is not None and counted[spec.name] >= batch_rows:
                break
        if not dry_run and any(counted.values()):
            audit(tx, actor=actor, action="retention", rows=counted, now=now)
    if not dry_run and any(counted.values()):
        store.scrub(tuple(t.name for t in PERSONAL_DATA))
    return counted


class Held(StrEnum):
    """What :func:`hold` did."""

    PLACED = "placed"  # the person was not held; now they are
    REASON_ADDED = "reason_added"  # they were already held: the hold stands, with this reason too


def hold(store: Store, e164: str, *, reason: str, actor: str, now: float) -> Held:
    """Keep ``e164``'s data from retention until :func:`release`.

    ``reason`` (e.g. the access request's reference) is checked as a release's is.
    A person already held stays held, and the new reason is kept all the same (a
    second access request must be on record as much as the first): added to the
    hold's reasons and written to the audit log.
    """
    why = checked_reason(reason, e164, action="hold")
    with store.transaction() as tx:
        found = tx.query("SELECT reason FROM gdpr_holds WHERE phone = :p", {"p": e164})
        if not found:
            tx.insert(
                "gdpr_holds", {"phone": e164, "reason": why, "held_at": now, "held_by": actor}
            )
            audit(tx, actor=actor, action="hold", rows={"gdpr_holds": 1}, now=now, reason=why)
            return Held.PLACED
        reasons = [r for r in (found[0]["reason"] or "").split(REASONS_JOINED) if r]
        if why not in reasons:
            tx.execute(
                "UPDATE gdpr_holds SET reason = :r WHERE phone = :p",
                {"r": REASONS_JOINED.join([*reasons, why]), "p": e164},
            )
        audit(tx, actor=actor, action="hold", rows={"gdpr_holds": 1}, now=now, reason=why)
    return Held.REASON_ADDED


def release(store: Store, e164: str, *, reason: str, actor: str, now: float) -> bool:
    """Let retention reach ``e164``'s data again; False if it was not held.

    ``reason`` (why the hold ends) goes into the audit log; an empty one, or one
    holding the number, raises :class:`spillway.errors.InputError` before anything
    changes (:func:`spillway.audit.checked_reason`).
    """
    why = checked_reason(reason, e164)
    with store.transaction() as tx:
        released = tx.execute("DELETE FROM gdpr_holds WHERE phone = :p", {"p": e164})
        if released:
            audit(
                tx,
                actor=actor,
                action="release",
                rows={"gdpr_holds": released},
                now=now,
                reason=why,
            )
    return bool(released)


def holds(store: Store) -> list[Row]:
    return store.query("SELECT * FROM gdpr_holds ORDER BY held_at")
