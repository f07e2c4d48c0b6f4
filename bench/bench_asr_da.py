"""The Danish recogniser here (Whisper base, forced to Danish) on the Danish scripts' lines.

Run:  /root/.cache/spillway/venv/bin/python -m bench.bench_asr_da [--runs 3]

Every spoken line of tests/scripts_da is rendered by espeak-ng's Danish voice
(the robotic test caller: the only Danish voice here) at 8 kHz, as the phone
line carries it, padded as the endpointer cuts it, and decoded by each
recogniser set-up: with and without the pack's initial prompt
(``recogniser_prompt``), greedy and with 5 beams. Printed per set-up: the word
error rate (bench/wer.py) with number words read as digits and without,
lines heard exactly, and median and p95 decode time per line. Both the voice
and the model are weak in Danish: the figures are for that pair, not for
Danish callers on a Danish recogniser.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from bench.wer import WerTally, words
from bot.assembly import whisper_prompt
from bot.speech.espeak_tts import EspeakTts
from bot.speech.resample import pcm16_to_float, resample_float
from bot.speech.whisper_asr import WHISPER_RATE_HZ, WhisperDecoder, load_whisper_model
from models.discover import require_model
from spillway.audio import SLIN8
from spillway.language_pack import load_pack

SCRIPTS = Path(__file__).resolve().parent.parent / "tests" / "scripts_da"
MODEL = "whisper-base"


def spoken_lines() -> list[str]:
    """The distinct lines the Danish scripts say (not keys, silence or comments)."""
    lines: list[str] = []
    for path in sorted(SCRIPTS.glob("*.txt")):
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line and not line.startswith(("#", "<")) and line not in lines:
                lines.append(line)
    return lines


def render(tts: EspeakTts, line: str) -> np.ndarray:
    """8 kHz espeak speech at 16 kHz, with 200 ms before and 300 ms after (the endpointer)."""
    audio = resample_float(
        pcm16_to_float(tts.synthesize_pcm(line)), SLIN8.sample_rate_hz, WHISPER_RATE_HZ
    )
    return np.concatenate([np.zeros(3200, np.float32), audio, np.zeros(4800, np.float32)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    lines = spoken_lines()
    tts = EspeakTts(load_pack("da").voices["espeak"], output_format=SLIN8)
    try:
        audio = [render(tts, line) for line in lines]
    finally:
        tts.close()
    model = load_whisper_model(require_model(MODEL).path, cpu_threads=2)
    prompt = whisper_prompt("da")
    setups = {
        "no prompt, greedy": WhisperDecoder(model, language="da", beam_size=1),
        "no prompt, beam 5": WhisperDecoder(model, language="da", beam_size=5),
        "pack prompt, greedy": WhisperDecoder(model, language="da", beam_size=1, prompt=prompt),
        "pack prompt, beam 5": WhisperDecoder(model, language="da", beam_size=5, prompt=prompt),
    }
    results: dict[str, dict[str, object]] = {}
    heard_by_bot: dict[str, str] = {}
    for name, decoder in setups.items():
        tally, raw = WerTally(), WerTally()
        exact = 0
        took: list[float] = []
        heard: dict[str, str] = {}
        for _ in range(args.runs):
            for line, pcm in zip(lines, audio, strict=True):
                started = time.perf_counter()
                text = decoder.decode(pcm).text
                took.append(time.perf_counter() - started)
                heard[line] = text
                tally = tally.add(line, text, language="da")
                raw = raw.add(line, text, language="da", numbers=False)
                exact += words(line, language="da") == words(text, language="da")
        took.sort()
        results[name] = {
            "wer": round(tally.rate, 3),
            "wer_words_as_said": round(raw.rate, 3),
            "exact_lines": f"{exact}/{len(lines) * args.runs}",
            "median_ms": round(statistics.median(took) * 1000),
            "p95_ms": round(took[max(0, round(len(took) * 0.95) - 1)] * 1000),
            "heard": heard,
        }
        if name == "pack prompt, beam 5":  # what the Danish bot runs (the pack's settings)
            heard_by_bot = heard
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
        return
    for name, r in results.items():
        print(
            f"{name:22} WER {r['wer']:.0%} (number words as said: {r['wer_words_as_said']:.0%}), "
            f"exact {r['exact_lines']}, decode median {r['median_ms']} ms p95 {r['p95_ms']} ms"
        )
    for line, text in heard_by_bot.items():
        print(f"  {line!r:48} -> {text!r}")


if __name__ == "__main__":
    main()
