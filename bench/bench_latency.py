"""End of caller speech to first bot audio heard on the caller's side of a real Asterisk.

Run: SPILLWAY_SECRETS_FILE=$(mktemp) ~/.cache/spillway/venv/bin/python bench/bench_latency.py \
         --calls 1,4,8,16 --runs 3 [--bot speech|fixed] [--transport websocket] [--profile]

Two processes, so the caller's clock is not the bot's event loop:

* the **bot process** (this script with ``serve-bot``): `spillway serve`'s stack
  (:func:`agi.controller.running_controller`: FastAGI controller + media
  server) with ``SpeechBot`` (``--bot speech``: Silero VAD, endpointing, Vosk,
  the dialogue with the in-process fallback NLU, Piper) or, clearly labelled,
  ``--bot fixed``: VAD, endpointing and Vosk as in production, then a fixed
  Piper reply synthesised per turn (no NLU/dialogue);
* the **caller process** (this script): a sandbox Asterisk of its own
  ("benchlatency-<pid>", free ports, no agents so every call overflows to the bot)
  and :mod:`bench.caller_sim`. Each call is an originated Local channel whose
  ``;2`` half runs ``spillway-inbound`` (inbound AGI -> bot -> media leg) and
  whose ``;1`` half runs ``AudioSocket()`` to the caller simulator, which says
  Piper-synthesised English questions in real time and timestamps the first
  non-silent frame coming back after each question's last frame.

The only Vosk model installable here is Korean: it does not understand the
English questions, so the bot answers with its "did not understand" path.
What is measured is the pipeline's cost (VAD, endpointing, decoding, the
final result, NLU, synthesis, both transports through Asterisk), not
recognition quality.

Per step of N simultaneous calls (call starts spread over ``--stagger-s``):
latency p50/p95, replies missed, bot-process RSS growth per call, bot CPU,
and audio gaps (largest frame inter-arrival inside each bot reply, as heard by
the caller). ``--profile`` samples the bot process with py-spy during the
largest step and prints where its CPU goes.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from agi.media_server import MediaServer, MediaServerConfig  # noqa: E402
from bench.caller_sim import Caller, CallerRecord, CallerScript  # noqa: E402
from bench.harness import (  # noqa: E402
    machine,
    machine_busy_s,
    own_sandbox_settings,
    percentile,
    proc_cpu_s,
)
from bench.speech_deck import synthesize_deck  # noqa: E402
from bench.stages import breakdown  # noqa: E402
from spillway.call import BotOutcome, CallContext, EventSink, Route  # noqa: E402
from spillway.media import MediaSession  # noqa: E402
from spillway.settings import Settings  # noqa: E402

FIXED_REPLY = "Let me check that for you. Your parcel left our warehouse this morning."
GREETING = "Hello, you are talking to the shop's assistant. How can I help?"


def proc_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- the bot process -----------------------------------------------------------


class FixedReplyBot:
    """Stand-in for SpeechBot (``--bot fixed``): the production listen path, a fixed reply.

    Greets (cached audio), then per utterance: Silero VAD -> SpeechGate ->
    Vosk stream -> final result at the endpoint -> Piper renders FIXED_REPLY
    sentence by sentence (first sentence played as soon as it exists). No NLU,
    no dialogue.
    """

    def __init__(self, asr: Any, tts: Any, vad: Any, greeting_pcm: bytes) -> None:
        self.asr = asr
        self.tts = tts
        self.vad = vad
        self.greeting_pcm = greeting_pcm

    async def run(self, media: MediaSession, call: CallContext, sink: EventSink) -> BotOutcome:
        from bot.speech.endpointing import SpeechGate, UtteranceEnded
        from bot.speech.vad import SileroVad
        from spillway.audio import AudioChunk

        fmt = media.format
        vad = SileroVad(fmt, model=self.vad)
        gate = SpeechGate()
        stream = self.asr.open_stream(fmt)
        speaking: asyncio.Task[None] | None = None

        async def say(text: str) -> None:
            async for chunk in self.tts.stream(text):
                await media.play(chunk.audio)
            await media.wait_played()

        await media.play(self.greeting_pcm)
        call_ms = 0.0
        try:
            async for frame in media.frames():
                chunk = AudioChunk(frame, fmt, call_ms)
                call_ms += fmt.duration_ms(len(frame))
                feed, events = gate.push(chunk, vad.process(chunk))
                for speech in feed:
                    await stream.accept(speech)
                if any(isinstance(e, UtteranceEnded) for e in events):
                    await stream.end_utterance()
                    if speaking is None or speaking.done():
                        speaking = asyncio.create_task(say(FIXED_REPLY))
        finally:
            if speaking is not None:
                speaking.cancel()
            await stream.aclose()
        return BotOutcome(Route.DONE, reason="bench")


async def serve_bot(settings_json: str, bot_kind: str) -> None:
    """The bot process: running_controller + the bot, until stdin closes."""
    from agi.controller import running_controller
    from bot.assembly import load_speech_models
    from spillway.storage import SqliteStore

    settings = Settings.model_validate_json(settings_json)
    models = load_speech_models(settings)
    bot: Any
    with tempfile.TemporaryDirectory() as tmp:
        # The caller process reads the call events from here for the breakdown.
        store = SqliteStore(Path(os.environ.get("SPILLWAY_BENCH_DB") or Path(tmp) / "bench.db"))
        store.migrate()
        prewarm = settings.speech.vosk_prewarm
        if bot_kind == "speech":
            # Imported here: SpeechBot is only needed (and only has to import) for --bot speech.
            from bot.assembly import DialogueFactory, build_nlu
            from bot.voice_bot import SpeechBot, VoiceBotConfig
            from bot.warm_up import warm_up

            # The in-process fallback NLU: the bench does not start a Rasa server.
            nlu = build_nlu(settings, use_rasa=False)
            dialogues = DialogueFactory.from_settings(settings, nlu, store)
            bot = SpeechBot(models, dialogues, VoiceBotConfig.from_settings(settings))
            # What `spillway serve` starts in the background; awaited here so
            # every run starts from the same state.
            await warm_up(bot, models, recognizers=prewarm)
        else:
            greeting = await models.tts.synthesize(GREETING)
            bot = FixedReplyBot(models.asr, models.tts, models.vad, greeting)
            await models.asr.prewarm([greeting], models.output_format, recognizers=prewarm)
        # Warm the models so the first measured call does not pay for it.
        await models.tts.synthesize("Warm up.")
        try:
            async with running_controller(settings, bot, store=store, bot_time_limit_s=600):
                print("READY", flush=True)
                await asyncio.to_thread(sys.stdin.read)
        finally:
            models.close()
            store.close()


# -- the caller process ----------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.records: dict[str, CallerRecord] = {}
        self.pending: dict[str, asyncio.Future[CallerRecord]] = {}
        self.script: CallerScript | None = None
        self.utterances: tuple[bytes, ...] = ()
        self.dealt = 0
        self.scripts: dict[str, CallerScript] = {}
        self.db_path: Path | None = None
        self.asterisk_pid: int | None = None

    def deal(self, call_uuid: str) -> None:
        """Give the next call the next ``turns`` utterances of the deck."""
        assert self.script is not None
        turns = self.script.turns
        deck = self.utterances
        questions = tuple(deck[(self.dealt + k) % len(deck)] for k in range(turns))
        self.dealt += turns
        self.scripts[call_uuid] = dataclasses.replace(self.script, questions=questions)

    def script_for(self, call_uuid: str) -> CallerScript:
        assert self.script is not None
        return self.scripts.pop(call_uuid, self.script)

    async def on_caller(self, session: MediaSession) -> None:
        assert self.script is not None
        record = await Caller(session, self.script_for(session.call_id)).run()
        future = self.pending.get(session.call_id)
        if future is not None and not future.done():
            future.set_result(record)

    async def step(
        self, ami: Any, caller_port: int, bot_pid: int, n: int, tag: str
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        rss_before = proc_rss_kib(bot_pid)
        cpu_before = proc_cpu_s(bot_pid)
        # Where the rest of the 2 cores go: Asterisk, this caller process, all.
        asterisk_before = proc_cpu_s(self.asterisk_pid)
        callers_before = time.process_time()
        machine_before = machine_busy_s()
        peak_rss = rss_before
        started = time.monotonic()
        started_wall = time.time()
        futures = []
        for i in range(n):
            call_uuid = str(uuid.uuid4())
            future: asyncio.Future[CallerRecord] = loop.create_future()
            self.pending[call_uuid] = future
            futures.append(future)
            self.deal(call_uuid)
            await ami.action(
                {
                    "Action": "Originate",
                    "Channel": "Local/s@spillway-inbound/n",
                    "Application": "AudioSocket",
                    "Data": f"{call_uuid},127.0.0.1:{caller_port}",
                    "CallerID": f"Bench <45{i:08d}>",
                    "ChannelId": f"{tag}-{n}-{i}-caller",
                    "OtherChannelId": f"{tag}-{n}-{i}-in",
                    "Async": "true",
                }
            )
            if n > 1:
                await asyncio.sleep(self.args.stagger_s / n)
        timeout = 60 + 15 * self.args.turns
        done_by = time.monotonic() + timeout
        while not all(f.done() for f in futures) and time.monotonic() < done_by:
            peak_rss = max(peak_rss, proc_rss_kib(bot_pid))
            await asyncio.sleep(0.25)
        wall_s = time.monotonic() - started
        cpu_s = proc_cpu_s(bot_pid) - cpu_before
        asterisk_cores = (proc_cpu_s(self.asterisk_pid) - asterisk_before) / wall_s
        callers_cores = (time.process_time() - callers_before) / wall_s
        machine_cores = (machine_busy_s() - machine_before) / wall_s
        records = [f.result() for f in futures if f.done()]
        latencies = [t.latency_ms for r in records for t in r.turns if t.latency_ms is not None]
        missed = sum(1 for r in records for t in r.turns if t.latency_ms is None)
        gaps = [g for r in records for g in r.reply_gaps_ms()]
        stages = breakdown(self.db_path, started_wall) if self.db_path is not None else {}
        expected_turns = n * self.args.turns
        return {
            "calls": n,
            "connected": len(records),
            "greeted": sum(r.greeted for r in records),
            "turns": len(latencies) + missed,
            "expected_turns": expected_turns,
            "missed": missed,
            "errors": [r.error for r in records if r.error],
            "latency_ms": latencies,
            "p50_ms": round(percentile(latencies, 0.5)) if latencies else None,
            "p95_ms": round(percentile(latencies, 0.95)) if latencies else None,
            "reply_gap_max_ms": round(max(gaps), 1) if gaps else None,
            "replies_with_gap": sum(1 for g in gaps if g > self.args.gap_ms),
            "rss_per_call_mib": round((peak_rss - rss_before) / 1024 / n, 1),
            "bot_rss_mib": round(peak_rss / 1024),
            "bot_cpu_cores": round(cpu_s / wall_s, 2),
            "asterisk_cpu_cores": round(asterisk_cores, 2),
            "caller_sim_cpu_cores": round(callers_cores, 2),
            "machine_busy_cores": round(machine_cores, 2),
            "bot_stage_median_ms": stage_stat(stages, 0.5),
            "bot_stage_p95_ms": stage_stat(stages, 0.95),
            "held_without_gaps": (
                len(records) == n
                and missed == 0
                and len(latencies) == expected_turns
                and all(g <= self.args.gap_ms for g in gaps)
            ),
        }


async def settle(ami: Any) -> None:
    """Hang up whatever is left and wait for Asterisk to have no channels."""
    from spillway.errors import AmiError

    with contextlib.suppress(Exception):
        await ami.action({"Action": "Hangup", "Channel": "/^(Local|WebSocket|AudioSocket)/"})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            out = await ami.command("core show channels count")
        except AmiError:
            out = ""
        if "0 active channels" in out:
            return
        await asyncio.sleep(0.2)


def start_bot_process(bot: str, settings: Settings, db_path: Path) -> subprocess.Popen[str]:
    """This script in ``serve-bot`` mode; it prints READY once it listens."""
    return subprocess.Popen(
        [sys.executable, __file__, "serve-bot", "--bot", bot],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "SPILLWAY_BENCH_SETTINGS": settings.model_dump_json(),
            "SPILLWAY_BENCH_DB": str(db_path),
        },
    )


def stage_stat(segments: dict[str, list[float]], q: float) -> dict[str, float | None]:
    return {k: round(percentile(v, q)) if v else None for k, v in segments.items()}


def start_py_spy(pid: int, output: Path, *, gil: bool = False) -> subprocess.Popen[bytes]:
    """Sample ``pid``: all threads (including native decode threads' Python frames),
    or with ``gil`` only the thread holding the GIL (what serialises the process)."""
    py_spy = Path(sys.executable).parent / "py-spy"
    command = [str(py_spy), "record", "--pid", str(pid), "--format", "raw", "--threads"]
    if gil:
        command.append("--gil")
    command += ["--rate", "50", "--nonblocking", "--output", str(output)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def profile_summary(raw: Path, top: int = 15) -> dict[str, Any]:
    """Self time per function and share per thread, from py-spy's collapsed stacks."""
    leaf: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        threads[frames[0].split(" ")[0].strip('"')] += count
        leaf[frames[-1]] += count
    return {
        "samples": total,
        "threads": {k: round(v / total, 3) for k, v in threads.most_common(8)},
        "top_self": [(k, round(v / total, 3)) for k, v in leaf.most_common(top)],
    }


async def run_caller_side(args: argparse.Namespace) -> dict[str, Any]:
    from dialplan.check import reload
    from dialplan.sandbox import Sandbox
    from spillway.ami import AmiClient

    # 36 different utterances dealt out in turn, so successive calls, and a
    # recogniser reused from one call to the next, rarely hear the same audio.
    questions = tuple(await asyncio.to_thread(synthesize_deck))

    settings = own_sandbox_settings(
        "benchlatency",
        controller={"transport": args.transport},
        queue={"agents": 0, "overflow_min_waiting": 0, "max_wait_s": 600},
        # None keeps the SpeechSettings defaults; set to compare decoder searches.
        speech={
            k: v
            for k, v in (
                ("vosk_beam", args.vosk_beam),
                ("vosk_max_active", args.vosk_max_active),
                ("vosk_pool_size", args.vosk_pool_size),
                ("vosk_prewarm", args.vosk_prewarm),
            )
            if v is not None
        }
        | dict(kv.split("=", 1) for kv in args.speech_set),
    )
    bench = Bench(args)
    bench.script = CallerScript(questions=questions[:1], turns=args.turns)
    bench.utterances = questions
    steps = [int(s) for s in args.calls.split(",")]
    results: dict[str, Any] = {
        "bot": args.bot,
        "transport": args.transport,
        "machine": machine(),
        "loadavg_start": os.getloadavg(),
        "question_s": [round(len(q) / 16000, 2) for q in questions],
        "settings_speech": settings.speech.model_dump(),
        "runs": [],
    }
    sandbox = Sandbox(settings, ami_secret=settings.require_ami_secret())
    await asyncio.to_thread(sandbox.build)
    sandbox.start()
    bot_proc: subprocess.Popen[str] | None = None
    try:
        await sandbox.wait_ready(timeout_s=60)
        bench.asterisk_pid = sandbox.pid()
        ami = await AmiClient.connect(sandbox.ami_endpoint())
        await asyncio.to_thread(sandbox.write_config)
        await ami.command("core reload")
        await reload(ami)
        db_dir = Path(tempfile.mkdtemp(prefix="benchlatency-db-"))
        bench.db_path = db_dir / "bench.db"
        bot_proc = start_bot_process(args.bot, settings, bench.db_path)
        assert bot_proc.stdout is not None
        line = await asyncio.to_thread(bot_proc.stdout.readline)
        if line.strip() != "READY":
            raise SystemExit(f"bot process did not start: {line!r}")
        results["bot_idle_rss_mib"] = round(proc_rss_kib(bot_proc.pid) / 1024)
        caller_cfg = MediaServerConfig(
            audiosocket_port=0, websocket_port=None, max_sessions=500, idle_timeout_s=60
        )
        try:
            async with MediaServer(caller_cfg, bench.on_caller) as callers:
                port = callers.audiosocket_port
                assert port is not None
                await bench.step(ami, port, bot_proc.pid, 1, "warm")  # warm-up, not counted
                await settle(ami)
                for run in range(args.runs):
                    per_step = []
                    for n in steps:
                        profile_raw: Path | None = None
                        spy: subprocess.Popen[bytes] | None = None
                        profiling = args.profile or args.profile_gil
                        if profiling and run == args.runs - 1 and n == max(steps):
                            profile_raw = Path(tempfile.mkstemp(suffix=".txt")[1])
                            spy = start_py_spy(bot_proc.pid, profile_raw, gil=args.profile_gil)
                        result = await bench.step(ami, port, bot_proc.pid, n, f"r{run}")
                        if spy is not None and profile_raw is not None:
                            spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
                            await asyncio.to_thread(spy.wait, 30)
                            result["profile"] = profile_summary(profile_raw)
                        printable = {k: v for k, v in result.items() if k != "latency_ms"}
                        print(json.dumps({"run": run, **printable}), flush=True)
                        per_step.append(result)
                        await settle(ami)
                    results["runs"].append(per_step)
        finally:
            await settle(ami)
            await ami.close()
    finally:
        if bot_proc is not None:
            with contextlib.suppress(Exception):
                assert bot_proc.stdin is not None
                bot_proc.stdin.close()
                bot_proc.wait(20)
            if bot_proc.poll() is None:
                bot_proc.kill()
        sandbox.remove()
        if bench.db_path is not None:
            shutil.rmtree(bench.db_path.parent, ignore_errors=True)
    results["loadavg_end"] = os.getloadavg()
    results["summary"] = summarise(results["runs"], steps)
    return results


def summarise(runs: list[list[dict[str, Any]]], steps: list[int]) -> list[dict[str, Any]]:
    """Per N: latencies pooled over runs, plus medians of the per-run figures."""
    out = []
    for n in steps:
        rows = [r for run in runs for r in run if r["calls"] == n]
        pooled = [x for r in rows for x in r["latency_ms"]]
        out.append(
            {
                "calls": n,
                "runs": len(rows),
                "turns": sum(r["turns"] for r in rows),
                "missed": sum(r["missed"] for r in rows),
                "p50_ms": round(percentile(pooled, 0.5)) if pooled else None,
                "p95_ms": round(percentile(pooled, 0.95)) if pooled else None,
                "p95_ms_per_run": [r["p95_ms"] for r in rows],
                "reply_gap_max_ms": max((r["reply_gap_max_ms"] or 0) for r in rows),
                "held_without_gaps_runs": sum(r["held_without_gaps"] for r in rows),
                "rss_per_call_mib_median": statistics.median(r["rss_per_call_mib"] for r in rows),
                "bot_cpu_cores_median": statistics.median(r["bot_cpu_cores"] for r in rows),
                "asterisk_cpu_cores_median": statistics.median(
                    r["asterisk_cpu_cores"] for r in rows
                ),
                "machine_busy_cores_median": statistics.median(
                    r["machine_busy_cores"] for r in rows
                ),
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="bench", choices=["bench", "serve-bot"])
    parser.add_argument("--bot", default="speech", choices=["speech", "fixed"])
    parser.add_argument("--transport", default="websocket", choices=["websocket", "audiosocket"])
    parser.add_argument("--calls", default="1,4,8,16")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--turns", type=int, default=2, help="questions per call")
    parser.add_argument("--stagger-s", type=float, default=3.0)
    parser.add_argument("--gap-ms", type=float, default=100.0, help="audio gap threshold")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--profile-gil", action="store_true", help="like --profile, sampling only the GIL holder"
    )
    parser.add_argument("--vosk-beam", type=float, help="override speech.vosk_beam")
    parser.add_argument("--vosk-max-active", type=int, help="override speech.vosk_max_active")
    parser.add_argument(
        "--vosk-pool-size",
        type=int,
        help="override speech.vosk_pool_size (0: a recogniser per call)",
    )
    parser.add_argument("--vosk-prewarm", type=int, help="override speech.vosk_prewarm")
    parser.add_argument(
        "--speech-set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other speech setting for the bot, e.g. tts_threads=2 (repeatable)",
    )
    parser.add_argument("--json", type=Path, help="also write raw results here")
    args = parser.parse_args()
    if args.mode == "serve-bot":
        asyncio.run(serve_bot(os.environ["SPILLWAY_BENCH_SETTINGS"], args.bot))
        return
    results = asyncio.run(run_caller_side(args))
    print("SUMMARY")
    for row in results["summary"]:
        print(json.dumps(row))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
