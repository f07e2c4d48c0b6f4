"""What an agent's hour costs, in words: the pilot's staff cost with its currency and the
settings it comes from (the console's Pilot page, `spillway report pilot`).

The amount is in ``shop.currency``; the default (350) is a Danish agent's hour in
DKK, so a shop whose money is another currency is told to set its own.
"""

from __future__ import annotations

from spillway.callback_settings import (
    DEFAULT_STAFF_COST_CURRENCY,
    DEFAULT_STAFF_COST_PER_HOUR,
    PilotRoiSettings,
)
from spillway.console_text import ConsoleText

ROI_SETTINGS = "callbacks.pilot.roi"


def staff_hour_words(text: ConsoleText, roi: PilotRoiSettings, currency: str) -> dict[str, str]:
    """What an agent's hour costs, with its currency and setting, and a warning when it is
    the default (an amount in DKK) in a shop whose money is another currency."""
    words = {
        "staff_hour": text(
            "pilot.staff_hour",
            amount=text.money(roi.staff_cost_per_hour, currency),
            setting=f"{ROI_SETTINGS}.staff_cost_per_hour",
            minutes=text.number(roi.minutes_per_attempt, 2),
            minutes_setting=f"{ROI_SETTINGS}.minutes_per_attempt",
        ),
        "staff_hour_warning": "",
    }
    if roi.staff_cost_in_wrong_currency(currency):
        words["staff_hour_warning"] = text(
            "pilot.staff_hour_default",
            setting=f"{ROI_SETTINGS}.staff_cost_per_hour",
            default=text.money(DEFAULT_STAFF_COST_PER_HOUR, DEFAULT_STAFF_COST_CURRENCY),
            currency=currency,
        )
    return words
