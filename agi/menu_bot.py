"""Two small bots that need no speech stack: a DTMF menu and an echo.

They let the routing, the transports and the handoff be tested end to end
without the speech stack, and the echo bot is the benchmark's load. Neither is
ever given to a caller: a tone and a wait tell a caller nothing, so `spillway
serve` without its speech models runs no bot at all (the queue, and the DTMF
menu's keys 2 and 3; cli/commands/serve.py).
Prompts are generated tones (the core sounds are GSM files that Asterisk
plays, not PCM we can send); the spoken menu is the dialplan's job, so by
default the menu bot leaves the overflow offer to the dialplan's DTMF menu
(``speaks_offer`` False). Given an offer call anyway, it takes the same
1/2/3 choice there.
"""

from __future__ import annotations

import array
import asyncio
import math

from spillway.audio import AudioFormat
from spillway.call import BotOutcome, CallContext, EventSink, HandoffContext, Route, menu_key_route
from spillway.handover_words import agent_words
from spillway.language_pack import DEFAULT_LANGUAGE
from spillway.media import MediaSession
from spillway.offer_reason import OfferReason

# 1 = talk to the bot (here: the echo), 2 = keep waiting, 3 = call me back,
# 0 = a person please (a handoff with context).
MENU_ROUTES = {"2": Route.WAIT, "3": Route.CALLBACK}


def tone(format: AudioFormat, *, freq_hz: float = 440.0, duration_ms: int = 300) -> bytes:
    """A sine beep in ``format`` (16-bit mono PCM)."""
    n = format.sample_rate_hz * duration_ms // 1000
    samples = array.array(
        "h",
        (int(8000 * math.sin(2 * math.pi * freq_hz * i / format.sample_rate_hz)) for i in range(n)),
    )
    return samples.tobytes()


class EchoBot:
    """Plays the caller's audio back; any key ends it and hands the caller to a person.

    ``language``: the shop's (``shop.language``), which the agent's summary is written in.
    """

    def __init__(self, *, max_s: float = 600.0, language: str = DEFAULT_LANGUAGE) -> None:
        self.max_s = max_s
        self.language = language

    async def run(self, media: MediaSession, call: CallContext, sink: EventSink) -> BotOutcome:
        await sink.turn(call.call_id, "bot", "(echo)")

        async def echo() -> None:
            async for frame in media.frames():
                await media.play(frame)

        task = asyncio.create_task(echo())
        try:
            digit = await asyncio.wait_for(media.next_dtmf(), self.max_s)
        except TimeoutError:
            digit = None
        finally:
            task.cancel()
        return BotOutcome(
            Route.HANDOFF,
            HandoffContext(
                intent="echo",
                summary=agent_words(self.language).say("echo", key=digit or "-"),
            ),
            reason="echo ended",
        )


class MenuBot:
    """Beeps, then waits for a key: 1 echo, 2 wait, 3 callback, 0 a person.

    On an offer call (the caller waited past max_wait) it first beeps twice
    and takes the offer's choice: 1 the menu bot, 2 keep waiting, 3 a
    callback; no key or another key keeps the caller waiting. ``language``: the shop's,
    which the agent's summary is written in.
    """

    def __init__(
        self,
        *,
        choice_timeout_s: float = 10.0,
        speaks_offer: bool = False,
        language: str = DEFAULT_LANGUAGE,
    ) -> None:
        self.choice_timeout_s = choice_timeout_s
        self.speaks_offer = speaks_offer
        self.language = language

    async def run(self, media: MediaSession, call: CallContext, sink: EventSink) -> BotOutcome:
        if call.offer:
            await media.play(tone(media.format, freq_hz=660.0) * 2)
            await sink.turn(call.call_id, "bot", "offer: 1 bot, 2 wait, 3 callback")
            digit = await self._key(media)
            await sink.turn(call.call_id, "caller", f"DTMF {digit or '(none)'}")
            key, route = menu_key_route(digit)
            if route is not Route.BOT:
                pressed = OfferReason.pressed(key)
                words = agent_words(self.language)
                return BotOutcome(
                    route or Route.WAIT,
                    HandoffContext(summary=words.say("offer", reason=words.offer(pressed))),
                    reason=pressed.stored,
                )
        await media.play(tone(media.format))
        await sink.turn(call.call_id, "bot", "menu: 1 bot, 2 wait, 3 callback, 0 a person")
        digit = await self._key(media)
        await sink.turn(call.call_id, "caller", f"DTMF {digit or '(none)'}")
        if digit == "1":
            return await EchoBot(language=self.language).run(media, call, sink)
        if digit == "0":
            return BotOutcome(
                Route.HANDOFF,
                HandoffContext(
                    intent="agent_request",
                    case_id=f"C-{call.call_id[-8:]}",
                    summary=agent_words(self.language).say("menu_person"),
                ),
                reason="pressed 0",
            )
        route = MENU_ROUTES.get(digit or "", Route.WAIT)
        return BotOutcome(route, reason=f"pressed {digit}")

    async def _key(self, media: MediaSession) -> str | None:
        """The caller's next key, or None after the choice timeout."""
        # Drain caller audio so the transport's buffer never fills while we wait.
        drain = asyncio.create_task(_drain(media))
        try:
            return await asyncio.wait_for(media.next_dtmf(), self.choice_timeout_s)
        except TimeoutError:
            return None
        finally:
            drain.cancel()


async def _drain(media: MediaSession) -> None:
    async for _frame in media.frames():
        pass
