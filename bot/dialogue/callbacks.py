"""The dialogue's callback steps: record at once, read the number back, ask when, say when.

A mixin of :class:`bot.dialogue.machine.Dialogue`, kept apart because the
steps are a flow of their own. The request is recorded as soon as there is a
number (a caller who hangs up then is still called back), then updated with
the caller's window ("this afternoon") or a corrected number.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.backends import CallbackRecorded, CallbackRequest, NumberKept
from bot.dialogue.asap_request import AsapSteps
from bot.dialogue.callback_cancel import cancels_callback
from bot.dialogue.clock_time import clock_hour, first_slot
from bot.dialogue.config import State
from bot.dialogue.day_clash import DayClashSteps
from bot.dialogue.excluded_days import caller_window
from bot.dialogue.inputs import CallerInput, TextTurn
from bot.dialogue.no_preference import no_preference
from bot.dialogue.number_refusal import typed_refusal
from bot.dialogue.phrasing import Calendar, hour_text, phone_text
from bot.dialogue.plain_callback import asks_plain_callback
from bot.dialogue.plain_yes import Answer, Next
from bot.dialogue.promise_words import promise_parts, promise_sentence
from bot.dialogue.prompts import say
from bot.dialogue.result import Outcome
from bot.dialogue.spoken_phone import said_number
from bot.dialogue.time_examples import examples_sentence
from bot.dialogue.time_phrases import (
    CallbackWindow,
    names_unplaced_time,
    open_today,
)
from bot.dialogue.window_fit import fit_window
from bot.dialogue.window_refusal import refusal_why, today_offer
from bot.nlu.intents import TOPICS, Intent
from bot.types import ParsedIntent, Reply
from scheduler.rules import RequestFacts, next_allowed
from scheduler.stored_promise import Promise
from scheduler.timing.choice import Timing
from spillway.errors import BackendError
from spillway.phone import timezone_for
from spillway.request_problem import DO_NOT_CALL

log = logging.getLogger(__name__)

# A time the caller named: called from then, within the hour.
_CLOCK_WINDOW_S = 3600.0


class CallbackSteps(DayClashSteps, AsapSteps):
    """The callback flow; the state and helpers are declared in DialogueSteps (the days
    asked about in :class:`bot.dialogue.day_clash.DayClashSteps`)."""

    # The timing intake gave the request ('predicted', 'conventional'); None: not asked.
    _callback_timing: str | None = None
    # The promise the request carries as stored (its deadline), said with the goodbye;
    # read again after every change to the request. None: unknown.
    _callback_promise: Promise | None = None
    # The other day a day read back may have meant ("today, Monday": next Monday), asked
    # about after a no to the first.
    _pending_other: CallbackWindow | None = None
    # Answers to "when suits you?" the bot did not understand (asked again once).
    _when_unclear: int = 0
    # The caller has heard that the model picks the time and how to refuse it.
    _timing_noted: bool = False
    # The last question read back the number with the caller's own window ("... this
    # afternoon. Is that right?"): an unclear answer is asked about that, not a time.
    _window_asked: bool = False
    # Why the window the caller named was not kept (no calling hours in it); "": none.
    _window_refusal: str = ""
    # The question when a date with the wrong weekday was named with the request (asked
    # with the number's read-back).
    _choice_question: str = ""
    # "Today" or "after four" (today) refused (its calls over, or none today): the next
    # possibility, offered with the next question "when else?" (window_refusal); None: not.
    _today_refused: CallbackWindow | None = None

    async def _callback_number(self, phone: str, *, confirmed_when: bool = False) -> Reply:
        """Record the request at once (nothing lost if the caller hangs up), then read the
        number back and ask when suits them, unless they said so already.

        ``confirmed_when``: the caller already said yes to this number (and to
        the time they named: then recorded and done; :mod:`bot.dialogue.actions`).
        """
        window = self._callback_window
        span = (window.not_before, window.not_after) if window else (None, None)
        if self.callback_id is None:
            recorded = await self.backends.callbacks.request_callback(
                CallbackRequest(
                    phone=phone,
                    # The reason is the request; what it was about goes with the context.
                    reason=Intent.CALLBACK_REQUEST,
                    call_id=self.call_id,
                    context={**self.handover_context().as_json(), "topic": self._callback_topic()},
                    not_before=span[0],
                    not_after=span[1],
                )
            )
            if not recorded.will_be_called:
                return self._callback_refused(recorded, phone)
            self.callback_id = recorded.id
        else:
            # A number that already has an open request joins it: that one is ours now.
            moved = await self.backends.callbacks.update_callback(self.callback_id, phone=phone)
            if moved is None or (isinstance(moved, NumberKept) and not moved.open):
                # Closed while the call went on (cancelled, erased): the number the caller
                # gives now is a request of its own, as if they had called again.
                self.callback_id = None
                return await self._callback_number(phone, confirmed_when=confirmed_when)
            if isinstance(moved, NumberKept):
                return self._number_kept(moved, phone)
            if isinstance(moved, CallbackRecorded):
                # The new number is on the do-not-call list: the request closed with it.
                self.callback_id = None
                return self._callback_refused(moved, phone)
            self.callback_id = moved
        self._callback_phone = phone
        self._callback_timing = await self.backends.callbacks.callback_timing(self.callback_id)
        if await self._made_plain():  # "as soon as possible", said with the request
            self._callback_timing = Timing.CONVENTIONAL.value
        await self._read_promise()
        if confirmed_when and window is not None:
            return self._callback_done()
        spoken = phone_text(phone, self.config.country)
        self._window_asked = not confirmed_when and window is not None
        refusal, self._window_refusal = self._window_refusal, ""
        question, self._choice_question = self._choice_question, ""
        if question:
            # "Monday the 12th", the 12th a Saturday: which of the two (bot.dialogue.day_choice).
            closed = say("callback_confirm_closed", phone=spoken, closed=question)
            text = question if confirmed_when else closed
        elif confirmed_when and refusal:
            # Why the named window was not kept went with the proposal: the question is left.
            text = self._ask_when_else(phone)
        elif confirmed_when:
            # The number was read back with the proposal: only "when" is left.
            text = say("callback_ask_when", examples=self._examples())
        elif refusal:
            text = say(
                "callback_confirm_closed",
                phone=spoken,
                closed=f"{refusal} {self._ask_when_else(phone)}",
            )
        elif window is not None:
            text = say("callback_confirm_when", phone=spoken, when=self._callback_when(phone))
        else:
            text = say("callback_confirm", phone=spoken, examples=self._examples())
        if self._callback_timing == Timing.PREDICTED.value and not self._timing_noted:
            # Transparency: the model times the call, and the caller may refuse it; said
            # once a call, not again with every number or time question.
            text = f"{text} {say('callback_timing_note')}"
            self._timing_noted = True
        return self._ask(text, "callback_confirm", State.CONFIRM_CALLBACK)

    def _callback_refused(self, recorded: CallbackRecorded, phone: str) -> Reply:
        """The number may not be called back (on the do-not-call list, say): the request is
        kept closed for an admin, and the caller hears so, never a promise, and goes to a
        colleague with the call's context (back to the queue), as after the DTMF menu's key.
        Not a new number asked for: one on the list is most often the caller's own wish."""
        log.warning(
            "call %s: callback request %d will not be called (%s); handing over",
            self.call_id,
            recorded.id,
            recorded.refused,
        )
        spoken = phone_text(phone, self.config.country)
        key = "callback_refused_listed" if recorded.refused == DO_NOT_CALL else "callback_refused"
        return self._transfer(say(key, phone=spoken), "callback_refused")

    def _number_unchanged(self, refused: str, phone: str) -> Reply:
        """A new number typed that callbacks may not dial: why, then the request's own
        number and "when suits you?" again (never "I didn't catch a time")."""
        countries = self.config.callback_countries()
        why = typed_refusal(self.config.number_problem(refused), countries, sms=False)
        kept = say(
            "callback_number_unchanged",
            phone=phone_text(phone, self.config.country),
            examples=self._examples(),
        )
        return self._ask(f"{why} {kept}", "callback_number_unchanged", State.CONFIRM_CALLBACK)

    def _number_kept(self, kept: NumberKept, refused: str) -> Reply:
        """A new number the open request did not take: the caller hears the number it
        keeps and what happens next, never the number that was not stored."""
        spoken = phone_text(kept.phone, self.config.country)
        if kept.dialling:
            # A dialer is calling the number it has: that call is what comes next.
            reply = Reply(
                say("callback_number_dialling", phone=spoken),
                "callback_number_dialling",
                end_call=True,
            )
            self._finish(Outcome.CALLBACK, "callback under way")
            return reply
        self._callback_phone = kept.phone
        text = say(
            "callback_number_refused",
            refused=phone_text(refused, self.config.country),
            phone=spoken,
            examples=self._examples(),
        )
        return self._ask(text, "callback_confirm", State.CONFIRM_CALLBACK)

    async def _confirm_callback(
        self,
        event: CallerInput,
        intent: ParsedIntent | None,
        digits: str,
        entities: dict[str, str],
    ) -> Reply | None:
        """The answer to "we'll call you on ...; when suits you?": a time, yes, or a number;
        or a plain callback asked for (confirmed first: it is a guess from words)."""
        if self.state is State.CONFIRM_PLAIN:
            return await self._confirm_plain(event, intent, digits)
        if isinstance(event, TextTurn) and asks_plain_callback(event.text):
            if self._callback_timing == Timing.PREDICTED.value:
                return self._ask(
                    say("callback_plain_confirm"), "callback_plain_confirm", State.CONFIRM_PLAIN
                )
            return self._callback_done()  # plain already: nothing to change
        raw = digits or said_number(entities)
        other = self.config.callable(raw) if len(raw) >= 6 else None
        if other is not None and other != self._callback_phone and not digits:
            # Said aloud, not typed: a guess, read back before the request takes it.
            self._phone_purpose = "callback"
            return self._spoken_number(raw)
        if other is not None and other != self._callback_phone:
            return await self._callback_number(other)
        if other is None and len(raw) >= 6 and self._callback_phone:
            # A new number it cannot call: why, and the request stays on the one it has.
            return self._number_unchanged(raw, self._callback_phone)
        # A yes ends the call with the request as it stands, so only a plain yes is one
        # (key 1, or the pack's plain yes words): a filler ("hmm", "øh") the classifier
        # read as a yes is unclear, and asked again (bot.dialogue.plain_yes).
        answer = self._plain_answer(event, intent, digits)
        yes, no = answer is Answer.YES, answer is Answer.NO
        pending, self._pending_window = self._pending_window, None
        other_day, self._pending_other = self._pending_other, None
        window_asked, self._window_asked = self._window_asked, False
        choice, self._day_choice = self._day_choice, None
        said = event.text if isinstance(event, TextTurn) else digits
        window = self._window_in(said) if isinstance(event, TextTurn) else None
        self._asked_week = None  # "which day next week?" is answered now, or not at all
        if choice is not None:
            reply = await self._day_chosen(choice, said, no=no, named=window is not None)
            if reply is not None:
                return reply
        if window is not None and clock_hour(said, self.config.language) is None:
            # A time named ("not today", "på mandag") is the answer, whatever the
            # classifier made of it (it read "ikke i dag" as a no); digits alone
            # ("14", "at 2") are read back first, below.
            kept, refusal = self._fit(window)
            if window.clash is not None:
                return self._day_clash(window, kept, refusal)
            if kept is None:
                return self._window_refused(refusal)
            if kept.check:
                day_after = None  # "today, Monday" may have meant next Monday
                if kept.day_key.startswith("today_weekday") and window.instead is not None:
                    day_after = self._fit(window.instead)[0]
                return self._read_back_day(kept, day_after)
            await self._keep_window(kept)
            return self._callback_done()
        if pending is not None and (yes or no):
            # The answer to "so we'll call you at two o'clock today: is that right?".
            if no and other_day is not None:
                # "No" to "today, Monday": "Then shall we call you on Monday 14 December?"
                return self._read_back_day(other_day, None, "callback_check_other")
            if no and pending.day_key.startswith("next_week:"):
                return self._ask_which_day(pending)
            if no:
                return self._when_again()
            if pending.any_time:
                return self._callback_done()  # no preference: the request as it stands
            await self._keep_window(pending)
            return self._callback_done()
        if no and window_asked:
            # "... tomorrow afternoon. Is that right? If the number is wrong, type the
            # right one": a no to that is about the time (a number would be typed).
            named = self._callback_window
            if named is not None and named.day_key.startswith("next_week:"):
                return self._ask_which_day(named)
            return self._when_again()
        if pending is None and not window_asked and no_preference(said, self.config.language):
            # "Det ved jeg ikke" to "when suits you?" (read as a no): no preference, as after
            # silence; not "the number is wrong", which asked for the one just confirmed.
            return self._callback_done()
        if no:
            return self._ask(say("ask_phone"), "ask_phone", State.ASK_PHONE)
        # Only a time ("14", "at 2 pm"): placed within the calling hours and read back.
        hour = clock_hour(said, self.config.language)
        if hour is not None:
            return self._read_back_clock(hour)
        if yes and self._callback_window is None and choice is None:
            # A bare yes to the open "when suits you best?" is no preference: read back as
            # such and kept after a second yes, never booked on a guess.
            words = say("callback_any_words")
            return self._read_back_day(
                CallbackWindow(None, None, words, any_time=True), None, "callback_check_any"
            )
        if yes or not said:
            return self._callback_done()  # the number is right, no time: said in the goodbye
        if pending is not None:
            # Neither a yes, a no nor another time: the time read back is asked about again.
            self._pending_window, self._pending_other = pending, other_day
            phone = phone_text(self._callback_phone or "", self.config.country)
            return self._when_not_understood(
                say("callback_check_unclear", phone=phone, when=pending.words),
                "callback_check_unclear",
            )
        if window_asked and self._callback_window is not None:
            return self._window_not_understood(self._callback_window)
        if names_unplaced_time(said, self.config.language):
            return self._when_not_understood(
                f"{say('callback_time_unplaced')} {self._ask_when_else(self._callback_phone or '')}"
            )
        return self._when_not_understood(say("callback_when_unclear", examples=self._examples()))

    def _window_not_understood(self, window: CallbackWindow) -> Reply:
        """Neither yes nor no to the number and window read back: asked again once, with
        the keys; then the request stays as recorded (the caller named that window)."""
        self._when_unclear += 1
        if self._when_unclear > 1:
            return self._callback_done(say("yes_unclear_keep"))
        self._window_asked = True
        phone = phone_text(self._callback_phone or "", self.config.country)
        return self._ask(
            say("callback_check_unclear", phone=phone, when=window.words),
            "callback_check_unclear",
            State.CONFIRM_CALLBACK,
            progress=False,
        )

    def _window_refused(self, refusal: str) -> Reply:
        """A window with no calling hours in it: not kept; why, and asked again once; then
        the request stays without a time (the scheduler's first allowed moment)."""
        self._when_unclear += 1
        if self._when_unclear > 1:
            return self._callback_done(say("callback_window_closed_kept"))
        text = f"{refusal} {self._ask_when_else(self._callback_phone or '')}"
        return self._ask(text, "callback_window_closed", State.CONFIRM_CALLBACK, progress=False)

    def _ask_when_else(self, phone: str) -> str:
        """ "When else suits you? For example, say any time, and we aim to call by one
        o'clock today" (timed by prediction: "... when you're most likely to be free, today
        at the latest"): the promise the request carries without a window of its own (as
        stored); unknown, the scheduler's first allowed moment ("... from ..."). After
        "today" refused: the next possibility, asked about (bot.dialogue.window_refusal)."""
        refused, self._today_refused = self._today_refused, None
        rules, tz = self.config.calling_rules, self._zone()
        offer = None
        if refused is not None:
            offer = today_offer(rules, phone, self.clock(), tz, after_hour=refused.start_hour)
        if offer is not None:
            # "Today" refused: the next possibility, kept after a yes (_confirm_callback).
            self._pending_window = offer.window
            return offer.question
        promise = self._callback_promise
        if promise is not None and not promise.own_window:
            parts = promise_parts(promise, now=self.clock())
            if parts and promise.likely:
                # Timed by prediction: the day it comes by, not an hour it may pass.
                return say("callback_window_ask_likely", day=parts["day"])
            if parts:
                return say("callback_window_ask_promise", **parts)
        saved, self._callback_window = self._callback_window, None
        try:
            planned = self._callback_when(phone)  # the scheduler's first allowed moment
        finally:
            self._callback_window = saved
        return say("callback_window_ask", next=planned)

    def _fit(self, window: CallbackWindow) -> tuple[CallbackWindow | None, str]:
        """``window`` as far as calls are allowed in it, or None and why it has none."""
        tz = self._zone()
        rules = self.config.calling_rules
        fitted = fit_window(window, rules, self.clock(), tz, self.config.language)
        # "Today" (or "after four") with no calls left today: the next possibility goes
        # with _ask_when_else.
        self._today_refused = window if fitted.window is None and open_today(window) else None
        if fitted.window is not None:
            return fitted.window, ""
        why = refusal_why(fitted, self.clock(), tz)
        return None, say("callback_window_refused", when=window.words, why=why)

    def _take_window(self, window: CallbackWindow | None, said: str = "") -> None:
        """A window named with the request: its callable part kept; one with no calling
        hours in it is not, and why is said with the next question, as is a time the bot
        could not place ("next month": ``said``). A date said with a weekday it is not
        ("Monday the 12th") is kept as neither: which one is asked with the number."""
        if window is None:
            self._callback_window = None
            if said and names_unplaced_time(said, self.config.language):
                self._window_refusal = say("callback_time_unplaced")
            return
        self._callback_window, self._window_refusal = self._fit(window)
        if window.clash is not None:
            question = self._clash_question(window, self._callback_window)
            if question:
                self._callback_window, self._window_refusal = None, ""
                self._choice_question = question

    async def _keep_window(self, window: CallbackWindow) -> None:
        if self.callback_id is not None:
            await self.backends.callbacks.update_callback(
                self.callback_id, window=(window.not_before, window.not_after)
            )
        self._callback_window = window
        await self._read_promise()  # the deadline now counts from the window

    async def _read_promise(self) -> None:
        """The promise the request carries now (the goodbye says it); a failed read
        leaves it unknown, and the goodbye says the time the old way."""
        self._callback_promise = None
        if self.callback_id is None:
            return
        try:
            self._callback_promise = await self.backends.callbacks.callback_promise(
                self.callback_id
            )
        except BackendError:
            pass

    def _read_back_day(
        self, window: CallbackWindow, other: CallbackWindow | None, key: str = "callback_check_when"
    ) -> Reply:
        """A day that may be either of two ("on Monday", said on a Monday): read back
        with the day made plain ("today, Monday", "on Monday 14 December") and kept only
        after a yes; a no offers ``other`` (next Monday) if there is one, else asks when
        again (bot.dialogue.named_days)."""
        self._pending_window, self._pending_other = window, other
        phone = phone_text(self._callback_phone or "", self.config.country)
        return self._ask(
            say(key, phone=phone, when=window.words), "callback_check_when", State.CONFIRM_CALLBACK
        )

    def _read_back_clock(self, hour: float) -> Reply:
        """A time given as digits ("14", "2 pm"): on the first day the calling rules allow
        it, read back and kept only after a yes (reading digits as a time is a guess)."""
        tz = self._zone()
        at = first_slot(hour, self.clock(), tz, self.config.calling_rules)
        if at is None:
            return self._when_not_understood(
                say("callback_when_closed", hour=hour_text(hour), examples=self._examples())
            )
        day = Calendar(ZoneInfo(tz), self.clock).when(at)
        words = say("callback_at", hour=hour_text(hour), day=day)
        self._pending_window = CallbackWindow(at, at + _CLOCK_WINDOW_S, words)
        phone = phone_text(self._callback_phone or "", self.config.country)
        return self._ask(
            say("callback_check_when", phone=phone, when=words),
            "callback_check_when",
            State.CONFIRM_CALLBACK,
        )

    def _when_not_understood(self, text: str, action: str = "callback_when_unclear") -> Reply:
        """Asked again once; then the request stays without a time, and the caller hears so
        (never an answer the bot did not understand silently taken as "as soon as")."""
        self._when_unclear += 1
        if self._when_unclear > 1:
            self._pending_window = None  # a time read back and never confirmed is not kept
            return self._callback_done(say("callback_when_kept"))
        return self._ask(text, action, State.CONFIRM_CALLBACK, progress=False)

    async def _confirm_plain(
        self, event: CallerInput, intent: ParsedIntent | None, digits: str
    ) -> Reply:
        """The answer to "a plain callback ...: is that right?". Changing the request is a
        side effect, so only a plain yes (key 1, or the pack's plain yes words above the
        floors: :mod:`bot.dialogue.plain_yes`) changes it; a no keeps it; anything else is
        asked again once, then the request stays as it was and the caller hears so."""
        step = self._plain_next(event, intent, digits)
        if step is Next.ASK_AGAIN:
            return self._yes_unsure()
        if step is Next.ACT:
            if self.callback_id is not None and await self.backends.callbacks.plain_callback(
                self.callback_id
            ):
                self._callback_timing = Timing.CONVENTIONAL.value
                await self._read_promise()
            return self._callback_done()
        if step is Next.SAFE_PATH:
            return self._callback_done(say("yes_unclear_keep"))
        return self._callback_done()  # no: as it was, timed by the model

    def _answers_when(self, text: str) -> bool:
        """Whether ``text`` answers "when suits you?" (a time, or a plain callback)."""
        return (
            self._window_in(text) is not None
            or clock_hour(text, self.config.language) is not None
            or asks_plain_callback(text)
        )

    def hint_callback_time(self, text: str) -> None:
        """A time the caller named before the callback steps began (at the overflow offer)."""
        self._take_window(self._window_in(text), text)

    def _when_again(self) -> Reply:
        """ "Sorry about that. When suits you best? For example ...": after a no to a time."""
        text = say("callback_when_again", examples=self._examples())
        return self._ask(text, "callback_ask_when", State.CONFIRM_CALLBACK)

    def _zone(self) -> str:
        """The time zone of the number to call back (the caller's until there is one)."""
        number = self._callback_phone or self.caller_phone or ""
        return timezone_for(number, self.config.callback_timezone)

    def _examples(self) -> str:
        """ "For example this afternoon, ...": times the calling rules allow from now."""
        rules, language = self.config.calling_rules, self.config.language
        return examples_sentence(self.clock(), rules, self._zone(), language)

    def _window_in(self, text: str) -> CallbackWindow | None:
        tz = self._zone()
        language = self.config.language
        return caller_window(text, self.clock(), tz, language, self._asked_week)

    def _callback_done(self, prefix: str = "") -> Reply:
        """The goodbye: the number, the caller's own window if any, and the promise the
        request carries as stored ("We aim to call by three o'clock today."), the same
        the DTMF menu says; unknown, the caller's window or the scheduler's first moment."""
        phone = self._callback_phone
        assert phone is not None
        spoken = phone_text(phone, self.config.country)
        window = self._callback_window
        own = window if window is not None and not window.any_time else None
        # The day the window names is said once: not again in the promise.
        promise = promise_sentence(self._callback_promise, now=self.clock(), window=own)
        if promise:
            when = say("confirm_when", when=own.words) if own else ""
            text = say("callback_recorded_promise", phone=spoken, when=when, promise=promise)
        else:
            text = say("callback_recorded", phone=spoken, when=self._callback_when(phone))
        reply = Reply(prefix + text, "callback_recorded", end_call=True)
        self._finish(Outcome.CALLBACK, "callback requested")
        return reply

    async def _callback_left(self, event: CallerInput, intent: ParsedIntent | None) -> Reply | None:
        """A caller leaving the callback flow hears whether a call is coming: "forget it"
        cancels the request just recorded, a goodbye after it was recorded is the booked
        goodbye (the number and when), one before it (the number not confirmed) hears
        that nothing is booked. None: not leaving."""
        if not isinstance(event, TextTurn):
            return None
        flow = (State.CONFIRM_CALLBACK, State.CONFIRM_PLAIN)
        booked = self.callback_id is not None and self.state in flow
        # Not to "a plain callback: is that right?", where "no thanks" keeps the timing.
        asked = booked and self.state is State.CONFIRM_CALLBACK
        if asked and cancels_callback(event.text, self.config.language):
            return await self._cancel_callback()
        if intent is None or intent.name != Intent.GOODBYE or self._answers_when(event.text):
            return None
        if booked:
            return self._callback_done()
        if self.state is State.CONFIRM_ACTION and self._proposal == "callback":
            self._finish(Outcome.HANGUP, "goodbye before the callback was booked")
            text = say("callback_not_booked", shop=self.config.shop_name)
            return Reply(text, "callback_not_booked", end_call=True)
        return None

    async def _cancel_callback(self) -> Reply:
        """The request just recorded, withdrawn: closed as cancelled by the caller, and
        said so; one already being dialled or closed stays as it is (the goodbye says it)."""
        assert self.callback_id is not None
        if not await self.backends.callbacks.cancel_callback(self.callback_id):
            return self._callback_done()
        self.callback_id = None
        self._finish(Outcome.HANGUP, "callback cancelled by the caller")
        text = say("callback_cancelled", shop=self.config.shop_name)
        return Reply(text, "callback_cancelled", end_call=True)

    def _callback_when(self, phone: str) -> str:
        """When the call will come, in words: the caller's window, or the scheduler's plan."""
        window = self._callback_window
        if window is not None and not window.any_time:
            return window.words
        rules = self.config.calling_rules
        if rules is None:
            return say("callback_asap")
        now = self.clock()
        tz = timezone_for(phone, self.config.callback_timezone)
        planned = next_allowed(rules, RequestFacts(phone=phone, timezone=tz, created_at=now), now)
        if planned is None or planned - now < 600:
            return say("callback_asap")
        local = datetime.fromtimestamp(planned, ZoneInfo(tz))
        day = Calendar(ZoneInfo(tz), self.clock).when(planned)
        return say("callback_from", hour=hour_text(local.hour + local.minute / 60), day=day)

    def _callback_topic(self) -> str | None:
        """What the caller talked about before asking for a callback, if anything."""
        topics = [i for i in self.intents if i in TOPICS and i != Intent.CALLBACK_REQUEST]
        return topics[-1] if topics else None
