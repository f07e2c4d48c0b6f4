"""Whether the caller notice's settings tell callers where to read more, and the warning.

With ``gdpr.caller_notice`` on, the bot's greeting (and its overflow offer) says that the
call is transcribed and kept (bot/dialogue/caller_notice.py); where to read more is said
only when ``gdpr.privacy_url`` is set. GDPR Art. 13 asks that the person be told who the
controller is, why the data is processed and where to find the rest: a notice without a
page tells callers only the first layer. `spillway config check` and `spillway doctor`
say so (:func:`notice_warning`), naming ``gdpr.privacy_url``: a warning, not a failure,
since a shop may inform callers some other way (then ``gdpr.caller_notice: false``).
"""

from __future__ import annotations

from spillway.console_text import ConsoleText
from spillway.settings import GdprSettings


def notice_without_page(gdpr: GdprSettings) -> bool:
    """Callers hear the notice but no page to read more on."""
    return gdpr.caller_notice and not gdpr.privacy_url


def notice_warning(gdpr: GdprSettings, text: ConsoleText) -> str | None:
    """The warning, in ``text``'s language, when :func:`notice_without_page`; None when
    callers are told where to read more, or the shop turned the notice off."""
    if not notice_without_page(gdpr):
        return None
    return text("cli.gdpr.notice_warning")
