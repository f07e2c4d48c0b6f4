"""`--language` of the commands that talk to a caller (`spillway chat`, `spillway call`),
and of the admin commands that explain a request (`spillway callbacks show`, `explain`).

For a caller the option overrides ``shop.language`` for that run: the language pack
the bot speaks (``spillway/languages/<code>``), the names products and order lines
are said by, and the voice :mod:`bot.speech.voices` picks for the language. For an
admin it overrides the console's language (``web.language``, else ``shop.language``):
what the customer was told is still quoted in the shop's.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from spillway.console_text import console_language
from spillway.settings import Settings


class Language(StrEnum):
    en = "en"
    da = "da"


LanguageOption = Annotated[
    Language | None,
    typer.Option(
        "--language",
        help="The language the bot speaks for this run (default: shop.language).",
    ),
]

AdminLanguageOption = Annotated[
    Language | None,
    typer.Option(
        "--language",
        help="The language you read this in (default: web.language, else shop.language); "
        "what the customer was told is quoted in shop.language.",
    ),
]


def admin_language(settings: Settings, language: Language | None) -> str:
    """The language an admin command speaks: ``language``, else the console's."""
    return language.value if language is not None else console_language(settings)


def with_language(settings: Settings, language: Language | None) -> Settings:
    """``settings`` speaking ``language`` (unchanged when None)."""
    if language is None:
        return settings
    return settings.model_copy(
        update={"shop": settings.shop.model_copy(update={"language": language.value})}
    )
