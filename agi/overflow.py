"""Overflow routing as pure decisions: queue state and choices in, a route out.

No sockets or Asterisk here, so every rule is unit-tested directly. The
dialplan (``spillway-route``) has one extension per :class:`Route`; the
controller only picks which one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from spillway.settings import QueueSettings


class Route(StrEnum):
    """Where the dialplan sends the caller next (an extension in spillway-route)."""

    QUEUE = "queue"  # join the human queue; offered the bot after max_wait_s
    WAIT = "wait"  # back in the queue at the return priority, no time limit
    BOT = "bot"  # connect the media transport to the bot
    OFFER = "offer"  # the offer: bot, keep waiting or callback (spoken by the bot or a DTMF menu)
    CALLBACK = "callback"  # record a callback request, then goodbye
    HANDOFF = "handoff"  # the bot hands the caller to a human, with context
    DONE = "done"  # the bot answered everything: goodbye


# Where a caller who comes back to the queue lands: ahead of everyone who
# joined for the first time (priority 0). Matches the dialplan template.
RETURN_PRIORITY = 10

# Menu digits, as the prompt announces them.
MENU_CHOICES: dict[str, Route] = {"1": Route.BOT, "2": Route.WAIT, "3": Route.CALLBACK}


@dataclass(frozen=True, slots=True)
class QueueState:
    """The queue as the dialplan saw it when the call arrived."""

    free_agents: int
    waiting_callers: int  # already in the queue, not counting the new call


@dataclass(frozen=True, slots=True)
class OverflowPolicy:
    """When the bot takes a new call instead of the queue."""

    min_waiting: int
    max_wait_s: int

    @classmethod
    def from_settings(cls, queue: QueueSettings) -> OverflowPolicy:
        return cls(min_waiting=queue.overflow_min_waiting, max_wait_s=queue.max_wait_s)


@dataclass(frozen=True, slots=True)
class Decision:
    route: Route
    reason: str


def parse_count(text: str | None) -> int | None:
    """A dialplan count (``QUEUE_MEMBER(..,free)``), or None if it is not one."""
    if text is None:
        return None
    text = text.strip()
    if not text.isdigit():
        return None
    return int(text)


def queue_state_from_args(args: list[str]) -> QueueState | None:
    """The two AGI arguments of the inbound route, or None when unreadable."""
    if len(args) < 2:
        return None
    free, waiting = parse_count(args[0]), parse_count(args[1])
    if free is None or waiting is None:
        return None
    return QueueState(free_agents=free, waiting_callers=waiting)


def route_new_call(
    state: QueueState | None, policy: OverflowPolicy, *, bot_ready: bool
) -> Decision:
    """Queue or bot for a call that just arrived.

    The bot takes the call when no agent is free and, counting this call, at
    least ``min_waiting`` callers would be waiting. Anything unknown (no
    state, no bot) means the queue: humans are the safe default.
    """
    if state is None:
        return Decision(Route.QUEUE, "queue state unknown")
    if state.free_agents > 0:
        return Decision(Route.QUEUE, f"{state.free_agents} agent(s) free")
    waiting_with_this = state.waiting_callers + 1
    if waiting_with_this < policy.min_waiting:
        return Decision(
            Route.QUEUE,
            f"no agent free but only {waiting_with_this} waiting (< {policy.min_waiting})",
        )
    if not bot_ready:
        return Decision(Route.QUEUE, "overflow wanted but the bot is not ready")
    return Decision(Route.BOT, f"no agent free, {waiting_with_this} waiting")


def route_offer(*, bot_ready: bool, bot_speaks_offer: bool) -> Decision:
    """Who makes the offer to a caller who waited past max_wait.

    Our bot, when it is up and can speak it (the caller may then answer by
    voice or key); otherwise the dialplan's DTMF menu, which needs nothing of
    Spillway but this answer and is the path that never drops a caller.
    """
    if not bot_ready:
        return Decision(Route.OFFER, "the bot is not ready: the DTMF menu")
    if not bot_speaks_offer:
        return Decision(Route.OFFER, "the bot cannot speak the offer: the DTMF menu")
    return Decision(Route.BOT, "the bot makes the offer")


def route_menu_choice(digits: str | None, *, bot_ready: bool) -> Decision:
    """The caller's answer to the offer menu; silence or nonsense means keep waiting."""
    choice = (digits or "").strip()[:1]
    route = MENU_CHOICES.get(choice)
    if route is None:
        return Decision(Route.WAIT, f"no valid choice ({choice!r})")
    if route is Route.BOT and not bot_ready:
        return Decision(Route.WAIT, "chose the bot but it is not ready")
    return Decision(route, f"chose {choice}")


# What the bot may ask for when it ends; anything else goes back to the queue.
BOT_END_ROUTES = frozenset({Route.WAIT, Route.HANDOFF, Route.CALLBACK, Route.DONE, Route.OFFER})


def route_after_bot(requested: Route | None, media_status: str) -> Decision:
    """After the media leg ends: the bot's own request, else back to the queue."""
    if requested is None:
        return Decision(Route.WAIT, f"the bot left no outcome (media {media_status or '?'})")
    if requested not in BOT_END_ROUTES:
        return Decision(Route.WAIT, f"the bot asked for {requested}, not allowed after the bot")
    return Decision(requested, "the bot's outcome")


# -- the caller's answer to the offer, by voice or key ---------------------

# Intents that mean "I want the bot": a request it can serve (that request is
# carried into the dialogue as its first turn) or a plain yes.
OFFER_BOT_REQUESTS = frozenset(
    {"order_status", "stock_check", "return_item", "complaint", "opening_hours"}
)
# What the offer's own words sound like. Checked before the NLU intent: the
# shop's NLU has no "wait" intent and reads "stay in the queue" as a stock
# question, or "talk to you" as a request for a person.
_SPOKEN_DIGITS = {"one": "1", "won": "1", "two": "2", "to": "2", "too": "2", "three": "3"}
_CALLBACK_RE = re.compile(r"\b(call(ing)? me back|call ?back|ring me back|phone me back)\b")
_WAIT_RE = re.compile(
    r"\b(keep (on )?(waiting|holding)|(i'?ll|i will|i can|i'd rather|i would rather|let me) "
    r"(just )?(wait|hold)|wait(ing)? (in|on) (the )?(queue|line)|stay(ing)? (in|on) (the )?"
    r"(queue|line|hold)|(on|keep|stay on) hold|keep (my )?place|still wait|wait for (a|an|the) "
    r"(person|human|colleague|agent))\b|^(i'?ll |i will )?(wait|hold)( please)?$"
)
_BOT_RE = re.compile(
    r"\b((talk|speak) (to|with) (you|the (bot|assistant|robot|machine))|the (bot|assistant)"
    r"|you can help)\b"
)


@dataclass(frozen=True, slots=True)
class OfferAnswer:
    """What the caller chose at the offer; ``route`` None means not understood.

    ``carry`` is set when the answer was a request the bot can serve: the
    dialogue takes that utterance as its first turn, so the caller need not
    repeat it.
    """

    route: Route | None
    reason: str
    carry: bool = False


def offer_answer(
    *, digits: str | None = None, intent: str | None = None, text: str = ""
) -> OfferAnswer:
    """Map a key press or an utterance (its NLU intent and words) to bot, wait or callback.

    Keys: 1 the bot, 2 keep waiting, 3 a callback. Words: a callback request
    is a callback; "keep waiting", "hold", "stay in the queue", asking for a
    person, or "no" is waiting; a request the bot serves, or "yes", is the
    bot. Anything else is not understood (the caller is asked once more and
    then keeps waiting: never dropped).
    """
    if digits is not None:
        key = digits.strip().rstrip("#")[:1]
        route = MENU_CHOICES.get(key)
        return OfferAnswer(route, f"pressed {key or '(nothing)'}")
    words = " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())
    spoken = _SPOKEN_DIGITS.get(words, words)
    if spoken in MENU_CHOICES:
        return OfferAnswer(MENU_CHOICES[spoken], f"said {spoken}")
    if intent == "callback_request" or _CALLBACK_RE.search(words):
        return OfferAnswer(Route.CALLBACK, "asked to be called back")
    if _WAIT_RE.search(words):
        return OfferAnswer(Route.WAIT, "said they will keep waiting")
    if _BOT_RE.search(words):
        return OfferAnswer(Route.BOT, "asked for the bot")
    if intent == "human_agent":
        return OfferAnswer(Route.WAIT, "wants a person: keeps waiting")
    if intent == "deny":
        return OfferAnswer(Route.WAIT, "said no to the bot")
    if intent in OFFER_BOT_REQUESTS:
        return OfferAnswer(Route.BOT, f"asked the bot: {intent}", carry=True)
    if intent == "affirm":
        return OfferAnswer(Route.BOT, "said yes to the bot")
    return OfferAnswer(None, f"not understood ({intent or 'no intent'})")
