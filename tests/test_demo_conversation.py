"""The demo's conversation step: seeds the shop and resolves a known caller's question.

Rasa is pointed at a closed port so the in-process fallback answers (the
demo itself runs with the Rasa service up; see `spillway demo`).
"""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from cli.demo import demo_conversation
from dialplan.sandbox import free_port
from spillway.storage import SqliteStore
from tests.conftest import make_settings


async def test_demo_conversation_resolves_the_parcel_question(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    settings = make_settings(
        storage={"sqlite_path": str(db)},
        nlu={"rasa_url": f"http://127.0.0.1:{free_port()}"},
    )
    out = io.StringIO()
    assert await demo_conversation(settings, Console(file=out, width=200)) is True
    text = out.getvalue()
    assert "order_status" in text and "GLS" in text, text
    # The 17-digit tracking number, read in groups of 3-4 (offered by SMS first).
    assert "0 0 3 4, 0 4 3 4, 1 6 1, 0 9 4, 0 4 2" in text, text
    assert "conversation outcome: resolved" in text
    # Seeding is idempotent: a second demo run finds the same shop, not a doubled one.
    counts = _counts(db)
    assert await demo_conversation(settings, Console(file=io.StringIO())) is True
    assert _counts(db) == counts and counts["orders"] >= 5, counts


def _counts(db: Path) -> dict[str, int]:
    store = SqliteStore(db)
    try:
        return {
            t: store.query(f"SELECT count(*) AS n FROM {t}")[0]["n"]
            for t in ("orders", "products", "customers")
        }
    finally:
        store.close()
