"""Which of two days a caller meant, when their words named both.

"Monday the 12th", when the 12th is a Saturday, is the 12th or the Monday
nearest it (the 14th): :mod:`bot.dialogue.named_days` gives the date with that
Monday as its ``clash``. A good agent never picks one silently, and neither does
the bot: it says what is wrong and reads both days back briefly ("Sorry, 12
December is a Saturday, not a Monday. Shall we call you back on Saturday 12
December or on Monday 14 December? Please say Saturday or Monday."), then keeps
the day the answer names (:func:`chosen`: its weekday, or its date). When the
calling rules allow calls on only one of the two, that one is read back for a
yes or a no, after the same sentence on what is wrong (:func:`clash_words`).

Pure functions of the windows, the answer, today and the language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.dialogue.named_days import DATE_KINDS, day_grammar, named_day, say_day, say_day_month
from bot.dialogue.time_phrases import CallbackWindow, normal_words
from bot.nlu.data import DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class DayChoice:
    """The two days a caller may have meant, each as the calling rules allow it: the
    date as said, and the weekday said nearest it."""

    on_date: CallbackWindow
    on_weekday: CallbackWindow


def window_day(window: CallbackWindow) -> date:
    """The day of a window named with its date ("on_date:2026-12-14")."""
    kind, _, iso = window.day_key.partition(":")
    if kind not in DATE_KINDS:
        raise ValueError(f"not a window on a date: {window.day_key}")
    return date.fromisoformat(iso)


def clash_words(said: date, weekday: int, language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """What is wrong, for a prompt: "12 December" is a "Saturday", not a "Monday"."""
    weekdays = day_grammar(language).weekdays
    return {
        "date": say_day_month(said, language),
        "actual": weekdays[said.weekday()],
        "named": weekdays[weekday],
    }


def choice_words(choice: DayChoice, language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The two days read back briefly ("on Saturday 12 December"), and the words that
    choose each ("Saturday")."""
    weekdays = day_grammar(language).weekdays
    first, second = window_day(choice.on_date), window_day(choice.on_weekday)
    return {
        "first": say_day(f"on_date:{first.isoformat()}", language),
        "second": say_day(f"on_date:{second.isoformat()}", language),
        "first_day": weekdays[first.weekday()],
        "second_day": weekdays[second.weekday()],
    }


def chosen(
    text: str, choice: DayChoice, today: date, language: str = DEFAULT_LANGUAGE
) -> CallbackWindow | None:
    """The day of the two that ``text`` names (by its weekday, "Saturday", or its date,
    "the 14th"); None when it names neither, or both ("Monday the 12th" again)."""
    g = day_grammar(language)
    words = normal_words(text)
    names = [w.lower() for w in g.weekdays]
    weekdays = {names.index(m.group(1)) for m in g.weekday_re.finditer(words)}
    named, _rest = named_day(words, today, language)
    said = named.first if named.key.partition(":")[0] in DATE_KINDS else None
    hits = [
        window
        for window in (choice.on_date, choice.on_weekday)
        if window_day(window).weekday() in weekdays or window_day(window) == said
    ]
    return hits[0] if len(hits) == 1 else None
