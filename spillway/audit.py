"""The data-protection audit log: who exported, erased or expired personal data, and when.

It records how many rows each action touched, per table, and never the
number it was about (the log must not itself keep what was erased): an erasure
keeps only the number's keyed hash, so a restore can find and erase them again.
"""

from __future__ import annotations

import getpass
import json
import re
from collections.abc import Mapping

from spillway.errors import InputError
from spillway.phone import phone_forms
from spillway.storage import Row, Store, Transaction

REASON_CHARS = 200


def current_actor() -> str:
    """Who is acting: the login of the user running the command."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def checked_reason(reason: str | None, e164: str, *, action: str = "release") -> str:
    """The admin's reason for an action on ``e164``, fit for the audit log.

    Refuses an empty reason (a hold or a release must say why) and one that holds the
    person's number in any form, spaces and dashes aside: the log outlives
    an erasure, so it must never keep the number.
    """
    text = " ".join((reason or "").split())[:REASON_CHARS]
    if not text:
        raise InputError.worded(f"{action}_needs_reason")  # hold_needs_reason, release_...
    digits = re.sub(r"\D", "", text)
    if any(form.lstrip("+") in digits for form in phone_forms(e164)):
        raise InputError.worded("reason_holds_number")
    return text


def audit(
    tx: Transaction,
    *,
    actor: str,
    action: str,
    rows: Mapping[str, int],
    now: float,
    reason: str | None = None,
    erased_hash: str | None = None,
) -> None:
    """One record; ``erased_hash`` (an erasure's keyed hash of the number) lets a restore
    redo the erasure on an older backup (spillway.erasure_replay)."""
    tx.insert(
        "gdpr_audit",
        {
            "at": now,
            "actor": actor,
            "action": action,
            "rows": sum(rows.values()),
            "detail": json.dumps({k: v for k, v in rows.items() if v}, sort_keys=True),
            "reason": reason,
            "erased_hash": erased_hash,
        },
    )


def entries(store: Store) -> list[dict[str, object]]:
    """Every audit record, oldest first (none when the table does not exist yet)."""
    if "gdpr_audit" not in store.table_counts():  # a database from before the audit log
        return []
    rows = store.query("SELECT * FROM gdpr_audit ORDER BY at")
    # Without its id: a record put back by keep_newer gets a fresh one.
    return [{k: v for k, v in dict(r).items() if k != "id"} for r in rows]


def keep_newer(store: Store, before: list[dict[str, object]]) -> list[dict[str, object]]:
    """After a restore: put back the audit records made after the backup's last one.

    A restore must not erase the record of erasures: they are what an admin
    must redo on the restored data. Returns the records put back.
    """
    newest = store.query("SELECT max(at) AS at FROM gdpr_audit")[0]["at"]
    kept = [e for e in before if newest is None or float(str(e["at"])) > float(newest)]
    with store.transaction() as tx:
        for entry in kept:
            tx.insert("gdpr_audit", entry)
    return kept


def audit_log(store: Store, *, limit: int = 50) -> list[Row]:
    return store.query("SELECT * FROM gdpr_audit ORDER BY id DESC LIMIT :n", {"n": limit})
