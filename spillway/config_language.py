"""The admin's language for a configuration that failed to load.

The console's language is ``web.language``, else ``shop.language``
(:func:`spillway.console_text.console_language`), but a configuration error is raised
before any settings exist. It is read from what could be read, in the settings' own
order of priority: ``$SPILLWAY_WEB__LANGUAGE``, ``web.language`` in the file,
``$SPILLWAY_SHOP__LANGUAGE``, ``shop.language`` in the file. A file that could not be
read (bad YAML) stops the search: it might have set a language that overrides the
next one. When the failing key is a language itself, or the value found is not a
shipped pack, the answer is None (English).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spillway.language_pack import available_languages

LANGUAGE_KEYS = ("web.language", "shop.language")  # the console's, then the bot's


def admin_language(
    data: Mapping[str, Any] | None, environ: Mapping[str, str], failing_key: str | None
) -> str | None:
    """The admin's language by ``environ`` and the file's ``data`` (None: the file could
    not be read), or None (English) when neither says it or ``failing_key`` is one of the
    language keys."""
    if failing_key in LANGUAGE_KEYS:
        return None
    # pydantic-settings reads the variables in any case.
    given = {name.upper(): value for name, value in environ.items()}
    for key in LANGUAGE_KEYS:
        section, name = key.split(".")
        variable = f"SPILLWAY_{section.upper()}__{name.upper()}"
        if given.get(variable):
            return _shipped(given[variable])
        if data is None:
            return None
        in_file = data.get(section)
        if isinstance(in_file, Mapping) and in_file.get(name) is not None:
            return _shipped(in_file[name])
    return None


def _shipped(value: object) -> str | None:
    return value if isinstance(value, str) and value in available_languages() else None
