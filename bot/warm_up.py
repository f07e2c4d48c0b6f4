"""Start-up work that keeps the first callers from paying for cold models.

Two things are slow the first time and cheap afterwards: rendering the fixed
prompts (greeting, offer) with Piper, and a fresh Vosk recogniser's first
utterances (its graph cache is empty; see :mod:`bot.vosk_pool`). Both are
done here, in the background, once per process: `spillway serve` runs it and
so does the latency benchmark, so the benchmark measures what serve does.
The recognisers are warmed with the bot's own prompts: audio the process
already has, and none of what callers will say.
"""

from __future__ import annotations

import asyncio
import logging
import time

from bot.assembly import SpeechModels
from bot.voice_bot import SpeechBot

log = logging.getLogger(__name__)


async def warm_up(bot: SpeechBot, models: SpeechModels, *, recognizers: int) -> None:
    """Render the fixed prompts, then decode them through ``recognizers`` pooled recognisers.

    Failures are logged and left for the calls to hit (a prompt that fails now
    renders, or fails, when a call needs it); cancellation goes through.
    """
    started = time.monotonic()
    try:
        texts = await bot.fixed_prompts()
        rendered = await models.prompts.warm(texts)
        log.info("fixed prompts ready (%d rendered now, the rest were cached)", rendered)
        if recognizers <= 0:
            return
        audio = [await models.prompts.get(text) for text in texts]
        warmed = await models.asr.prewarm(audio, models.output_format, recognizers=recognizers)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("start-up warm-up failed; calls render prompts and warm up on demand")
        return
    log.info(
        "%d %s recogniser(s) warmed with the prompts in %.1f s",
        warmed,
        models.asr.name,
        time.monotonic() - started,
    )
