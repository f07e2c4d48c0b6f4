"""Overflow routing as pure decisions: queue state and choices in, a route out.

No sockets or Asterisk here, so every rule is unit-tested directly. The
dialplan (``spillway-route``) has one extension per :class:`Route`; the
controller only picks which one.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.timing.choice import asks_conventional
from spillway.call import BOT_END_ROUTES, MENU_CHOICES, Route
from spillway.settings import QueueSettings


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
    # Our prompts (sound keys) the dialplan plays before it carries out the route.
    say: tuple[str, ...] = ()


# How many keys the DTMF menu does not offer a caller may press at one offer and
# hear the menu again; the next one keeps their place in the queue.
MENU_WRONG_KEYS_REPEATED = 1
# What a caller who pressed a key the menu does not offer hears.
KEY_NOT_OFFERED = "menu_key_not_offered"  # "... Here are the choices again."
KEY_NOT_OFFERED_AGAIN = "menu_key_not_offered_again"
KEEP_PLACE = "menu_keep_place"
# What a caller whose bot call broke off hears before the queue: the bot said no
# goodbye, and hold music alone would not tell them they are still being served.
BOT_LOST = "bot_lost"  # "... we lost the connection ... You keep your place ..."


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
    state: QueueState | None, policy: OverflowPolicy, *, bot_ready: bool, bot_full: bool = False
) -> Decision:
    """Queue or bot for a call that just arrived.

    The bot takes the call when no agent is free and, counting this call, at
    least ``min_waiting`` callers would be waiting. Anything unknown (no
    state, no bot) means the queue: humans are the safe default. So does a
    bot at its call limit (``bot_full``): one more call would slow every
    caller it is already talking to.
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
    if bot_full:
        return Decision(Route.QUEUE, "overflow wanted but the bot is at its call limit")
    return Decision(Route.BOT, f"no agent free, {waiting_with_this} waiting")


def route_offer(*, bot_ready: bool, bot_speaks_offer: bool, bot_full: bool = False) -> Decision:
    """Who makes the offer to a caller who waited past max_wait.

    Our bot, when it is up and can speak it (the caller may then answer by
    voice or key); otherwise the dialplan's DTMF menu, which needs nothing of
    Spillway but this answer and is the path that never drops a caller.
    """
    if not bot_ready:
        return Decision(Route.OFFER, "the bot is not ready: the DTMF menu")
    if not bot_speaks_offer:
        return Decision(Route.OFFER, "the bot cannot speak the offer: the DTMF menu")
    if bot_full:
        return Decision(Route.OFFER, "the bot is at its call limit: the DTMF menu")
    return Decision(Route.BOT, "the bot makes the offer")


def menu_offers_bot(*, bot_ready: bool, bot_full: bool = False) -> bool:
    """Whether the DTMF menu may offer key 1: only when choosing it would reach the bot."""
    return route_menu_choice("1", bot_ready=bot_ready, bot_full=bot_full).route is Route.BOT


def route_menu_choice(
    digits: str | None,
    *,
    bot_ready: bool,
    bot_full: bool = False,
    wrong_keys: int = 0,
    bot_offered: bool | None = None,
) -> Decision:
    """The caller's answer to the offer menu.

    ``wrong_keys``: keys the menu does not offer already pressed at this offer;
    ``bot_offered``: whether the menu said "press 1" (the dialplan's
    SPILLWAY_MENU_BOT; None when not known: then it did if the bot can take the
    call now, as :func:`menu_offers_bot` decides). No key means keep waiting
    (the dialplan has already said so). A key the menu does not offer is told
    to the caller, who hears the menu once more; a second one keeps their place.
    Key 1 is taken whenever a bot can take the call now, offered or not: a worker
    freed since the menu began serves a caller who pressed it.
    """
    choice = (digits or "").strip()[:1]
    if not choice:
        return Decision(Route.WAIT, "no key")
    route = MENU_CHOICES.get(choice)
    why = ""
    if route is Route.BOT:
        can_take = bot_ready and not bot_full
        why = (
            ""
            if can_take
            else (" (the bot is not ready)" if not bot_ready else " (the bot is at its call limit)")
        )
        offered = can_take if bot_offered is None else bot_offered
        if can_take:
            pass  # a bot is free now (one freed since the menu began): the caller is served
        elif not offered:
            route = None
        else:
            # Offered, but the bot has gone since: the caller keeps their place.
            return Decision(Route.WAIT, f"chose the bot{why}", (KEEP_PLACE,))
    if route is None:
        if wrong_keys < MENU_WRONG_KEYS_REPEATED:
            return Decision(
                Route.MENU_AGAIN,
                f"key {choice!r} is not offered{why}: the menu again",
                (KEY_NOT_OFFERED,),
            )
        return Decision(
            Route.WAIT,
            f"key {choice!r} is not offered{why}, {wrong_keys + 1} such keys: keep waiting",
            (KEY_NOT_OFFERED_AGAIN, KEEP_PLACE),
        )
    return Decision(route, f"chose {choice}")


def route_after_bot(
    requested: Route | None, media_status: str, *, failed: bool = False
) -> Decision:
    """After the media leg ends: the bot's own request, else back to the queue.

    ``failed``: the bot's outcome records a failure, not a choice (its media leg
    broke mid-call, or it raised): the route stands (a person takes over, with
    what the bot learned) but, as with no outcome at all, the bot said nothing
    about it, so the caller is told (:data:`BOT_LOST`) before the queue.
    """
    if requested is None:
        return Decision(
            Route.WAIT, f"the bot left no outcome (media {media_status or '?'})", (BOT_LOST,)
        )
    if requested not in BOT_END_ROUTES:
        return Decision(Route.WAIT, f"the bot asked for {requested}, not allowed after the bot")
    if failed:
        return Decision(requested, "the bot failed mid-call", (BOT_LOST,))
    return Decision(requested, "the bot's outcome")


def menu_asks_plain(timing: str | None) -> bool:
    """Whether the DTMF menu's callback step took the plain-callback key: the dialplan
    sets ``SPILLWAY_TIMING`` to ``conventional`` for it (empty otherwise). Anything
    else a channel carries is not the caller's word: the request is timed as anyone's."""
    try:
        return asks_conventional(timing)
    except ValueError:
        return False
