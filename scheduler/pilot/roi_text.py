"""What an agent's hour costs, in words: the pilot's staff cost with its currency and the
settings it comes from (the console's Pilot page, `spillway report pilot`).

The amount is in ``shop.currency``; the default (350) is a Danish agent's hour in
DKK, so a shop whose money is another currency is told to set its own.

Each setting's name is filled in by the caller's ``setting``: the command, read by the
admin who changes them, prints it in brackets; the console shows it as a small hint
after the words a team lead reads (``web.pages.admin_hint``).
"""

from __future__ import annotations

from collections.abc import Callable

from spillway.callback_settings import (
    DEFAULT_STAFF_COST_CURRENCY,
    DEFAULT_STAFF_COST_PER_HOUR,
    PilotRoiSettings,
)
from spillway.console_text import ConsoleText

ROI_SETTINGS = "callbacks.pilot.roi"
CURRENCY_SETTING = "shop.currency"


def in_brackets(name: str) -> str:
    """A setting's name as the command prints it after its words: ``(shop.currency)``."""
    return f"({name})"


def staff_hour_words(
    text: ConsoleText,
    roi: PilotRoiSettings,
    currency: str,
    *,
    say: Callable[..., str] | None = None,
    setting: Callable[[str], str] = in_brackets,
) -> dict[str, str]:
    """What an agent's hour costs, with its currency and setting, and a warning when it is
    the default (an amount in DKK) in a shop whose money is another currency. ``say``
    words a pack key with its values (default ``text``; the console's escapes the words
    and keeps ``setting``'s markup)."""
    say = say or text
    words = {
        "staff_hour": say(
            "pilot.staff_hour",
            amount=text.money(roi.staff_cost_per_hour, currency),
            setting=setting(f"{ROI_SETTINGS}.staff_cost_per_hour"),
            minutes=text.number(roi.minutes_per_attempt, 2),
            minutes_setting=setting(f"{ROI_SETTINGS}.minutes_per_attempt"),
        ),
        "staff_hour_warning": "",
    }
    if roi.staff_cost_in_wrong_currency(currency):
        words["staff_hour_warning"] = say(
            "pilot.staff_hour_default",
            setting=setting(f"{ROI_SETTINGS}.staff_cost_per_hour"),
            default=text.money(DEFAULT_STAFF_COST_PER_HOUR, DEFAULT_STAFF_COST_CURRENCY),
            currency=currency,
            currency_setting=setting(CURRENCY_SETTING),
        )
    return words
