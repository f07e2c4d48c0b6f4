"""`--language` of the commands that talk to a caller (`spillway chat`, `spillway call`).

The option overrides ``shop.language`` for that run: the language pack the bot
speaks (``spillway/languages/<code>``), the names products and order lines are
said by, and the voice :mod:`bot.speech.voices` picks for the language.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

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


def with_language(settings: Settings, language: Language | None) -> Settings:
    """``settings`` speaking ``language`` (unchanged when None)."""
    if language is None:
        return settings
    return settings.model_copy(
        update={"shop": settings.shop.model_copy(update={"language": language.value})}
    )
