"""Erasure (`spillway gdpr forget`): a person's data removed everywhere the map says.

In one transaction, table by table in the reverse order of
:data:`spillway.personal_data.PERSONAL_DATA` (children before their
parents): their open callbacks are cancelled, their attempts are folded into
the anonymous contact aggregates, their rows are deleted, blanked, or (the
do-not-call entry) kept as a keyed hash so they are never called again; the
audit log records who did it and how many rows, without the number. Then
the store scrubs what the deletes left behind (SQLite overwrites deleted
content and truncates its write-ahead log), so the number cannot be read
from the database file either.
"""

from __future__ import annotations

from dataclasses import dataclass

from spillway.aggregates import fold_attempts
from spillway.audit import audit
from spillway.number_lists import DO_NOT_CALL
from spillway.personal_data import PERSONAL_DATA, Erasure, Table, keyed_hash, person_where
from spillway.phone import phone_forms
from spillway.request_problem import erased
from spillway.storage import Store, Transaction, check_identifier


@dataclass(frozen=True, slots=True)
class Erased:
    rows: dict[str, int]  # per table: rows deleted, blanked or hashed
    cancelled: int  # open callbacks cancelled
    # Whether the number stays on the do-not-call list as its keyed hash (kept now, or
    # left by an earlier erasure): only then may the admin be told it is never called.
    do_not_call_kept: bool = False

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def forget(store: Store, e164: str, *, key: bytes, actor: str, now: float) -> Erased:
    """Erase or anonymise everything stored about ``e164`` (see the module's docstring)."""
    forms = phone_forms(e164)
    with store.transaction() as tx:
        where, params = person_where("callback_requests", forms)
        cancelled = tx.execute(
            "UPDATE callback_requests SET status = 'cancelled', closed_at = :now, "
            f"last_error = :why WHERE status IN ('pending', 'dialling') AND {where}",
            {**params, "now": now, "why": erased().stored()},
        )
        rows = {}
        for table in reversed(PERSONAL_DATA):
            rows[table.name] = erase_rows(tx, table, forms, e164=e164, key=key)
        kept = DO_NOT_CALL.holds(tx, e164, hash_key=key)
        hashed = keyed_hash(e164, key)  # a restore of an older backup redoes this by it
        audit(tx, actor=actor, action="forget", rows=rows, now=now, erased_hash=hashed)
    store.scrub(tuple(t.name for t in PERSONAL_DATA))
    return Erased(rows, cancelled, kept)


def erase_rows(
    tx: Transaction, table: Table, forms: tuple[str, ...], *, e164: str, key: bytes
) -> int:
    """Apply ``table``'s erasure to the person's rows in it; how many rows it touched."""
    where, params = person_where(table.name, forms)
    name = check_identifier(table.name)
    if table.feeds_aggregates:
        fold_attempts(tx, where, params)
    if table.deletes_rows:
        return tx.execute(f"DELETE FROM {name} WHERE {where}", params)
    hashed = [c.name for c in table.columns if c.erasure is Erasure.KEYED_HASH]
    blanked = [c.name for c in table.columns if c.erasure is Erasure.BLANK]
    if not hashed:
        sets = ", ".join(f"{check_identifier(c)} = NULL" for c in blanked)
        return tx.execute(f"UPDATE {name} SET {sets} WHERE {where}", params)
    # A keyed column may be the key (do_not_call.phone): the row is written again
    # under its hash, and one already there (an earlier erasure) is kept.
    found = tx.query(f"SELECT * FROM {name} WHERE {where}", params)
    tx.execute(f"DELETE FROM {name} WHERE {where}", params)
    for row in found:
        row.update({c: keyed_hash(e164, key) for c in hashed})
        row.update({c: None for c in blanked})
        cols = [check_identifier(c) for c in row]
        tx.execute(
            f"INSERT INTO {name} ({', '.join(cols)}) VALUES "
            f"({', '.join(':' + c for c in cols)}) ON CONFLICT DO NOTHING",
            row,
        )
    return len(found)
