"""When a caller wants to be called back, from what they say: a window in their local time.

"this afternoon", "tomorrow morning", "late in the afternoon", "after five", "not
before ten", "before noon", "at three", "at half past two" (a time with its minutes:
:mod:`bot.dialogue.spoken_clock`), "this evening", "in two hours", "any time" ("as
soon as possible" is a plain callback, not a window: :mod:`bot.dialogue.plain_callback`),
"today" alone (the rest of today: :func:`rest_of_today`), a
named day ("on Monday afternoon", "at the weekend", "not today": any time from
tomorrow, "the day after tomorrow", "the 12th": the days are
:mod:`bot.dialogue.named_days`); in Danish "i eftermiddag", "i morgen
formiddag", "mandag morgen", "i morgen sidst på dagen", "i morgen klokken halv tre",
"efter klokken fem", "om to timer", "når som helst", "i dag", "på
mandag", "i weekenden", "ikke i dag", "i overmorgen", "den 12.". :func:`callback_window`
is a pure function of the words, the moment, the time zone and the language;
:func:`say_window` words a window back ("this afternoon, between two and
five", "i eftermiddag, mellem klokken fjorten og sytten", "at the weekend, in the
afternoon"; the hours are the pack's, on its clock: reading.yaml's ``clock``).

"On Monday" said on a Monday is today while the window named still has
``TODAY_MIN_S`` of time left, else next Monday; either way the window is marked
``check`` (read back with the day made plain, "today, Monday" or "on Monday 14
December", and asked about) and today's carries next week's as ``instead``, for
when the calling rules leave no time today (:mod:`bot.dialogue.window_fit`).

The words are tables in each language pack (``grammar.yaml``, ``time``); a part of
the day's words are whole words ("juleaften" is no "i aften"); the
rules (a part of the day, after, before, at, between, in N hours, any time,
tomorrow) are the same for every language.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.dialogue.named_days import (
    NOT_TODAY_ROLL_DAYS,
    NamedDay,
    named_day,
    say_day,
    spans,
    time_list,
    time_table,
)
from bot.dialogue.spoken_clock import bare_clock, clock_digits
from bot.nlu.data import DEFAULT_LANGUAGE, grammar_doc
from spillway.errors import NluError
from spillway.language_pack import load_pack

# A weekday named on that weekday is today only with at least this much time left in it.
TODAY_MIN_S = 30 * 60


@dataclass(frozen=True, slots=True)
class CallbackWindow:
    """When the caller wants the call; None ends mean "no limit that side"."""

    not_before: float | None
    not_after: float | None
    words: str  # the window as the bot says it back
    any_time: bool = False  # "any time", "whenever": no preference (the model times it)
    # What the words named, to say a clipped window back (bot/dialogue/window_fit.py):
    # "today", "tomorrow", "weekday:N" (0 Monday), "weekend", "not_today" (from
    # tomorrow), "today_weekday:N" or a date ("on_date:2026-12-14": named_days.py)
    day_key: str = "today"
    part: str | None = None  # a part of the day's key ("morning")
    start_hour: float | None = None  # local hours as named
    end_hour: float | None = None
    check: bool = False  # the day is a guess between two: read back and asked about
    instead: CallbackWindow | None = None  # the other day meant, if today has no time left
    # The same hours on the weekday said with a date it is not ("Monday the 12th"): the
    # caller is asked which of the two they meant.
    clash: CallbackWindow | None = None
    # Days after its own the window may move to, the same hours, when the calling rules
    # leave none in it ("not today, in the morning" said on a Saturday: Monday morning).
    roll_days: int = 0
    around_hour: float | None = None  # an hour named alone ("at two"), as said back


def _alternatives(words: list[str]) -> str:
    # Longest first, so that "not before" wins over "before" and "tolv" over "to".
    return "|".join(sorted(words, key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class TimeGrammar:
    """One language's time words and the patterns built from them."""

    hours: dict[str, int]
    parts: dict[str, tuple[int, int]]
    part_words: tuple[tuple[re.Pattern[str], str], ...]  # (its words, part), in match order
    part_say: dict[str, dict[str, str]]  # part -> "today", "day", "span" -> as said back
    unplaced_re: re.Pattern[str]  # a time named that the rules here cannot place
    today_re: re.Pattern[str]  # "today" said ("call me back today"): the rest of today
    say: dict[str, str]
    any_re: re.Pattern[str]
    after_re: re.Pattern[str]
    before_re: re.Pattern[str]
    at_re: re.Pattern[str]
    between_re: re.Pattern[str]
    in_hours_re: re.Pattern[str]
    in_hours_numbers: dict[str, float]
    clock_re: re.Pattern[str]  # an answer that is only a time in digits ("kl. 14", "2 pm")
    bare_clock_re: re.Pattern[str]  # a time with minutes and no word before it ("i morgen 14:30")

    @classmethod
    def from_tables(cls, t: dict[str, object]) -> TimeGrammar:
        try:
            hours = {str(k): int(v) for k, v in time_table(t, "hours").items()}
            parts_table = time_table(t, "parts")
            parts = {
                str(k): (int(v["hours"][0]), int(v["hours"][1])) for k, v in parts_table.items()
            }
            # Whole words: "juleaften" is no "aften", "eve" no "evening".
            part_words = tuple(
                (
                    re.compile(rf"(?<!\w)(?:{_alternatives([str(w) for w in v['words']])})(?!\w)"),
                    str(k),
                )
                for k, v in parts_table.items()
            )
            part_say = {
                str(k): {form: str(v[form]) for form in ("today", "day", "span")}
                for k, v in parts_table.items()
            }
            prefix = str(t.get("hour_prefix", ""))
            hour = rf"{prefix}(\d{{1,2}}(?::\d{{2}})?|{_alternatives(list(hours))})"
            suffix = rf"\s*{t['hour_suffix']}?(?![a-zæøå])"
            hour_re = hour + suffix

            def keyed(key: str) -> re.Pattern[str]:
                return re.compile(rf"\b({_alternatives(time_list(t, key))})\s+{hour_re}")

            clock = (
                rf"^(?:(?:{_alternatives(time_list(t, 'at'))})\s+)?{prefix}"
                rf"(?:(?P<h>\d{{1,2}})(?:[:.](?P<m>\d{{2}}))?|(?P<hm>\d{{3,4}}))"
                rf"\s*(?P<marker>{t['hour_suffix']})?$"
            )
            between = rf"\b{t['between']}\s+{hour_re}\s+{t['between_and']}\s+{hour_re}"
            return cls(
                hours=hours,
                parts=parts,
                part_words=part_words,
                part_say=part_say,
                unplaced_re=re.compile(rf"\b({_alternatives(time_list(t, 'unplaced'))})\b"),
                today_re=re.compile(rf"\b({_alternatives(time_list(t, 'today'))})\b"),
                say={str(k): str(v) for k, v in time_table(t, "say").items()},
                any_re=re.compile(rf"\b({_alternatives(time_list(t, 'any_time'))})\b"),
                after_re=keyed("after"),
                before_re=keyed("before"),
                at_re=keyed("at"),
                between_re=re.compile(between),
                in_hours_re=re.compile(rf"\b{t['in_hours']}\b"),
                in_hours_numbers={
                    str(k): float(v) for k, v in time_table(t, "in_hours_numbers").items()
                },
                clock_re=re.compile(clock),
                bare_clock_re=bare_clock(prefix, str(t["hour_suffix"])),
            )
        except (KeyError, IndexError, TypeError, ValueError, re.error) as exc:
            raise NluError(f"bad time grammar: {exc}") from exc

    def hour_value(self, text: str) -> tuple[int, int]:
        if text in self.hours:
            return self.hours[text], 0
        hour_text, _, minute_text = text.partition(":")
        return int(hour_text), int(minute_text or 0)


@functools.cache
def time_grammar(language: str = DEFAULT_LANGUAGE) -> TimeGrammar:
    """The time grammar of ``language``'s pack (read once)."""
    doc = grammar_doc(language)
    return TimeGrammar.from_tables(doc.get("time") or {})


def _hour(g: TimeGrammar, text: str, ampm: str | None, *, afternoon_default: bool) -> float:
    """An hour from "5", "5:30", "five", "noon", with am/pm or a business-hours guess."""
    hour, minute = g.hour_value(text)
    marker = (ampm or "").replace(".", "")
    if marker == "pm" and hour < 12:
        hour += 12
    elif marker == "am" and hour == 12:
        hour = 0
    elif not marker.endswith("m") and afternoon_default and 1 <= hour <= 7:
        hour += 12  # "after five" in a call centre is 17:00, not 05:00
    return min(hour + minute / 60, 24.0)


def callback_window(
    text: str,
    now: float,
    timezone: str,
    language: str = DEFAULT_LANGUAGE,
    *,
    week: date | None = None,
) -> CallbackWindow | None:
    """The window ``text`` names, or None when it names no time; ``week``: the Monday
    of the week the caller was asked about, in which a weekday named alone falls."""
    g = time_grammar(language)
    words = normal_words(text)
    tz = ZoneInfo(timezone)
    here = datetime.fromtimestamp(now, tz)
    named, rest = named_day(words, here.date(), language, week=week)
    # "Today" said, no other day ("not today" is a day of its own): the rest of today,
    # also "any time today", which asks for today, not for no preference.
    today = named.key == "today" and g.today_re.search(rest) is not None
    if g.any_re.search(words) and not today:
        return CallbackWindow(None, None, g.say["any_time"], any_time=True)
    words = clock_digits(rest, language)  # "halv tre" -> "2:30"
    if g.unplaced_re.search(words):
        return None  # "next month": not placed on a day (names_unplaced_time says so)
    hours = _hours(g, words, here, today=named.key == "today")
    if hours is None and named.key == "today":
        return rest_of_today(here.date(), tz, language) if today else None
    start, end, around, part = hours or (None, None, None, None)
    if named.key == "today" and end is not None and _at(here.date(), end, tz) <= now:
        named = NamedDay(
            "tomorrow", named.first + timedelta(days=1), named.last + timedelta(days=1)
        )
    if named.key == "not_today" and (start is not None or end is not None):
        # "Not today, in the morning": tomorrow morning, or the first morning after it
        # that the calling rules allow (bot/dialogue/window_fit.py).
        named = replace(named, key="tomorrow", roll_days=NOT_TODAY_ROLL_DAYS)
    window = _on_day(named, start, end, part, around, now, tz, language)
    if named.clash is not None:
        clash = _on_day(named.clash, start, end, part, around, now, tz, language)
        window = replace(window, clash=clash)
    if named.instead is None:
        return window
    later = _on_day(named.instead, start, end, part, around, now, tz, language)
    if time_left(window, now) < TODAY_MIN_S:
        return later  # "Monday morning", said on a Monday afternoon: next Monday
    return replace(window, instead=later)


def rest_of_today(today: date, tz: ZoneInfo, language: str = DEFAULT_LANGUAGE) -> CallbackWindow:
    """ "Call me back today", no hours named: from now to the end of ``today``, said back
    as "today" (the calling hours clip it, and refuse it when they are over or nearly:
    :mod:`bot.dialogue.window_fit`)."""
    return CallbackWindow(None, _at(today, 24, tz), say_day("today", language), day_key="today")


def whole_today(window: CallbackWindow) -> bool:
    """Whether ``window`` is :func:`rest_of_today`'s: "today", no hours, no part named."""
    named = (window.part, window.start_hour, window.end_hour, window.around_hour)
    return window.day_key == "today" and not window.any_time and named == (None,) * 4


def open_today(window: CallbackWindow) -> bool:
    """Whether ``window`` is today up to the end of its calls: "today" (:func:`whole_today`)
    or "after four", from an hour on; not a part of the day, an end or an hour alone."""
    named = (window.part, window.end_hour, window.around_hour)
    return window.day_key == "today" and not window.any_time and named == (None,) * 3


def time_left(window: CallbackWindow, now: float) -> float:
    """Seconds of ``window`` still ahead of ``now`` (inf when it has no end)."""
    if window.not_after is None:
        return float("inf")
    return window.not_after - max(window.not_before or now, now)


def normal_words(text: str) -> str:
    """``text`` in lower case, without punctuation but the time's (":", ".", "'")."""
    return " ".join(re.sub(r"[^a-z0-9æøåé:' .]+", " ", text.lower()).split())


_Hours = tuple[float | None, float | None, float | None, str | None]


def _hours(g: TimeGrammar, words: str, here: datetime, *, today: bool) -> _Hours | None:
    """The local hours the words name (start, end, an hour named alone, a part of the
    day), or None when they name none; "in two hours" counts only said of today."""
    start: float | None = None
    end: float | None = None
    around: float | None = None  # an hour named alone ("at two"): said as that hour
    part = next((p for said, p in g.part_words if said.search(words)), None)
    if part is not None:
        start, end = g.parts[part]
    # An hour said with a morning ("kvart over syv i morgen tidlig") is that morning's.
    afternoon = part is None or g.parts[part][0] >= 12
    # An hour named with the part ("at three this afternoon") is the caller's hour, not
    # the whole afternoon; an "after" or a "before" keeps the part's other end.
    part_only = part is not None
    if (m := g.in_hours_re.search(words)) is not None and today:
        # "in two hours": from then, for an hour (a caller who says it means soon).
        opens = here.hour + here.minute / 60 + g.in_hours_numbers[m.group("n")]
        start, end = min(opens, 24.0), min(opens + 1, 24.0)
    elif (m := g.between_re.search(words)) is not None:
        start = _hour(g, m.group(1), m.group(2), afternoon_default=afternoon)
        end = _hour(g, m.group(3), m.group(4), afternoon_default=afternoon)
    else:
        if (m := g.after_re.search(words)) is not None:
            start = _hour(g, m.group(2), m.group(3), afternoon_default=afternoon)
            end = end if end is not None and end > start else None
            words = words[: m.start()] + words[m.end() :]  # "not before ten" is no "before"
            part_only = False
        if (m := g.before_re.search(words)) is not None:
            end = _hour(g, m.group(2), m.group(3), afternoon_default=False)
            start = start if start is not None and start < end else None
            part_only = False
        # "at half past two", or "2:30" alone (a time with its minutes needs no "at").
        m = g.at_re.search(words)
        said = (m.group(2), m.group(3)) if m is not None else None
        if said is None and (bare := g.bare_clock_re.search(words)) is not None:
            said = (bare.group(1), bare.group(2))
        if said is not None and (part_only or (start is None and end is None)):
            at = _hour(g, said[0], said[1], afternoon_default=afternoon)
            if part is not None and g.parts[part][0] >= 12 and at < 12:
                at += 12  # "klokken elleve i aften" is 23:00, not 11:00
            start, end = max(at - 0.25, 0.0), min(at + 0.75, 24.0)
            around = at
    if start is None and end is None:
        return None
    return start, end, around, part


def _on_day(
    named: NamedDay,
    start: float | None,
    end: float | None,
    part: str | None,
    around: float | None,
    now: float,
    tz: ZoneInfo,
    language: str,
) -> CallbackWindow:
    """The hours named, on the day named (the whole day when no hours were named)."""
    whole = named.key != "today"  # a day named: from its start to its end
    begin = _at(named.first, start, tz) if start is not None else None
    finish = _at(named.last, end, tz) if end is not None else None
    if whole:
        begin = begin if begin is not None else _at(named.first, 0, tz)
        finish = finish if finish is not None else _at(named.last, 24, tz)
    if named.key == "not_today":
        finish = None  # any time from tomorrow on
    if begin is not None and begin < now:
        begin = None
    return CallbackWindow(
        begin,
        finish,
        say_window(named.key, part, start, end, language, around=around),
        day_key=named.key,
        part=part,
        start_hour=start,
        end_hour=end,
        check=named.check,
        roll_days=named.roll_days,
        around_hour=around,
    )


def names_unplaced_time(text: str, language: str = DEFAULT_LANGUAGE) -> bool:
    """Whether ``text`` names a time the rules here cannot place ("next month")."""
    today = date.today()  # which day is named does not matter here, only what is left
    _named, words = named_day(normal_words(text), today, language)
    return time_grammar(language).unplaced_re.search(words) is not None


def _at(day: date, hour: float, tz: ZoneInfo) -> float:
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    return (midnight + timedelta(hours=hour)).timestamp()


def spoken_hour(hour: float, language: str = DEFAULT_LANGUAGE) -> str:
    """14.5 -> "two 30" in English, "fjorten 30" in Danish: the pack's hour words on
    the pack's clock (reading.yaml's ``clock``), as every hour the bot says is."""
    minutes = round((hour % 1) * 60)
    name = load_pack(language).reading.hour_word(hour)
    return name if minutes == 0 else f"{name} {minutes:02d}"


def say_window(
    day_key: str,
    part: str | None,
    start: float | None,
    end: float | None,
    language: str = DEFAULT_LANGUAGE,
    *,
    around: float | None = None,
) -> str:
    """ "this afternoon, between twelve and five", "tomorrow after five";
    ``day_key`` is "today", "tomorrow", "weekday:N", "weekend", "not_today",
    "today_weekday:N" or a date (:mod:`bot.dialogue.named_days`);
    ``part`` a part of the day's key;
    ``around``: the hour the caller named ("at two"), said as that hour, not as
    the window kept around it ("between one 45 and two 45")."""
    g = time_grammar(language)
    day = say_day(day_key, language)
    if part is None:
        lead = day
    elif day_key == "today":
        lead = g.part_say[part]["today"]
    else:
        lead = g.part_say[part]["span" if spans(day_key) else "day"].format(day=day)
    if around is not None:
        return g.say["around"].format(lead=lead, hour=spoken_hour(around, language))
    if start is not None and end is not None:
        return g.say["between"].format(
            lead=lead, start=spoken_hour(start, language), end=spoken_hour(end, language)
        )
    if start is not None:
        return g.say["after"].format(lead=lead, start=spoken_hour(start, language))
    if end is not None:
        return g.say["before"].format(lead=lead, end=spoken_hour(end, language))
    return lead
