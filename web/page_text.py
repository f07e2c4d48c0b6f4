"""The console's words for one request: the language pack's ``console.yaml`` in the
console's language, which :func:`web.app.create_web_app` keeps on ``app.state.text``."""

from __future__ import annotations

from starlette.requests import Request

from spillway.console_text import ConsoleText, load_console_text
from spillway.language_pack import DEFAULT_LANGUAGE


def page_text(request: Request) -> ConsoleText:
    """The console's words for this request's application (English when none was set)."""
    text = getattr(request.app.state, "text", None)
    return text if isinstance(text, ConsoleText) else load_console_text(DEFAULT_LANGUAGE)
