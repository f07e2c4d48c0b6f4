"""Spoken numbers and time phrases per language pack, table-driven: the Danish
grammar (unit before tens, pairs, "i eftermiddag", "om to timer") reads to the
same digits and the same callback windows as English."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.dialogue.time_phrases import callback_window, say_window, spoken_hour
from bot.nlu.data import LANGUAGES
from bot.nlu.fallback import EntityRules, clean_text
from bot.nlu.spoken_numbers import NumberGrammar, find_numbers, number_grammar, words_to_digits
from spillway.errors import NluError

CPH = ZoneInfo("Europe/Copenhagen")
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=CPH).timestamp()
DA = number_grammar("da")


def hours(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, CPH).strftime("%a %H:%M")


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        # order numbers digit by digit, as written, and with "dobbelt"
        ("en nul nul fire to", "10042"),
        ("et nul nul fire to", "10042"),
        ("fem fem otte to en", "55821"),
        ("1 0 0 4 2", "10042"),
        ("10042", "10042"),
        ("en dobbelt nul fire to", "10042"),
        ("tredobbelt syv", "777"),
        # in pairs: the unit first, joined or apart
        ("ti nul toogfyrre", "10042"),
        ("ti nul to og fyrre", "10042"),
        ("fem femogfirs enogtyve", "58521"),
        # phone numbers in pairs
        ("femogfyrre enogfirs tolv fireogtredive", "45811234"),
        ("tyve tolv fireogtredive seksoghalvtreds", "20123456"),
        ("toogtyve nul otte femoghalvfems nitten", "22089519"),
        # the tens by scores, said backwards
        ("fireogtyve", "24"),
        ("fire og tyve", "24"),
        ("halvtreds", "50"),
        ("tres", "60"),
        ("halvfjerds", "70"),
        ("firs", "80"),
        ("halvfems", "90"),
        ("niogtredive", "39"),
        ("syvoghalvfjerds", "77"),
        ("enoghalvtreds", "51"),
        ("tretten", "13"),
        ("nitten", "19"),
        # cardinals
        ("ti tusind og toogfyrre", "10042"),
        ("ti tusinde og fireogtyve", "10024"),
        ("et hundrede og fireogtyve", "124"),
        ("to hundrede", "200"),
        ("femoghalvtreds tusind otte hundrede og enogtyve", "55821"),
    ],
)
def test_danish_numbers(said: str, digits: str) -> None:
    assert words_to_digits(said, DA) == digits
    spans = find_numbers(f"mit nummer er {said} tak", DA)
    assert [s.digits for s in spans] == [digits]


@pytest.mark.parametrize(
    "said",
    [
        "jeg vil gerne have en pakke",  # "en" alone is the article
        "det er et spørgsmål",
        "hvor er min ordre",
        "fortæl mig om toget",  # number words inside words are not numbers
    ],
)
def test_danish_words_that_are_not_numbers(said: str) -> None:
    assert find_numbers(said, DA) == []


@pytest.mark.parametrize(
    ("language", "said", "order"),
    [
        ("en", "where is order one zero zero four two", "10042"),
        ("da", "hvor er ordre en nul nul fire to", "10042"),
        ("en", "order ten thousand and forty two", "10042"),
        ("da", "ordre ti tusind og toogfyrre", "10042"),
        ("da", "ordrenummer 10042", "10042"),
        ("da", "ordre fem fem otte to en og den røde elkedel", "55821"),
        ("en", "a size eight", None),
        ("da", "i størrelse toogfyrre", None),
    ],
)
def test_the_same_order_number_entity_in_every_language(
    language: str, said: str, order: str | None
) -> None:
    rules = EntityRules({}, number_grammar(language))
    assert rules.extract(clean_text(said)).get("order_number") == order


def test_danish_letters_survive_cleaning() -> None:
    assert (
        clean_text("Rød elkedel, TRÅDLØSE høretelefoner!") == "rød elkedel trådløse høretelefoner"
    )


def test_a_grammar_without_a_table_is_a_clear_error() -> None:
    with pytest.raises(NluError, match=r"numbers\.teens"):
        NumberGrammar.from_tables({"digits": {"en": 1}, "tens": {}})


# The same request in both languages: the same window (said at 09:00 on a Monday).
SAME_WINDOWS = [
    ("call me back this afternoon", "ring mig op i eftermiddag", "Mon 12:00", "Mon 17:00"),
    ("tomorrow morning please", "i morgen formiddag tak", "Tue 08:00", "Tue 12:00"),
    ("after five", "efter klokken fem", "Mon 17:00", None),
    ("after 5", "efter kl 17", "Mon 17:00", None),
    ("not before ten", "ikke før klokken ti", "Mon 10:00", None),
    ("before noon", "før middag", None, "Mon 12:00"),
    ("before twelve", "inden klokken tolv", None, "Mon 12:00"),
    ("at three", "klokken tre", "Mon 14:45", "Mon 15:45"),
    ("around three", "ved tretiden", "Mon 14:45", "Mon 15:45"),
    ("between 2 and 4", "mellem klokken to og fire", "Mon 14:00", "Mon 16:00"),
    ("tomorrow after 5 pm", "i morgen efter klokken fem", "Tue 17:00", "Wed 00:00"),
    ("this evening", "i aften", "Mon 17:00", "Mon 20:00"),
    ("around lunch", "ved frokosttid", "Mon 11:00", "Mon 13:00"),
    # "After lunch" is the afternoon, not lunchtime ("lunch" / "frokost" is in both).
    ("after lunch", "efter frokost", "Mon 12:00", "Mon 17:00"),
    ("tomorrow after lunchtime", "i morgen efter frokosten", "Tue 12:00", "Tue 17:00"),
    # An hour named with a part of the day is that hour, not the whole part.
    ("at three this afternoon", "klokken tre i eftermiddag", "Mon 14:45", "Mon 15:45"),
    ("tomorrow morning at ten", "i morgen klokken ti om formiddagen", "Tue 09:45", "Tue 10:45"),
    ("in two hours", "om to timer", "Mon 11:00", "Mon 12:00"),
    ("in an hour", "om en time", "Mon 10:00", "Mon 11:00"),
    ("in half an hour", "om en halv time", "Mon 09:30", "Mon 10:30"),
    ("any time is fine", "når som helst", None, None),
    ("whenever", "hele dagen", None, None),
]


@pytest.mark.parametrize(("english", "danish", "start", "end"), SAME_WINDOWS)
def test_the_same_window_in_every_language(
    english: str, danish: str, start: str | None, end: str | None
) -> None:
    for language, said in (("en", english), ("da", danish)):
        window = callback_window(said, MONDAY_9, "Europe/Copenhagen", language)
        assert window is not None, (language, said)
        assert (hours(window.not_before), hours(window.not_after)) == (start, end), (language, said)


@pytest.mark.parametrize(
    ("said", "words"),
    [
        ("ring mig op i eftermiddag", "i eftermiddag, mellem klokken tolv og sytten"),
        ("i morgen formiddag", "i morgen formiddag, mellem klokken otte og tolv"),
        ("efter klokken fem", "i dag efter klokken sytten"),
        ("før middag", "i dag før klokken tolv"),
        ("ved tretiden", "i dag omkring klokken femten"),
        ("når som helst", "hurtigst muligt"),
        ("i morgen", "i morgen"),
        # "Efter frokost" is the afternoon, not lunchtime ("frokost" is in both).
        ("på fredag efter frokost", "på fredag eftermiddag, mellem klokken tolv og sytten"),
        ("i morgen efter frokosten", "i morgen eftermiddag, mellem klokken tolv og sytten"),
        ("på fredag ved frokosttid", "på fredag ved frokosttid, mellem klokken elleve og tretten"),
        # "Klokken elleve i aften" is 23:00 (outside calling hours, and so refused), never
        # the whole evening, 17-20, as it was heard.
        ("klokken elleve i aften", "i aften omkring klokken treogtyve"),
    ],
)
def test_danish_windows_are_said_back_in_danish(said: str, words: str) -> None:
    window = callback_window(said, MONDAY_9, "Europe/Copenhagen", "da")
    assert window is not None and window.words == words


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "said", ["ring mig op tak", "please call me back", "jeg har ikke tid", "to pakker"]
)
def test_no_time_named_is_none(language: str, said: str) -> None:
    assert callback_window(said, MONDAY_9, "Europe/Copenhagen", language) is None


def test_this_morning_said_in_the_afternoon_means_tomorrow_in_danish() -> None:
    three_pm = datetime(2026, 3, 2, 15, 0, tzinfo=CPH).timestamp()
    window = callback_window("i formiddag", three_pm, "Europe/Copenhagen", "da")
    assert window is not None and hours(window.not_before) == "Tue 08:00"
    assert window.words.startswith("i morgen formiddag")


@pytest.mark.parametrize(
    ("language", "hour", "said"),
    [
        ("en", 14.5, "two 30"),
        ("da", 14.5, "fjorten 30"),
        ("da", 17.0, "sytten"),
        ("da", 13.0, "tretten"),
    ],
)
def test_spoken_hour(language: str, hour: float, said: str) -> None:
    assert spoken_hour(hour, language) == said


@pytest.mark.parametrize(
    ("said", "start", "end", "words"),
    [
        ("efter klokken sytten", "Mon 17:00", None, "i dag efter klokken sytten"),
        (
            "mellem klokken tretten og femten",
            "Mon 13:00",
            "Mon 15:00",
            "i dag, mellem klokken tretten og femten",
        ),
        ("før klokken fjorten", None, "Mon 14:00", "i dag før klokken fjorten"),
    ],
)
def test_a_danish_caller_answering_on_the_24_hour_clock_is_heard(
    said: str, start: str | None, end: str | None, words: str
) -> None:
    """The bot says its Danish hours on the 24-hour clock, so callers answer on it too."""
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=CPH).timestamp()
    window = callback_window(said, monday, "Europe/Copenhagen", "da")
    assert window is not None, said
    got = (
        hours(window.not_before) if window.not_before else None,
        hours(window.not_after) if window.not_after else None,
    )
    assert got == (start, end) and window.words == words


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "tomorrow afternoon, between twelve and five"),
        ("da", "i morgen eftermiddag, mellem klokken tolv og sytten"),
    ],
)
def test_say_window(language: str, words: str) -> None:
    assert say_window("tomorrow", "afternoon", 12.0, 17.0, language) == words
