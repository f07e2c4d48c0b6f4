"""The bot's conversation as an explicit state machine (no free-form generation).

A :class:`Dialogue` takes typed caller inputs (:class:`TextTurn`,
:class:`Silence`, :class:`Dtmf`) and answers each with a
:class:`bot.types.Reply`; when the call ends (goodbye, hand-over, callback or
the caller hanging up) it holds a :class:`DialogueResult`. All I/O goes through
the intent parser and the back-ends passed in, so the voice bot and
``spillway chat`` run the very same dialogue.

Flows (the shop's top reasons for calling): order status (offered from the
caller's number when they have exactly one open order, else asked for and
confirmed), stock, returns (eligibility from the return window, label by SMS),
complaints (case + photo-upload SMS + hand-over), opening hours, callback
requests and hand-over to a human. Silence or input that is not understood is
re-prompted at most ``max_reprompts`` times, then the caller is handed over.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import quote
from zoneinfo import ZoneInfo

import phonenumbers

from bot.backends import Backends, CallbackRequest, Order, SmsMessage, normalise_phone
from bot.types import Intent, Reply
from spillway.errors import BackendError, NluError
from spillway.settings import Settings

log = logging.getLogger(__name__)

MAX_INPUT_CHARS = 500
# Fixed openers of a reprompt: the voice bot plays them from the prompt cache.
REPROMPT_NOT_UNDERSTOOD = "Sorry, I didn't understand."
REPROMPT_SILENCE = "Sorry, I didn't hear anything."
_ORDER_NUMBER_RE = re.compile(r"^\d{4,12}$")
_DTMF_RE = re.compile(r"^[0-9*#A-D]+$")
_SWEAR_RE = re.compile(
    r"\b(fuck\w*|shit\w*|damn\w*|crap\w*|bastard\w*|bloody|bollocks|arse\w*|ass|asshole\w*"
    r"|piss\w*|wtf|idiot\w*|stupid)\b",
    re.IGNORECASE,
)
_MENU = {"1": "order_status", "2": "stock_check", "3": "return_item", "4": "opening_hours",
         "9": "callback_request", "0": "human_agent"}  # fmt: skip
_TOPICS = frozenset(
    {"order_status", "stock_check", "return_item", "complaint", "opening_hours",
     "callback_request", "human_agent"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class TextTurn:
    """What the caller said (a final transcript) or typed."""

    text: str


@dataclass(frozen=True, slots=True)
class Silence:
    """The caller said nothing before the no-input timeout."""


@dataclass(frozen=True, slots=True)
class Dtmf:
    """Keys the caller pressed (``#`` terminates a number)."""

    digits: str


CallerInput = TextTurn | Silence | Dtmf


class IntentParser(Protocol):
    async def parse(self, text: str) -> Intent: ...


class Outcome(StrEnum):
    RESOLVED = "resolved"
    TRANSFERRED = "transferred"
    CALLBACK = "callback"
    HANGUP = "hangup"


@dataclass(frozen=True, slots=True)
class DialogueResult:
    """How the call ended, and what the bot did on the way."""

    outcome: Outcome
    case_id: str | None = None
    callback_id: int | None = None
    sms: tuple[SmsMessage, ...] = ()
    intents: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True, slots=True)
class DialogueTurn:
    """One caller input, how it was understood and the bot's answer."""

    caller: CallerInput
    intent: Intent | None
    reply: Reply


@dataclass(frozen=True, slots=True)
class DialogueConfig:
    """What the dialogue needs from the settings."""

    shop_name: str = "Spillway Demo Shop"
    opening_hours: str = "Monday to Friday from nine to five"
    return_window_days: int = 30
    timezone: str = "Europe/Copenhagen"
    country: str = "DK"
    min_confidence: float = 0.45
    max_reprompts: int = 2
    # Templates validated by the settings (shop.return_label_url / shop.photo_upload_url).
    return_label_url: str = "https://shop.example/returns/{order}"
    photo_upload_url: str = "https://shop.example/cases/{case}/photos"

    @classmethod
    def from_settings(cls, settings: Settings) -> DialogueConfig:
        return cls(
            shop_name=settings.shop.name,
            opening_hours=settings.shop.opening_hours,
            return_window_days=settings.shop.return_window_days,
            timezone=settings.shop.timezone,
            country=settings.shop.country,
            min_confidence=settings.nlu.min_confidence,
            return_label_url=settings.shop.return_label_url,
            photo_upload_url=settings.shop.photo_upload_url,
        )


class State(StrEnum):
    MAIN = "main"
    ASK_ORDER = "ask_order"
    CONFIRM_ORDER = "confirm_order"
    OFFER_ORDER = "offer_order"
    ASK_PRODUCT = "ask_product"
    RETURN_LABEL = "return_label"
    OFFER_HUMAN = "offer_human"
    ASK_PHONE = "ask_phone"
    ANYTHING_ELSE = "anything_else"
    ENDED = "ended"


def spell_digits(number: str) -> str:
    """ "10042" -> "1 0 0 4 2", so that it is read out digit by digit."""
    return " ".join(number)


def valid_order_number(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value if _ORDER_NUMBER_RE.match(value) else None


def clean_product(value: str | None) -> str | None:
    """A product entity safe to look up: letters, digits and spaces, bounded."""
    if not value:
        return None
    cleaned = " ".join(re.sub(r"[^\w ]+", " ", value).split())[:60]
    return cleaned or None


class Dialogue:
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
        self.call_id = call_id or f"chat-{int(clock() * 1000)}"
        self.caller_phone = normalise_phone(caller_id, self.config.country) if caller_id else None
        self.clock = clock
        self.tz = ZoneInfo(self.config.timezone)
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
        self._return_order: Order | None = None
        self._phone_purpose = ""
        self._last_prompt = ""
        self._last_text = ""

    # -- public interface ---------------------------------------------------

    @property
    def ended(self) -> bool:
        return self.result is not None

    async def start(self) -> Reply:
        """The greeting."""
        return self._ask(
            f"Hello, you've reached {self.config.shop_name}. I'm the automated assistant. "
            "I can check an order, stock or a return, or put you through to a colleague. "
            "How can I help you?",
            "greet",
            prompt="How can I help you? You can also press 1 for an order, 2 for stock, "
            "3 for returns, or 0 for a colleague.",
        )

    async def handle(self, event: CallerInput) -> Reply:
        """Answer one caller input. After the call ended, only says so."""
        if self.result is not None:
            return Reply("", "ended", end_call=True)
        intent: Intent | None = None
        if isinstance(event, TextTurn):
            text = event.text[:MAX_INPUT_CHARS].strip()
            if text:
                self._last_text = text
                intent = await self._parse(text)
                self.intents.append(intent.name)
        try:
            reply = await self._step(event, intent)
        except BackendError as exc:
            log.warning("call %s: back-end failed, handing over: %s", self.call_id, exc)
            reply = self._transfer(
                "I'm sorry, I can't look that up right now. Let me put you through to a colleague.",
                "backend_error",
                fixed=True,
            )
        self.turns.append(DialogueTurn(event, intent, reply))
        return reply

    def hang_up(self) -> DialogueResult:
        """The caller hung up (or the script ended) before the bot ended the call."""
        if self.result is None:
            self._finish(Outcome.RESOLVED if self._served else Outcome.HANGUP, "caller hung up")
        assert self.result is not None
        return self.result

    def handover_context(self) -> dict[str, Any]:
        """What a human (or the callback scheduler) needs to pick up where the bot left."""
        return {
            "call_id": self.call_id,
            "caller": self.caller_phone,
            "intents": list(self.intents),
            "order_number": self._pending_number,
            "case_id": self.case_id,
            "last_caller_text": self._last_text[:200],
            "state": str(self.state),
        }

    # -- the machine --------------------------------------------------------

    async def _parse(self, text: str) -> Intent:
        try:
            intent = await self.nlu.parse(text)
        except NluError as exc:
            log.warning("call %s: NLU failed: %s", self.call_id, exc)
            return Intent("out_of_scope", 0.0, {}, "error", text)
        if intent.confidence < self.config.min_confidence and intent.name != "out_of_scope":
            return Intent("out_of_scope", intent.confidence, intent.entities, intent.engine, text)
        return intent

    async def _step(self, event: CallerInput, intent: Intent | None) -> Reply:
        if isinstance(event, Silence) or (isinstance(event, TextTurn) and intent is None):
            return self._reprompt(silence=True)
        prefix = ""
        if isinstance(event, TextTurn) and _SWEAR_RE.search(event.text):
            self._swears += 1
            if self._swears >= 2:
                return self._transfer(
                    "I can hear this is really frustrating. "
                    "Let me put you through to a colleague who can help.",
                    "transfer_upset",
                    fixed=True,
                )
            prefix = "I understand you're frustrated, and I'll do my best to help. "
        if intent is not None and intent.name == "goodbye":
            return self._goodbye()
        if intent is not None and intent.name == "human_agent":
            return self._transfer(
                "Of course. I'm putting you through to a colleague now.", fixed=True
            )
        reply = await self._dispatch(event, intent)
        if reply is None:
            reply = self._reprompt(silence=False)
        if not prefix:
            return reply
        # The empathy line goes first; the reply's own cached opener is no longer its start.
        return Reply(prefix + reply.text, reply.action, reply.end_call, reply.transfer)

    async def _dispatch(self, event: CallerInput, intent: Intent | None) -> Reply | None:
        entities = intent.entities if intent else {}
        digits = event.digits.rstrip("#") if isinstance(event, Dtmf) else ""
        if isinstance(event, Dtmf) and not _DTMF_RE.match(event.digits):
            return None
        state = self.state
        if state in (State.MAIN, State.ANYTHING_ELSE):
            if state is State.ANYTHING_ELSE and intent is not None:
                if intent.name == "deny":
                    return self._goodbye()
                if intent.name == "affirm":
                    return self._ask("What else can I help you with?", "ask_topic", State.MAIN)
            if valid_order_number(digits):
                # An order number keyed in without a question: an order status call.
                return await self._start_order("status", {"order_number": digits})
            name = _MENU.get(digits) if digits else (intent.name if intent else None)
            return await self._topic(name, entities)

        # In the middle of a flow the caller may change the subject.
        if intent is not None and intent.name in _TOPICS and not self._answers_state(intent):
            return await self._topic(intent.name, entities)

        if state is State.ASK_ORDER:
            number = valid_order_number(digits) if digits else None
            number = number or valid_order_number(entities.get("order_number"))
            return self._confirm_order(number) if number else None
        if state is State.CONFIRM_ORDER:
            other = valid_order_number(entities.get("order_number") or digits or None)
            if other and other != self._pending_number:
                return self._confirm_order(other)
            if (intent and intent.name == "affirm") or digits == "1":
                assert self._pending_number is not None
                return await self._lookup(self._pending_number)
            if (intent and intent.name == "deny") or digits == "2":
                return self._ask_order("Sorry about that. ")
            return None
        if state is State.OFFER_ORDER:
            other = valid_order_number(entities.get("order_number") or digits or None)
            if other:
                return self._confirm_order(other)
            if (intent and intent.name == "affirm") or digits == "1":
                assert self._offered is not None
                self._pending_number = self._offered.number
                return self._order_found(self._offered)
            if (intent and intent.name == "deny") or digits == "2":
                return self._ask_order("")
            return None
        if state is State.ASK_PRODUCT:
            product = clean_product(entities.get("product"))
            return await self._stock(product) if product else None
        if state is State.RETURN_LABEL:
            if (intent and intent.name == "affirm") or digits == "1":
                return await self._with_phone("return_label")
            if (intent and intent.name == "deny") or digits == "2":
                return self._anything_else("No problem. ")
            return None
        if state is State.OFFER_HUMAN:
            if (intent and intent.name == "affirm") or digits == "1":
                return self._transfer("I'm putting you through to a colleague now.", fixed=True)
            if (intent and intent.name == "deny") or digits == "2":
                return self._anything_else("All right. ")
            return None
        if state is State.ASK_PHONE:
            raw = digits or entities.get("order_number") or ""
            phone = normalise_phone(raw, self.config.country) if raw else None
            if phone is None:
                return None
            return await self._phone_given(phone)
        return None

    def _answers_state(self, intent: Intent) -> bool:
        """Whether ``intent`` is an answer to the current question, not a new topic."""
        if self.state in (State.ASK_ORDER, State.CONFIRM_ORDER, State.OFFER_ORDER):
            return "order_number" in intent.entities or intent.name in (
                "order_status",
                "return_item",
            )
        if self.state is State.ASK_PRODUCT:
            return "product" in intent.entities
        if self.state is State.ASK_PHONE:
            return "order_number" in intent.entities
        return False

    async def _topic(self, name: str | None, entities: dict[str, str]) -> Reply | None:
        if name == "order_status":
            return await self._start_order("status", entities)
        if name == "return_item":
            return await self._start_order("return", entities)
        if name == "stock_check":
            product = clean_product(entities.get("product"))
            if product:
                return await self._stock(product)
            return self._ask("Which product would you like me to check?", "ask_product",
                             State.ASK_PRODUCT)  # fmt: skip
        if name == "complaint":
            return await self._complaint(entities)
        if name == "opening_hours":
            self._served += 1
            return self._anything_else(f"We're open {self.config.opening_hours}. ", "opening_hours")
        if name == "callback_request":
            return await self._with_phone("callback")
        if name == "human_agent":
            return self._transfer(
                "Of course. I'm putting you through to a colleague now.", fixed=True
            )
        return None

    # -- orders and returns ---------------------------------------------------

    async def _start_order(self, purpose: str, entities: dict[str, str]) -> Reply:
        self._purpose = purpose
        number = valid_order_number(entities.get("order_number"))
        if number:
            return self._confirm_order(number)
        if self.caller_phone:
            orders = await self.backends.orders.orders_for_phone(self.caller_phone)
            if purpose == "status":
                candidates = [o for o in orders if o.is_open]
            else:
                candidates = [o for o in orders if o.status == "delivered"]
            if len(candidates) == 1:
                offered = self._offered = candidates[0]
                return self._ask(
                    "I can see an order from your number: order "
                    f"{spell_digits(offered.number)}{self._items(offered)}. "
                    "Is that the one you're calling about?",
                    "offer_order",
                    State.OFFER_ORDER,
                )
        return self._ask_order("")

    def _ask_order(self, prefix: str) -> Reply:
        return self._ask(
            prefix + "Please tell me your order number, or type it on your keypad "
            "followed by the hash key.",
            "ask_order_number",
            State.ASK_ORDER,
            progress=False,
        )

    def _confirm_order(self, number: str) -> Reply:
        self._pending_number = number
        return self._ask(
            f"That's order number {spell_digits(number)}. Is that right?",
            "confirm_order_number",
            State.CONFIRM_ORDER,
            # A wrong number confirmed again and again must still end in a hand-over.
            progress=False,
        )

    async def _lookup(self, number: str) -> Reply:
        order = await self.backends.orders.find_order(number)
        if order is None:
            return self._fail(
                f"I couldn't find an order with the number {spell_digits(number)}. "
                "Please tell me your order number again, or type it followed by the hash key.",
                "order_not_found",
                State.ASK_ORDER,
            )
        return self._order_found(order)

    def _order_found(self, order: Order) -> Reply:
        if self._purpose == "return":
            return self._return_eligibility(order)
        self._served += 1
        return self._anything_else(self._status_text(order) + " ", "order_status")

    def _items(self, order: Order) -> str:
        return f" with {', '.join(order.items)}" if order.items else ""

    def _status_text(self, order: Order) -> str:
        head = f"Order {spell_digits(order.number)}{self._items(order)}"
        if order.status in ("placed", "packing"):
            text = f"{head} is being packed and hasn't shipped yet."
            if order.expected_delivery_at:
                text += f" We expect to deliver it {self._when(order.expected_delivery_at)}."
            return text
        if order.status == "shipped":
            text = f"{head} has been shipped"
            text += f" with {order.carrier}." if order.carrier else "."
            if order.tracking_number:
                text += f" The tracking number is {order.tracking_number}."
            if order.expected_delivery_at:
                text += f" Delivery is expected {self._when(order.expected_delivery_at)}."
            return text
        if order.status == "delivered":
            when = f" {self._when(order.delivered_at)}" if order.delivered_at else ""
            return f"{head} was delivered{when}."
        if order.status == "cancelled":
            return f"{head} was cancelled."
        return f"{head} has the status {order.status}."

    def _return_eligibility(self, order: Order) -> Reply:
        window = self.config.return_window_days
        if order.status != "delivered" or order.delivered_at is None:
            self._served += 1
            return self._anything_else(
                f"Order {spell_digits(order.number)} hasn't been delivered yet. Once it "
                f"arrives, you have {window} days to return it. ",
                "return_not_delivered",
            )
        age_days = self._days_from_today(order.delivered_at) * -1
        if age_days <= window:
            self._return_order = order
            last_day = order.delivered_at + window * 86400
            return self._ask(
                f"Order {spell_digits(order.number)}{self._items(order)} was delivered "
                f"{self._when(order.delivered_at)}, so you can return it until "
                f"{self._date_text(last_day)}. Shall I send you a return label by text message?",
                "return_eligible",
                State.RETURN_LABEL,
            )
        return self._ask(
            f"Order {spell_digits(order.number)}{self._items(order)} was delivered "
            f"{age_days} days ago, which is outside our {window}-day return window. "
            "Would you like to talk to a colleague about it?",
            "return_ineligible",
            State.OFFER_HUMAN,
        )

    # -- stock, complaints, callbacks ---------------------------------------

    async def _stock(self, product_name: str) -> Reply:
        product = await self.backends.inventory.find_product(product_name)
        if product is None:
            return self._fail(
                "Sorry, I couldn't find that product. Which product would you like me to check?",
                "product_not_found",
                State.ASK_PRODUCT,
            )
        self._served += 1
        if product.stock > 0:
            count = "one left" if product.stock == 1 else f"{product.stock}"
            text = f"Yes, the {product.name} is in stock. We have {count}. "
        elif product.restock_at:
            days = self._days_from_today(product.restock_at)
            text = (
                f"Sorry, the {product.name} is sold out. We expect it back in stock in "
                f"{days} days, {self._date_text(product.restock_at)}. "
            )
        else:
            text = f"Sorry, the {product.name} is sold out, and we don't have a date yet. "
        return self._anything_else(text, "stock")

    async def _complaint(self, entities: dict[str, str]) -> Reply:
        number = valid_order_number(entities.get("order_number")) or self._pending_number
        case = await self.backends.cases.create_case(
            self._last_text[:300],
            phone=self.caller_phone,
            order_number=number,
            call_id=self.call_id,
            context=self.handover_context(),
        )
        self.case_id = case.case_id
        text = f"I'm sorry to hear that. I've opened case {case.case_id}"
        if self.caller_phone:
            url = self.config.photo_upload_url.format(
                case=quote(case.case_id, safe=""), order=quote(number or "", safe="")
            )
            await self._send_sms(
                f"{self.config.shop_name}: upload photos for case {case.case_id} here: {url}",
                f"case:{case.case_id}",
            )
            text += " and sent you a text message with a link to upload photos"
        return self._transfer(
            text + f". I'm putting you through to a colleague now, who can see case "
            f"{case.case_id}.",
            "complaint_case",
        )

    async def _with_phone(self, purpose: str) -> Reply:
        self._phone_purpose = purpose
        if self.caller_phone:
            return await self._phone_given(self.caller_phone)
        return self._ask(
            "Please type your phone number on the keypad, followed by the hash key.",
            "ask_phone",
            State.ASK_PHONE,
        )

    async def _phone_given(self, phone: str) -> Reply:
        if self._phone_purpose == "return_label":
            order = self._return_order
            assert order is not None
            url = self.config.return_label_url.format(order=quote(order.number, safe=""))
            await self._send_sms(
                f"{self.config.shop_name}: your return label for order {order.number}: {url}",
                f"return:{order.number}",
                phone,
            )
            self._served += 1
            return self._anything_else(
                "I've sent you a text message with a link to your return label. Print it, "
                "pack the item and drop it at any parcel shop. ",
                "return_label_sent",
            )
        callback_id = await self.backends.callbacks.request_callback(
            CallbackRequest(
                phone=phone,
                reason=self._callback_reason(),
                call_id=self.call_id,
                context=self.handover_context(),
            )
        )
        self.callback_id = callback_id
        reply = Reply(
            f"Thank you. A colleague will call you back on {self._phone_text(phone)} "
            "as soon as possible. Goodbye!",
            "callback_recorded",
            end_call=True,
        )
        self._finish(Outcome.CALLBACK, "callback requested")
        return reply

    def _phone_text(self, phone: str) -> str:
        parsed = phonenumbers.parse(phone)
        if phonenumbers.region_code_for_number(parsed) == self.config.country:
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    def _callback_reason(self) -> str:
        topics = [i for i in self.intents if i in _TOPICS and i != "callback_request"]
        return topics[-1] if topics else "callback_request"

    async def _send_sms(self, body: str, key: str, phone: str | None = None) -> None:
        to = phone or self.caller_phone
        assert to is not None
        message = await self.backends.sms.enqueue(
            to, body, idempotency_key=f"{self.call_id}:{key}", call_id=self.call_id
        )
        self.sms.append(message)

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
        self._last_prompt = prompt or text
        return Reply(text, action)

    def _anything_else(self, text: str, action: str = "anything_else") -> Reply:
        return self._ask(
            text + "Is there anything else I can help you with?",
            action,
            State.ANYTHING_ELSE,
            prompt="Is there anything else I can help you with?",
        )

    def _fail(self, text: str, action: str, state: State) -> Reply:
        """A turn that did not get the caller further (counts towards hand-over)."""
        self._failures += 1
        if self._failures > self.config.max_reprompts:
            return self._transfer(
                "I'm sorry, I can't find it. Let me put you through to a colleague who can help.",
                f"transfer_{action}",
                fixed=True,
            )
        self.state = state
        self._last_prompt = text
        return Reply(text, action)

    def _reprompt(self, *, silence: bool) -> Reply:
        self._failures += 1
        if self._failures > self.config.max_reprompts:
            return self._give_up()
        opener = REPROMPT_SILENCE if silence else REPROMPT_NOT_UNDERSTOOD
        return Reply(f"{opener} {self._last_prompt}", "reprompt", cached_prefix=opener)

    def _give_up(self) -> Reply:
        if self.state is State.ANYTHING_ELSE and self._served:
            return self._goodbye()
        return self._transfer(
            "I'm sorry, I'm having trouble understanding. Let me put you through to a colleague.",
            "transfer_no_match",
            fixed=True,
        )

    def _transfer(self, text: str, action: str = "transfer", *, fixed: bool = False) -> Reply:
        """Hand over; ``fixed`` wording (no caller data) may be played from the prompt cache."""
        self._finish(Outcome.TRANSFERRED, action)
        return Reply(text, action, transfer=True, cached_prefix=text if fixed else "")

    def _goodbye(self) -> Reply:
        self._finish(Outcome.RESOLVED if self._served else Outcome.HANGUP, "goodbye")
        text = f"Thank you for calling {self.config.shop_name}. Goodbye!"
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

    # -- dates ----------------------------------------------------------------

    def _today(self) -> date:
        return datetime.fromtimestamp(self.clock(), self.tz).date()

    def _days_from_today(self, ts: float) -> int:
        return (datetime.fromtimestamp(ts, self.tz).date() - self._today()).days

    def _date_text(self, ts: float) -> str:
        day = datetime.fromtimestamp(ts, self.tz)
        return f"{day:%A} {day.day} {day:%B}"

    def _when(self, ts: float) -> str:
        days = self._days_from_today(ts)
        named = {0: "today", 1: "tomorrow", -1: "yesterday"}.get(days)
        if named:
            return f"{named}, {self._date_text(ts)}"
        if days < 0:
            return f"{-days} days ago, on {self._date_text(ts)}"
        return f"on {self._date_text(ts)}"


def result_summary(result: DialogueResult) -> dict[str, Any]:
    """The result as plain JSON-able data."""
    return {
        "outcome": str(result.outcome),
        "case_id": result.case_id,
        "callback_id": result.callback_id,
        "sms": [{"to": m.phone, "body": m.body} for m in result.sms],
    }
