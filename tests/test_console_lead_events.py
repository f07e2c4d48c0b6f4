"""What a Danish team lead met on a fifth walk through the console, fixed: a call's
events showed their stored data (``elapsed_ms: 125000``, ``barged: True``, ``by: dtmf``);
they are said in words from the pack, spans in seconds and minutes as call lengths are
("2 min. 5 sek."), and the data as stored is left to a view labelled for admins, which a
supervisor does not get. A closed request (done, unreached, cancelled) showed the
hour-by-hour chance of reaching the customer, which means nothing once it will not be
called again: only an open request shows it, a closed one says in one line why not."""

from __future__ import annotations

import json

import pytest

from spillway.console_text import load_console_text
from spillway.storage import AsyncStore, SqliteStore
from tests.console_fixtures import console_pages, console_settings
from web.event_words import event_words

# Events a call's page must say in words: (kind, seconds after the call's start, data).
EVENTS = [
    (
        "spoken",
        30.0,
        {"action": "answer", "barged": True, "elapsed_ms": 125000, "stalled_ms": 1234},
    ),
    ("barge_in", 31.0, {"by": "dtmf"}),
    ("route", 32.0, {"route": "handoff", "reason": "caller asked for a person"}),
]

SAID = {
    "da": [
        "afspillet i: 2 min. 5 sek.",
        "lyden gik i stå i: 1,2 sek.",
        "afbrudt af kunden: ja",
        "med: et tastetryk",
        "næste skridt: en medarbejder",
        "årsag: caller asked for a person",
        "<td>30,0 sek.</td>",
    ],
    "en": [
        "played for: 2 min 05 s",
        "audio stalled for: 1.2 s",
        "talked over: yes",
        "by: a key press",
        "next step: a person",
        "reason: caller asked for a person",
        "<td>30.0 s</td>",
    ],
}


def _add_events(store: SqliteStore) -> None:
    (started,) = store.values("SELECT started_at FROM calls WHERE call_id = 'c5'", {})[0]
    with store.transaction() as tx:
        for kind, after, data in EVENTS:
            tx.insert(
                "call_events",
                {"call_id": "c5", "at": started + after, "kind": kind, "data": json.dumps(data)},
            )


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("code", ["da", "en"])
async def test_a_call_s_events_are_said_in_words_and_seconds(
    console_db: AsyncStore, store: SqliteStore, code: str
) -> None:
    _add_events(store)
    admin = (await console_pages(console_settings(code), console_db, ["/calls/c5"]))["/calls/c5"]
    events = admin.split('id="events">')[1].split("</table>")[0]
    for said in SAID[code]:
        assert said in events, (said, events)
    for stored in ("elapsed_ms", "stalled_ms", "125000", "barged", "dtmf", "{", "+ms"):
        assert stored not in events, stored
    # The admin's view of the data as stored, labelled as such.
    raw = admin.split('id="events-raw"')[1].split("</details>")[0]
    assert load_console_text(code)("call.raw") in raw
    assert "&#34;elapsed_ms&#34;: 125000" in raw or '"elapsed_ms": 125000' in raw
    supervisor = await console_pages(console_settings(code), console_db, ["/calls/c5"], "sam")
    assert "events-raw" not in supervisor["/calls/c5"]
    assert "elapsed_ms" not in supervisor["/calls/c5"]


@pytest.mark.parametrize("code", ["da", "en"])
def test_a_field_the_pack_does_not_name_is_not_said(code: str) -> None:
    text = load_console_text(code)
    said = event_words(text, {"internal_counter": 7, "stage": "handoff", "intent": None})
    assert [(s.label, s.value) for s in said] == [(text("event_data.stage"), text("stage.handoff"))]


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("code", ["da", "en"])
async def test_only_an_open_request_shows_when_to_call(
    console_db: AsyncStore, store: SqliteStore, code: str
) -> None:
    """Request 5 is pending, 1 done, 3 unreached; 4 is cancelled here."""
    store.execute("UPDATE callback_requests SET status = 'cancelled' WHERE id = 4")
    paths = ["/requests/5", "/requests/1", "/requests/3", "/requests/4"]
    pages = await console_pages(console_settings(code), console_db, paths)
    text = load_console_text(code)
    assert 'id="heatmap"' in pages["/requests/5"] and "no-heatmap" not in pages["/requests/5"]
    assert text("request.chance") in pages["/requests/5"]
    for path, status in (
        ("/requests/1", "done"),
        ("/requests/3", "unreached"),
        ("/requests/4", "cancelled"),
    ):
        page = pages[path]
        assert 'id="heatmap"' not in page and text("request.chance") not in page, path
        why = page.split('id="no-heatmap">')[1].split("</p>")[0]
        assert why == text("request.no_heatmap", status=text(f"status.{status}")), why
