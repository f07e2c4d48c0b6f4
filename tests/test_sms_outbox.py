"""The SMS outbox: enqueue once per key, retries with back-off, never delivered twice.

The gateway is a real HTTP server on loopback (``tests.sms_gateway``) that
de-duplicates by the ``Idempotency-Key`` header, as real gateways do, and
counts what reached a phone.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.backends.sms import HttpSmsGateway, SmsOutbox, SmsSender, outbox_counts, outbox_entries
from spillway.storage import AsyncStore, SqliteStore
from tests.sms_gateway import FakeClock, Gateway, db, gateway

PHONE = "+4520123456"


__all__ = ["db", "gateway"]  # fixtures from tests.sms_gateway


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _rows(db: AsyncStore) -> list[dict[str, Any]]:
    return db.store.query("SELECT * FROM sms_outbox ORDER BY id")


async def test_enqueue_is_idempotent(db: AsyncStore) -> None:
    outbox = SmsOutbox(db)
    first = await outbox.enqueue(PHONE, "hello", idempotency_key="call-1:case:7")
    again = await outbox.enqueue(PHONE, "hello again", idempotency_key="call-1:case:7")
    assert first.id == again.id and again.body == "hello"
    assert [r["status"] for r in _rows(db)] == ["pending"]


async def test_sender_posts_with_key_and_token(
    db: AsyncStore, gateway: tuple[Gateway, str]
) -> None:
    gw, url = gateway
    await SmsOutbox(db).enqueue(PHONE, "label", idempotency_key="k1")
    sender = SmsSender(db, HttpSmsGateway(url, token="secret", sender="Shop"))
    report = await sender.send_pending()
    assert (report.sent, report.retry, report.failed) == (1, 0, 0)
    assert gw.delivered == {"k1": {"to": PHONE, "from": "Shop", "body": "label"}}
    assert gw.tokens == ["Bearer secret"]
    row = _rows(db)[0]
    assert row["status"] == "sent" and row["attempts"] == 1 and row["sent_at"] is not None
    # Nothing left to do: a second round posts nothing.
    assert (await sender.send_pending()).sent == 0 and gw.posts == 1


async def test_retries_wait_an_exponential_back_off(
    db: AsyncStore, gateway: tuple[Gateway, str], clock: FakeClock
) -> None:
    gw, url = gateway
    gw.fail_next = 2
    await SmsOutbox(db, clock).enqueue(PHONE, "photos", idempotency_key="k2")
    sender = SmsSender(db, HttpSmsGateway(url), retry_base_s=30, retry_max_s=600, clock=clock)
    first = await sender.send_pending()
    assert (first.sent, first.retry) == (0, 1)
    assert _rows(db)[0]["status"] == "pending" and "503" in _rows(db)[0]["last_error"]
    # Not due before the back-off has passed: nothing is posted.
    clock.advance(29)
    assert await sender.send_pending() == type(first)() and gw.posts == 1
    clock.advance(1)
    assert (await sender.send_pending()).retry == 1 and gw.posts == 2
    # The second failure doubles the wait (60 s from the start of attempt 2).
    clock.advance(59)
    assert (await sender.send_pending()).sent == 0 and gw.posts == 2
    clock.advance(1)
    assert (await sender.send_pending()).sent == 1
    assert gw.deliveries == ["k2"] and gw.posts == 3
    assert _rows(db)[0]["attempts"] == 3 and _rows(db)[0]["status"] == "sent"


async def test_back_off_is_capped(
    db: AsyncStore, gateway: tuple[Gateway, str], clock: FakeClock
) -> None:
    gw, url = gateway
    gw.fail_next = 6
    await SmsOutbox(db, clock).enqueue(PHONE, "x", idempotency_key="cap")
    sender = SmsSender(
        db, HttpSmsGateway(url), max_attempts=10, retry_base_s=10, retry_max_s=25, clock=clock
    )
    for _ in range(6):  # waits 10, 20, 25, 25, ... never more than the cap
        assert (await sender.send_pending()).retry == 1
        clock.advance(25)
    assert (await sender.send_pending()).sent == 1 and gw.deliveries == ["cap"]


async def test_timeout_after_receiving_never_delivers_twice(
    db: AsyncStore, gateway: tuple[Gateway, str], clock: FakeClock
) -> None:
    gw, url = gateway
    gw.stall_next_s = 1.0
    await SmsOutbox(db, clock).enqueue(PHONE, "label", idempotency_key="k3")
    sender = SmsSender(db, HttpSmsGateway(url, timeout_s=0.3), retry_base_s=5, clock=clock)
    first = await sender.send_pending()
    assert first.retry == 1 and "Timeout" in _rows(db)[0]["last_error"]
    clock.advance(5)
    second = await sender.send_pending()
    assert second.sent == 1
    # Posted twice, delivered once: the gateway saw the same key again (409).
    assert gw.posts == 2 and gw.deliveries == ["k3"]
    assert _rows(db)[0]["status"] == "sent"


async def test_crash_between_accepted_and_marked_sent_does_not_send_twice(
    db: AsyncStore, gateway: tuple[Gateway, str], clock: FakeClock
) -> None:
    """The sender dies after the gateway took the message but before the row says so."""
    gw, url = gateway
    gw.stall_next_s = 0.5
    await SmsOutbox(db, clock).enqueue(PHONE, "label", idempotency_key="k-crash")
    doomed = asyncio.create_task(
        SmsSender(db, HttpSmsGateway(url, timeout_s=5), clock=clock).send_pending()
    )
    await asyncio.to_thread(gw.accepted.wait, 5)
    doomed.cancel()  # the process is killed here
    with pytest.raises(asyncio.CancelledError):
        await doomed
    assert gw.deliveries == ["k-crash"]
    assert _rows(db)[0]["status"] == "sending"
    # A new sender (say, after a restart) leaves the row alone while its lease runs ...
    sender = SmsSender(db, HttpSmsGateway(url), claim_timeout_s=120, clock=clock)
    assert (await sender.send_pending()).sent == 0 and gw.posts == 1
    # ... then takes it up again with the same key; the gateway answers 409, counted as sent.
    clock.advance(121)
    assert (await sender.send_pending()).sent == 1
    assert gw.posts == 2 and gw.deliveries == ["k-crash"]
    assert _rows(db)[0]["status"] == "sent" and _rows(db)[0]["attempts"] == 2


async def test_gateway_ignoring_keys_gets_at_least_once(
    db: AsyncStore, gateway: tuple[Gateway, str], clock: FakeClock
) -> None:
    """What the docs promise for a gateway without idempotency keys: a lost answer means the
    text arrives twice, while a clean failure (5xx) is retried without a duplicate."""
    gw, url = gateway
    gw.honour_keys = False
    await SmsOutbox(db, clock).enqueue(PHONE, "lost answer", idempotency_key="a")
    await SmsOutbox(db, clock).enqueue(PHONE, "clean failure", idempotency_key="b")
    sender = SmsSender(db, HttpSmsGateway(url, timeout_s=0.3), retry_base_s=1, clock=clock)
    gw.stall_next_s = 1.0
    await sender.send_pending(limit=1)
    gw.fail_next = 1
    await sender.send_pending()
    clock.advance(2)
    assert (await sender.send_pending()).sent == 2
    assert sorted(gw.deliveries) == ["a", "a", "b"]


async def test_stale_sending_row_is_reclaimed_and_permanent_errors_fail(
    db: AsyncStore, gateway: tuple[Gateway, str]
) -> None:
    gw, url = gateway
    await SmsOutbox(db).enqueue(PHONE, "a", idempotency_key="k4")
    # A sender died after claiming: the row sits in 'sending'.
    db.store.execute("UPDATE sms_outbox SET status = 'sending', claimed_at = 0, attempts = 1")
    fresh = SmsSender(db, HttpSmsGateway(url), claim_timeout_s=10**12)
    assert (await fresh.send_pending()).sent == 0  # not stale yet by this sender's lease
    sender = SmsSender(db, HttpSmsGateway(url), claim_timeout_s=60)
    assert (await sender.send_pending()).sent == 1
    await SmsOutbox(db).enqueue("+4511", "b", idempotency_key="k5")
    gw.reject_next = True
    report = await sender.send_pending()
    assert report.failed == 1
    assert [r["status"] for r in _rows(db)] == ["sent", "failed"]
    assert "422" in _rows(db)[1]["last_error"]


async def test_gives_up_after_max_attempts(
    db: AsyncStore, gateway: tuple[Gateway, str], clock: FakeClock
) -> None:
    gw, url = gateway
    gw.fail_next = 10
    await SmsOutbox(db, clock).enqueue(PHONE, "x", idempotency_key="k6")
    sender = SmsSender(db, HttpSmsGateway(url), max_attempts=2, retry_base_s=1, clock=clock)
    await sender.send_pending()
    clock.advance(1)
    report = await sender.send_pending()
    assert report.failed == 1 and _rows(db)[0]["status"] == "failed"
    clock.advance(3600)
    assert (await sender.send_pending()).sent == 0 and gw.posts == 2


async def test_two_senders_at_once_post_each_message_once(
    tmp_path: Path, gateway: tuple[Gateway, str]
) -> None:
    """`spillway serve`'s sender and a cron `sms send-pending` on the same database."""
    gw, url = gateway
    path = tmp_path / "shared.db"
    stores = [SqliteStore(path) for _ in range(2)]
    stores[0].migrate()
    dbs = [AsyncStore(s) for s in stores]
    try:
        for i in range(30):
            await SmsOutbox(dbs[0]).enqueue(PHONE, f"m{i}", idempotency_key=f"p{i}")
        reports = await asyncio.gather(
            *(SmsSender(d, HttpSmsGateway(url)).send_pending() for d in dbs)
        )
        assert sum(r.sent for r in reports) == 30
        assert gw.posts == 30 and sorted(gw.deliveries) == sorted(f"p{i}" for i in range(30))
        assert outbox_counts(stores[0]) == {"pending": 0, "sending": 0, "sent": 30, "failed": 0}
    finally:
        for d in dbs:
            d.close()
            d.store.close()


async def test_listing_filters_by_status(db: AsyncStore, gateway: tuple[Gateway, str]) -> None:
    gw, url = gateway
    for key in ("l1", "l2", "l3"):
        await SmsOutbox(db).enqueue(PHONE, f"body {key}", idempotency_key=key)
    gw.reject_next = True
    await SmsSender(db, HttpSmsGateway(url)).send_pending(limit=2)
    assert outbox_counts(db.store) == {"pending": 1, "sending": 0, "sent": 1, "failed": 1}
    failed = outbox_entries(db.store, ("failed",))
    assert [(e.body, e.attempts) for e in failed] == [("body l1", 1)]
    assert failed[0].last_error and "422" in failed[0].last_error
    everything = outbox_entries(db.store, ("pending", "sending", "sent", "failed"))
    assert [e.body for e in everything] == ["body l3", "body l2", "body l1"]  # newest first
