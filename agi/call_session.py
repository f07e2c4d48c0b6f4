"""A bot call as explicit stages, reporting to one event sink.

The controller hands each media connection to :func:`run_bot_call`, which
runs the :class:`Bot`, records the outcome, and always releases the media leg
in ``finally`` so the dialplan moves on. A bot that raises, hangs past its
time limit or returns nonsense yields no outcome, which the controller turns
into "back to the queue".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from spillway.call import (
    BOT_END_ROUTES,
    Bot,
    BotOutcome,
    CallContext,
    CallEvent,
    CallEventKind,
    CallStage,
    EventSink,
    Route,
)
from spillway.media import MediaSession

log = logging.getLogger(__name__)


async def run_bot_call(
    bot: Bot,
    media: MediaSession,
    call: CallContext,
    sink: EventSink,
    *,
    time_limit_s: float,
    record: Callable[[BotOutcome | None], None] = lambda _outcome: None,
) -> BotOutcome | None:
    """Run one bot call to its end; None means the bot failed (send to the queue).

    The outcome is written to the sink and handed to ``record`` *before* the
    media leg is released: ending the leg is what lets the dialplan run its
    ``after-bot`` step, and both that step and anyone watching the call (the
    requeue event, the calls table) must find the outcome already there.
    """
    outcome: BotOutcome | None = None
    try:
        await sink.stage(call.call_id, CallStage.GREETING, transport=call.transport)
        try:
            async with asyncio.timeout(time_limit_s):
                result = await bot.run(media, call, sink)
            if isinstance(result, BotOutcome) and result.route in BOT_END_ROUTES:
                outcome = result
            else:
                log.warning("call %s: the bot returned %r; back to the queue", call.call_id, result)
        except TimeoutError:
            log.warning(
                "call %s: the bot ran past %g s; back to the queue", call.call_id, time_limit_s
            )
            await sink.event(
                CallEvent(call.call_id, CallEventKind.BOT_ERROR, {"error": "time limit"})
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any bot failure ends in the queue
            log.exception("call %s: the bot failed; back to the queue", call.call_id)
            await sink.event(
                CallEvent(call.call_id, CallEventKind.BOT_ERROR, {"error": repr(exc)[:300]})
            )
        record(outcome)
        if outcome is not None:
            await _report(sink, call, outcome)
    finally:
        record(outcome)
        # Ending the media leg is what lets the dialplan continue.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(media.hangup(), 2.0)
    return outcome


async def _report(sink: EventSink, call: CallContext, outcome: BotOutcome) -> None:
    stage = CallStage.HANDOFF if outcome.route is Route.HANDOFF else CallStage.ENDED
    if outcome.route is Route.CALLBACK:
        stage = CallStage.CALLBACK
    await sink.stage(call.call_id, stage, route=outcome.route.value, reason=outcome.reason)
    await sink.outcome(
        call.call_id,
        outcome.call_outcome,
        intent=outcome.handoff.intent or None,
        case_id=outcome.handoff.case_id or None,
        summary=outcome.handoff.summary or None,
        callback_id=outcome.callback_id,
    )
