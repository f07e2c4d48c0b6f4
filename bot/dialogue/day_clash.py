"""The callback flow's questions about a day: a date said with a weekday it is not
("Monday the 12th", the 12th a Saturday), and "which day next week?" after a no.

A mixin of :class:`bot.dialogue.callbacks.CallbackSteps`, kept apart because the
day asked about is a small flow of its own inside the callback's; the words are
chosen by the pure functions of :mod:`bot.dialogue.day_choice`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.dialogue.clock_time import clock_hour
from bot.dialogue.config import State
from bot.dialogue.day_choice import DayChoice, choice_words, chosen, clash_words, window_day
from bot.dialogue.phrasing import phone_text
from bot.dialogue.prompts import say
from bot.dialogue.steps import DialogueSteps
from bot.dialogue.time_examples import week_examples_sentence
from bot.dialogue.time_phrases import CallbackWindow
from bot.types import Reply


class DayClashSteps(DialogueSteps):
    """Which day the caller meant; the rest of the callback flow in CallbackSteps."""

    # A time given as digits, read back and not yet confirmed.
    _pending_window: CallbackWindow | None = None
    # "Monday the 12th", the 12th a Saturday: the two days asked about (which one?).
    _day_choice: DayChoice | None = None
    # After a no to "next week, on Monday ...": that Monday; a weekday named in the answer
    # to "which day next week?" falls in its week.
    _asked_week: date | None = None

    def _ask_which_day(self, offered: CallbackWindow) -> Reply:
        """A no to "next week, on Monday 14 December": which day of that week, then (a
        weekday named in the answer falls in it: "Thursday" is Thursday 17 December)."""
        day = window_day(offered)
        self._asked_week = week = day - timedelta(days=day.weekday())
        # Days of that week the shop calls on, the refused one left out: never a fixed pair.
        rules, language = self.config.calling_rules, self.config.language
        ex = week_examples_sentence(self.clock(), rules, self._zone(), week, language, refused=day)
        question = say("callback_which_day_next_week", examples=ex)
        return self._ask(question, "callback_which_day", State.CONFIRM_CALLBACK)

    def _day_clash(
        self, window: CallbackWindow, kept: CallbackWindow | None, refusal: str
    ) -> Reply:
        """ "Monday the 12th", the 12th a Saturday: asked which day (both read back), or
        the one the rules allow read back for a yes or a no; neither: why not the date."""
        question = self._clash_question(window, kept)
        if not question:
            return self._window_refused(refusal)
        return self._ask(question, "callback_day_clash", State.CONFIRM_CALLBACK)

    def _clash_question(self, window: CallbackWindow, kept: CallbackWindow | None) -> str:
        """The question for a date said with a weekday it is not, the answer it waits for
        set (the choice, or the one day read back); "" when neither day has calling hours."""
        assert window.clash is not None
        language = self.config.language
        other = self._fit(window.clash)[0]
        wrong = clash_words(window_day(window), window_day(window.clash).weekday(), language)
        if kept is not None and other is not None:
            self._day_choice = DayChoice(kept, other)
            return say("callback_day_clash", **wrong, **choice_words(self._day_choice, language))
        one = kept or other
        if one is None:
            return ""
        self._pending_window = one
        phone = phone_text(self._callback_phone or "", self.config.country)
        return say("callback_day_clash_one", **wrong, phone=phone, when=one.words)

    async def _day_chosen(
        self, choice: DayChoice, said: str, *, no: bool, named: bool
    ) -> Reply | None:
        """The answer to "on Saturday 12 December or on Monday 14 December?": the day it
        names is kept; a no asks when again; None when it names another time (taken as
        usual); anything else asks again once, then the request stays without a time."""
        tz = self._zone()
        today = datetime.fromtimestamp(self.clock(), ZoneInfo(tz)).date()
        picked = chosen(said, choice, today, self.config.language)
        if picked is not None:
            await self._keep_window(picked)
            return self._callback_done()
        if no:
            return self._when_again()
        if named or clock_hour(said, self.config.language) is not None:
            return None
        self._day_choice = choice
        words = choice_words(choice, self.config.language)
        return self._when_not_understood(
            say("callback_day_clash_unclear", **words), "callback_day_clash"
        )

    # -- provided by the callback flow (bot.dialogue.callbacks.CallbackSteps) --

    def _fit(self, window: CallbackWindow) -> tuple[CallbackWindow | None, str]:
        raise NotImplementedError

    def _window_refused(self, refusal: str) -> Reply:
        raise NotImplementedError

    async def _keep_window(self, window: CallbackWindow) -> None:
        raise NotImplementedError

    def _callback_done(self, prefix: str = "") -> Reply:
        raise NotImplementedError

    def _when_again(self) -> Reply:
        raise NotImplementedError

    def _when_not_understood(self, text: str, action: str = "callback_when_unclear") -> Reply:
        raise NotImplementedError

    def _zone(self) -> str:
        raise NotImplementedError
