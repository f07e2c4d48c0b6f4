"""The dialogue's steps with side effects on a real person: say what was understood, then act.

A mixin of :class:`bot.dialogue.machine.Dialogue`. A case, a text message or a
callback rests on a guess (of the recogniser and of the classifier), so before
any of them the bot says what it understood ("You'd like to report a problem
with order 1 0 0 4 3, is that right?") and acts only on a plain yes (or key 1;
:mod:`bot.dialogue.plain_yes`). A no is not a dead end: the caller is asked
again what they want, and after a second wrong guess offered a colleague.
Anything else (noise, mumbling, "yes but ...", words the recogniser was unsure
of) changes nothing: asked again once ("please say yes or no, or press 1 ..."),
then the safe path, where nothing is done: a colleague takes over, or a
tracking number is read out instead of sent.
"""

from __future__ import annotations

from urllib.parse import quote

from bot.backends import Order
from bot.dialogue.config import State
from bot.dialogue.disclosure import phone_on_order
from bot.dialogue.inputs import CallerInput, TextTurn
from bot.dialogue.order_choice import has_item, pick_order, sounds_late
from bot.dialogue.phrasing import (
    case_text,
    case_written,
    items_text,
    phone_text,
    spell_digits,
    valid_order_number,
)
from bot.dialogue.plain_yes import (
    Answer,
    Heard,
    Next,
    answer_to_proposal,
    answer_to_question,
    next_step,
    plain_answers,
)
from bot.dialogue.prompts import say
from bot.dialogue.spoken_phone import said_number
from bot.dialogue.steps import DialogueSteps
from bot.types import ParsedIntent, Reply

# What the bot proposes to do; each is carried out only after the caller's yes.
COMPLAINT = "complaint"
CALLBACK = "callback"
TRACKING_SMS = "tracking_sms"
# A report of a parcel shown as delivered that the caller has not got (a case, as a
# complaint), offered after its status.
MISSING = "missing"


class ActionSteps(DialogueSteps):
    """Proposals and their side effects; the state and helpers are declared in DialogueSteps."""

    # What the order flow is for ("status", "return", "complaint"; bot.dialogue.orders).
    _purpose: str
    # The order number the caller gave (confirmed or not), and the order offered.
    _pending_number: str | None
    _offered: Order | None
    # Unclear answers to the question ``_unclear_question`` (one re-ask, then the safe path).
    _unclear_answers: int = 0
    _unclear_question: str = ""

    # -- proposing ----------------------------------------------------------

    def _propose(self, proposal: str, text: str) -> Reply:
        """Say what the bot understood and will do, and wait for a yes."""
        if self.state is State.CONFIRM_ACTION and self._proposal == proposal:
            # The same guess again instead of a yes: it must still end in a hand-over.
            self._failures += 1
            if self._failures > self.config.max_reprompts:
                return self._give_up()
            return self._ask(text, f"confirm_{proposal}", progress=False)
        self._proposal = proposal
        return self._ask(text, f"confirm_{proposal}", State.CONFIRM_ACTION)

    async def _propose_complaint(self, entities: dict[str, str]) -> Reply:
        order = await self._complaint_order(entities)
        if order is None:
            # "Min pakke er forsinket" is not about "something you received".
            # Both end in a clause, which Danish closes with a comma before "og få en sms".
            late = sounds_late(self._last_text, self.config.language)
            key = "confirm_complaint_late" if late else "confirm_complaint"
            sms = self._sms_ahead("complaint_sms_ahead_clause")
            return self._propose(COMPLAINT, say(key, sms=sms))
        return self._propose_on(order)

    def _sms_ahead(self, key: str = "complaint_sms_ahead") -> str:
        """What the text message after the yes is for, said before the yes (the caller
        agreed to report a problem, and hears of the photo link before it is sent);
        ``key``: after a clause ("something you received"), which Danish closes with a
        comma."""
        return say(key) if self.caller_phone and self.config.sms else ""

    def _propose_on(self, order: Order, *, progress: bool = False) -> Reply:
        """The complaint about ``order``, read back for a yes; ``progress``: the caller
        answered with the order (not the same guess again)."""
        self._order = order
        self._pending_number = order.number
        key = "confirm_complaint_given" if progress else "confirm_complaint_order"
        # Read back with what this caller may hear: a stranger who gives the number
        # reports on it (the case goes on it) without hearing someone else's items.
        number, items = spell_digits(order.number), items_text(self._shown(order))
        text = say(key, order=number, items=items, sms=self._sms_ahead())
        if progress:
            self._proposal = COMPLAINT
            return self._ask(text, f"confirm_{COMPLAINT}", State.CONFIRM_ACTION)
        return self._propose(COMPLAINT, text)

    async def propose_callback(self) -> Reply:
        """A callback asked for in words (at the overflow offer): read back and asked
        first on a known number; a number the caller types in is their own yes."""
        return await self._with_phone("callback_guess")

    def _propose_callback(self, phone: str) -> Reply:
        self._known_phone = phone
        return self._propose(CALLBACK, self._callback_proposal(phone))

    def _propose_callback_again(self, phone: str) -> Reply:
        """The proposal with the time the caller just named (an answer: no failure counted)."""
        return self._ask(self._callback_proposal(phone), f"confirm_{CALLBACK}", progress=False)

    def _callback_proposal(self, phone: str) -> str:
        window = self._callback_window
        when = say("confirm_when", when=self._callback_when(phone)) if window else ""
        spoken = phone_text(phone, self.config.country)
        refusal = self._window_refusal
        if refusal:
            # A window named with no calling hours in it: why first, then a question plainly
            # about the number ("when" is asked after the yes). "We'd call you on ..., is
            # that right?" straight after "we can't call you today" was heard as a booking.
            return say("confirm_callback_refused", refusal=refusal, phone=spoken)
        return say("confirm_callback", phone=spoken, when=when)

    async def _complaint_order(self, entities: dict[str, str]) -> Order | None:
        """The order a fault is about: named, the one the caller just gave or was offered,
        already talked about, or the caller's only one.

        A number given in the order flow and not yet confirmed ("I want to return a
        jacket | 10045 | but it's broken") is the one the caller means, not an order
        guessed from their phone number. Among the caller's orders the one with the
        product named ("the vase arrived smashed") is chosen, else their only delivered
        one, or their only undelivered one for a late parcel (:func:`pick_order`).

        A product is matched only against what the caller may hear of an order
        (:meth:`_shown`): were someone else's order chosen for "the vase" and passed
        over for "the lamp", the read-back would tell a stranger what is in it. So
        their own orders come first, then the other order they gave, whatever it holds.
        """
        number = valid_order_number(entities.get("order_number"))
        if number:
            return await self.backends.orders.find_order(number)
        product = (entities.get("product") or "").lower()
        flow = await self._flow_orders()
        for order in flow:
            if not product or has_item(self._shown(order), product):
                return order
        given = next((o for o in flow if not self._owns(o)), None)
        if not self.caller_phone:
            return given
        orders = await self.backends.orders.orders_for_phone(self.caller_phone)
        # "My order is two weeks late": about one on its way, not one delivered.
        said = self._last_text
        late = sounds_late(said, self.config.language)
        return pick_order(orders, "late" if late else COMPLAINT, product, said) or given

    async def _flow_orders(self) -> list[Order]:
        """The orders the call is about, the latest first: a number the caller gave and
        has not confirmed yet, the order offered to them, the order talked about."""
        found: list[Order] = []
        if self.state is State.CONFIRM_ORDER and self._pending_number:
            given = await self.backends.orders.find_order(self._pending_number)
            found += [given] if given is not None else []
        if self.state is State.OFFER_ORDER and self._offered is not None:
            found.append(self._offered)
        return found + ([self._order] if self._order is not None else [])

    async def _complaint_number(self, number: str) -> Reply:
        """An order number given to "you'd like to report a problem ..., is that right?":
        the complaint goes on with that order, read back for a yes (an unknown number is
        asked for again, and the order flow comes back to the complaint)."""
        order = await self.backends.orders.find_order(number)
        self._purpose = COMPLAINT
        self._pending_number = number
        if order is None:
            self._proposal = ""
            return self._fail(
                say("order_not_found", order=spell_digits(number)),
                "order_not_found",
                State.ASK_ORDER,
            )
        return self._propose_on(order, progress=True)

    # -- the answer ------------------------------------------------------------

    def _plain_answer(
        self, event: CallerInput, intent: ParsedIntent | None, digits: str, *, acts: bool = True
    ) -> Answer:
        """The caller's answer as yes, no, or unclear; ``acts``: a side effect follows a
        yes, so only a plain one counts (else the classifier's sure yes does too)."""
        said = event if isinstance(event, TextTurn) else TextTurn("")
        heard = Heard(digits, said.text, intent, said.asr_confidence)
        answers = plain_answers(self.config.language)
        if acts:
            return answer_to_proposal(
                heard, answers, min_asr_confidence=self.config.min_asr_confidence
            )
        return answer_to_question(
            heard,
            answers,
            min_asr_confidence=self.config.min_asr_confidence,
            min_yes_confidence=self.config.min_yes_confidence,
        )

    def _plain_next(self, event: CallerInput, intent: ParsedIntent | None, digits: str) -> Next:
        """What follows the caller's answer to a question that leads to a side effect."""
        answer = self._plain_answer(event, intent, digits)
        order = self._return_order.number if self._return_order else ""
        question = f"{self.state}:{self._proposal}:{order}"
        before = self._unclear_answers if self._unclear_question == question else 0
        step = next_step(answer, before)
        unclear = step is Next.ASK_AGAIN
        self._unclear_question = question if unclear else ""
        self._unclear_answers = before + 1 if unclear else 0
        return step

    def _yes_unsure(self) -> Reply:
        """Ask for a clear yes or no (it counts towards the hand-over like a reprompt)."""
        self._failures += 1
        if self._failures > self.config.max_reprompts:
            return self._give_up()
        return Reply(say("yes_unsure"), "yes_unsure", cached_prefix=say("yes_unsure"))

    def _unclear_twice(self, proposal: str) -> Reply:
        """The safe path: nothing done, and the caller hears what happens next."""
        if proposal == TRACKING_SMS:
            return self._read_tracking(say("yes_unclear_read"))
        return self._transfer(say("yes_unclear_transfer"), "transfer_unclear", fixed=True)

    async def _confirm_action(
        self, event: CallerInput, intent: ParsedIntent | None, digits: str
    ) -> Reply:
        """Yes: act. No: ask again, then offer a colleague. Unclear: ask once, then nothing."""
        if self._proposal == CALLBACK and isinstance(event, TextTurn):
            window = self._window_in(event.text)
            if window is not None and self._known_phone is not None:
                # "This afternoon is best": the time, not a yes (nor a new topic). The
                # proposal is said again with it, and the yes still decides.
                self._take_window(window)  # the callable part, or none and why
                return self._propose_callback_again(self._known_phone)
        if self._proposal == CALLBACK and len(digits.rstrip("#")) >= 6:
            # Another number typed in: the caller's own act, and their yes.
            phone = self.config.callable(digits.rstrip("#"))
            self._proposal = ""
            if phone is not None:
                return await self._callback_number(phone)
            # One it cannot call (abroad, too short): why, and a number asked for.
            self._phone_purpose = CALLBACK
            return self._number_refused(digits.rstrip("#"))
        if self._proposal == COMPLAINT:
            said = intent.entities.get("order_number") if intent else None
            number = valid_order_number(digits or said)
            if number:
                # "My vase arrived broken | 10043": the order the problem is about.
                return await self._complaint_number(number)
        spoken = _number_said(event, intent) if self._proposal == CALLBACK else ""
        if len(spoken) >= 6:
            # Another number said aloud ("20 12 34 56", which the classifier reads as an
            # order): a guess, read back for a yes before it replaces the one proposed.
            self._proposal, self._phone_purpose = "", CALLBACK
            return self._spoken_number(spoken)
        step = self._plain_next(event, intent, digits)
        if step is Next.ASK_AGAIN:
            return self._yes_unsure()
        proposal, self._proposal = self._proposal, ""
        if step is Next.ACT:
            return await self._carry_out(proposal)
        if step is Next.SAFE_PATH:
            return self._unclear_twice(proposal)
        if proposal == TRACKING_SMS:
            reply = self._read_tracking()
            self._declined = TRACKING_SMS  # "actually yes, send it" on the next turn
            return reply
        if proposal == MISSING:
            # The caller has their status: a no to the report is no misunderstanding.
            return self._anything_else(say("declined_offer"))
        self._declines += 1
        if self._declines >= 2:
            return self._ask(say("declined_again"), "declined_again", State.OFFER_HUMAN)
        if proposal == CALLBACK:
            # "No" to "we'd call you on ..., is that right?": the number may be wrong, so
            # the digits that follow are the right one (not an order number).
            self._phone_purpose = CALLBACK
            return self._ask(
                say("declined_callback"), "declined_callback", State.ASK_PHONE, progress=False
            )
        return self._declined_guess()

    def _declined_guess(self) -> Reply:
        """A no to what the bot guessed: sorry, and what the caller can say or press."""
        return self._menu_again("declined_guess")

    def _menu_again(self, key: str) -> Reply:
        """Prompt ``key``, then the menu's question (no progress: it counts as before)."""
        # Asked again (silence, not understood): the question, not the apology again.
        return self._ask(say(key), key, State.MAIN, prompt=say("greet_reprompt"), progress=False)

    async def _confirm_return_label(
        self, event: CallerInput, intent: ParsedIntent | None, digits: str
    ) -> Reply:
        """The answer to "shall I text you a return label?": a plain yes before the SMS."""
        step = self._plain_next(event, intent, digits)
        if step is Next.ACT:
            return await self._with_phone("return_label")
        if step is Next.DECLINE:
            return self._declined_offer("return_label", say("declined_offer"))
        if step is Next.ASK_AGAIN:
            return self._yes_unsure()
        return self._unclear_twice("return_label")

    async def _carry_out(self, proposal: str) -> Reply:
        if proposal in (COMPLAINT, MISSING):
            return await self._open_case()
        if proposal == CALLBACK:
            assert self._known_phone is not None
            return await self._callback_number(self._known_phone, confirmed_when=True)
        order = self._order
        if order is not None and not self._owns(order):
            return await self._tracking_to_order_phone(order)
        return await self._with_phone("tracking_sms")

    # -- the side effects ---------------------------------------------------

    async def _open_case(self) -> Reply:
        number = self._order.number if self._order else None
        case = await self.backends.cases.create_case(
            self._last_text[:300],
            phone=self.caller_phone,
            order_number=number,
            call_id=self.call_id,
            context=self.handover_context().as_json(),
        )
        self.case_id = case.case_id
        sms = ""
        # The photo link is sent (and said to be) only where a text message reaches the caller.
        if self.caller_phone and self.config.sms:
            url = self.config.photo_upload_url.format(
                case=quote(case.case_id, safe=""), order=quote(number or "", safe="")
            )
            await self._send_sms(
                say(
                    "sms_photo_upload",
                    shop=self.config.shop_name,
                    case=case_written(case.case_id),
                    url=url,
                ),
                f"case:{case.case_id}",
            )
            sms = say("complaint_sms_sent")
        spoken = case_text(case.case_id)
        return self._transfer(say("complaint_case", case=spoken, sms=sms), "complaint_case")

    async def _send_tracking(self, phone: str) -> Reply:
        order = self._order
        assert order is not None
        await self._send_tracking_sms(order, phone)
        return self._anything_else(say("tracking_sms_sent"), "tracking_sms_sent")

    async def _tracking_to_order_phone(self, order: Order) -> Reply:
        """A yes to the tracking number by SMS from someone who is not the order's
        customer: sent to the number on the order, never to the caller."""
        phone = phone_on_order(order, self.config.country)
        assert phone is not None
        await self._send_tracking_sms(order, phone)
        return self._anything_else(
            say("tracking_sms_sent_order_phone"), "tracking_sms_sent_order_phone"
        )

    async def _send_tracking_sms(self, order: Order, phone: str) -> None:
        assert order.tracking_number
        carrier = say("order_carrier", carrier=order.carrier) if order.carrier else ""
        await self._send_sms(
            say(
                "sms_tracking",
                shop=self.config.shop_name,
                order=order.number,
                carrier=carrier,
                tracking=order.tracking_number,
            ),
            f"tracking:{order.number}",
            phone,
        )

    def _read_tracking(self, prefix: str = "") -> Reply:
        order = self._order
        assert order is not None and order.tracking_number
        if not self._owns(order):
            # Someone else's order: its tracking number is never read out, only sent
            # to the number on the order after a yes.
            return self._anything_else(prefix or say("declined_offer"), "tracking_withheld")
        return self._anything_else(
            prefix + say("tracking_read", tracking=spell_digits(order.tracking_number)),
            "tracking_read",
        )

    async def _send_sms(self, body: str, key: str, phone: str | None = None) -> None:
        to = phone or self.caller_phone
        assert to is not None
        message = await self.backends.sms.enqueue(
            to, body, idempotency_key=f"{self.call_id}:{key}", call_id=self.call_id
        )
        self.sms.append(message)


def _number_said(event: CallerInput, intent: ParsedIntent | None) -> str:
    """The digits of a number in the caller's words ("" for none, or keys pressed)."""
    if intent is None or not isinstance(event, TextTurn):
        return ""
    return "".join(c for c in said_number(intent.entities) if c.isdigit())
