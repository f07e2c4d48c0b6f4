"""`spillway scheduler run`: the dialer over a live AMI connection, reconnecting with back-off.

When AMI drops or Asterisk restarts, the dialer stops dialling, reconnects
with back-off (1 s doubling to 30 s), and reconciles the attempts that were
in flight from Asterisk's own record before it dials anything new.
"""

from __future__ import annotations

import asyncio
import logging

from scheduler.dialer import Dialer, DialerConfig
from scheduler.originate import AmiOriginator
from scheduler.rules import rules_from_settings
from spillway.ami import AmiClient, AmiEndpoint
from spillway.errors import AmiError
from spillway.settings import Settings
from spillway.storage import AsyncStore

log = logging.getLogger(__name__)


async def run_scheduler(
    settings: Settings, store: AsyncStore, stop: asyncio.Event, *, node: str = ""
) -> None:
    """Dial until ``stop``; survive AMI disconnects and Asterisk restarts."""
    config = DialerConfig.from_settings(settings, node=node)
    rules = rules_from_settings(settings)
    backoff_s = 1.0
    while not stop.is_set():
        try:
            endpoint = AmiEndpoint.from_settings(settings.pbx, settings.require_ami_secret())
            ami = await AmiClient.connect(endpoint)
        except AmiError as exc:
            log.warning("scheduler: %s; trying again in %.0f s", exc, backoff_s)
            await _sleep(stop, backoff_s)
            backoff_s = min(backoff_s * 2, 30.0)
            continue
        backoff_s = 1.0
        dialer = Dialer(store, AmiOriginator(ami), rules, config)
        log.info("scheduler %s: dialling through AMI %s", config.node, ami.endpoint.port)
        try:
            await dialer.run(stop)
        except AmiError as exc:
            log.warning("scheduler: AMI failed (%s); reconnecting", exc)
            for task in list(dialer.in_flight.values()):
                task.cancel()
        finally:
            await ami.close()


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
