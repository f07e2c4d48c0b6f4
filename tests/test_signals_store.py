"""The signals table: a resent event changes nothing, reads keep their window, erasure covers it."""

from __future__ import annotations

from scheduler import signals
from scheduler.signals import SignalEvent, SignalKind
from spillway.erasure import forget
from spillway.storage import SqliteStore


def test_a_resent_event_is_stored_once(store: SqliteStore) -> None:
    event = SignalEvent("+4520123456", SignalKind.WEB_VISIT, 1_800_000_000.0)
    with store.transaction() as tx:
        assert signals.record(tx, "evt-1", event, source="api", now_s=1_800_000_100.0)
        assert not signals.record(tx, "evt-1", event, source="csv", now_s=1_800_000_200.0)
    assert store.query("SELECT source FROM customer_signals") == [{"source": "api"}]


def test_signals_for_keeps_the_window_and_the_number(store: SqliteStore) -> None:
    with store.transaction() as tx:
        for i, at in enumerate((100.0, 200.0, 300.0)):
            signals.record(
                tx, f"a{i}", SignalEvent("+4511111111", "email_open", at), source="api", now_s=0
            )
        signals.record(
            tx, "b", SignalEvent("+4522222222", "web_visit", 250.0), source="api", now_s=0
        )
    with store.transaction() as tx:
        found = signals.signals_for(
            tx, ["+4511111111", "+4533333333"], since_s=150.0, until_s=300.0
        )
    assert found == {
        "+4511111111": [SignalEvent("+4511111111", "email_open", 200.0)],
        "+4533333333": [],
    }


def test_kinds_of_the_shop_own_are_checked() -> None:
    assert signals.valid_kind("newsletter_click")
    assert not signals.valid_kind("Web Visit")
    assert not signals.valid_kind("")


def test_erasure_removes_a_customers_signals(store: SqliteStore) -> None:
    with store.transaction() as tx:
        signals.record(tx, "x", SignalEvent("+4520123456", "sms_reply", 5.0), source="api", now_s=0)
        signals.record(tx, "y", SignalEvent("+4599999999", "sms_reply", 5.0), source="api", now_s=0)
    forget(store, "+4520123456", key=b"k" * 32, actor="test", now=10.0)
    assert [r["event_id"] for r in store.query("SELECT event_id FROM customer_signals")] == ["y"]
