"""The data-protection audit log: who exported, erased or expired personal data, and when.

It records how many rows each action touched, per table, and never the
number it was about (the log must not itself keep what was erased).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Mapping

from spillway.storage import Row, Store, Transaction


def current_actor() -> str:
    """Who is acting: the login of the user running the command."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def audit(tx: Transaction, *, actor: str, action: str, rows: Mapping[str, int], now: float) -> None:
    tx.insert(
        "gdpr_audit",
        {
            "at": now,
            "actor": actor,
            "action": action,
            "rows": sum(rows.values()),
            "detail": json.dumps({k: v for k, v in rows.items() if v}, sort_keys=True),
        },
    )


def audit_log(store: Store, *, limit: int = 50) -> list[Row]:
    return store.query("SELECT * FROM gdpr_audit ORDER BY id DESC LIMIT :n", {"n": limit})
