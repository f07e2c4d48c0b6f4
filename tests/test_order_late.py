"""An order whose expected delivery day has passed is said to be late, with an apology,
never "we expect to deliver it 3 days ago"; a coming day is still "expected", in English
and in Danish."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.backends import Order
from bot.dialogue.phrasing import Calendar, order_status_text
from bot.dialogue.prompts import say, use_language

ZONE = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 12, 7, 10, tzinfo=ZONE).timestamp()  # Monday
DAY_S = 86_400.0
LANGUAGES = ["en", "da"]


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    use_language("en")


def _said(language: str, status: str, expected_in_days: float) -> str:
    use_language(language)
    order = Order("10042", status, expected_delivery_at=NOW + expected_in_days * DAY_S)
    return order_status_text(order, Calendar(ZONE, lambda: NOW))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", ["packing", "shipped"])
def test_a_passed_day_is_late_and_apologised_for(language: str, status: str) -> None:
    stem = "order_packing" if status == "packing" else "order_delivery"
    text = _said(language, status, -3)
    when = Calendar(ZONE, lambda: NOW).when(NOW - 3 * DAY_S)
    assert say(f"{stem}_late", when=when) in text, text
    assert say(f"{stem}_expected", when=when) not in text, text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", ["packing", "shipped"])
@pytest.mark.parametrize("days", [0, 2])
def test_today_or_a_coming_day_is_expected(language: str, status: str, days: int) -> None:
    stem = "order_packing" if status == "packing" else "order_delivery"
    text = _said(language, status, days)
    when = Calendar(ZONE, lambda: NOW).when(NOW + days * DAY_S)
    assert say(f"{stem}_expected", when=when) in text, text
    assert say(f"{stem}_late", when=when) not in text, text


def test_a_late_order_in_danish_reads_as_spoken_danish() -> None:
    # "Den var ventet leveret ..." was English word order; a Danish agent says
    # "skulle have været leveret".
    text = _said("da", "shipped", -3)
    assert (
        "Den skulle have været leveret for 3 dage siden, fredag den 4. december, "
        "så den er forsinket. Det beklager vi." in text
    ), text
