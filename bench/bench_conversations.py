"""The conversation benchmark: N simultaneous spoken conversations through the sandbox.

Each conversation (bench/conversations/shop.yaml) is spoken by a Piper caller
voice through a throw-away sandbox Asterisk into the overflow route, with the
default English path (Whisper tiny.en unless an English Vosk model is
installed; Rasa when it answers at the configured URL, else the fallback NLU).
Each level places every conversation at least once, ``N`` at a time (so
one call means the seven conversations one after another). It reports, per
number of simultaneous calls:

- latency from the end of the caller's speech to the first bot audio heard,
  p50 and p95, over every spoken turn; a reply never heard is a failure and
  counts as infinitely late (it is not dropped);
- the share of spoken turns whose intent was recognised correctly;
- the share of conversations that reached their expected outcome;
- talk-over: spoken turns where the caller heard the bot while still saying
  their line (an answer started at a pause too early), and its total length;
- the share of reply characters the in-memory piece cache
  (``speech.reply_cache_pieces``) served without rendering;
- the bot's CPU per call: this process's CPU seconds over the bot's call
  seconds, and the whole machine's busy CPU seconds over the same call
  seconds (Asterisk, Rasa and the callers included; anything else running on
  the machine too), what ``controller.cpu_per_bot_call`` is set from.

The bot's controller runs in this process and the test callers in one of their
own (:mod:`bench.caller_process`), as a bot's machine runs `spillway serve`
alone; ``callers_in_bench`` is the baseline with the callers in this process,
as the benchmark ran before (their audio loops then share the bot's event loop
and interpreter lock, and this process's CPU includes them).

Variants measured in one run: ``baseline`` (as shipped), ``before`` (issue
25's "today": no early answer, no piece cache, reply pieces rendered in
arrival order, one two-thread Whisper decode at a time in a 15 s window),
``decoding_before`` (only the recogniser as it was), ``no_early`` (the piece
cache only), ``no_speculation``, ``windows_6s`` (utterances that fit 6 s
decoded in a 6 s window: tried, not kept), ``no_batch`` (queued
utterances decoded one by one, as before), ``own_pools`` (decodes and
renders in a pool each, as before ``speech.shared_pool``), ``shared_3``
(the shared pool with a third worker: tried, not kept), ``slack_quarter``
(a reply's next sentence due after a quarter of the one before has played,
not half), ``callers_in_bench``
(below) and the Whisper tries.

The test callers' lines are rendered before the calls start
(:func:`cli.spoken_call.render_lines`), so their voice takes no CPU from the
bot. The first N calls of a level start together and speak in step (their
first turns are N requests ending in the same second); ``--stagger-s S``
spreads their starts evenly over S seconds instead, as overflow calls
arrive. Later calls start as earlier ones end.

Run: ``PYTHONPATH=. python -m bench.bench_conversations --calls 1,4,6,8 --runs 2``.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import itertools
import json
import math
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import yaml

from agi.controller import running_controller
from bench.caller_process import CallerJob, place_apart
from bench.harness import (
    CALLS_ANY_TIME,
    machine,
    machine_busy_s,
    own_sandbox_settings,
    percentile,
    write_report,
)
from bench.stages import STAGES, reply_segments, reply_stalls_ms
from bot.assembly import DialogueFactory, build_nlu, load_speech_models, recogniser_for
from bot.backends.demo_data import seed_demo
from bot.dialogue.prompts import spoken_prompts
from bot.speech.piece_cache import PieceCache
from bot.speech.priority_pool import PriorityPool
from bot.speech.synthesis import fixed_pieces
from bot.voice_bot import SpeechBot, VoiceBotConfig
from cli.commands.call import CallSpec, place_calls
from dialplan.sandbox import Sandbox
from spillway.settings import Settings
from spillway.storage import SqliteStore

CONVERSATIONS = Path(__file__).parent / "conversations" / "shop.yaml"


def load_conversations(path: Path = CONVERSATIONS) -> list[dict[str, Any]]:
    conversations = list(yaml.safe_load(path.read_text()))
    for c in conversations:
        for said, _intent in c["lines"]:
            # YAML reads a bare yes/no as a boolean: every line must be text.
            if not isinstance(said, str):
                raise ValueError(
                    f"{path}: {c['name']}: quote {said!r} (YAML read it as {type(said).__name__})"
                )
    return conversations


def spec_of(conversation: dict[str, Any], copy: int) -> CallSpec:
    script = "\n".join(str(line[0]) for line in conversation["lines"]) + "\n"
    return CallSpec(script, f"{conversation['name']}#{copy}", conversation["caller_id"])


def stage_split(db_path: Path, since_wall_s: float) -> dict[str, Any]:
    """p50 and p95 of each bot stage (ms), for each call's first reply and for the later ones.

    From the bot's own marks (bench/stages.py, :func:`reply_segments`;
    a reply prepared at the caller's pause has a negative endpoint->recognised):
    where a turn's time goes, and whether the first lines of calls started
    together wait for the recogniser, the NLU or the voice.
    """
    names = [f"{a}->{b}" for a, b in itertools.pairwise(STAGES)] + ["endpoint->first_audio"]
    split: dict[str, dict[str, list[float]]] = {
        part: {name: [] for name in names} for part in ("first", "later")
    }
    first_lines = []
    for number, endpoint_at, reply in reply_segments(db_path, since_wall_s, from_pause=True):
        for name, ms in reply.items():
            split["later" if number else "first"][name].append(ms)
        if not number:
            first_lines.append(
                (round(endpoint_at - since_wall_s, 2), round(reply["endpoint->first_audio"]))
            )
    stalls = reply_stalls_ms(db_path, since_wall_s)
    return {
        # Silence inside replies: the voice late with a sentence after the first.
        "stalls": {
            "replies": len(stalls),
            "over_100_ms": sum(ms > 100 for ms in stalls),
            "p95_ms": round(percentile(stalls, 0.95)) if stalls else None,
            "max_ms": round(max(stalls)) if stalls else None,
        },
        # Each call's first reply: seconds from the run's start to its endpoint, and
        # ms from the endpoint to its first audio (calls started together end in step).
        "first_lines": sorted(first_lines),
    } | {
        f"{part}_p{q}": {k: round(percentile(v, q / 100)) if v else None for k, v in segs.items()}
        for part, segs in split.items()
        for q in (50, 95)
    }


def score(conversations: list[dict[str, Any]], placed: list[Any]) -> dict[str, Any]:
    by_name = {c["name"]: c for c in conversations}
    latencies: list[float] = []
    intents_right = intents_total = reached = talk_overs = 0
    talk_over_ms = 0.0
    misses: list[str] = []
    # Each spoken turn's latency beside what was said, to see which turns were answered early.
    per_turn: list[tuple[str, float | None]] = []
    for call in placed:
        conversation = by_name[call.spec.source.split("#")[0]]
        *turns, result = call.records
        reached += result["outcome"] == conversation["outcome"]
        if result["outcome"] != conversation["outcome"]:
            misses.append(f"{call.spec.source}: outcome {result['outcome']}")
        for (said, expected), turn in zip(conversation["lines"], turns, strict=False):
            if expected is None:
                continue
            intents_total += 1
            intents_right += turn["intent"] == expected
            if turn["intent"] != expected:
                misses.append(
                    f"{call.spec.source}: {said!r} heard {turn['heard']!r} as {turn['intent']}"
                )
            latencies.append(turn["latency_ms"] if turn["latency_ms"] is not None else math.inf)
            per_turn.append((said, turn["latency_ms"]))
            over = turn.get("talked_over_ms") or 0.0
            if over > 0:
                talk_overs += 1
                talk_over_ms += over
                misses.append(f"{call.spec.source}: {said!r} talked over for {over:.0f} ms")
        # Lines the call never got to (it ended early) count as unheard replies.
        for _said, expected in conversation["lines"][len(turns) :]:
            if expected is not None:
                intents_total += 1
                latencies.append(math.inf)
    heard = [v for v in latencies if math.isfinite(v)]
    return {
        "turns": len(latencies),
        "unheard": len(latencies) - len(heard),
        "p50_ms": percentile(latencies, 0.5) if latencies else None,
        "p95_ms": percentile(latencies, 0.95) if latencies else None,
        "mean_heard_ms": round(statistics.mean(heard)) if heard else None,
        "intent_accuracy": round(intents_right / max(intents_total, 1), 4),
        "outcome_rate": round(reached / max(len(placed), 1), 4),
        "talk_over_turns": talk_overs,
        "talk_over_ms": round(talk_over_ms),
        "misses": misses,
        "per_turn_ms": per_turn,
    }


def with_variant(models: Any, settings: Settings, variant: str) -> tuple[Any, Settings]:
    """The speech models and settings with one try applied (``baseline``: as shipped)."""
    # Only "before" renders in arrival order; every other variant as shipped.
    models.tts.by_deadline = variant != "before"
    # A reply's next sentence due after this share of the one before has played.
    models.tts.SLACK_SHARE = 0.25 if variant == "slack_quarter" else type(models.tts).SLACK_SHARE
    if variant in ("baseline", "callers_in_bench", "slack_quarter"):
        return models, settings
    if variant == "own_pools":
        return _own_pools(models, settings), settings
    if variant == "before":
        models = _decoding_before(models, settings)
    if variant == "decoding_before":
        return _decoding_before(models, settings), settings
    off: dict[str, dict[str, Any]] = {
        "before": {"early_answer": False, "reply_cache_pieces": 0},
        "no_early": {"early_answer": False},
    }
    if variant in off:
        speech = settings.speech.model_copy(update=off[variant])
        return models, settings.model_copy(update={"speech": speech})
    if variant == "no_speculation":
        speech = settings.speech.model_copy(update={"speculate_pause_ms": 0})
        return models, settings.model_copy(update={"speech": speech})
    from bot.assembly import SpeechModels, whisper_prompt
    from bot.speech.whisper_asr import (
        DEFAULT_WINDOW_S,
        MAX_BATCH,
        SHORT_WINDOWS_S,
        WhisperEngine,
    )

    asr = models.asr
    if not isinstance(asr, WhisperEngine):
        raise SystemExit(f"--variant {variant} needs the Whisper recogniser")
    if variant in ("windows_6s", "no_batch", "shared_3"):
        # As shipped but for one thing: utterances that fit 6 s take a 6 s window
        # (tried, not kept), or queued utterances are decoded one by one (no batch).
        # A new shared pool (its batch size is the pool's), the voice in it too.
        pool = PriorityPool(
            settings.speech.asr_threads + (variant == "shared_3"),
            thread_name_prefix="speech",
            max_batch=1 if variant == "no_batch" else MAX_BATCH,
        )
        engine = WhisperEngine(
            asr.decoder.model,
            max_workers=settings.speech.asr_threads,
            language="en",
            prompt=whisper_prompt(),
            executor=pool,
            short_windows_s=(6.0, 10.0) if variant == "windows_6s" else SHORT_WINDOWS_S,
        )
        return _with_engine(models, engine, pool), settings
    tries: dict[str, tuple[str | None, float | None]] = {  # (prompt, window_s)
        "window_30s": (whisper_prompt(), None),  # faster-whisper's own 30 s window
        "no_prompt": (None, DEFAULT_WINDOW_S),
    }
    if variant not in tries:
        raise SystemExit(f"unknown variant {variant!r}")
    prompt, window_s = tries[variant]
    engine = WhisperEngine(
        asr._model, max_workers=1, language="en", prompt=prompt, window_s=window_s
    )
    return SpeechModels(
        asr=engine, tts=models.tts, prompts=models.prompts, vad=models.vad
    ), settings


def _own_pools(models: Any, settings: Settings) -> Any:
    """Decodes and renders in a pool each, as before ``speech.shared_pool``."""
    from bot.speech.whisper_asr import WhisperEngine

    asr = models.asr
    engine = WhisperEngine(
        asr.decoder.model,
        max_workers=settings.speech.asr_threads,
        language="en",
        prompt=asr.decoder.prompt,
    )
    return _with_engine(
        models, engine, PriorityPool(settings.speech.tts_workers, thread_name_prefix="piper")
    )


def _with_engine(models: Any, engine: Any, voice_pool: PriorityPool) -> Any:
    """``models`` with ``engine`` as recogniser and the voice rendering in ``voice_pool``."""
    from bot.assembly import SpeechModels

    tts = copy.copy(models.tts)
    tts._executor = voice_pool
    return SpeechModels(asr=engine, tts=tts, prompts=models.prompts, vad=models.vad)


def _decoding_before(models: Any, settings: Settings) -> Any:
    """The recogniser as issue 25 found it: one two-thread decode at a time, 15 s windows."""
    from bot.assembly import SpeechModels, whisper_prompt
    from bot.speech.whisper_asr import WhisperEngine, load_whisper_model
    from models.discover import require_model

    if not isinstance(models.asr, WhisperEngine):
        raise SystemExit("the before variants need the Whisper recogniser")
    found = require_model(settings.speech.whisper_model, settings.paths.models_dir)
    model = load_whisper_model(found.path, cpu_threads=settings.speech.asr_threads, workers=1)
    engine = WhisperEngine(
        model, max_workers=1, language="en", prompt=whisper_prompt(), short_windows_s=()
    )
    return SpeechModels(asr=engine, tts=models.tts, prompts=models.prompts, vad=models.vad)


def _speculation(models: Any) -> dict[str, int]:
    """Whisper's speculative decodes so far: kept (the final) and dropped."""
    stats = getattr(models.asr, "speculation", None)
    return {"kept": stats.kept, "dropped": stats.dropped} if stats else {"kept": 0, "dropped": 0}


class _TimedBot:
    """The bot, counting the seconds its calls lasted (for CPU per call)."""

    def __init__(self, bot: SpeechBot) -> None:
        self.bot = bot
        self.call_seconds = 0.0
        self.speaks_offer = bot.speaks_offer

    async def fixed_prompts(self) -> list[str]:
        return await self.bot.fixed_prompts()

    async def run(self, media: Any, call: Any, sink: Any) -> Any:
        started = time.perf_counter()
        try:
            return await self.bot.run(media, call, sink)
        finally:
            self.call_seconds += time.perf_counter() - started


def has_caller_data(piece: str) -> bool:
    """Whether a reply piece carries what differs from caller to caller (a digit)."""
    return any(c.isdigit() for c in piece)


def _pieces(models: Any) -> tuple[int, int]:
    """Reply characters asked of the voice so far, and those rendered (not cached)."""
    cache = getattr(models.tts, "pieces", None)
    return (cache.stats.requested_chars, cache.stats.rendered_chars) if cache else (0, 0)


async def run(
    settings: Settings,
    calls: list[int],
    runs: int,
    variants: list[str],
    stagger_s: float = 0.0,
    think_s: float = 0.0,
    only_fixed_warm: bool = False,
) -> dict[str, Any]:
    conversations = load_conversations()
    loaded = await asyncio.to_thread(load_speech_models, settings)
    results: dict[str, Any] = {}
    try:
        for variant in variants:
            models, tried = with_variant(loaded, settings, variant)
            results[variant] = await _levels(
                tried,
                models,
                conversations,
                calls,
                runs,
                variant,
                stagger_s,
                think_s,
                only_fixed_warm,
            )
    finally:
        loaded.close()
    return results


async def _levels(
    settings: Settings,
    models: Any,
    conversations: list[dict[str, Any]],
    calls: list[int],
    runs: int,
    variant: str,
    stagger_s: float = 0.0,
    think_s: float = 0.0,
    only_fixed_warm: bool = False,
) -> dict[str, Any]:
    nlu = build_nlu(settings)
    results: dict[str, Any] = {}
    # Each variant starts with a cold piece cache of its own size (0: none).
    pieces = settings.speech.reply_cache_pieces
    models.tts.pieces = PieceCache(pieces) if pieces else None
    # The fixed sentences of templated replies, rendered as `spillway serve` does at
    # start-up (bot.warm_up): "cold" is a server that has just started.
    await models.tts.warm_pieces(fixed_pieces(spoken_prompts()))
    try:
        for n in calls:
            samples = []
            for run_no in range(runs):
                if run_no and only_fixed_warm and models.tts.pieces is not None:
                    # A later run meets other customers: only pieces without caller data
                    # (no digit: no order number, date or count) stay warm.
                    models.tts.pieces.forget_where(has_caller_data)
                with tempfile.TemporaryDirectory() as tmp:
                    shop = SqliteStore(Path(tmp) / "shop.db")
                    shop.migrate()
                    seed_demo(shop)
                    run_settings = settings.model_copy(
                        update={
                            "storage": settings.storage.model_copy(
                                update={"sqlite_path": shop.path}
                            )
                        }
                    )
                    bot = _TimedBot(
                        SpeechBot(
                            models,
                            DialogueFactory.from_settings(run_settings, nlu, shop),
                            VoiceBotConfig.from_settings(run_settings),
                        )
                    )
                    # Every conversation at least once, and each of the n lines
                    # busy twice over, so most of the run has n calls at once.
                    total = max(2 * n, len(conversations))
                    specs = [
                        spec_of(conversations[i % len(conversations)], i) for i in range(total)
                    ]
                    before = _speculation(models)
                    chars_before = _pieces(models)
                    load_before = os.getloadavg()[0]
                    cpu_before = time.process_time()
                    busy_before = machine_busy_s()
                    started = time.perf_counter()
                    started_wall = time.time()
                    if variant == "callers_in_bench":
                        placed = await place_calls(
                            run_settings,
                            specs,
                            bot=cast(Any, bot),
                            concurrency=n,
                            stagger_s=stagger_s,
                            think_s=think_s,
                        )
                    else:
                        job = CallerJob(run_settings, specs, n, stagger_s, think_s)
                        async with running_controller(run_settings, cast(Any, bot), store=shop):
                            placed = await place_apart(job, Path(tmp))
                    elapsed = time.perf_counter() - started
                    cpu_s = time.process_time() - cpu_before
                    busy_s = machine_busy_s() - busy_before
                    stages = stage_split(shop.path, started_wall)
                    shop.close()
                scored = score(conversations, placed)
                scored["seconds"] = round(elapsed, 1)
                scored["stages_ms"] = stages
                scored["cpu_per_bot_call"] = round(cpu_s / max(bot.call_seconds, 1e-9), 3)
                # The whole machine's busy cores per call: Asterisk, Rasa, the callers'
                # voice and anything else running included (an upper bound on a shared box).
                scored["machine_cpu_per_call"] = round(busy_s / max(bot.call_seconds, 1e-9), 3)
                asked, rendered = (
                    b - a for a, b in zip(chars_before, _pieces(models), strict=True)
                )
                scored["reply_chars"] = {"asked": asked, "rendered": rendered}
                scored["cache_saved_share"] = round(1 - rendered / asked, 3) if asked else None
                scored["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
                after = _speculation(models)
                scored["speculative_decodes"] = {k: after[k] - before[k] for k in after}
                samples.append(scored)
                print(
                    json.dumps(
                        {"variant": variant, "calls": n, "run": run_no + 1, "placed": total}
                        | scored
                    ),
                    flush=True,
                )
            results[str(n)] = samples
    finally:
        await nlu.aclose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default="1,4,6,8")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--stagger-s",
        type=float,
        default=0.0,
        help="spread the first N calls' starts evenly over this many seconds (0: together)",
    )
    parser.add_argument(
        "--think-s",
        type=float,
        default=0.0,
        help="each test caller pauses a further 0 to this many seconds (uniform, seeded) "
        "before each line, as people take varying time to answer (0: callers started "
        "together speak in step)",
    )
    parser.add_argument(
        "--only-fixed-warm",
        action="store_true",
        help="before each run after the first, drop the cached reply pieces with a digit "
        "in them (an order number, a date, a count), so later runs meet a cache warmed "
        "by other customers' calls, not by the same conversations",
    )
    parser.add_argument(
        "--variants",
        default="baseline",
        help="tries to measure in the same run: baseline, before, decoding_before, no_early, "
        "window_30s, no_prompt, no_speculation, windows_6s, no_batch, callers_in_bench, "
        "own_pools, shared_3, slack_quarter",
    )
    args = parser.parse_args()
    # Calls allowed at every hour: the callback conversation's "this afternoon" is then
    # open whenever the benchmark runs (on a Saturday evening the shop's own hours are
    # closed, the bot rightly asks for another time, and the scripted caller has none).
    settings = own_sandbox_settings("bench-conv", queue={"agents": 0}, callbacks=CALLS_ANY_TIME)
    sandbox = Sandbox(settings, ami_secret=settings.require_ami_secret())
    sandbox.build()
    sandbox.start()
    try:
        asyncio.run(sandbox.wait_ready(timeout_s=60))
        choice = recogniser_for(settings)
        report = {
            "machine": machine(),
            "recogniser": f"{choice.engine} {choice.model} ({choice.why})",
            "stagger_s": args.stagger_s,
            "think_s": args.think_s,
            "only_fixed_warm": args.only_fixed_warm,
            "results": asyncio.run(
                run(
                    settings,
                    [int(n) for n in args.calls.split(",")],
                    args.runs,
                    args.variants.split(","),
                    args.stagger_s,
                    args.think_s,
                    args.only_fixed_warm,
                )
            ),
        }
    finally:
        sandbox.remove()
    write_report(report, args.out)


if __name__ == "__main__":
    main()
