"""After a restore: the erasures made since the backup, done again on the restored data.

A backup taken before `spillway gdpr forget` still holds the person; restoring it
brings them back as a pending callback the dialer would dial. The audit log's
records made after the backup survive the restore (:func:`spillway.audit.keep_newer`),
and since schema v25 an erasure's record keeps the erased number's keyed hash
(``gdpr_audit.erased_hash``, never the number). :func:`replay_erasures` finds each of
those people among the restored numbers by that hash and erases them again
(:func:`spillway.erasure.forget`), before the restore returns.

A new, empty database has no such records: :func:`read_erasure_log` reads them (and the
do-not-call list) from another SQLite file, the old live database or a later backup,
for `spillway db restore --erasures-from`.

Where it cannot (a record from before v25 has no hash; no ``gdpr.hash_key`` to
compute one), it still keeps them from being dialled as far as it can: the
do-not-call list as it was before the restore is put back (an erasure leaves a
number that was on it as its keyed hash), and every restored open request whose
number the list holds, by itself or by hash, is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from spillway import audit
from spillway.erasure import forget
from spillway.number_lists import DO_NOT_CALL
from spillway.personal_data import PERSONAL_DATA, keyed_hash
from spillway.request_problem import do_not_call
from spillway.storage import Row, SqliteStore, Store, check_identifier

OPEN = ("pending", "dialling")


@dataclass(frozen=True, slots=True)
class Replayed:
    """What a restore did about the erasures made after its backup."""

    erased_again: int  # people the backup held, found by their hash and erased again
    absent: int  # erasures of people the backup does not hold: nothing to redo
    unidentified: int  # erasures without a hash to match (older records, no key)
    blocked: int  # do-not-call entries from before the restore put back
    cancelled: int  # restored open requests of people left on the list, cancelled


@dataclass(frozen=True, slots=True)
class ErasureLog:
    """What a restore carries over from the database it replaces (or another one)."""

    entries: list[dict[str, object]]  # the audit records, oldest first
    marks: list[Row]  # the do-not-call list


def read_erasure_log(path: Path) -> ErasureLog:
    """The audit records and do-not-call list of the SQLite database in ``path``: copied
    into memory read-only, so nothing is written beside the admin's file."""
    copy = SqliteStore(Path(":memory:"))
    try:
        copy.restore(path)  # read-only, integrity-checked (spillway.storage.backup_uri)
        return ErasureLog(audit.entries(copy), do_not_call_rows(copy))
    finally:
        copy.close()


def merged(*logs: ErasureLog) -> ErasureLog:
    """Several databases' logs as one: each audit record once, oldest first."""
    seen: dict[tuple[object, ...], dict[str, object]] = {}
    for log in logs:
        for e in log.entries:
            seen.setdefault((e.get("at"), e.get("actor"), e.get("action"), e.get("erased_hash")), e)
    entries = sorted(seen.values(), key=lambda e: float(str(e["at"])))
    # A do-not-call entry twice is put back once (ON CONFLICT in _block).
    return ErasureLog(entries, [m for log in logs for m in log.marks])


def do_not_call_rows(store: Store) -> list[Row]:
    """The do-not-call list as it is now, to put back after a restore (none before the
    table exists)."""
    if DO_NOT_CALL.table not in store.table_counts():
        return []
    return store.query(f"SELECT * FROM {check_identifier(DO_NOT_CALL.table)}")


def numbers_held(store: Store) -> set[str]:
    """Every E.164 number the personal-data tables hold directly (their phone links)."""
    found: set[str] = set()
    for table in PERSONAL_DATA:
        for link in table.links:
            if link.parent is not None:
                continue  # rows reached through a parent are found through its number
            col, name = check_identifier(link.column), check_identifier(table.name)
            rows = store.values(f"SELECT DISTINCT {col} FROM {name} WHERE {col} LIKE '+%'")
            found.update(str(value) for (value,) in rows)
    return found


def replay_erasures(
    store: Store,
    kept: list[dict[str, object]],
    marks: list[Row],
    *,
    key: bytes | None,
    actor: str,
    now: float,
) -> Replayed:
    """Redo on the restored ``store`` the erasures among ``kept`` (the audit records the
    restore put back), then put back ``marks`` (the do-not-call rows from before it) and
    cancel the open requests the list now refuses (see the module's docstring)."""
    forgets = [e for e in kept if e.get("action") == "forget"]
    hashes = {str(e["erased_hash"]) for e in forgets if e.get("erased_hash")}
    unidentified = len(forgets) - len(hashes) if key else len(forgets)
    erased_again = absent = 0
    if key is not None and hashes:
        by_hash = {keyed_hash(number, key): number for number in numbers_held(store)}
        for hashed in sorted(hashes):
            if hashed not in by_hash:
                absent += 1
                continue
            # Their restored requests go with the rest of their data.
            forget(store, by_hash[hashed], key=key, actor=actor, now=now)
            erased_again += 1
    blocked, refused = _block(store, marks, key=key, now=now)
    return Replayed(erased_again, absent, unidentified, blocked, refused)


def _block(store: Store, marks: list[Row], *, key: bytes | None, now: float) -> tuple[int, int]:
    """Put ``marks`` back on the do-not-call list and cancel the open requests it holds
    (by number or by an erasure's hash): the entries put back, the requests cancelled."""
    table = check_identifier(DO_NOT_CALL.table)
    with store.transaction() as tx:
        blocked = 0
        for row in marks:
            blocked += tx.execute(
                f"INSERT INTO {table} (phone, source, added_at) VALUES (:phone, :source, "
                ":added_at) ON CONFLICT (phone) DO NOTHING",
                {k: row[k] for k in ("phone", "source", "added_at")},
            )
        phones = tx.query(
            "SELECT DISTINCT phone FROM callback_requests WHERE status IN (:a, :b)",
            dict(zip(("a", "b"), OPEN, strict=True)),
        )
        refused = 0
        for (phone,) in (tuple(r.values()) for r in phones):
            if DO_NOT_CALL.holds(tx, str(phone), hash_key=key):
                refused += tx.execute(
                    "UPDATE callback_requests SET status = 'cancelled', closed_at = :now, "
                    "last_error = :why WHERE phone = :p AND status IN (:a, :b)",
                    {
                        "now": now,
                        "why": do_not_call().stored(),
                        "p": phone,
                        "a": OPEN[0],
                        "b": OPEN[1],
                    },
                )
    return blocked, refused
