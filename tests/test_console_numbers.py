"""What a Danish team lead met on a fifth walk through the console, fixed: counts,
percentages and durations are written as the reader's language writes numbers (Danish
"1.234" and "12,5 %", English "1,234" and "12.5%"), on every page, by the pack's
``format`` marks (:meth:`spillway.console_text.ConsoleText.number`).

The shop below is hand-counted: :data:`REQUESTS` pending callback requests made a minute
ago, one call whose one turn took :data:`TURN_MS` ms, a scheduler node that has dialled
:data:`DIALLED` numbers and an erasure of :data:`ERASED` rows.
"""

from __future__ import annotations

import json
import time

import pytest

from scheduler.timing.explain import CallHistory, history_words
from spillway.console_text import load_console_text
from spillway.language_pack import load_pack
from spillway.storage import AsyncStore, SqliteStore
from tests.console_fixtures import console_pages, console_settings

REQUESTS = 1234
TURN_MS = 1234
DIALLED = 12345
ERASED = 2345

# Each count above as each language writes it.
WRITTEN = {
    "da": {REQUESTS: "1.234", DIALLED: "12.345", ERASED: "2.345"},
    "en": {REQUESTS: "1,234", DIALLED: "12,345", ERASED: "2,345"},
}


@pytest.mark.parametrize(
    ("code", "number", "decimal", "percent", "rows", "days", "length"),
    [
        ("da", "1.234", "1.234,5", "12,5 %", "1.234 rækker", "1.234 døgn", "1.234 t. 5 min."),
        ("en", "1,234", "1,234.5", "12.5%", "1,234 rows", "1,234 d", "1,234 h 05 min"),
    ],
)
def test_numbers_are_written_with_the_language_s_marks(
    code: str, number: str, decimal: str, percent: str, rows: str, days: str, length: str
) -> None:
    text = load_console_text(code)
    assert text.number(1234) == number
    assert text.number(1234.5, 1) == decimal
    assert text.percent(0.125, 1) == percent
    assert text.count("count.rows", 1234) == rows
    assert text.duration(1234 * 86400) == days
    assert text.call_length(1234 * 3600 + 5 * 60) == length
    # Money keeps its two decimals and the currency's place.
    assert text.money(1234.5, "DKK") in ("1.234,50 DKK", "DKK 1,234.50")


def _big_shop(store: SqliteStore, now: float) -> None:
    """The hand-counted shop of the module's docstring."""
    with store.transaction() as tx:
        for rid in range(1, REQUESTS + 1):
            tx.insert(
                "callback_requests",
                {
                    "id": rid,
                    "phone": f"+4520{rid:06d}",
                    "source": "api",
                    "status": "pending",
                    "created_at": now - 60,
                    "not_before": now + 600,
                    "attempts": 0,
                    "timezone": "Europe/Copenhagen",
                },
            )
        start = now - 600
        tx.insert(
            "calls",
            {
                "call_id": "long-turn",
                "caller": "+4530100000",
                "started_at": start,
                "ended_at": start + 120,
                "stage": "ended",
                "intent": "order_status",
                "outcome": "resolved",
            },
        )
        for kind, at, data in (
            ("endpoint", 10.0, {}),
            ("stage", 10.1, {"stage": "recognised", "text": "where is my parcel"}),
            ("stage", 10.2, {"stage": "understood", "intent": "order_status"}),
            ("first_audio", 10.0 + TURN_MS / 1000, {}),
        ):
            tx.insert(
                "call_events",
                {"call_id": "long-turn", "at": start + at, "kind": kind, "data": json.dumps(data)},
            )
        tx.insert(
            "scheduler_nodes",
            {
                "node": "node-a",
                "started_at": now - 3600,
                "heartbeat_at": now - 1,
                "dialled": DIALLED,
            },
        )
        tx.insert(
            "gdpr_audit",
            {
                "at": now - 60,
                "actor": "ada",
                "action": "erase",
                "rows": ERASED,
                "detail": json.dumps({"calls": ERASED}),
            },
        )


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("code", ["da", "en"])
async def test_every_page_writes_counts_above_999_in_the_reader_s_language(
    store: SqliteStore, code: str
) -> None:
    _big_shop(store, time.time())
    db = AsyncStore(store)
    paths = ["/?window=7d", "/requests", "/live", "/health", "/data-protection", "/calls/long-turn"]
    try:
        pages = await console_pages(console_settings(code), db, paths)
    finally:
        db.close()
    written = WRITTEN[code]
    overview = pages["/?window=7d"]
    assert f'data-kpi="requests">{written[REQUESTS]}<' in overview
    assert f'data-kpi="pending">{written[REQUESTS]}<' in overview
    # The one turn is the median and the 95th percentile: ms, grouped as a count.
    assert f'data-kpi="turn_latency_p50">{written[TURN_MS]}<' in overview
    said = load_console_text(code).count("callbacks.all", REQUESTS)
    assert written[REQUESTS] in said and said in pages["/requests"]
    assert f"<td>{written[DIALLED]}</td>" in pages["/live"]
    assert written[DIALLED] in pages["/health"].split('id="checks"')[1]
    audit = pages["/data-protection"].split('id="audit"')[1]
    assert f"<td>{written[ERASED]}</td>" in audit and f": {written[ERASED]}</td>" in audit
    turns = pages["/calls/long-turn"].split('id="turns"')[1].split("</table>")[0]
    assert f"<td>{written[TURN_MS]}</td>" in turns
    assert f">{REQUESTS}<" not in overview and f">{DIALLED}<" not in pages["/live"]


@pytest.mark.parametrize(
    ("code", "calls", "other", "answered"),
    [("da", "1.234", "1.231", "1.001"), ("en", "1,234", "1,231", "1,001")],
)
def test_a_request_s_explanation_counts_calls_in_the_reader_s_language(
    code: str, calls: str, other: str, answered: str
) -> None:
    """The request page's factors ("Opkald til dette nummer indtil nu: 1.234 (...)"):
    1,234 calls to the number, 3 for this request, 1,001 answered."""
    pack = load_pack(code)
    said = history_words(CallHistory(own=3, calls=1234, answered=1001), learned=True, pack=pack)
    expected = pack.say(
        "explain_history_calls", calls=calls, own="3", other=other, answered=answered
    )
    assert said.startswith(expected), said
