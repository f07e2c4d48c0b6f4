"""The Health page's SMS row shows the state `spillway doctor` gives: OK, WARN or PROBLEM.

`doctor` warned when no SMS gateway is configured (callers are then offered no text
message) unless ``sms.enabled: false``, but the Health page had no WARN: it said "ok". Both
now take the state from one decision (bot/backends/sms_state.py), and the page shows a
WARN row (ADVARSEL in Danish) with the fix, as the doctor's table does.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from bot.backends.sms_state import SmsState, sms_verdict
from cli.doctor import check_sms
from spillway.console_text import load_console_text
from spillway.settings import Settings, SmsSettings
from spillway.storage import AsyncStore, SqliteStore
from tests.conftest import make_settings
from tests.console_fixtures import console_pages, console_settings
from web.health import HealthCheck, health_checks

GATEWAY = "https://sms.example/send"
NOTHING = {"pending": 0, "sending": 0, "sent": 3, "failed": 0}


def _queue(store: SqliteStore, status: str, key: str) -> None:
    store.execute(
        "INSERT INTO sms_outbox (idempotency_key, phone, body, created_at, status) "
        "VALUES (:key, '+4520123401', 'hej', 0, :status)",
        {"key": key, "status": status},
    )


def test_the_decision() -> None:
    unset = sms_verdict(SmsSettings(), NOTHING)
    assert (unset.state, unset.ok, unset.warning, unset.needs_gateway) == (
        SmsState.UNSET, True, True, True
    )  # fmt: skip
    off = sms_verdict(SmsSettings(enabled=False), NOTHING)
    assert (off.state, off.ok, off.warning, off.needs_gateway) == (SmsState.OFF, True, False, False)
    sending = sms_verdict(SmsSettings(gateway_url=GATEWAY), NOTHING)
    assert (sending.state, sending.ok, sending.warning) == (SmsState.SENDING, True, False)
    waiting = {**NOTHING, "pending": 2}
    for settings in (SmsSettings(), SmsSettings(enabled=False)):
        stuck = sms_verdict(settings, waiting)
        assert (stuck.ok, stuck.warning, stuck.needs_gateway) == (False, False, True)
    assert sms_verdict(SmsSettings(gateway_url=GATEWAY), waiting).ok  # the sender sends them
    failed = sms_verdict(SmsSettings(gateway_url=GATEWAY), {**NOTHING, "failed": 1})
    assert (failed.ok, failed.warning, failed.needs_gateway) == (True, True, False)


def _health(store: SqliteStore, settings: Settings, language: str) -> HealthCheck:
    text = load_console_text(language)
    checks = health_checks(store, settings, time.time(), stale_after_s=60.0, text=text)
    [found] = [c for c in checks if c.name == text("health.name.sms")]
    return found


SMS: list[dict[str, Any]] = [{}, {"enabled": False}, {"gateway_url": GATEWAY}]


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_health_page_and_doctor_give_the_same_state(store: SqliteStore, language: str) -> None:
    def both(**sms: Any) -> tuple[tuple[bool, bool], tuple[bool, bool]]:
        settings = make_settings(
            shop={"language": language}, storage={"sqlite_path": str(store.path)}, sms=sms
        )
        page, doctor = _health(store, settings, language), check_sms(settings)
        assert bool(page.fix) == bool(doctor.fix), (page, doctor)
        return (page.ok, page.warning), (doctor.ok, doctor.warning)

    states = []
    for sms in SMS:
        page, doctor = both(**sms)
        assert page == doctor, sms
        states.append(page)
    # unset: WARN; off on purpose: OK; a gateway: OK.
    assert states == [(True, True), (True, False), (True, False)]
    _queue(store, "failed", "k1")  # refused for good: look at it
    assert [both(**sms)[0] for sms in SMS] == [(True, True)] * 3
    _queue(store, "pending", "k2")  # waiting with no gateway to send it
    assert [both(**sms)[0] for sms in SMS] == [(False, False), (False, False), (True, True)]


# The row as the page shows it: (state, words of the cause, words of the fix).
ROWS = {
    "en": ("WARN", "not configured: callers are offered no text messages", "sms.enabled: false"),
    "da": ("ADVARSEL", "ikke sat op: kunderne får ikke tilbudt sms&#39;er", "sms.enabled: false"),
}


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("language", ["en", "da"])
async def test_the_page_shows_a_warn_row(console_db: AsyncStore, language: str) -> None:
    state, cause, fix = ROWS[language]
    page = (await console_pages(console_settings(language), console_db, ["/health"]))["/health"]
    rows = re.findall(r'<tr class="(\w+)"><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>', page)
    name = load_console_text(language)("health.name.sms")
    [row] = [r for r in rows if r[1] == name]
    assert row[0] == "warn" and row[2] == state and row[3].startswith(cause), row
    sms_row = page.split(f"<td>{name}</td>")[1].split("</tr>")[0]
    assert "<code>" in sms_row and fix in sms_row
