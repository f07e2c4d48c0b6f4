"""`spillway scheduler run`: the dialer over a live AMI connection, reconnecting with back-off.

When AMI drops or Asterisk restarts, the dialer stops dialling, reconnects
with back-off (1 s doubling to 30 s), and reconciles the attempts that were
in flight from Asterisk's own record before it dials anything new. Beside
it, and whether or not AMI is up, the callback spool (requests the DTMF
menu took while `spillway serve` was down) is imported on every poll (if that
task ever dies, it is logged and started again), and personal data past its
retention period is removed once a day.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from dialplan.spool import callback_spool
from scheduler.dialer import Dialer, DialerConfig, node_not_dialling
from scheduler.originate import AmiOriginator
from scheduler.rules import rules_from_settings
from scheduler.spool import import_spool
from scheduler.timing.choice import TimingConfig
from scheduler.timing.model_keeper import ModelKeeper, predicted_policy, season_calendar
from scheduler.timing.policy import Policy
from scheduler.timing.shadow import shadow_policy
from scheduler.timing.signal_evidence import SignalSettings
from spillway.ami import AmiClient, AmiEndpoint
from spillway.errors import AmiAuthError, AmiError, SpillwayError, StorageError
from spillway.retention import Periods, apply_retention
from spillway.settings import Settings
from spillway.storage import AsyncStore

log = logging.getLogger(__name__)

# A background task that died is started again after this long (not at once: a bug
# that kills it at every start must not spin a core).
RESTART_AFTER_S = 5.0


async def run_scheduler(
    settings: Settings, store: AsyncStore, stop: asyncio.Event, *, node: str = ""
) -> None:
    """Dial until ``stop``; survive AMI disconnects and Asterisk restarts."""
    background = [
        asyncio.create_task(
            _restarting(
                "callback spool import", lambda: _import_spool(settings, store, stop), stop
            ),
            name="callback-spool",
        )
    ]
    if settings.gdpr.daily_retention:
        background.append(
            asyncio.create_task(_retention(settings, store, stop), name="gdpr-retention")
        )
    keeper: ModelKeeper | None = None
    if times_by_model(settings):
        keeper = ModelKeeper(
            store,
            refit_every_s=settings.callbacks.model_refit_minutes * 60,
            industry=settings.callbacks.segment_industry,
            seasons=season_calendar(settings),
            timezone=settings.callbacks.default_timezone,
            signals=SignalSettings.from_settings(settings.callbacks),
        )
        background.append(asyncio.create_task(keeper.run(stop), name="contact-model"))
    try:
        await _dial(settings, store, stop, node, keeper)
    finally:
        for task in background:
            task.cancel()
        for task in background:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def times_by_model(settings: Settings) -> bool:
    """Whether the scheduler times callbacks by the contact model (and so fits one): the
    predicted or shadow policy, or a pilot, whose predicted arm needs the model whatever
    callbacks.policy says."""
    cb = settings.callbacks
    return cb.policy in ("predicted", "shadow") or bool(cb.pilot.share_predicted)


def planning_policy(
    settings: Settings, keeper: ModelKeeper | None, *, retry_backoff_s: float
) -> Policy | None:
    """The policy ``callbacks.policy`` names (None: the dialer's conventional rule alone)."""
    if keeper is None:
        return None
    if settings.callbacks.policy == "shadow":
        return shadow_policy(settings, keeper, retry_backoff_s=retry_backoff_s)
    return predicted_policy(settings, keeper)


async def _dial(
    settings: Settings,
    store: AsyncStore,
    stop: asyncio.Event,
    node: str,
    keeper: ModelKeeper | None,
) -> None:
    config = DialerConfig.from_settings(settings, node=node)
    rules = rules_from_settings(settings)
    policy = planning_policy(settings, keeper, retry_backoff_s=config.retry_backoff_s)
    backoff_s = 1.0
    while not stop.is_set():
        try:
            endpoint = AmiEndpoint.from_settings(settings.pbx, settings.require_ami_secret())
            ami = await AmiClient.connect(endpoint)
        except AmiError as exc:
            log.warning("scheduler: %s; trying again in %.0f s", exc, backoff_s)
            await _record_not_dialling(store, config.node, exc)
            await _sleep(stop, backoff_s)
            backoff_s = min(backoff_s * 2, 30.0)
            continue
        backoff_s = 1.0
        dialer = Dialer(store, AmiOriginator(ami), rules, config, policy=policy)
        if keeper is not None:
            dialer.model_fitted_at = keeper.fitted_at
            dialer.model_error = lambda: keeper.last_error
        log.info("scheduler %s: dialling through AMI %s", config.node, ami.endpoint.port)
        try:
            await dialer.run(stop)
        except AmiError as exc:
            log.warning("scheduler: AMI failed (%s); reconnecting", exc)
            for task in list(dialer.in_flight.values()):
                task.cancel()
        finally:
            await ami.close()


async def _restarting(what: str, run: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
    """Run ``run()`` until ``stop``; if it dies, log why and start it again."""
    while not stop.is_set():
        try:
            await run()
        except Exception as exc:  # a dead task imports nothing and says nothing: not again
            log.error(
                "scheduler: the %s task died (%s: %s); restarting in %.0f s",
                what,
                type(exc).__name__,
                exc,
                RESTART_AFTER_S,
                exc_info=True,
            )
            await _sleep(stop, RESTART_AFTER_S)


async def _record_not_dialling(store: AsyncStore, node: str, exc: AmiError) -> None:
    """The node's row says why it is not dialling (a storage fault only skips this beat)."""
    why = "authentication" if isinstance(exc, AmiAuthError) else exc.message
    try:
        await store.run(
            node_not_dialling, store.store, node, time.time(), f"AMI login failed: {why}"
        )
    except StorageError as fault:
        log.warning("scheduler: cannot record the node's state: %s", fault)


async def _import_spool(settings: Settings, store: AsyncStore, stop: asyncio.Event) -> None:
    folder = callback_spool(settings).local
    cb = settings.callbacks
    last_error = ""
    while not stop.is_set():
        try:
            report = await store.run(
                lambda: import_spool(
                    store.store,
                    folder,
                    region=settings.shop.country,
                    default_timezone=cb.default_timezone,
                    now=time.time(),
                    allowed_countries=settings.callback_countries(),
                    hash_key=settings.gdpr.hash_key_bytes(),
                    timing=TimingConfig.from_settings(settings),
                )
            )
            if report.imported or report.bad or report.failed:
                log.info(
                    "callback spool: %d imported, %d set aside, %d left for the next poll",
                    len(report.imported),
                    len(report.bad),
                    len(report.failed),
                )
            last_error = ""
        except (SpillwayError, OSError) as exc:
            # The files stay where they are; the next poll tries again. The same
            # error on every poll is logged once, until it changes or clears.
            if str(exc) != last_error:
                log.error("callback spool %s: %s", folder, exc)
            last_error = str(exc)
        await _sleep(stop, cb.poll_interval_s)


RETENTION_EVERY_S = 86400.0
RETENTION_BATCH_ROWS = 2000


async def _retention(
    settings: Settings, store: AsyncStore, stop: asyncio.Event, every_s: float = RETENTION_EVERY_S
) -> None:
    """Personal data past its period removed at start and once a day (spillway.retention)."""
    periods = Periods.from_settings(settings.gdpr)
    while not stop.is_set():
        try:
            removed = 0
            # In batches, so that the dialer's own database work goes on in between.
            while not stop.is_set():
                batch = await store.run(
                    lambda: apply_retention(
                        store.store, periods, now=time.time(), batch_rows=RETENTION_BATCH_ROWS
                    )
                )
                removed += sum(batch.values())
                if not any(batch.values()):
                    break
            if removed:
                log.info("retention: %d row(s) past their period removed", removed)
        except Exception as exc:  # whatever it was, dialling goes on; tried again tomorrow
            log.error("retention failed: %s", exc)
        await _sleep(stop, every_s)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
