"""The Danish voice here (espeak-ng): time to first audio and real-time factor.

Run:  /root/.cache/spillway/venv/bin/python -m bench.bench_voice_da [--runs 5]

Renders the Danish pack's overflow offer, greeting and "could you say that
again?" at 8 kHz with espeak-ng (the voice a Danish shop gets until
da_DK-talesyntese-medium is installed) and prints the median and p95 time to
the first piece's audio and the median real-time factor (render time / audio
duration). A robotic voice: intelligible, not one to greet customers with.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bot.dialogue.caller_notice import caller_notice
from bot.speech.espeak_tts import EspeakTts
from spillway.language_pack import load_pack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    pack = load_pack("da")
    notice = caller_notice(pack, enabled=True, privacy_url=None)  # as on the default settings
    texts = [
        pack.say("offer", notice=notice),
        pack.say("greet", shop="Spillway Demo Shop", notice=notice),
        pack.say("reprompt_unclear"),
    ]
    tts = EspeakTts(pack.voices["espeak"])
    firsts: list[float] = []
    factors: list[float] = []
    try:
        for _ in range(args.runs):
            for text in texts:
                firsts.append(tts.time_to_first_audio_s(text))
                started = time.perf_counter()
                pcm = tts.synthesize_pcm(text)
                took_s = time.perf_counter() - started
                factors.append(took_s / (tts.output_format.duration_ms(len(pcm)) / 1000))
    finally:
        tts.close()
    firsts.sort()
    p95 = firsts[max(0, round(len(firsts) * 0.95) - 1)]
    print(
        f"espeak-ng da, {len(firsts)} renders: first audio median "
        f"{statistics.median(firsts) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; "
        f"real-time factor median {statistics.median(factors):.3f}"
    )


if __name__ == "__main__":
    main()
