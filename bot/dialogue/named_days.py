"""The day a callback-time answer names, and how that day is said back.

"tomorrow", "the day after tomorrow", "on Monday", "Monday next week", "next
Friday", "at the weekend", "not today", "the 12th", "December 12"; in Danish
"i morgen", "i overmorgen", "på mandag", "mandag i næste uge", "næste fredag",
"i weekenden", "ikke i dag", "den 12.", "12. december". :func:`named_day` is a
pure function of the words, today's date and the language; :func:`say_day`
words a day key back ("today, Monday", "on Monday 14 December", "i overmorgen,
onsdag den 9. december").

A weekday named on that same weekday ("on Monday", said on a Monday) is two
days at once: today, or a week on. :func:`named_day` gives today with the
week-on day as the alternative (``instead``); the caller of this module keeps
today only while the named window still has calling time left, and says the
choice back with the date so that the caller can correct it.

A day of the month already past this month is next month's ("the 3rd", said on
the 5th); a date already past this year ("3 December", said on the 5th) is next
year's. The words are tables in each language pack (``grammar.yaml``, ``time``).
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.nlu.data import DEFAULT_LANGUAGE, grammar_doc
from spillway.errors import NluError
from spillway.language_pack import load_pack

# Day keys: "today", "tomorrow", "weekday:N" (0 Monday), "weekend", "not_today" (any
# time from tomorrow), "today_weekday:N" (a weekday named on that weekday, kept as
# today), and a date said with its date: "on_date:ISO", "today_date:ISO",
# "tomorrow_date:ISO", "overmorrow:ISO" (the day after tomorrow).
DATE_KINDS = ("on_date", "today_date", "tomorrow_date", "overmorrow")


@dataclass(frozen=True, slots=True)
class NamedDay:
    """The day named: its key, its first and last day (a weekend's Sunday), whether it
    is a guess between two days (read back and asked about before it is kept), and the
    other day it may mean (a weekday said on that weekday: the same weekday a week on)."""

    key: str
    first: date
    last: date
    check: bool = False
    instead: NamedDay | None = None


def _alternatives(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class DayGrammar:
    """One language's words for days, and the patterns built from them."""

    weekdays: tuple[str, ...]  # Monday first, as said (the pack's reading.yaml)
    months: tuple[str, ...]  # January first, as said
    tomorrow: tuple[str, ...]
    overmorrow_re: re.Pattern[str]
    weekday_re: re.Pattern[str]
    next_weekday_re: re.Pattern[str]  # "next Monday", "næste mandag"
    next_week_re: re.Pattern[str]  # "next week", "i næste uge" (with a weekday)
    weekend_re: re.Pattern[str]
    not_today_re: re.Pattern[str]
    date_res: tuple[re.Pattern[str], ...]  # "the 12th", "12. december": groups day, month
    ordinals: dict[str, int]  # "twelfth" -> 12
    say: dict[str, str]

    @classmethod
    def from_tables(
        cls, t: dict[str, object], weekdays: tuple[str, ...], months: tuple[str, ...]
    ) -> DayGrammar:
        try:
            ordinals = {str(k): int(str(v)) for k, v in time_table(t, "ordinals").items()}
            day_names = _alternatives([w.lower() for w in weekdays])
            weekday = rf"\b({day_names})s?\b"
            number = rf"(?P<day>\d{{1,2}}|{_alternatives(list(ordinals))})"
            month = rf"(?P<month>{_alternatives([m.lower() for m in months])})"
            date_res = tuple(
                re.compile(r"\b" + str(p).format(n=number, month=month) + r"(?![a-zæøå0-9])")
                for p in time_list(t, "dates")
            )
            return cls(
                weekdays=weekdays,
                months=months,
                tomorrow=tuple(time_list(t, "tomorrow")),
                overmorrow_re=re.compile(rf"\b({_alternatives(time_list(t, 'overmorrow'))})\b"),
                weekday_re=re.compile(weekday),
                next_weekday_re=re.compile(
                    rf"\b(?:{_alternatives(time_list(t, 'next'))})\s+({day_names})s?\b"
                ),
                next_week_re=re.compile(rf"\b({_alternatives(time_list(t, 'next_week'))})\b"),
                weekend_re=re.compile(rf"\b({_alternatives(time_list(t, 'weekend'))})\b"),
                not_today_re=re.compile(rf"\b({_alternatives(time_list(t, 'not_today'))})\b"),
                date_res=date_res,
                ordinals=ordinals,
                say={str(k): str(v) for k, v in time_table(t, "say").items()},
            )
        except (KeyError, IndexError, TypeError, ValueError, re.error) as exc:
            raise NluError(f"bad day grammar: {exc}") from exc


def time_table(t: dict[str, object], key: str) -> dict[Any, Any]:
    """The table ``key`` of a pack's ``time`` grammar (an NluError if it is not one)."""
    value = t[key]
    if not isinstance(value, dict):
        raise NluError(f"grammar time.{key} must be a table")
    return value


def time_list(t: dict[str, object], key: str) -> list[str]:
    """The list ``key`` of a pack's ``time`` grammar, as text (an NluError if it is not one)."""
    value = t[key]
    if not isinstance(value, list):
        raise NluError(f"grammar time.{key} must be a list")
    return [str(v) for v in value]


@functools.cache
def day_grammar(language: str = DEFAULT_LANGUAGE) -> DayGrammar:
    """The day grammar of ``language``'s pack (read once)."""
    reading = load_pack(language).reading
    time_tables = grammar_doc(language).get("time") or {}
    return DayGrammar.from_tables(time_tables, reading.weekdays, reading.months)


def named_day(words: str, today: date, language: str = DEFAULT_LANGUAGE) -> tuple[NamedDay, str]:
    """The day ``words`` (lower case, punctuation gone) name, said on ``today``, and the
    words left once the day's own are taken out (so that "the 12th" is no "at 12")."""
    g = day_grammar(language)
    if (m := g.not_today_re.search(words)) is not None:
        return NamedDay("not_today", today + timedelta(days=1), today + timedelta(days=1)), _cut(
            words, m
        )
    if (m := g.overmorrow_re.search(words)) is not None:
        day = today + timedelta(days=2)
        return _one(f"overmorrow:{day.isoformat()}", day), _cut(words, m)
    if any(w in words for w in g.tomorrow):
        return _one("tomorrow", today + timedelta(days=1)), words
    for date_re in g.date_res:
        if (m := date_re.search(words)) is not None:
            on = _date(g, m, today)
            if on is not None:
                return _one(_date_key(on, today), on), _cut(words, m)
    weeks = g.next_week_re.search(words)
    if (m := g.next_weekday_re.search(words) or g.weekday_re.search(words)) is not None:
        n = [w.lower() for w in g.weekdays].index(m.group(1))
        rest = _cut(words, m)
        if weeks is not None or m.re is g.next_weekday_re:
            # "Monday next week", "next Friday": that weekday in the coming calendar week;
            # "next Friday" said on a Monday may mean this Friday: asked about.
            monday = today + timedelta(days=7 - today.weekday())
            on = monday + timedelta(days=n)
            rest = g.next_week_re.sub(" ", rest)
            return _one(f"on_date:{on.isoformat()}", on, check=n > today.weekday()), rest
        if n == today.weekday():
            later = today + timedelta(days=7)
            week_on = _one(f"on_date:{later.isoformat()}", later, check=True)
            return NamedDay(f"today_weekday:{n}", today, today, True, week_on), rest
        return _one(f"weekday:{n}", first_day(f"weekday:{n}", today)), rest
    if g.weekend_re.search(words):
        # Saturday and Sunday ahead; said at the weekend, the rest of this one.
        sunday = today + timedelta(days=6 - today.weekday())
        return NamedDay("weekend", first_day("weekend", today), sunday), words
    return _one("today", today), words


def _one(key: str, day: date, *, check: bool = False) -> NamedDay:
    return NamedDay(key, day, day, check)


def _cut(words: str, m: re.Match[str]) -> str:
    return f"{words[: m.start()]} {words[m.end() :]}"


def _date(g: DayGrammar, m: re.Match[str], today: date) -> date | None:
    """The date a day of the month (and a month) name: the first such date from today."""
    text = m.group("day")
    day = int(text) if text.isdigit() else g.ordinals[text]
    if not 1 <= day <= 31:
        return None
    month_text = m.groupdict().get("month")
    if month_text:
        month = [x.lower() for x in g.months].index(month_text) + 1
        for year in (today.year, today.year + 1):
            if day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= today:
                return date(year, month, day)
        return None
    year, month = today.year, today.month
    for _ in range(12):  # "the 31st" said in November: 31 December
        if day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _date_key(on: date, today: date) -> str:
    kind = {0: "today_date", 1: "tomorrow_date", 2: "overmorrow"}.get((on - today).days, "on_date")
    return f"{kind}:{on.isoformat()}"


def first_day(day_key: str, today: date) -> date:
    """The first day ``day_key`` names: a weekday is the next one (in 1 to 7 days)."""
    if day_key.startswith("weekday:"):
        ahead = (int(day_key.partition(":")[2]) - today.weekday()) % 7
        return today + timedelta(days=ahead or 7)
    if day_key == "weekend":
        return today + timedelta(days=max(5 - today.weekday(), 0))
    kind, _, iso = day_key.partition(":")
    if kind in DATE_KINDS:
        return date.fromisoformat(iso)
    if kind == "today_weekday" or day_key == "today":
        return today
    return today + timedelta(days=1)


def spans(day_key: str) -> bool:
    """Whether a part of the day goes after the day as its own phrase ("at the weekend,
    in the afternoon", "on Monday 14 December, in the afternoon") rather than joined to
    it ("tomorrow afternoon", "on Monday afternoon")."""
    return day_key.partition(":")[0] in ("weekend", "today_weekday", *DATE_KINDS)


def say_day(day_key: str, language: str = DEFAULT_LANGUAGE) -> str:
    """ "today", "tomorrow", "on Monday", "at the weekend", "from tomorrow", "today,
    Monday", "on Monday 14 December", "the day after tomorrow, Wednesday 9 December"."""
    g = day_grammar(language)
    kind, _, value = day_key.partition(":")
    if kind == "weekday":
        return g.say["weekday"].format(weekday=g.weekdays[int(value)])
    if kind == "today_weekday":
        return g.say["today_weekday"].format(weekday=g.weekdays[int(value)])
    if kind in DATE_KINDS:
        on = date.fromisoformat(value)
        said = g.say["date"].format(
            weekday=g.weekdays[on.weekday()], day=on.day, month=g.months[on.month - 1]
        )
        return g.say[kind].format(date=said)
    return g.say[day_key]
