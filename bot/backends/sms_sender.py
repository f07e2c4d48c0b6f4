"""The SMS outbox sender that runs beside `spillway serve` (and once per cron run).

The dialogue only queues messages (``bot.backends.sms.SmsOutbox``); this
module sends them through the configured HTTP gateway:

* :func:`build_gateway` / :func:`build_sender` - from ``settings.sms``; no
  gateway URL means no sender, and messages simply wait in the outbox;
* :class:`OutboxWorker` - one asyncio task that works the outbox every
  ``sms.send_interval_s`` (at most ``sms.batch_size`` messages a round, one
  post at a time, each bounded by ``sms.timeout_s``), and on shutdown lets the
  post in flight finish before it stops;
* :func:`running_sms_sender` - the context manager `spillway serve` uses.

Retries, back-off and the never-twice guarantee live in
:class:`bot.backends.sms.SmsSender`; see its module for what happens when a
gateway ignores the idempotency key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from bot.backends.sms import HttpSmsGateway, SendReport, SmsSender, outbox_counts
from spillway.errors import SpillwayError
from spillway.secrets import mask_url_credentials
from spillway.settings import Settings, SmsSettings
from spillway.storage import AsyncStore

log = logging.getLogger(__name__)

NO_GATEWAY_HINT = (
    "set sms.gateway_url (and SPILLWAY_SMS__API_TOKEN), then restart `spillway serve` "
    "or run `spillway sms send-pending`"
)


def build_gateway(sms: SmsSettings) -> HttpSmsGateway | None:
    """The configured HTTP gateway, or None when ``sms.gateway_url`` is not set."""
    if sms.gateway_url is None:
        return None
    token = sms.api_token.get_secret_value() if sms.api_token else None
    return HttpSmsGateway(
        sms.gateway_url, token=token or None, sender=sms.sender, timeout_s=sms.timeout_s
    )


def build_sender(sms: SmsSettings, db: AsyncStore, gateway: HttpSmsGateway) -> SmsSender:
    return SmsSender(
        db,
        gateway,
        max_attempts=sms.max_attempts,
        claim_timeout_s=sms.claim_timeout_s,
        retry_base_s=sms.retry_base_s,
        retry_max_s=sms.retry_max_s,
    )


def waiting_count(db: AsyncStore) -> int:
    """Messages not yet sent nor given up on (call from a worker thread)."""
    counts = outbox_counts(db.store)
    return counts["pending"] + counts["sending"]


class OutboxWorker:
    """Sends due messages in rounds until :meth:`stop`."""

    def __init__(
        self,
        sender: SmsSender,
        *,
        interval_s: float,
        batch_size: int,
        stop_grace_s: float,
    ) -> None:
        self.sender = sender
        self.interval_s = interval_s
        self.batch_size = batch_size
        self.stop_grace_s = stop_grace_s
        self.rounds = 0
        self.total = SendReport()
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="sms-outbox-sender")

    def wake(self) -> None:
        """Start the next round now (say, right after a message was queued)."""
        self._wake.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            report = await self._round()
            # A full batch sent or given up on: more are probably due (retries wait their back-off).
            busy = report.sent + report.failed >= self.batch_size
            if busy:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval_s):
                    await _first(self._stop, self._wake)

    async def _round(self) -> SendReport:
        try:
            report = await self.sender.send_pending(self.batch_size, stop=self._stop)
        except SpillwayError as exc:
            log.warning("SMS outbox round failed, trying again in %.0f s: %s", self.interval_s, exc)
            return SendReport()
        except Exception:
            # A bug must not end the sender for the life of the process; it is logged in full.
            log.exception("SMS outbox round crashed, trying again in %.0f s", self.interval_s)
            return SendReport()
        self.rounds += 1
        self.total = SendReport(
            self.total.sent + report.sent,
            self.total.retry + report.retry,
            self.total.failed + report.failed,
        )
        if report.sent or report.retry or report.failed:
            log.info(
                "SMS outbox: %d sent, %d to retry, %d failed",
                report.sent,
                report.retry,
                report.failed,
            )
        return report

    async def stop(self) -> None:
        """Let the post in flight finish (up to ``stop_grace_s``), then end the task."""
        self._stop.set()
        task = self._task
        if task is None:
            return
        done, _ = await asyncio.wait({task}, timeout=self.stop_grace_s)
        if not done:
            # The message in flight stays 'sending' and is taken up again (same key) later.
            log.warning("SMS sender did not stop within %.1f s; cancelling it", self.stop_grace_s)
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _first(*events: asyncio.Event) -> None:
    """Return as soon as one of ``events`` is set."""
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


@contextlib.asynccontextmanager
async def running_sms_sender(
    settings: Settings, db: AsyncStore
) -> AsyncIterator[OutboxWorker | None]:
    """The outbox sender as a background task, or None (one log line) with no gateway."""
    sms = settings.sms
    gateway = build_gateway(sms)
    if gateway is None:
        waiting = await db.run(waiting_count, db)
        log.warning(
            "SMS gateway not configured (sms.gateway_url): %d message(s) wait in the outbox "
            "and new ones are queued, none is sent; %s",
            waiting,
            NO_GATEWAY_HINT,
        )
        yield None
        return
    worker = OutboxWorker(
        build_sender(sms, db, gateway),
        interval_s=sms.send_interval_s,
        batch_size=sms.batch_size,
        stop_grace_s=sms.timeout_s + 1.0,
    )
    log.info(
        "SMS sender: gateway %s, every %.0f s",
        mask_url_credentials(sms.gateway_url or ""),
        sms.send_interval_s,
    )
    worker.start()
    try:
        yield worker
    finally:
        try:
            await worker.stop()
        finally:
            await gateway.aclose()
