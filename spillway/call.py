"""The call contract: what the controller (``agi/``) and the bot (``bot/``) agree on.

Both sides import this module and never each other: who is calling
(:class:`CallContext`), where the dialplan sends the caller next
(:class:`Route`), what the bot asks for when it ends (:class:`BotOutcome`
with its :class:`HandoffContext`), how a call ended in the one vocabulary every
report uses (:class:`CallOutcome`), and the one :class:`EventSink` that every
stage of a call reports to, with typed :class:`CallEventKind` events.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from spillway.media import MediaSession


class Route(StrEnum):
    """Where the dialplan sends the caller next (an extension in spillway-route)."""

    QUEUE = "queue"  # join the human queue; offered the bot after max_wait_s
    WAIT = "wait"  # back in the queue at the return priority, no time limit
    BOT = "bot"  # connect the media transport to the bot
    OFFER = "offer"  # the offer: bot, keep waiting or callback (spoken by the bot or a DTMF menu)
    CALLBACK = "callback"  # record a callback request, then goodbye
    HANDOFF = "handoff"  # the bot hands the caller to a human, with context
    DONE = "done"  # the bot answered everything: goodbye
    MENU_AGAIN = "menu-again"  # a key the DTMF menu does not offer: the menu once more


# Where a caller who comes back to the queue lands: ahead of everyone who
# joined for the first time (priority 0). Matches the dialplan template.
RETURN_PRIORITY = 10

# The offer's keys, as every prompt announces them (the dialplan's DTMF menu,
# the menu bot and the speech bot alike).
MENU_CHOICES: dict[str, Route] = {"1": Route.BOT, "2": Route.WAIT, "3": Route.CALLBACK}
# After "3" (call me back) the DTMF menu says the time is chosen to suit the caller;
# this key asks for a plain callback instead (no AI timing). The dialplan sets
# SPILLWAY_TIMING=conventional for it, which the controller and the spool script
# pass on to intake.
PLAIN_CALLBACK_KEY = "9"

# What the bot may ask for when it ends; anything else goes back to the queue.
BOT_END_ROUTES = frozenset({Route.WAIT, Route.HANDOFF, Route.CALLBACK, Route.DONE, Route.OFFER})


def menu_key_route(digits: str | None) -> tuple[str, Route | None]:
    """The offer key in ``digits`` (first key, ``#`` ignored) and its route, if any."""
    key = (digits or "").strip().rstrip("#")[:1]
    return key, MENU_CHOICES.get(key)


class CallStage(StrEnum):
    """The explicit stages of a bot call, in order of a normal call."""

    STARTED = "started"
    GREETING = "greeting"
    LISTENING = "listening"
    RECOGNISED = "recognised"
    UNDERSTOOD = "understood"
    SPEAKING = "speaking"
    HANDOFF = "handoff"
    CALLBACK = "callback"
    ENDED = "ended"
    ERROR = "error"


class CallEventKind(StrEnum):
    """Every kind of event a call reports (the ``kind`` column of ``call_events``)."""

    STAGE = "stage"  # a CallStage change, with the stage's data
    ROUTE = "route"  # a routing decision: route and reason
    OFFER = "offer"  # the bot starts the overflow offer
    OFFER_ANSWER = "offer_answer"  # what the caller chose at the offer
    ENDPOINT = "endpoint"  # the caller stopped talking (end of an utterance)
    FIRST_AUDIO = "first_audio"  # the first audio of a reply was queued for the caller
    SPOKEN = "spoken"  # a reply finished playing (or was barged in on)
    FILLER = "filler"  # a slow reply: "one moment" played while it was worked out
    BARGE_IN = "barge_in"  # the caller talked or pressed a key over the bot
    CALLER_GONE = "caller_gone"  # the caller hung up on the bot
    BOT_ERROR = "bot_error"  # the bot failed or ran past its limit: back to the queue
    OUTCOME = "outcome"  # how the call ended
    HANGUP = "hangup"  # the dialplan saw the channel hang up
    AGENT = "agent"  # the queue put the caller through to an agent (after a hand-over)
    CONTROLLER_RESTARTED = "controller_restarted"  # closed at start-up: the controller died


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One thing that happened on a call; every stage emits these to one sink."""

    call_id: str
    kind: CallEventKind
    data: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True)
class CallContext:
    """Who is calling and how they reached the bot."""

    call_id: str
    caller: str
    channel: str = ""
    transport: str = ""
    media_id: str = ""
    started_at: float = field(default_factory=time.time)
    # The caller waited past max_wait: the bot opens with the offer (talk to
    # me, keep waiting, or be called back) instead of its greeting.
    offer: bool = False


MAX_SUMMARY_CHARS = 200
_UNSAFE = re.compile(r"[\x00-\x1f,|;\\\"'$\[\]{}()]+")


def clean_value(text: str | None, limit: int = 80) -> str:
    """A value safe inside a dialplan argument and an AMI header line.

    A comma or a newline would split a dialplan argument or an AMI header.
    """
    if not text:
        return ""
    return " ".join(_UNSAFE.sub(" ", text).split())[:limit]


@dataclass(frozen=True, slots=True)
class HandoffContext:
    """What the agent should know when the call reaches them."""

    intent: str = ""
    case_id: str = ""
    summary: str = ""
    priority: int = RETURN_PRIORITY
    # A callback the caller booked before the hand-over: it stays open unless an agent
    # takes the call (the dialplan then asks the controller's ``agent`` route to close it).
    callback_id: int | None = None

    def channel_variables(self) -> dict[str, str]:
        """Inherited (``__``) variables: readable on the agent's channel too."""
        return {
            "__SPILLWAY_INTENT": clean_value(self.intent, 40),
            "__SPILLWAY_CASE_ID": clean_value(self.case_id, 40),
            "__SPILLWAY_SUMMARY": clean_value(self.summary, MAX_SUMMARY_CHARS),
            # Always set: a value from an earlier visit must not stand.
            "__SPILLWAY_HELD_CALLBACK": "" if self.callback_id is None else str(self.callback_id),
            "SPILLWAY_PRIO": str(max(1, self.priority)),
        }


class CallOutcome(StrEnum):
    """How a call ended: the one vocabulary of the call record (``calls.outcome``),
    `spillway chat --json`, `spillway call --json`, ``/metrics`` and the console.

    Where the caller goes next is the :class:`Route`; this is what happened.
    A bot that failed still hands the caller over (route ``handoff``), but the
    call is ``failed``; a callback recorded by the bot ends the bot's leg with
    route ``done``, but the call is ``callback``.
    """

    RESOLVED = "resolved"  # the bot answered what the caller called about
    HANDOFF = "handoff"  # a person takes over: the bot handed over, or the caller chose the queue
    CALLBACK = (
        "callback"  # a callback request holds (its id in ``calls.callback_id``, merged or not)
    )
    HANGUP = "hangup"  # the caller hung up before they were helped
    FAILED = "failed"  # the bot or the controller failed; the caller went to the queue


# What a bot's end route means when the bot says no more (the DTMF menu bot).
ROUTE_OUTCOMES: dict[Route, CallOutcome] = {
    Route.DONE: CallOutcome.RESOLVED,
    Route.HANDOFF: CallOutcome.HANDOFF,
    Route.WAIT: CallOutcome.HANDOFF,
    Route.OFFER: CallOutcome.HANDOFF,
    Route.CALLBACK: CallOutcome.CALLBACK,
}


def containment(calls_by_outcome: Mapping[str, int]) -> float | None:
    """The share of ended bot calls the bot resolved alone: resolved / calls (None: no calls).

    Only the outcomes of :class:`CallOutcome` count; calls still under way do not.
    """
    words = {o.value for o in CallOutcome}
    ended = sum(n for outcome, n in calls_by_outcome.items() if outcome in words)
    return calls_by_outcome.get(CallOutcome.RESOLVED, 0) / ended if ended else None


@dataclass(frozen=True, slots=True)
class BotOutcome:
    """How the bot wants the call to continue once its media leg ends, and what happened."""

    route: Route
    handoff: HandoffContext = field(default_factory=HandoffContext)
    reason: str = ""
    # What happened on the call; None: what the route implies (ROUTE_OUTCOMES).
    outcome: CallOutcome | None = None
    # The callback request the bot recorded or joined, when it did.
    callback_id: int | None = None

    @property
    def call_outcome(self) -> CallOutcome:
        """What happened on the call, for the call record."""
        if self.outcome is not None:
            return self.outcome
        return ROUTE_OUTCOMES.get(self.route, CallOutcome.FAILED)


class EventSink(Protocol):
    """What a call session and a bot may report (``agi.call_log.CallLog`` stores it)."""

    async def start(
        self, call_id: str, *, caller: str, channel: str, transport: str, claim: bool = True
    ) -> None:
        """A call began; ``claim``: this worker keeps it (False: it passes it on)."""
        ...

    async def stage(self, call_id: str, stage: CallStage, **data: Any) -> None: ...

    async def event(self, event: CallEvent) -> None: ...

    async def turn(
        self,
        call_id: str,
        speaker: str,
        text: str,
        *,
        intent: str | None = None,
        confidence: float | None = None,
    ) -> None: ...

    async def outcome(
        self,
        call_id: str,
        outcome: CallOutcome,
        *,
        intent: str | None = None,
        case_id: str | None = None,
        summary: str | None = None,
        callback_id: int | None = None,
    ) -> None: ...

    async def end(self, call_id: str) -> None: ...

    async def claim(self, call_id: str) -> None:
        """This worker has taken over a call another worker started (``calls.worker``)."""
        ...

    async def signal(self, event_id: str, *, phone: str, kind: str, at_s: float) -> None:
        """A signal of the caller's hours (``phone`` in E.164), stored with the call's log
        (``customer_signals``; a second report of ``event_id`` changes nothing)."""
        ...


class Bot(Protocol):
    """A bot as the call session sees it; the transport stays hidden behind the session."""

    async def run(self, media: MediaSession, call: CallContext, sink: EventSink) -> BotOutcome: ...
