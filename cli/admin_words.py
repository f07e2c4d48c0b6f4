"""The words the admin commands print: the language pack's ``console.yaml``, in the
console's language (``web.language``, else ``shop.language``)."""

from __future__ import annotations

from spillway.console_text import ConsoleText, console_language, load_console_text
from spillway.settings import Settings


def admin_words(settings: Settings) -> ConsoleText:
    """The console's wording for ``settings`` (read once per language)."""
    return load_console_text(console_language(settings))
