"""What a caller is told about their words being kept, before they say any (GDPR Art. 13).

The bot writes every caller turn into the call's transcript (``transcript_turns``,
kept ``gdpr.call_times_months``), so the first thing a caller hears from the bot,
its greeting or, after a wait in the queue, its overflow offer, says so in one
short sentence, and where to read more when the shop has a privacy page
(``gdpr.privacy_url``). Callers are waiting: the notice is the first layer only;
the page carries the rest. ``gdpr.caller_notice: false`` leaves it out, for a shop
that informs callers some other way.

The words are the pack's (``caller_notice``, ``caller_notice_more``); they fill the
``{notice}`` of ``greet`` and ``offer``, so the text played from the prompt cache
is the one with the notice, and its cache key changes with the setting.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from spillway.language_pack import LanguagePack


def spoken_address(url: str) -> str:
    """``url`` as a caller can note it down: no ``https://``, no ``www.``, no trailing
    slash ("https://www.shop.dk/privatliv/" is "shop.dk/privatliv")."""
    parts = urlsplit(url)
    host = parts.netloc.removeprefix("www.")
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}"


def caller_notice(pack: LanguagePack, *, enabled: bool, privacy_url: str | None) -> str:
    """The notice as the ``{notice}`` of the greeting and the offer: a space and the
    pack's sentences, or "" when the shop turned it off."""
    if not enabled:
        return ""
    words = pack.say("caller_notice")
    if privacy_url:
        words = f"{words} {pack.say('caller_notice_more', url=spoken_address(privacy_url))}"
    return f" {words}"
