"""Text messages: an outbox table, a pluggable HTTP gateway and a sender.

The dialogue only *enqueues* (``SmsOutbox.enqueue``), keyed by an idempotency
key, so a retried call turn never queues the same message twice. The sender
works each message like this:

1. in one transaction, claim it: ``pending -> sending`` (attempts + 1);
2. post it to the gateway with an ``Idempotency-Key`` header;
3. mark it ``sent`` (or back to ``pending`` on a transient error, ``failed``
   on a permanent one or after ``max_attempts``).

A message put back to ``pending`` waits before its next attempt: attempt
*n* failed, the next one is due ``retry_base_s * 2**(n-1)`` seconds (at most
``retry_max_s``) after attempt *n* started (the claim, lease and retry are
:mod:`spillway.leases`, which the callback dialer shares).

If the gateway received a message but we never saw its answer (timeout, crash
after posting, crash between "accepted" and "marked sent"), the retry carries
the same key, so a gateway that honours ``Idempotency-Key`` drops the
duplicate (and answers 2xx or 409, both taken as sent): the message reaches
the phone once. Rows stuck in ``sending`` (the sender died mid-post) are
taken up again after ``claim_timeout_s``.

A gateway that ignores the key gets at-least-once delivery: in exactly those
two cases (an answer lost after the gateway accepted, or a crash before the
row was marked) the caller receives the text twice. Nothing is ever lost,
and a message whose post failed cleanly (refused connection, 5xx) is never
duplicated.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import httpx

from bot.backends import SmsMessage
from spillway.errors import BackendError, StorageError
from spillway.leases import LeaseSpec, after_failure, claim_next, finish
from spillway.phone import mask_phone
from spillway.storage import AsyncStore, Row, Store

log = logging.getLogger(__name__)
Clock = Callable[[], float]


class SmsOutbox:
    """Queues messages in ``sms_outbox``; implements ``SmsBackend``."""

    def __init__(self, db: AsyncStore, clock: Clock = time.time) -> None:
        self._db = db
        self._clock = clock

    def _enqueue(self, phone: str, body: str, key: str, call_id: str | None) -> SmsMessage:
        with self._db.store.transaction() as tx:
            tx.execute(
                "INSERT INTO sms_outbox (idempotency_key, phone, body, call_id, created_at) "
                "VALUES (:k, :p, :b, :c, :t) ON CONFLICT (idempotency_key) DO NOTHING",
                {"k": key, "p": phone, "b": body, "c": call_id, "t": self._clock()},
            )
            row = tx.query("SELECT * FROM sms_outbox WHERE idempotency_key = :k", {"k": key})[0]
        return _message(row)

    async def enqueue(
        self, phone: str, body: str, *, idempotency_key: str, call_id: str | None = None
    ) -> SmsMessage:
        try:
            return await self._db.run(self._enqueue, phone, body, idempotency_key, call_id)
        except StorageError as exc:
            raise BackendError(f"cannot queue the text message: {exc}") from exc


def _message(row: Row) -> SmsMessage:
    return SmsMessage(
        phone=str(row["phone"]),
        body=str(row["body"]),
        idempotency_key=str(row["idempotency_key"]),
        status=str(row["status"]),
        id=int(row["id"]),
        attempts=int(row["attempts"]),
    )


class SmsDeliveryError(BackendError):
    """The gateway did not take the message."""

    code = "sms"

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmsGateway(Protocol):
    async def send(self, message: SmsMessage) -> None:
        """Deliver or raise :class:`SmsDeliveryError`."""
        ...


class HttpSmsGateway:
    """Posts JSON ``{"to", "from", "body"}`` with a bearer token and an idempotency key.

    2xx means accepted; 409 means the gateway already has this key (sent
    before), which counts as accepted too. Other 4xx are permanent failures;
    5xx, timeouts and connection errors are worth a retry.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        sender: str = "Spillway",
        timeout_s: float = 5.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self.sender = sender
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s), headers=headers, trust_env=False
        )

    async def send(self, message: SmsMessage) -> None:
        try:
            response = await self._client.post(
                self.url,
                json={"to": message.phone, "from": self.sender, "body": message.body},
                headers={"Idempotency-Key": message.idempotency_key},
            )
        except httpx.HTTPError as exc:
            raise SmsDeliveryError(
                f"SMS gateway {self.url}: {type(exc).__name__}: {exc}", permanent=False
            ) from exc
        if response.is_success or response.status_code == 409:
            return
        raise SmsDeliveryError(
            f"SMS gateway {self.url} answered {response.status_code}",
            permanent=400 <= response.status_code < 500 and response.status_code != 429,
        )

    async def aclose(self) -> None:
        await self._client.aclose()


@dataclass(frozen=True, slots=True)
class SendReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0


class SmsSender:
    """Works the outbox: claim, post, mark."""

    def __init__(
        self,
        db: AsyncStore,
        gateway: SmsGateway,
        *,
        max_attempts: int = 5,
        claim_timeout_s: float = 120.0,
        retry_base_s: float = 30.0,
        retry_max_s: float = 1800.0,
        clock: Clock = time.time,
    ) -> None:
        self._db = db
        self._gateway = gateway
        self.lease = LeaseSpec(
            "sms_outbox",
            claimed_status="sending",
            claim_timeout_s=claim_timeout_s,
            retry_base_s=retry_base_s,
            retry_max_s=retry_max_s,
            max_attempts=max_attempts,
        )
        self._clock = clock

    def _claim(self, after_id: int) -> SmsMessage | None:
        with self._db.store.transaction() as tx:
            row = claim_next(tx, self.lease, now=self._clock(), after_id=after_id)
        return _message(row) if row is not None else None

    def _finish(self, message_id: int, status: str, error: str | None) -> None:
        with self._db.store.transaction() as tx:
            finish(tx, self.lease, message_id, status, error)
            if status == "sent":
                tx.execute(
                    "UPDATE sms_outbox SET sent_at = :now WHERE id = :id",
                    {"now": self._clock(), "id": message_id},
                )

    async def send_pending(
        self, limit: int = 100, *, stop: asyncio.Event | None = None
    ) -> SendReport:
        """Try each due message once (at most ``limit``; none after ``stop`` is set)."""
        sent = retry = failed = 0
        last_id = 0
        for _ in range(limit):
            if stop is not None and stop.is_set():
                break
            # Walking ids upwards: a message put back for a retry waits for the next round.
            message = await self._db.run(self._claim, last_id)
            if message is None:
                break
            last_id = message.id
            try:
                await self._gateway.send(message)
            except SmsDeliveryError as exc:
                status = after_failure(
                    self.lease, message.attempts, permanent=exc.permanent, failed_status="failed"
                )
                final = status == "failed"
                await self._db.run(self._finish, message.id, status, str(exc))
                log.warning("SMS %s to %s not sent: %s", message.id, mask_phone(message.phone), exc)
                if final:
                    failed += 1
                else:
                    retry += 1
                continue
            await self._db.run(self._finish, message.id, "sent", None)
            sent += 1
        return SendReport(sent, retry, failed)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One outbox row, for listings."""

    id: int
    phone: str
    body: str
    status: str
    attempts: int
    created_at: float
    sent_at: float | None
    last_error: str | None
    call_id: str | None


OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


def outbox_entries(store: Store, statuses: tuple[str, ...], limit: int = 50) -> list[OutboxEntry]:
    """The newest ``limit`` rows with one of ``statuses``, newest first."""
    marks = ", ".join(f":s{i}" for i in range(len(statuses)))
    params: dict[str, object] = {f"s{i}": s for i, s in enumerate(statuses)}
    params["limit"] = limit
    rows = store.query(
        f"SELECT * FROM sms_outbox WHERE status IN ({marks}) ORDER BY id DESC LIMIT :limit",
        params,
    )
    return [
        OutboxEntry(
            id=int(r["id"]),
            phone=str(r["phone"]),
            body=str(r["body"]),
            status=str(r["status"]),
            attempts=int(r["attempts"]),
            created_at=float(r["created_at"]),
            sent_at=r["sent_at"],
            last_error=r["last_error"],
            call_id=r["call_id"],
        )
        for r in rows
    ]


def outbox_counts(store: Store) -> dict[str, int]:
    """How many messages are in each status (every status present, zero when none)."""
    rows = store.query("SELECT status, count(*) AS n FROM sms_outbox GROUP BY status")
    counts = dict.fromkeys(OUTBOX_STATUSES, 0)
    counts.update({str(r["status"]): int(r["n"]) for r in rows})
    return counts
