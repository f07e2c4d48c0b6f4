"""Which ``gdpr`` setting keeps which table's rows, and when the two settings mislead.

A table of the map (:data:`spillway.personal_data.PERSONAL_DATA`) is kept for its
:class:`~spillway.personal_data.Period`, one setting per period: ``gdpr.phone_numbers_months``
or ``gdpr.call_times_months``. The names say what kind of data each is about, but a
table follows its period whatever it holds: calls, callback attempts and customer
signals carry the person's number and follow ``gdpr.call_times_months``. With that
setting longer than ``gdpr.phone_numbers_months`` their numbers outlive what
``gdpr.phone_numbers_months`` seems to promise; `spillway config check`, `spillway
doctor` and `spillway gdpr record` say so (:func:`periods_warning`), naming both keys.
Retention itself keeps following the map: what is kept how long is the admin's choice.
"""

from __future__ import annotations

from spillway.console_text import ConsoleText
from spillway.personal_data import PERSONAL_DATA, Category, Period
from spillway.settings import GdprSettings

# The setting each period's months come from (UNTIL_ERASED has none: no expiry).
PERIOD_SETTING = {
    Period.PHONE_NUMBERS: "gdpr.phone_numbers_months",
    Period.CALL_TIMES: "gdpr.call_times_months",
}


def numbers_kept_longer(gdpr: GdprSettings) -> tuple[str, ...]:
    """The tables that hold a phone number yet are kept for ``gdpr.call_times_months``,
    when that is longer than ``gdpr.phone_numbers_months`` (else none): their numbers
    stay longer than the setting named for phone numbers says."""
    if gdpr.call_times_months <= gdpr.phone_numbers_months:
        return ()
    return tuple(
        t.name
        for t in PERSONAL_DATA
        if t.period is Period.CALL_TIMES and any(c.category is Category.PHONE for c in t.columns)
    )


def periods_warning(gdpr: GdprSettings, text: ConsoleText) -> str | None:
    """The warning, in ``text``'s language, when :func:`numbers_kept_longer` finds tables;
    None when the settings do what their names say."""
    tables = numbers_kept_longer(gdpr)
    if not tables:
        return None
    return text(
        "cli.gdpr.periods_warning",
        call_times=text.count("count.months", gdpr.call_times_months),
        phone_numbers=text.count("count.months", gdpr.phone_numbers_months),
        tables=", ".join(text(f"table.{name}") for name in tables),
    )
