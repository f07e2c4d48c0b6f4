"""A call's turns from its events: recognition, understanding and reply in ms (pure)."""

from __future__ import annotations

import json

from web.call_timeline import turns


def _e(at: float, kind: str, **data: str) -> dict[str, object]:
    return {"at": at, "kind": kind, "data": json.dumps(data)}


def test_a_turn_splits_into_recognition_understanding_and_reply() -> None:
    events = [
        _e(1.0, "endpoint"),
        _e(1.2, "stage", stage="recognised", text="where is my order"),
        _e(1.25, "stage", stage="understood"),
        _e(1.9, "first_audio"),
    ]
    [turn] = turns(events)
    assert (turn.recognition_ms, turn.understanding_ms, turn.reply_ms, turn.total_ms) == (
        200.0,
        50.0,
        650.0,
        900.0,
    )
    assert turn.heard == "where is my order"


def test_a_caller_who_goes_on_talking_starts_the_turn_again() -> None:
    events = [_e(1.0, "endpoint"), _e(2.0, "endpoint"), _e(2.5, "first_audio")]
    assert [t.total_ms for t in turns(events)] == [500.0]


def test_a_turn_never_answered_has_no_reply_time() -> None:
    events = [
        _e(1.0, "endpoint"),
        _e(1.1, "stage", stage="recognised", text="hello"),
        _e(3.0, "endpoint"),
        _e(3.4, "first_audio"),
    ]
    first, second = turns(events)
    assert first.recognition_ms == 100.0 and first.reply_ms is None and first.total_ms is None
    assert second.total_ms == 400.0 and second.recognition_ms is None
