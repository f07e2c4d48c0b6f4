"""What callers say about when to be called back, as windows in their local time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.dialogue.time_phrases import callback_window

CPH = ZoneInfo("Europe/Copenhagen")
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=CPH).timestamp()


def hours(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, CPH).strftime("%a %H:%M")


@pytest.mark.parametrize(
    ("said", "start", "end", "words"),
    [
        (
            "call me back this afternoon",
            "Mon 12:00",
            "Mon 17:00",
            "this afternoon, between twelve and five",
        ),
        (
            "tomorrow morning please",
            "Tue 08:00",
            "Tue 12:00",
            "tomorrow morning, between eight and twelve",
        ),
        ("after five", "Mon 17:00", None, "today after five"),
        ("not before ten", "Mon 10:00", None, "today after ten"),
        ("before noon", None, "Mon 12:00", "today before twelve"),
        # The hour named is said back as that hour (the window around it is kept).
        ("at three", "Mon 14:45", "Mon 15:45", "today at about three"),
        ("between 2 and 4", "Mon 14:00", "Mon 16:00", "today, between two and four"),
        ("tomorrow after 5 pm", "Tue 17:00", "Wed 00:00", "tomorrow after five"),
        ("any time is fine", None, None, "as soon as possible"),
        ("whenever", None, None, "as soon as possible"),
    ],
)
def test_windows(said: str, start: str | None, end: str | None, words: str) -> None:
    window = callback_window(said, MONDAY_9, "Europe/Copenhagen")
    assert window is not None
    assert (hours(window.not_before), hours(window.not_after), window.words) == (start, end, words)


def test_no_time_named_is_none() -> None:
    assert callback_window("please call me back", MONDAY_9, "Europe/Copenhagen") is None


def test_this_morning_said_in_the_afternoon_means_tomorrow() -> None:
    three_pm = datetime(2026, 3, 2, 15, 0, tzinfo=CPH).timestamp()
    window = callback_window("in the morning", three_pm, "Europe/Copenhagen")
    assert window is not None and hours(window.not_before) == "Tue 08:00"
    assert window.words.startswith("tomorrow morning")


def test_a_danish_hour_named_alone_is_said_back_as_that_hour() -> None:
    """ "klokken 14" was read back "mellem klokken et 45 og to 45": a time at night."""
    window = callback_window("ring tilbage klokken 14", MONDAY_9, "Europe/Copenhagen", "da")
    assert window is not None
    assert (hours(window.not_before), hours(window.not_after)) == ("Mon 13:45", "Mon 14:45")
    assert window.words == "i dag omkring klokken fjorten"
