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
year's. A date said with a weekday it is not ("Monday the 12th", the 12th a
Saturday) is either day: the date, with the named weekday nearest it as the
``clash`` (Monday the 14th), asked about, never one of them picked silently.

"At the weekend" said at the weekend is the rest of this one, with the next one as
the alternative (``instead``) for when the calling rules leave no time in it: said on a
Sunday, with Sundays closed, it is next Saturday, not refused.

"Next week" alone is next week's Monday, read back with its date and asked about
(``check``), and moved on to the next day of that week when the calling rules
close the Monday (``roll_days``). The words are tables in each language pack
(``grammar.yaml``, ``time``).
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from bot.nlu.data import DEFAULT_LANGUAGE, grammar_doc
from spillway.errors import NluError
from spillway.language_pack import load_pack

# Day keys: "today", "tomorrow", "weekday:N" (0 Monday), "weekend", "not_today" (any
# time from tomorrow), "today_weekday:N" (a weekday named on that weekday, kept as
# today), and a date said with its date: "on_date:ISO", "today_date:ISO",
# "tomorrow_date:ISO", "overmorrow:ISO" (the day after tomorrow), "next_week:ISO" (a day of
# next week, when the caller said only "next week").
DATE_KINDS = ("on_date", "today_date", "tomorrow_date", "overmorrow", "next_week")
# "Not today, in the morning": the first day with calling hours then, in the next two weeks.
NOT_TODAY_ROLL_DAYS = 14


@dataclass(frozen=True, slots=True)
class NamedDay:
    """The day named: its key, its first and last day (a weekend's Sunday), whether it
    is a guess between two days (read back and asked about before it is kept), the
    other day it may mean (a weekday said on that weekday: the same weekday a week on),
    the day a weekday said with a date it is not names (``clash``: "Monday the 12th",
    the Monday nearest the 12th), and how many days after its own the day may move to
    when the calling rules leave no time in it ("next week": to Tuesday, and so on)."""

    key: str
    first: date
    last: date
    check: bool = False
    instead: NamedDay | None = None
    clash: NamedDay | None = None
    roll_days: int = 0


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


def named_day(
    words: str, today: date, language: str = DEFAULT_LANGUAGE, *, week: date | None = None
) -> tuple[NamedDay, str]:
    """The day ``words`` (lower case, punctuation gone) name, said on ``today``, and the
    words left once the day's own are taken out (so that "the 12th" is no "at 12").
    ``week``: the Monday of the week the caller was asked about ("which day next week?"),
    in which a weekday named alone falls."""
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
                return _with_weekday(g, _one(_date_key(on, today), on), _cut(words, m), today)
    weeks = g.next_week_re.search(words)
    if (m := g.next_weekday_re.search(words) or g.weekday_re.search(words)) is not None:
        n = [w.lower() for w in g.weekdays].index(m.group(1))
        rest = _cut(words, m)
        if weeks is not None or m.re is g.next_weekday_re or week is not None:
            # "Monday next week", "next Friday": that weekday in the coming calendar week;
            # "next Friday" said on a Monday may mean this Friday: asked about.
            monday = week or today + timedelta(days=7 - today.weekday())
            on = monday + timedelta(days=n)
            rest = g.next_week_re.sub(" ", rest)
            check = week is None and n > today.weekday()
            return _one(f"on_date:{on.isoformat()}", on, check=check), rest
        if n == today.weekday():
            later = today + timedelta(days=7)
            week_on = _one(f"on_date:{later.isoformat()}", later, check=True)
            return NamedDay(f"today_weekday:{n}", today, today, True, week_on), rest
        return _one(f"weekday:{n}", first_day(f"weekday:{n}", today)), rest
    if weeks is not None:
        # "Next week" and no day: a good agent offers the first day of that week, with
        # its date, rather than asking an open "which day?": most callers take it, and
        # one who had another day in mind says so (then asked which day next week). The
        # calling rules may move it on within the week (a closed Monday: Tuesday).
        monday = today + timedelta(days=7 - today.weekday())
        named = NamedDay(f"next_week:{monday.isoformat()}", monday, monday, True, roll_days=6)
        return named, _cut(words, weeks)
    if g.weekend_re.search(words):
        # Saturday and Sunday ahead; said at the weekend, the rest of this one, or the
        # next one when the calling rules leave no time in this one's rest (a closed
        # Sunday: "i weekenden", said on a Sunday, is next Saturday, never refused).
        sunday = today + timedelta(days=6 - today.weekday())
        this = NamedDay("weekend", first_day("weekend", today), sunday)
        if today.weekday() < 5:
            return this, words
        following = NamedDay("weekend", sunday + timedelta(days=6), sunday + timedelta(days=7))
        return replace(this, instead=following), words
    return _one("today", today), words


def _one(key: str, day: date, *, check: bool = False) -> NamedDay:
    return NamedDay(key, day, day, check)


def _with_weekday(g: DayGrammar, named: NamedDay, rest: str, today: date) -> tuple[NamedDay, str]:
    """A date and the weekday said with it ("Monday the 12th"): when the date is another
    weekday, the named weekday nearest the date (from today on) is the ``clash``."""
    m = g.weekday_re.search(rest)
    if m is None:
        return named, rest
    n = [w.lower() for w in g.weekdays].index(m.group(1))
    on = named.first
    if n == on.weekday():
        return named, _cut(rest, m)
    other = on + timedelta(days=(n - on.weekday() + 3) % 7 - 3)
    if other < today:
        other += timedelta(days=7)
    clash = _one(_date_key(other, today), other)
    return NamedDay(named.key, on, on, named.check, clash=clash), _cut(rest, m)


def day_key(on: date, today: date) -> str:
    """The key a day ahead is said by: "tomorrow", a weekday within the week ("on
    Monday"), or a date beyond it ("on Monday 21 December")."""
    ahead = (on - today).days
    if ahead == 0:
        return "today"
    if ahead == 1:
        return "tomorrow"
    return f"weekday:{on.weekday()}" if ahead < 7 else f"on_date:{on.isoformat()}"


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


def say_day_month(on: date, language: str = DEFAULT_LANGUAGE) -> str:
    """ "12 December", "den 12. december": a date without its weekday."""
    g = day_grammar(language)
    return g.say["day_month"].format(day=on.day, month=g.months[on.month - 1])


def say_day(day_key: str, language: str = DEFAULT_LANGUAGE) -> str:
    """ "today", "tomorrow", "on Monday", "at the weekend", "from tomorrow", "today,
    Monday", "on Monday 14 December", "the day after tomorrow, Wednesday 9 December",
    "next week, on Monday 14 December"."""
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
