"""The dialogue's order steps: which order the caller means, its status, and whether it
can be returned.

A mixin of :class:`bot.dialogue.machine.Dialogue`, kept apart because finding
the order is a flow of its own: a number the caller said or typed is read back
and confirmed before it is looked up; without one, the caller's only open (or,
for a return, delivered) order is offered from their number (or the one holding
the product they named; :mod:`bot.dialogue.order_choice`; a thing named after "my"
that none of their orders holds offers none), and an order the call already talked
about is offered again for a second topic, in words of its own ("Is it about order
...?": the caller may have keyed it in, so not "from your number"). A found order's
status is read out (a long tracking number offered by SMS first, where a text
message reaches the caller); a return is checked against the return window and
a label offered by SMS (without SMS, a colleague), or a colleague when the
window has passed. A cancellation, a new delivery address or a refund finds the
order the same way, then says the bot cannot do it and offers a colleague. A caller
whose number is not the number on the order hears only its general state
(:mod:`bot.dialogue.disclosure`).
"""

from __future__ import annotations

from bot.backends import Order
from bot.dialogue.actions import COMPLAINT, MISSING, TRACKING_SMS
from bot.dialogue.config import State
from bot.dialogue.disclosure import general_view, phone_on_order
from bot.dialogue.order_choice import (
    CANNOT_DO,
    has_item,
    names_item,
    order_request,
    pick_order,
    said_item,
    says_missing,
)
from bot.dialogue.phrasing import (
    Calendar,
    clean_product,
    items_text,
    offers_tracking_sms,
    order_status_text,
    spell_digits,
    status_said,
    valid_order_number,
)
from bot.dialogue.prompts import say
from bot.dialogue.steps import DialogueSteps
from bot.types import Reply


class OrderSteps(DialogueSteps):
    """Orders and returns; the state and helpers are declared in DialogueSteps."""

    calendar: Calendar
    # What the order is wanted for: "status", "return", "complaint", or one of
    # CANNOT_DO ("cancel", "address", "refund", "returned"), which only a colleague can do.
    _purpose: str
    # The order number read back and not yet confirmed (or last confirmed).
    _pending_number: str | None
    # The order offered from the caller's number, waiting for a yes.
    _offered: Order | None
    # The caller said the order was delivered but they have not got it.
    _missing: bool = False

    async def _start_order(self, purpose: str, entities: dict[str, str]) -> Reply:
        # "I want to cancel my order", read as an order status (or a return): the order
        # is found as for one, then a colleague offered, never its status read instead.
        self._purpose = order_request(self._last_text, self.config.language) or purpose
        self._missing = purpose == "status" and says_missing(self._last_text, self.config.language)
        number = valid_order_number(entities.get("order_number"))
        if number:
            return self._confirm_order(number)
        known = self._order
        product = (entities.get("product") or "").lower()
        # "Where is my winter jacket": the thing named after "my" (the classifier's product
        # may be one it knows in English only); an order that does not hold it is not
        # offered, not even the caller's only open one.
        item = said_item(self._last_text, self.config.language)
        # Matched on what this caller may hear of it: a stranger naming a product learns
        # nothing about what is in someone else's order.
        if known is not None and (
            not (product or item) or self._holds(self._shown(known), product, item)
        ):
            # "I also want to return the vase": the order just talked about, confirmed.
            # Not "I can see an order from your number": the caller may have keyed it in.
            return self._offer_order(known, "offer_known_order")
        if self.caller_phone:
            orders = await self.backends.orders.orders_for_phone(self.caller_phone)
            if item:
                held = [o for o in orders if self._holds(o, product, item)]
                picked = held[0] if len(held) == 1 else None
            else:
                picked = pick_order(orders, self._purpose, product)
            if picked is not None:
                return self._offer_order(picked)
        return self._ask_order("")

    def _holds(self, order: Order, product: str, item: str) -> bool:
        """Whether ``order`` holds the classifier's ``product`` or the ``item`` the caller
        named after "my" (in their words, an ending allowed: "vinterjakken")."""
        if product and has_item(order, product):
            return True
        return bool(item) and (has_item(order, item) or names_item(order, self._last_text))

    async def _order_named(self, entities: dict[str, str]) -> Reply | None:
        """ "The boots", asked for the order number: the caller's one order holding them,
        offered for a yes (None: no product, or not one order of theirs holds it)."""
        product = clean_product(entities.get("product"))
        if not product or not self.caller_phone:
            return None
        orders = await self.backends.orders.orders_for_phone(self.caller_phone)
        said = self._last_text
        named = [o for o in orders if has_item(o, product) or names_item(o, said)]
        return self._offer_order(named[0]) if len(named) == 1 else None

    def _offer_order(self, order: Order, key: str = "offer_order") -> Reply:
        """``order`` offered for a yes: found from the caller's number (``offer_order``)
        or the one the call already talked about (``offer_known_order``)."""
        self._offered = order
        text = say(key, order=spell_digits(order.number), items=items_text(self._shown(order)))
        return self._ask(text, "offer_order", State.OFFER_ORDER)

    def _ask_order(self, prefix: str) -> Reply:
        # Asked again (silence, not understood): the question, not the "sorry" prefix.
        return self._ask(
            prefix + say("ask_order_number"),
            "ask_order_number",
            State.ASK_ORDER,
            prompt=say("ask_order_number"),
            progress=False,
        )

    def _confirm_order(self, number: str) -> Reply:
        self._pending_number = number
        return self._ask(
            say("confirm_order_number", order=spell_digits(number)),
            "confirm_order_number",
            State.CONFIRM_ORDER,
            # A wrong number confirmed again and again must still end in a hand-over.
            progress=False,
        )

    async def _lookup(self, number: str) -> Reply:
        order = await self.backends.orders.find_order(number)
        if order is None:
            return self._fail(
                say("order_not_found", order=spell_digits(number)),
                "order_not_found",
                State.ASK_ORDER,
            )
        return self._order_found(order)

    def _order_found(self, order: Order) -> Reply:
        self._order = order
        if self._purpose == COMPLAINT:
            # A complaint whose order was asked for: the complaint goes on, read back.
            return self._propose_on(order, progress=True)
        if self._purpose == "return":
            return self._return_eligibility(order)
        if self._purpose in CANNOT_DO:
            # Only a colleague can: said plainly, and offered (the order in the hand-over).
            key = f"cannot_{self._purpose}"
            shown = items_text(self._shown(order))  # a stranger hears no items
            text = say(key, order=spell_digits(order.number), items=shown)
            return self._ask(text, key, State.OFFER_HUMAN)
        self._served += 1
        if not self._owns(order):
            return self._general_status(order)
        if self._missing:
            # "Den blev leveret, men jeg har den ikke": the status, then a report offered.
            self._proposal = MISSING
            text = order_status_text(order, self.calendar) + say("offer_report_missing")
            return self._ask(text, "offer_report_missing", State.CONFIRM_ACTION)
        if offers_tracking_sms(order) and self.config.sms:
            # A long number is hard to note down from speech: offered by SMS first
            # (with no SMS sent, it is read out in groups, as a short one is).
            status = order_status_text(order, self.calendar, tracking=False)
            self._proposal = TRACKING_SMS
            return self._ask(
                status + say("offer_tracking_sms"), "order_status", State.CONFIRM_ACTION
            )
        return self._anything_else(order_status_text(order, self.calendar) + " ", "order_status")

    def _general_status(self, order: Order) -> Reply:
        """The state of someone else's order (or one without a number on it): no items,
        carrier or tracking number; the tracking number offered by SMS to the number on
        the order where a text message reaches it, else a colleague (key 0)."""
        status = order_status_text(general_view(order), self.calendar)
        texted = self.config.sms and phone_on_order(order, self.config.country) is not None
        if order.tracking_number and order.status == "shipped" and texted:
            self._proposal = TRACKING_SMS
            return self._ask(
                status + say("offer_tracking_sms_order_phone"),
                "order_status_general",
                State.CONFIRM_ACTION,
            )
        if not status_said(order.status):
            # "A colleague can check it: press 0" was said already.
            return self._anything_else(status + " ", "order_status_general")
        # The caller has their answer; the details are a key away (0 is a colleague
        # anywhere), not a question they must answer first.
        return self._anything_else(status + say("order_details_colleague"), "order_status_general")

    def _return_eligibility(self, order: Order) -> Reply:
        window = self.config.return_window_days
        if order.status != "delivered" or order.delivered_at is None:
            self._served += 1
            return self._anything_else(
                say("return_not_delivered", order=spell_digits(order.number), window=window),
                "return_not_delivered",
            )
        age_days = self.calendar.days_from_today(order.delivered_at) * -1
        if age_days <= window:
            self._return_order = order
            last_day = order.delivered_at + window * 86400
            eligible = {
                "order": spell_digits(order.number),
                "items": items_text(self._shown(order)),
                "delivered": self.calendar.when(order.delivered_at),
                "last_day": self.calendar.date_text(last_day),
            }
            # The caller has their answer (they may return it, until when): a label
            # declined after it still ends the call resolved, as a declined colleague does.
            self._served += 1
            if not self.config.sms or not self._owns(order):
                # No text message would reach the caller, or the order is not theirs (a
                # label to a stranger's phone starts a return the customer never asked
                # for): the label is not offered by SMS, a colleague is.
                return self._ask(
                    say("return_eligible_no_sms", **eligible),
                    "return_eligible_no_sms",
                    State.OFFER_HUMAN,
                )
            return self._ask(
                say("return_eligible", **eligible), "return_eligible", State.RETURN_LABEL
            )
        return self._ask(
            say(
                "return_ineligible",
                order=spell_digits(order.number),
                items=items_text(self._shown(order)),
                age_days=age_days,
                window=window,
            ),
            "return_ineligible",
            State.OFFER_HUMAN,
        )
