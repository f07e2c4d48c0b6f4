"""Ten callers stop talking at once: what Whisper's decodes cost, and what was tried.

The ten-call level of bench/bench_conversations.py starts ten calls
together, so ten first requests end within a second of each other. Every
one then waits for its final decode. This bench measures that burst on the
recogniser alone, with the shop conversations' first lines spoken by the
test callers' Piper voice (8 kHz, resampled to 16 kHz as on a call):

- ``one_by_one``: the ten decodes one after another, as the decode pool runs
  them (one worker with ``speech.asr_threads`` threads): the time until each
  caller's text exists, median and last;
- ``one_batch``: the ten windows as one CTranslate2 batch (batched decoding,
  the issue's suggestion), measured in the same run;
- ``two_workers``: the same ten on a model loaded with one thread and two
  CTranslate2 workers, two decodes at a time (the other way to use two
  cores), measured in the same run;
- ``window_<s>``: the decode of one utterance with a shorter padded window
  than the shipped 15 s (the encoder's cost grows with the window), and how
  many words each hears wrong (bench/wer.py) over the English held-out lines
  (spillway/languages/en/heldout.yml, written apart from the training data),
  spoken by the same voice.

Run: ``PYTHONPATH=. python -m bench.bench_decode_burst --runs 5``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bench.harness import machine, percentile, write_report
from bench.wer import word_errors, words
from bot.assembly import load_speech_models
from bot.speech.resample import pcm16_to_float, resample_float
from bot.speech.whisper_asr import (
    WHISPER_RATE_HZ,
    WhisperDecoder,
    WhisperEngine,
    load_whisper_model,
)
from cli.commands.call import caller_voice
from models.discover import require_model
from spillway.settings import Settings

CONVERSATIONS = Path(__file__).with_name("conversations") / "shop.yaml"
HELDOUT = Path(__file__).parents[1] / "spillway" / "languages" / "en" / "heldout.yml"
# Rasa's entity markup: [10042](order_id) is said as 10042.
_ENTITY = re.compile(r"\[([^\]]+)\]\([^)]*\)")
WINDOWS_S = (15.0, 10.0, 6.0)


def first_lines(count: int) -> list[str]:
    """The first spoken line of each conversation, repeated up to ``count``."""
    lines = [
        str(c["lines"][0][0])
        for c in yaml.safe_load(CONVERSATIONS.read_text())
        if not str(c["lines"][0][0]).startswith("<")
    ]
    return [lines[i % len(lines)] for i in range(count)]


def heldout_lines(path: Path = HELDOUT) -> list[str]:
    """Every example of the held-out set, entity markup removed."""
    lines = []
    for block in yaml.safe_load(path.read_text())["nlu"]:
        for raw in str(block["examples"]).splitlines():
            text = _ENTITY.sub(r"\1", raw.strip().removeprefix("- ").strip())
            if text:
                lines.append(text)
    return lines


def to_float16k(pcm8k: bytes) -> np.ndarray:
    """8 kHz s16le (the callers' voice) as Whisper's 16 kHz float samples."""
    return resample_float(pcm16_to_float(pcm8k), 8000, WHISPER_RATE_HZ)


def batched_generate(decoder: WhisperDecoder, audios: list[np.ndarray]) -> list[str]:
    """One CTranslate2 ``generate`` over every utterance's padded window."""
    import ctranslate2

    # The window the decoder itself would use for the longest of them.
    longest = max(len(a) for a in audios)
    window = decoder.window_for(longest)
    features = [decoder.window_features(audio, window) for audio in audios]
    longest_s = longest / WHISPER_RATE_HZ
    results = decoder.model.model.generate(
        ctranslate2.StorageView.from_array(np.ascontiguousarray(np.stack(features))),
        [decoder.prompt_ids] * len(audios),
        beam_size=1,
        max_length=len(decoder.prompt_ids) + 16 + int(8 * longest_s),
    )
    tokenizer = decoder.tokenizer
    return [
        tokenizer.decode([t for t in r.sequences_ids[0] if t < tokenizer.eot]).strip()
        for r in results
    ]


def burst(decoder: WhisperDecoder, audios: list[np.ndarray]) -> dict[str, float]:
    """Ten decodes one after another (the pool's order), then as one batch."""
    started = time.perf_counter()
    ready_ms = []
    for audio in audios:
        decoder.decode(audio)
        ready_ms.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    batched_generate(decoder, audios)
    batch_ms = (time.perf_counter() - started) * 1000
    return {
        "one_by_one_median_ready_ms": statistics.median(ready_ms),
        "one_by_one_last_ready_ms": ready_ms[-1],
        "one_batch_ms": batch_ms,
    }


def parallel_burst(decoder: WhisperDecoder, audios: list[np.ndarray], workers: int) -> float:
    """Milliseconds until the last of the ten texts exists, ``workers`` decodes at a time."""
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(decoder.decode, audios))
    return (time.perf_counter() - started) * 1000


def windows(engine: WhisperEngine, texts: list[str], audios: list[np.ndarray]) -> dict[str, Any]:
    """Per-decode time and word errors for each window length."""
    base = engine.decoder
    out: dict[str, Any] = {}
    for window_s in WINDOWS_S:
        decoder = WhisperDecoder(
            base.model,
            language="en",
            beam_size=1,
            prompt=base.prompt,
            window_s=window_s,
            short_windows_s=(),  # this window alone
        )
        decoder.decode(audios[0])  # warm
        started = time.perf_counter()
        heard = [decoder.decode(a).text for a in audios]
        per_ms = (time.perf_counter() - started) * 1000 / len(audios)
        errors = sum(word_errors(words(t), words(h)) for t, h in zip(texts, heard, strict=True))
        out[f"window_{window_s:g}s"] = {
            "ms_per_decode": round(per_ms, 1),
            "word_errors": errors,
            "words": sum(len(words(t)) for t in texts),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--window-lines", type=int, default=1000, help="held-out lines to hear")
    args = parser.parse_args()
    settings = Settings()
    models = load_speech_models(settings)
    engine = models.asr
    if not isinstance(engine, WhisperEngine):
        raise SystemExit(f"this bench measures Whisper; the recogniser is {engine.name}")
    voice = caller_voice(settings)
    try:
        texts = first_lines(args.calls)
        audios = [to_float16k(voice.synthesize_pcm(t)) for t in texts]
        engine.decoder.decode(audios[0])  # warm
        # One thread per decode, two decodes at a time (CTranslate2 workers).
        found = require_model(settings.speech.whisper_model, settings.paths.models_dir)
        one_thread = WhisperDecoder(
            load_whisper_model(found.path, cpu_threads=1, workers=2),
            language="en",
            beam_size=1,
            prompt=engine.decoder.prompt,
        )
        one_thread.decode(audios[0])  # warm
        spoken = heldout_lines()[: args.window_lines]
        load_before = os.getloadavg()[0]
        runs = []
        for _ in range(args.runs):
            run = burst(engine.decoder, audios)
            run["two_workers_last_ready_ms"] = parallel_burst(one_thread, audios, 2)
            started = time.perf_counter()
            one_thread.decode(audios[0])
            run["two_workers_one_decode_ms"] = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            engine.decoder.decode(audios[0])
            run["shipped_one_decode_ms"] = (time.perf_counter() - started) * 1000
            runs.append(run)
        summary = {
            key: {
                "median": round(statistics.median(r[key] for r in runs)),
                "p90": round(percentile([r[key] for r in runs], 90)),
            }
            for key in runs[0]
        }
        ratio = [r["one_by_one_last_ready_ms"] / r["one_batch_ms"] for r in runs]
        report = {
            "machine": machine(),
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "calls": args.calls,
            "runs": args.runs,
            "burst": summary,
            "batch_speed_up_median": round(statistics.median(ratio), 2),
            "windows": windows(
                engine, spoken, [to_float16k(voice.synthesize_pcm(t)) for t in spoken]
            ),
            "window_lines": len(spoken),
        }
    finally:
        voice.close()
        models.close()
    write_report(report, args.out)


if __name__ == "__main__":
    main()
