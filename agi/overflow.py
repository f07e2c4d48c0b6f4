"""Overflow routing as pure decisions: queue state and choices in, a route out.

No sockets or Asterisk here, so every rule is unit-tested directly. The
dialplan (``spillway-route``) has one extension per :class:`Route`; the
controller only picks which one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from spillway.settings import QueueSettings


class Route(StrEnum):
    """Where the dialplan sends the caller next (an extension in spillway-route)."""

    QUEUE = "queue"  # join the human queue; offered the bot after max_wait_s
    WAIT = "wait"  # back in the queue at the return priority, no time limit
    BOT = "bot"  # connect the media transport to the bot
    OFFER = "offer"  # the DTMF menu: bot, keep waiting or callback
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
