"""Every sentence the bot says, in one catalogue keyed by the reply's action.

Each :class:`Prompt` is a ``str.format`` template. ``fixed`` marks wording
that carries no caller data (at most the shop's own name): it may be stored
on disk and played from the prompt cache, while everything else is
synthesised for the call and never cached. Where to change what the bot
says: here, and nowhere else (``tests/test_intents.py`` checks that fixed
wording carries no caller data).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Prompt:
    """One reply's wording; ``fixed``: no caller data, so it may be cached."""

    text: str
    fixed: bool = False


_TRANSFER_NOW = "Of course. I'm putting you through to a colleague now."

PROMPTS: dict[str, Prompt] = {
    # -- greeting and topics ------------------------------------------------
    "greet": Prompt(
        "Hello, you've reached {shop}. I'm the automated assistant. "
        "I can check an order, stock or a return, or put you through to a colleague. "
        "How can I help you?",
        fixed=True,
    ),
    "greet_reprompt": Prompt(
        "How can I help you? You can also press 1 for an order, 2 for stock, "
        "3 for returns, or 0 for a colleague."
    ),
    "ask_topic": Prompt("What else can I help you with?"),
    "anything_else": Prompt("Is there anything else I can help you with?"),
    "opening_hours": Prompt("We're open {hours}. "),
    # -- orders and returns -------------------------------------------------
    "offer_order": Prompt(
        "I can see an order from your number: order {order}{items}. "
        "Is that the one you're calling about?"
    ),
    "ask_order_number": Prompt(
        "Please tell me your order number, or type it on your keypad followed by the hash key."
    ),
    "confirm_order_number": Prompt("That's order number {order}. Is that right?"),
    "order_not_found": Prompt(
        "I couldn't find an order with the number {order}. "
        "Please tell me your order number again, or type it followed by the hash key."
    ),
    "return_not_delivered": Prompt(
        "Order {order} hasn't been delivered yet. Once it arrives, you have {window} days "
        "to return it. "
    ),
    "return_eligible": Prompt(
        "Order {order}{items} was delivered {delivered}, so you can return it until "
        "{last_day}. Shall I send you a return label by text message?"
    ),
    "return_ineligible": Prompt(
        "Order {order}{items} was delivered {age_days} days ago, which is outside our "
        "{window}-day return window. Would you like to talk to a colleague about it?"
    ),
    "order_packing": Prompt("Order {order}{items} is being packed and hasn't shipped yet."),
    "order_packing_expected": Prompt(" We expect to deliver it {when}."),
    "order_shipped": Prompt("Order {order}{items} has been shipped{carrier}."),
    "order_carrier": Prompt(" with {carrier}"),
    "order_delivery_expected": Prompt(" Delivery is expected {when}."),
    # A long number is spelled in groups of 3-4 with a comma (a pause) between them.
    "order_tracking": Prompt(" The tracking number is {tracking}."),
    "order_delivered": Prompt("Order {order}{items} was delivered{when}."),
    "order_cancelled": Prompt("Order {order}{items} was cancelled."),
    "order_other_status": Prompt("Order {order}{items} has the status {status}."),
    "offer_tracking_sms": Prompt(
        " It has a long tracking number. Shall I send it to you by text message? "
        "If you say no, I'll read it out."
    ),
    "tracking_read": Prompt("The tracking number is {tracking}. "),
    "tracking_sms_sent": Prompt("I've sent you the tracking number by text message. "),
    "return_label_sent": Prompt(
        "I've sent you a text message with a link to your return label. Print it, "
        "pack the item and drop it at any parcel shop. "
    ),
    # -- stock ---------------------------------------------------------------
    "ask_product": Prompt("Which product would you like me to check?"),
    "product_not_found": Prompt(
        "Sorry, I couldn't find that product. Which product would you like me to check?"
    ),
    "in_stock": Prompt("Yes, the {product} is in stock. We have {count}. "),
    "sold_out_restock": Prompt(
        "Sorry, the {product} is sold out. We expect it back in stock in {days} days, "
        "{restock_day}. "
    ),
    "sold_out": Prompt("Sorry, the {product} is sold out, and we don't have a date yet. "),
    # -- complaints and callbacks --------------------------------------------
    # Before a case, an SMS or a callback the bot says what it understood and asks.
    "confirm_complaint_order": Prompt(
        "I'm sorry to hear that. You'd like to report a problem with order {order}{items}, "
        "is that right?"
    ),
    "confirm_complaint": Prompt(
        "I'm sorry to hear that. You'd like to report a problem with something you "
        "received, is that right?"
    ),
    "confirm_callback": Prompt(
        "You'd like a colleague to call you back on {phone}{when}, is that right? "
        "If that number is wrong, type the right one followed by the hash key."
    ),
    "confirm_when": Prompt(" {when}"),
    "yes_unsure": Prompt(
        "Sorry, was that a yes? Please say yes or no, or press 1 for yes and 2 for no.",
        fixed=True,
    ),
    "declined_guess": Prompt("Sorry, I got that wrong. What can I help you with?"),
    "declined_again": Prompt(
        "Sorry, I got that wrong again. Would you like to talk to a colleague?"
    ),
    "complaint_case": Prompt(
        "I'm sorry to hear that. I've opened case {case}{sms}. I'm putting you through "
        "to a colleague now, who can see case {case}."
    ),
    "complaint_sms_sent": Prompt(" and sent you a text message with a link to upload photos"),
    "ask_phone": Prompt("Please type your phone number on the keypad, followed by the hash key."),
    "ask_phone_for_sms": Prompt(
        "To send it, please type your mobile number on the keypad, followed by the hash key."
    ),
    "callback_confirm": Prompt(
        "Thank you. We'll call you back on {phone}. When suits you best? For example this "
        "afternoon, tomorrow morning, or any time. If that number is wrong, type the right one "
        "followed by the hash key."
    ),
    "callback_confirm_when": Prompt(
        "Thank you. We'll call you back on {phone} {when}. Is that right? If the number is "
        "wrong, type the right one followed by the hash key."
    ),
    "callback_ask_when": Prompt(
        "Thank you. When suits you best? For example this afternoon, tomorrow morning, "
        "or any time. If that number is wrong, type the right one followed by the hash key."
    ),
    "callback_recorded": Prompt("Thank you. We'll call you back on {phone} {when}. Goodbye!"),
    "callback_asap": Prompt("as soon as a colleague is free"),
    "callback_from": Prompt("from {hour} o'clock {day}"),
    # -- text messages (not spoken) -------------------------------------------
    "sms_photo_upload": Prompt("{shop}: upload photos for case {case} here: {url}"),
    "sms_return_label": Prompt("{shop}: your return label for order {order}: {url}"),
    "sms_tracking": Prompt(
        "{shop}: order {order} is on its way{carrier}. Tracking number: {tracking}"
    ),
    # -- not understood, hand-over and goodbye --------------------------------
    "reprompt_not_understood": Prompt("Sorry, I didn't understand.", fixed=True),
    "reprompt_silence": Prompt("Sorry, I didn't hear anything.", fixed=True),
    # The recogniser was unsure of what it heard: nothing is acted on.
    "reprompt_unclear": Prompt("Sorry, could you say that again?", fixed=True),
    "empathy": Prompt("I understand you're frustrated, and I'll do my best to help. "),
    "transfer_upset": Prompt(
        "I can hear this is really frustrating. "
        "Let me put you through to a colleague who can help.",
        fixed=True,
    ),
    "transfer": Prompt(_TRANSFER_NOW, fixed=True),
    "transfer_confirmed": Prompt("I'm putting you through to a colleague now.", fixed=True),
    "backend_error": Prompt(
        "I'm sorry, I can't look that up right now. Let me put you through to a colleague.",
        fixed=True,
    ),
    "transfer_not_found": Prompt(
        "I'm sorry, I can't find it. Let me put you through to a colleague who can help.",
        fixed=True,
    ),
    "transfer_no_match": Prompt(
        "I'm sorry, I'm having trouble understanding. Let me put you through to a colleague.",
        fixed=True,
    ),
    "goodbye": Prompt("Thank you for calling {shop}. Goodbye!", fixed=True),
    # -- the overflow offer (the voice bot speaks it before the dialogue starts) --
    "offer": Prompt(
        "Sorry, all our colleagues are busy right now. I'm the automated assistant, and I "
        "can help with your order status, returns, and our opening hours. Say or press 1 to "
        "talk to me, 2 to keep waiting in the queue, or 3 to be called back.",
        fixed=True,
    ),
    "offer_reprompt": Prompt(
        "Sorry, I didn't catch that. Say or press 1 to talk to me, 2 to keep waiting, "
        "or 3 to be called back.",
        fixed=True,
    ),
    "offer_wait": Prompt(
        "All right, I'll put you back in the queue. You keep your place.", fixed=True
    ),
    "offer_bot": Prompt("Great. How can I help you?", fixed=True),
    # -- played by Asterisk itself (rendered into sound files at `spillway dialplan
    # render`/`install`; the keys are the file names, dialplan/sounds.py:SOUND_KEYS) --
    # The DTMF menu, when the bot cannot make the offer; the first key only while
    # the bot can take the call.
    "menu_offer": Prompt(
        "Sorry, all our colleagues are busy right now. Press 1 to talk to our automated "
        "assistant. Press 2 to keep your place in the queue. Or press 3 to be called back.",
        fixed=True,
    ),
    "menu_offer_no_bot": Prompt(
        "Sorry, all our colleagues are busy right now. Press 2 to keep your place in the "
        "queue, or press 3 to be called back.",
        fixed=True,
    ),
    "menu_no_input": Prompt("Sorry, I didn't hear a key.", fixed=True),
    "menu_keep_place": Prompt(
        "You keep your place in the queue. A colleague will be with you as soon as possible.",
        fixed=True,
    ),
    # A called-back customer, the moment they answer: who calls, and why.
    "callback_intro": Prompt(
        "Hello, this is {shop}, returning your call, as you asked. Please hold on, "
        "I'm connecting you to a colleague.",
        fixed=True,
    ),
    "callback_intro_order": Prompt(
        "Hello, this is {shop}, returning your call about your order. Please hold on, "
        "I'm connecting you to a colleague.",
        fixed=True,
    ),
    "callback_intro_return": Prompt(
        "Hello, this is {shop}, returning your call about your return. Please hold on, "
        "I'm connecting you to a colleague.",
        fixed=True,
    ),
    "callback_intro_complaint": Prompt(
        "Hello, this is {shop}, returning your call about the problem you reported. "
        "Please hold on, I'm connecting you to a colleague.",
        fixed=True,
    ),
    "callback_intro_stock": Prompt(
        "Hello, this is {shop}, returning your call about the product you asked about. "
        "Please hold on, I'm connecting you to a colleague.",
        fixed=True,
    ),
    # No colleague came in time.
    "callback_no_agent": Prompt(
        "We're very sorry, all our colleagues are still busy. Press 1 and we'll call you "
        "back at another time. Press 2 to keep waiting for a colleague.",
        fixed=True,
    ),
    "callback_again_recorded": Prompt(
        "Thank you. We'll call you back at another time. Goodbye!", fixed=True
    ),
    "callback_no_agent_goodbye": Prompt(
        "We're sorry we couldn't connect you this time. Goodbye!", fixed=True
    ),
    # Whispered to the agent who takes a callback, before the customer is put through.
    "agent_whisper": Prompt("A callback customer.", fixed=True),
    "agent_whisper_order": Prompt("A callback about an order.", fixed=True),
    "agent_whisper_return": Prompt("A callback about a return.", fixed=True),
    "agent_whisper_complaint": Prompt("A callback about a complaint.", fixed=True),
    "agent_whisper_stock": Prompt("A callback about a product.", fixed=True),
    # -- added by timing-choice --
    # One sentence after the callback confirmation, when the model times the call.
    "callback_timing_note": Prompt(
        "We pick the time you're most likely to be free; for a plain callback instead, "
        "just say plain callback.",
        fixed=True,
    ),
    # The caller seemed to ask for a plain callback: confirmed before it is changed.
    "callback_plain_confirm": Prompt(
        "A plain callback, as soon as a colleague is free, without picking the time for "
        "you. Is that right? Please say yes or no.",
        fixed=True,
    ),
    # The DTMF menu's callback step: before the request is taken (Asterisk plays it).
    "menu_callback_timing": Prompt(
        "We'll call you back at the time you're most likely to be free. For a plain "
        "callback as soon as we can instead, press 9 now.",
        fixed=True,
    ),
}


def say(action: str, **values: object) -> str:
    """The wording of ``action`` with ``values`` filled in."""
    return PROMPTS[action].text.format(**values)


REPROMPT_NOT_UNDERSTOOD = say("reprompt_not_understood")
REPROMPT_SILENCE = say("reprompt_silence")
REPROMPT_UNCLEAR = say("reprompt_unclear")
OFFER_PROMPT = say("offer")
OFFER_REPROMPT = say("offer_reprompt")
OFFER_WAIT = say("offer_wait")
OFFER_BOT = say("offer_bot")


def fixed_prompts() -> list[str]:
    """The fixed openers the voice bot renders into the cache at start-up.

    (The greeting carries the shop's name: the voice bot renders it from the
    dialogue; hand-over wording is cached the first time it is said.)
    """
    return [
        OFFER_PROMPT,
        OFFER_REPROMPT,
        OFFER_WAIT,
        OFFER_BOT,
        REPROMPT_NOT_UNDERSTOOD,
        REPROMPT_SILENCE,
        REPROMPT_UNCLEAR,
    ]
