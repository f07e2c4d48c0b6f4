"""The bot's conversation as an explicit state machine (no free-form generation).

A :class:`Dialogue` takes typed caller inputs (:class:`TextTurn`,
:class:`Silence`, :class:`Dtmf`) and answers each with a
:class:`bot.types.Reply`; when the call ends (goodbye, hand-over, callback or
the caller hanging up) it holds a :class:`DialogueResult`. All I/O goes through
the intent parser and the back-ends passed in, so the voice bot and
``spillway chat`` run the very same dialogue.

Flows (the shop's top reasons for calling): order status (offered from the
caller's number when they have exactly one open order, else asked for and
confirmed; a long tracking number offered by SMS or read in groups), stock,
returns (eligibility from the return window, label by SMS), complaints (case +
photo-upload SMS + hand-over), opening hours, callback requests and hand-over
to a human. A case, an SMS or a callback happens only after the caller said yes
to what the bot understood, a plain yes (:mod:`bot.dialogue.actions`). A second topic in the
same call reuses the order and the phone number the call already knows; a clear change of
topic mid-flow is followed, and a question out of scope answered with what the bot can do
(:mod:`bot.dialogue.interruption`). Silence, input not understood, or words the
recogniser was unsure of are re-prompted ``max_reprompts`` times, then handed over.
The order steps are in :mod:`bot.dialogue.orders`, the callback steps in
:mod:`bot.dialogue.callbacks`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.backends import Backends, Order, SmsMessage
from bot.dialogue.actions import CALLBACK, TRACKING_SMS, ActionSteps
from bot.dialogue.callbacks import CallbackSteps
from bot.dialogue.change_of_mind import TRANSFER, ChangeOfMindSteps
from bot.dialogue.config import DialogueConfig, IntentParser, State
from bot.dialogue.first_turn import first_turn_prompt, greetings
from bot.dialogue.hesitation import without_hesitations
from bot.dialogue.inputs import CallerInput, Dtmf, Silence, TextTurn
from bot.dialogue.interruption import Turn
from bot.dialogue.number_at_hand import number_not_at_hand
from bot.dialogue.number_refusal import ask_number, own_number_refusal, typed_refusal
from bot.dialogue.orders import OrderSteps
from bot.dialogue.phrasing import Calendar, valid_order_number
from bot.dialogue.plain_yes import Answer, plain_no
from bot.dialogue.prompts import say, use_language
from bot.dialogue.repeat import asks_repeat, one_apology, repeated, without_opener
from bot.dialogue.result import DialogueContext, DialogueResult, DialogueTurn, Outcome
from bot.dialogue.rewind import Rewindable
from bot.dialogue.small_talk import SmallTalkSteps
from bot.dialogue.spoken_phone import SpokenPhoneSteps
from bot.dialogue.stock import StockSteps
from bot.dialogue.swearing import SwearingSteps, swears
from bot.dialogue.switching import TopicSwitchSteps
from bot.dialogue.time_phrases import CallbackWindow
from bot.nlu.intents import Intent
from bot.types import ParsedIntent, Reply
from spillway.errors import BackendError, NluError
from spillway.phone import normalise_phone

log = logging.getLogger(__name__)

MAX_INPUT_CHARS = 500
_DTMF_RE = re.compile(r"^[0-9*#A-D]+$")
# What a recogniser writes for a number ("10044", "20 12 34 56", "100-44").
_SPOKEN_NUMBER_RE = re.compile(r"\d[\d \-]{2,}\d")
# The DTMF menu, as the greeting's reprompt announces it.
_MENU = {
    "1": Intent.ORDER_STATUS,
    "2": Intent.STOCK_CHECK,
    "3": Intent.RETURN_ITEM,
    "4": Intent.OPENING_HOURS,
    "9": Intent.CALLBACK_REQUEST,
    "0": Intent.HUMAN_AGENT,
}

# The questions answered yes (key 1) or no (key 2).
_YES_NO_STATES = (
    State.CONFIRM_ORDER,
    State.OFFER_ORDER,
    State.RETURN_LABEL,
    State.OFFER_HUMAN,
    State.CONFIRM_ACTION,
    State.CONFIRM_PLAIN,
    State.CONFIRM_PHONE,
)


class Dialogue(
    OrderSteps,
    StockSteps,
    CallbackSteps,
    ActionSteps,
    TopicSwitchSteps,
    SpokenPhoneSteps,
    Rewindable,
    ChangeOfMindSteps,
    SwearingSteps,
    SmallTalkSteps,
):
    """One call's conversation. Call :meth:`start`, then :meth:`handle` per input."""

    def __init__(
        self,
        nlu: IntentParser,
        backends: Backends,
        config: DialogueConfig | None = None,
        *,
        caller_id: str | None = None,
        call_id: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.nlu = nlu
        self.backends = backends
        self.config = config or DialogueConfig()
        # One process speaks one shop's language (shop.language); the dialogue sets it.
        use_language(self.config.language)
        self.call_id = call_id or f"chat-{int(clock() * 1000)}"
        self.caller_phone = normalise_phone(caller_id, self.config.country) if caller_id else None
        self.clock = clock
        self.calendar = Calendar(ZoneInfo(self.config.timezone), clock)
        self.state = State.MAIN
        self.turns: list[DialogueTurn] = []
        self.result: DialogueResult | None = None
        self.sms: list[SmsMessage] = []
        self.case_id: str | None = None
        self.callback_id: int | None = None
        self.intents: list[str] = []
        self._failures = 0
        self._swears = 0
        self._served = 0
        self._purpose = ""
        self._pending_number: str | None = None
        self._offered: Order | None = None
        # What the call already knows, for a second topic: the order talked about
        # (looked up or confirmed) and a phone number the caller gave.
        self._order: Order | None = None
        self._known_phone: str | None = None
        self._proposal = ""
        self._declines = 0
        self._return_order: Order | None = None
        self._phone_purpose = ""
        self._callback_phone: str | None = None
        self._callback_window: CallbackWindow | None = None
        self._last_prompt = ""
        self._last_answer = ""  # the answer before "anything else?" (a tracking number)
        self._last_text = ""

    # -- public interface ---------------------------------------------------

    @property
    def ended(self) -> bool:
        return self.result is not None

    async def start(self) -> Reply:
        """The greeting, with the notice that the conversation is kept (gdpr.caller_notice)."""
        text = say("greet", shop=self.config.shop_name, notice=self.config.notice())
        self._ask(text, "greet", prompt=say("greet_reprompt"))
        return Reply(text, "greet", cached_prefix=text)

    async def handle(self, event: CallerInput) -> Reply:
        """Answer one caller input. After the call ended, only says so."""
        if self.result is not None:
            return Reply("", "ended", end_call=True)
        intent: ParsedIntent | None = None
        if isinstance(event, TextTurn) and self._unsure(event):
            # The recogniser itself doubts what it heard: ask again, act on nothing.
            reply = self._reprompt(unclear=True)
            self.turns.append(DialogueTurn(event, None, reply))
            return reply
        if isinstance(event, TextTurn):
            text = event.text[:MAX_INPUT_CHARS].strip()
            if text:
                self._last_text = text
                # "Øh", "altså": words the classifier never learnt with a topic.
                intent = await self.understand(without_hesitations(text, self.config.language))
                self.intents.append(intent.name)
        try:
            reply = await self._step(event, intent)
        except BackendError as exc:
            log.warning("call %s: back-end failed, handing over: %s", self.call_id, exc)
            reply = self._transfer(say("backend_error"), "backend_error", fixed=True)
        self.turns.append(DialogueTurn(event, intent, reply))
        return reply

    def hang_up(self) -> DialogueResult:
        """The caller hung up (or the script ended) before the bot ended the call."""
        if self.result is None and self.callback_id is not None:
            # The request was recorded before the caller said when: it stands.
            self._finish(Outcome.CALLBACK, "caller hung up after the callback was recorded")
        if self.result is None:
            # Resolved only if they hung up on "anything else?" after an answer, not mid-flow.
            answered = self._served and self.state is State.ANYTHING_ELSE
            self._finish(Outcome.RESOLVED if answered else Outcome.HANGUP, "caller hung up")
        assert self.result is not None
        return self.result

    def handover_context(self) -> DialogueContext:
        """What a human (or the callback scheduler) needs to pick up where the bot left."""
        return DialogueContext(
            call_id=self.call_id,
            caller=self.caller_phone,
            intents=tuple(self.intents),
            order_number=self._pending_number,
            case_id=self.case_id,
            last_caller_text=self._last_text[:200],
            state=str(self.state),
        )

    # -- the machine --------------------------------------------------------

    def _unsure(self, event: TextTurn) -> bool:
        confidence = event.asr_confidence
        if _SPOKEN_NUMBER_RE.search(event.text):
            # A number is read back and confirmed before anything acts on it, and
            # Whisper is least sure of exactly these (a correctly heard "Order 10044"
            # fell under the floor): the read-back is the check, not a "say it again".
            return False
        return confidence is not None and confidence < self.config.min_asr_confidence

    async def understand(self, text: str) -> ParsedIntent:
        """What ``text`` means, from the NLU engine (which applies the confidence floor).

        A failing NLU is "not understood" (``out_of_scope``), never an error.
        """
        try:
            return await self.nlu.parse(text)
        except NluError as exc:
            log.warning("call %s: NLU failed: %s", self.call_id, exc)
            return ParsedIntent(Intent.OUT_OF_SCOPE, 0.0, {}, "error", text)

    async def _step(self, event: CallerInput, intent: ParsedIntent | None) -> Reply:
        if self.state is State.CONFIRM_CALLBACK and isinstance(event, Silence):
            return self._callback_done()  # no preference: as soon as possible
        if isinstance(event, Silence) or (isinstance(event, TextTurn) and intent is None):
            return self._reprompt(silence=True)
        if isinstance(event, TextTurn) and asks_repeat(event.text, self.config.language):
            # "What?", "kan du gentage?": the question again, no misunderstanding counted.
            return self._repeat()
        if isinstance(event, Dtmf) and event.digits.rstrip("#") == "0":
            # Key 0 is a colleague wherever the caller is (the prompts say so).
            return self._transfer(say("transfer"), fixed=True)
        upset = isinstance(event, TextTurn) and swears(event.text, self.config.language)
        if upset:
            self._swears += 1
            if self._swears >= 2:
                return self._transfer(say("transfer_upset"), "transfer_upset", fixed=True)
        if self.state is State.MAIN and not self.turns and isinstance(event, TextTurn):
            # A greeting alone, or a goodbye before anything was done: asked (again).
            language = self.config.language
            no = plain_no(event.text, language)
            key = first_turn_prompt(event.text, intent, greetings(language), no=no)
            if key is not None:
                return self._ask(say(key), key, progress=False)
        if (left := await self._callback_left(event, intent)) is not None:
            return left  # says whether a call is coming
        if (held := self._small_talk(event, intent, holds_only=True)) is not None:
            return held  # "vent lige", "hang on" (read as a goodbye): the bot waits
        if intent is not None and intent.name == Intent.GOODBYE and self._closes(event, intent):
            return self._goodbye()
        if intent is not None and intent.name == Intent.HUMAN_AGENT:
            return self._transfer(say("transfer"), fixed=True)
        reply = await self._dispatch(event, intent)
        if reply is None:
            # Not an answer the step takes: "vent lige", "er der nogen?" are answered kindly
            # (a yes/no step's own re-ask comes first, in _dispatch).
            reply = self._small_talk(event, intent) or self._reprompt(silence=False)
        return self._soothed(reply) if upset else reply

    async def _dispatch(self, event: CallerInput, intent: ParsedIntent | None) -> Reply | None:
        entities = intent.entities if intent else {}
        digits = event.digits.rstrip("#") if isinstance(event, Dtmf) else ""
        if isinstance(event, Dtmf) and not _DTMF_RE.match(event.digits):
            return None
        state = self.state
        kind = self._turn_kind(intent) if intent is not None else Turn.ANSWER
        if kind is Turn.OUT_OF_SCOPE:
            return self._out_of_scope()
        if state in (State.MAIN, State.ANYTHING_ELSE):
            if state is State.ANYTHING_ELSE and intent is not None:
                if taken := await self._changed_mind(event):
                    return taken  # "actually yes, send the label": the offer just declined
                if intent.name == Intent.DENY:
                    return self._goodbye()
                if intent.name == Intent.AFFIRM:
                    return self._ask(say("ask_topic"), "ask_topic", State.MAIN)
            if state is State.MAIN and self.turns and isinstance(event, TextTurn):
                if plain_no(event.text, self.config.language):
                    return self._goodbye()  # "nej" to "what else can I help with?": nothing
            if valid_order_number(digits):
                # An order number keyed in without a question: an order status call.
                return await self._start_order("status", {"order_number": digits})
            name = _MENU.get(digits) if digits else (intent.name if intent else None)
            started = await self._topic(name, entities, keyed=bool(digits))
            if started is None and valid_order_number(entities.get("order_number")):
                # "Øh, det er ti nul fire fire": an order number said, no topic heard. It
                # is read back for a yes before anything is looked up, as a keyed one.
                return await self._start_order("status", entities)
            return started

        if kind is Turn.NEW_TOPIC and intent is not None:
            # In the middle of a flow the caller changed the subject (clearly): the bot
            # says it follows, or the next question sounds like the last one again.
            switched = await self._topic(intent.name, entities)
            if switched is None or switched.transfer:
                return switched
            text = say("topic_switched") + switched.text
            return Reply(text, switched.action, switched.end_call, switched.transfer)

        if state is State.ASK_ORDER:
            number = valid_order_number(digits) if digits else None
            number = number or valid_order_number(entities.get("order_number"))
            if number:
                return self._confirm_order(number)
            named = await self._order_named(entities)  # "the boots": theirs, offered
            if named is not None:
                return named
            if intent and (
                intent.name == Intent.DENY or number_not_at_hand(intent.text, self.config.language)
            ):
                # "Det har jeg ikke", "I don't have it with me": no number to give,
                # and asking for it again (as a misunderstanding) leads to a hand-over
                # they never chose; a colleague can find the order, so offer one.
                return self._ask(say("no_order_number"), "no_order_number", State.OFFER_HUMAN)
            return None
        if state is State.CONFIRM_ORDER:
            other = valid_order_number(entities.get("order_number") or digits or None)
            if other and other != self._pending_number:
                return self._confirm_order(other)
            answer = self._plain_answer(event, intent, digits, acts=False)
            if answer is Answer.YES:
                assert self._pending_number is not None
                return await self._lookup(self._pending_number)
            if answer is Answer.NO:
                return self._ask_order(say("deny_order_number"))
            return None
        if state is State.OFFER_ORDER:
            other = valid_order_number(entities.get("order_number") or digits or None)
            if other:
                return self._confirm_order(other)
            answer = self._plain_answer(event, intent, digits, acts=False)
            if answer is Answer.YES:
                assert self._offered is not None
                self._pending_number = self._offered.number
                return self._order_found(self._offered)
            if answer is Answer.NO:
                return self._ask_order("")
            return None
        if state is State.ASK_PRODUCT:
            return await self._product_answer(intent, entities, digits)
        if state is State.RETURN_LABEL:
            return await self._confirm_return_label(event, intent, digits)
        if state is State.OFFER_HUMAN:
            other = valid_order_number(entities.get("order_number") or digits or None)
            if other:
                # Offered a colleague for want of the number, the caller found it after
                # all (or another order than the one too old to return): look it up.
                return self._confirm_order(other)
            answer = self._plain_answer(event, intent, digits, acts=False)
            if answer is Answer.YES:
                return self._transfer(say("transfer_confirmed"), fixed=True)
            if answer is Answer.NO:
                return self._declined_offer(TRANSFER, say("declined_transfer"))
            return None
        if state in (State.CONFIRM_CALLBACK, State.CONFIRM_PLAIN):
            return await self._confirm_callback(event, intent, digits, entities)
        if state is State.CONFIRM_ACTION:
            return await self._confirm_action(event, intent, digits)
        if state is State.ASK_PHONE:
            return await self._phone_answer(event, intent, digits)
        if state is State.CONFIRM_PHONE:
            return await self._confirm_phone(event, intent, digits)
        return None

    async def _topic(
        self, name: str | None, entities: dict[str, str], *, keyed: bool = False
    ) -> Reply | None:
        """Start the flow of topic ``name``; ``keyed``: chosen by a key, not a guess."""
        if name == Intent.ORDER_STATUS:
            return await self._start_order("status", entities)
        if name == Intent.RETURN_ITEM:
            return await self._start_order("return", entities)
        if name == Intent.STOCK_CHECK:
            return await self._stock_question(entities, "" if keyed else self._last_text)
        if name == Intent.COMPLAINT:
            return await self._propose_complaint(entities)
        if name == Intent.OPENING_HOURS:
            self._served += 1
            return self._anything_else(
                say(
                    "opening_hours", hours=self.config.opening_hours or say("opening_hours_default")
                ),
                "opening_hours",
            )
        if name == Intent.CALLBACK_REQUEST:
            return await self._with_phone("callback" if keyed else "callback_guess")
        if name == Intent.HUMAN_AGENT:
            return self._transfer(say("transfer"), fixed=True)
        return None

    # -- complaints, callbacks (stock: bot/dialogue/stock.py) ---------------

    async def _with_phone(self, purpose: str) -> Reply:
        """Go on with ``purpose`` on the number the call knows, or ask for one.

        A callback the NLU guessed (``callback_guess``) on a number the caller
        did not type is proposed first; a typed number is the caller's own act.
        """
        if purpose in ("callback", "callback_guess") and self._callback_window is None:
            # "Call me back this afternoon": the time named with the request.
            self._take_window(self._window_in(self._last_text), self._last_text)
            self._take_asap(self._last_text)  # "ring mig op hurtigst muligt"
        known = self._known_phone or self.caller_phone
        phone = self.config.callable(known) if known else None
        if phone is not None and purpose == "callback_guess":
            return self._propose_callback(phone)
        self._phone_purpose = "callback" if purpose == "callback_guess" else purpose
        if phone is not None:
            return await self._phone_given(phone)
        if known and self._phone_purpose == CALLBACK:
            # The number they call from cannot be called back (abroad, say): why, and
            # the number to type instead, never a bare "type your number".
            countries = self.config.callback_countries()
            ask = ask_number(countries, sms=False)
            why = own_number_refusal(self.config.number_problem(known), countries)
            return self._ask(f"{why} {ask}", "caller_number_refused", State.ASK_PHONE, prompt=ask)
        prompt = "ask_phone_for_sms" if purpose == TRACKING_SMS else "ask_phone"
        return self._ask(say(prompt), prompt, State.ASK_PHONE)

    def _number_refused(self, number: str) -> Reply:
        """A number given that callbacks may not dial: why, and the question again with
        the key for a colleague; after ``max_reprompts`` such answers, a colleague."""
        sms = self._phone_purpose != CALLBACK
        countries = self.config.callback_countries()
        why = typed_refusal(self.config.number_problem(number), countries, sms=sms)
        self._failures += 1
        if self._failures > self.config.max_reprompts:
            return self._transfer(f"{why} {say('transfer_instead')}", "transfer_number_refused")
        ask = ask_number(countries, sms=sms)
        self.state = State.ASK_PHONE
        self._last_prompt = ask
        return Reply(f"{why} {ask}", "number_refused")

    async def _phone_given(self, phone: str) -> Reply:
        self._known_phone = phone
        if self._phone_purpose == TRACKING_SMS:
            return await self._send_tracking(phone)
        if self._phone_purpose == "return_label":
            order = self._return_order
            assert order is not None
            url = self.config.return_label_url.format(order=quote(order.number, safe=""))
            await self._send_sms(
                say("sms_return_label", shop=self.config.shop_name, order=order.number, url=url),
                f"return:{order.number}",
                phone,
            )
            self._served += 1
            return self._anything_else(say("return_label_sent"), "return_label_sent")
        return await self._callback_number(phone)

    # -- prompts, failures and endings --------------------------------------

    def _ask(
        self,
        text: str,
        action: str,
        state: State | None = None,
        *,
        prompt: str = "",
        progress: bool = True,
    ) -> Reply:
        """Ask the next question; ``progress`` (the caller got further) clears the failures."""
        if state is not None:
            self.state = state
        if progress:
            self._failures = 0
        self._last_prompt, self._last_answer = prompt or text, ""
        return Reply(text, action)

    def _anything_else(self, text: str, action: str = "anything_else") -> Reply:
        question = say("anything_else")
        reply = self._ask(text + question, action, State.ANYTHING_ELSE, prompt=question)
        self._last_answer = text  # "say that again": the answer, not only the question
        return reply

    def _fail(self, text: str, action: str, state: State) -> Reply:
        """A turn that did not get the caller further (counts towards hand-over)."""
        self._failures += 1
        if self._failures > self.config.max_reprompts:
            return self._transfer(say("transfer_not_found"), f"transfer_{action}", fixed=True)
        self.state = state
        self._last_prompt = text
        return Reply(text, action)

    def _reprompt(self, *, silence: bool = False, unclear: bool = False) -> Reply:
        self._failures += 1
        if self._failures > self.config.max_reprompts:
            return self._give_up(silence=silence)
        if unclear and self._failures == 1:
            again = say("reprompt_unclear")
            return Reply(again, "reprompt_unclear", cached_prefix=again)
        if unclear:
            # Said again and still unclear: "say that again" once more would leave the
            # caller where they were; the question again, with its keys.
            opener = say("reprompt_unclear_again")
            return Reply(f"{opener} {self._question()}", "reprompt_unclear", cached_prefix=opener)
        opener = say("reprompt_silence" if silence else "reprompt_not_understood")
        text = one_apology(opener, self._question(), self.config.language)
        return Reply(text, "reprompt", cached_prefix=opener)

    def _repeat(self) -> Reply:
        """The last answer and question again, with how to answer a yes/no one (no failure
        counted)."""
        again = repeated(self._last_answer, self._question(), self.config.language)
        return Reply(say("repeat", question=again), "repeat")

    def _question(self) -> str:
        """The last question, asked again: a yes/no one says how to answer it (a caller
        who was silent or not understood may not know that 1 and 2 are yes and no)."""
        keys = say("repeat_yes_no_keys")
        # "Thank you. That's order number ...": the thanks was for the caller's last words.
        question = without_opener(self._last_prompt, self.config.language)
        if self._asks_yes_no() and keys.strip() not in question:
            question = f"{question} {keys}"
        return question

    def _asks_yes_no(self) -> bool:
        """Whether the last question is answered yes (key 1) or no (key 2)."""
        if self.state is State.CONFIRM_CALLBACK:
            return self._pending_window is not None or self._window_asked
        return self.state in _YES_NO_STATES

    def _give_up(self, *, silence: bool = False) -> Reply:
        if self.state is State.ANYTHING_ELSE and self._served:
            return self._goodbye()
        # A caller the bot could not hear is not told they were not understood.
        action = "transfer_no_input" if silence else "transfer_no_match"
        return self._transfer(say(action), action, fixed=True)

    def _transfer(self, text: str, action: str = "transfer", *, fixed: bool = False) -> Reply:
        """Hand over; ``fixed`` wording (no caller data) may be played from the prompt cache.

        A callback this call booked stays open, and the caller hears so: it is closed
        only when a colleague takes the call (the controller's ``agent`` route)."""
        self._finish(Outcome.HANDOFF, action)
        cached = text if fixed else ""
        if self.callback_id is not None:
            text = f"{text} {say('transfer_callback_kept')}"
        return Reply(text, action, transfer=True, cached_prefix=cached)

    def _closes(self, event: CallerInput, intent: ParsedIntent) -> bool:
        """Whether a goodbye ends the call: "ok thanks" to a yes/no offer is a yes."""
        thanks = self._asks_yes_no() and self._plain_answer(event, intent, "") is Answer.YES
        return not thanks and not self._names_time(event)

    def _names_time(self, event: CallerInput) -> bool:
        """Whether ``event`` answers "when suits you?" with a time: "later today" is that
        time, not the goodbye the classifier may read in it ("later")."""
        if self.state is not State.CONFIRM_CALLBACK or not isinstance(event, TextTurn):
            return False
        return self._answers_when(event.text)

    def _goodbye(self) -> Reply:
        if self.callback_id is not None and self._callback_phone is not None:
            # A callback this call booked stands, whatever the caller asked about after
            # it: every goodbye says so (the number and when), never the plain one.
            return self._callback_done()
        self._finish(Outcome.RESOLVED if self._served else Outcome.HANGUP, "goodbye")
        text = say("goodbye", shop=self.config.shop_name)
        return Reply(text, "goodbye", end_call=True, cached_prefix=text)

    def _finish(self, outcome: Outcome, reason: str) -> None:
        self.state = State.ENDED
        self.result = DialogueResult(
            outcome=outcome,
            case_id=self.case_id,
            callback_id=self.callback_id,
            sms=tuple(self.sms),
            intents=tuple(self.intents),
            reason=reason,
        )
        log.info(
            "call %s ended: outcome=%s reason=%s case=%s intents=%s",
            self.call_id,
            outcome,
            reason,
            self.case_id,
            ",".join(self.intents),
        )
