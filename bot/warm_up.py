"""Start-up work that keeps the first callers from paying for cold models.

Two things are slow the first time and cheap afterwards: rendering the fixed
prompts (greeting, offer, hand-overs, goodbye) and the fixed sentences of the
other replies with Piper, and a fresh Vosk recogniser's first
utterances (its graph cache is empty; see :mod:`bot.speech.vosk_pool`). Both are
done here, in the background, once per process: `spillway serve` runs it and
so does the latency benchmark, so the benchmark measures what serve does.
The recognisers are warmed with the bot's own prompts: audio the process
already has, and none of what callers will say.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from bot.assembly import SpeechModels
from bot.dialogue.prompts import spoken_prompts
from bot.speech.synthesis import fixed_pieces

log = logging.getLogger(__name__)


class PromptSource(Protocol):
    """What the warm-up needs from the bot (SpeechBot has it)."""

    async def fixed_prompts(self) -> list[str]: ...


# Per recogniser: a fresh one's cost falls most over its first few utterances
# (bench_speech.py --vosk-warm), so about 12 s of audio buys most of the gain.
PREWARM_AUDIO_S = 12.0


async def _prompt_audio(models: SpeechModels, texts: list[str], budget_s: float) -> list[bytes]:
    """The rendered prompts, in order, until about ``budget_s`` seconds of audio."""
    audio: list[bytes] = []
    total_s = 0.0
    for text in texts:
        if total_s >= budget_s:
            break
        pcm = await models.prompts.get(text)
        audio.append(pcm)
        total_s += models.output_format.duration_ms(len(pcm)) / 1000
    return audio


async def warm_up(bot: PromptSource, models: SpeechModels, *, recognizers: int) -> None:
    """Render the fixed prompts, then decode them through ``recognizers`` pooled recognisers.

    Failures are logged and left for the calls to hit (a prompt that fails now
    renders, or fails, when a call needs it); cancellation goes through.
    """
    started = time.monotonic()
    try:
        texts = await bot.fixed_prompts()
        rendered = await models.prompts.warm(texts)
        log.info("fixed prompts ready (%d rendered now, the rest were cached)", rendered)
        # The fixed sentences of every other reply ("Thank you." before an order's
        # status, "Please tell me your order number..."): in memory, so a first piece
        # among ten first callers is ready.
        pieces = await models.tts.warm_pieces(fixed_pieces(spoken_prompts()))
        log.info("%d fixed reply pieces rendered into the piece cache", pieces)
        if recognizers <= 0:
            return
        audio = await _prompt_audio(models, texts, PREWARM_AUDIO_S)
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
