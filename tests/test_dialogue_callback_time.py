"""The callback's "when suits you best?" (walkthrough items 1 and 2).

After a yes to the number the bot no longer tells the caller how to correct
it; a time given as digits ("14", "1400", "14:00", "2 pm", "kl. 14") is that
time of day, on the first day the calling rules allow it, read back before it
is kept; an answer the bot did not understand is asked again once, and is
never silently taken as "as soon as possible".
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.dialogue.clock_time import clock_hour, first_slot
from bot.dialogue.inputs import TextTurn
from bot.dialogue.machine import State
from scheduler.rules import CallingRules
from spillway.language_pack import load_pack
from spillway.storage import SqliteStore
from tests.test_dialogue_flows import NOW, backends, make, nlu, talk

__all__ = ["backends", "make", "nlu"]  # the fixtures

CPH = ZoneInfo("Europe/Copenhagen")


def _local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=CPH).timestamp()


async def test_a_confirmed_number_is_not_told_how_to_correct_it(make) -> None:  # type: ignore[no-untyped-def]
    d = make("20 12 34 56")
    actions = await talk(d, "can someone call me back", "yes")
    assert actions == ["confirm_callback", "callback_confirm"]
    assert "If that number is wrong" in d.turns[0].reply.text  # not confirmed yet
    text = d.turns[1].reply.text
    assert "When suits you best?" in text and "wrong" not in text and "hash key" not in text


@pytest.mark.parametrize("language", ["en", "da"])
def test_no_pack_asks_a_confirmed_caller_to_correct_the_number(language: str) -> None:
    prompts = load_pack(language).prompts
    # What the number's read-back says after its "is that right?": how to correct it.
    correction = prompts["confirm_callback"].text.rsplit("?", 1)[1].strip()
    assert len(correction) > 20 and correction in prompts["callback_confirm"].text
    assert correction not in prompts["callback_ask_when"].text


@pytest.mark.parametrize("said", ["14", "1400", "14:00", "2 pm", "at 2", "14."])
async def test_digits_are_a_time_of_day_read_back_then_kept(  # type: ignore[no-untyped-def]
    said: str, make, store: SqliteStore
) -> None:
    # NOW is Sunday 15 June 2025, 17:06 in Copenhagen: no calls on Sundays.
    d = make("20 12 34 56", calling_rules=CallingRules())
    actions = await talk(d, "can someone call me back", "yes", said)
    assert actions == ["confirm_callback", "callback_confirm", "callback_check_when"]
    text = d.turns[-1].reply.text
    assert "two o'clock" in text and "Monday" in text and "as soon as" not in text
    [row] = store.query("SELECT not_before FROM callback_requests")
    assert row["not_before"] is None  # a guess is kept only after a yes
    assert (await d.handle(TextTurn("yes"))).action == "callback_recorded"
    assert "two o'clock" in d.turns[-1].reply.text
    [row] = store.query("SELECT not_before, not_after FROM callback_requests")
    assert row["not_before"] == _local(2025, 6, 16, 14) and row["not_after"] > row["not_before"]


async def test_a_no_to_the_time_read_back_asks_when_again(  # type: ignore[no-untyped-def]
    make, store: SqliteStore
) -> None:
    d = make("20 12 34 56", calling_rules=CallingRules())
    actions = await talk(d, "can someone call me back", "yes", "1400", "no", "tomorrow morning")
    assert actions[2:] == ["callback_check_when", "callback_ask_when", "callback_recorded"]
    assert d.state is not State.ASK_PHONE
    [row] = store.query("SELECT not_before FROM callback_requests")
    assert row["not_before"] == _local(2025, 6, 16, 8)


async def test_an_answer_not_understood_is_asked_again_then_said_not_taken_as_asap(  # type: ignore[no-untyped-def]
    make, store: SqliteStore
) -> None:
    d = make("20 12 34 56")
    actions = await talk(d, "can someone call me back", "yes", "1475")  # no time of day
    assert actions[-1] == "callback_when_unclear" and not d.ended
    assert "didn't catch a time" in d.turns[-1].reply.text
    assert (await d.handle(TextTurn("purple elephant"))).action == "callback_recorded"
    assert "still didn't catch a time" in d.turns[-1].reply.text


def test_clock_hours_in_both_languages() -> None:
    cases = {"14": 14, "1400": 14, "14:30": 14.5, "2 pm": 14, "9": 9, "930": 9.5, "12 am": 0}
    for said, hour in cases.items():
        assert clock_hour(said) == hour, said
    for said in ("klokken 14", "kl. 14", "kl 14", "14", "14.00"):
        assert clock_hour(said, "da") == 14, said
    for said in ("25", "1475", "14 pm", "14 and 15", "this afternoon", "order 10046"):
        assert clock_hour(said) is None, said


def test_a_time_is_today_if_still_ahead_and_callable_else_the_next_allowed_day() -> None:
    rules = CallingRules()
    monday_nine = _local(2025, 6, 16, 9)
    assert first_slot(14, monday_nine, "Europe/Copenhagen", rules) == _local(2025, 6, 16, 14)
    assert first_slot(8.5, monday_nine, "Europe/Copenhagen", rules) == _local(2025, 6, 17, 8, 30)
    saturday = _local(2025, 6, 21, 9)  # Saturdays 10 to 16, no Sundays
    assert first_slot(17, saturday, "Europe/Copenhagen", rules) == _local(2025, 6, 23, 17)
    assert first_slot(22, monday_nine, "Europe/Copenhagen", rules) is None
    assert first_slot(22, monday_nine, "Europe/Copenhagen", None) == _local(2025, 6, 16, 22)
    assert NOW  # the dialogue tests above run on Sunday 15 June 2025
