"""The words the admin commands print: the language pack's ``console.yaml``, in the
console's language (``web.language``, else ``shop.language``), error lines too."""

from __future__ import annotations

from spillway.console_text import ConsoleText, console_language, load_console_text
from spillway.errors import ConfigError, SpillwayError
from spillway.language_pack import DEFAULT_LANGUAGE
from spillway.settings import Settings


def admin_words(settings: Settings) -> ConsoleText:
    """The console's wording for ``settings`` (read once per language)."""
    return load_console_text(console_language(settings))


def error_line(exc: SpillwayError, settings: Settings | None) -> str:
    """The line a failed command prints: an error raised with its words in the packs
    (:meth:`SpillwayError.worded`) in the admin's language (English when the settings
    cannot be read, unless the configuration's error knows its admin's language), with
    its stable code, the same in every language (``[input.not_a_phone]``); any other as
    raised, with its code when it has one of its own."""
    known = exc.admin_language if isinstance(exc, ConfigError) else None
    try:
        text = admin_words(settings) if settings else load_console_text(known or DEFAULT_LANGUAGE)
    except SpillwayError:  # a pack that cannot be read: said as raised
        text = load_console_text(DEFAULT_LANGUAGE)
    if exc.wording is None:  # raised with an English message: said as raised
        if exc.code == type(exc).code:  # no code of its own (config.invalid_value has one)
            return str(exc)
        text = load_console_text(DEFAULT_LANGUAGE)  # "[code]" beside English words
    return text("cli.error_line", message=exc.said(text), code=exc.code)
