"""What the simulated callers say: 12 shop questions at 3 speaking rates.

Shared by bench_latency.py (the callers) and bench_speech.py (warm against
fresh recognisers), so both hear the same 36 utterances, none of which is
among the bot's own prompts (what `spillway serve` warms recognisers with).
"""

from __future__ import annotations

from bot.speech.piper_tts import PiperTts, VoiceFiles
from models.discover import require_model

QUESTIONS = (
    "Hello, where is my order? The number is one zero zero four two.",
    "Can I return a pair of shoes I bought last week?",
    "I would like to speak to a person please.",
    "Do you have the blue jacket in size medium?",
    "My package arrived damaged and I want to complain.",
    "What are your opening hours on Saturday?",
    "I never received my refund for the coat I sent back.",
    "Could somebody call me back tomorrow morning?",
    "The delivery driver left the parcel at the wrong address.",
    "Is the red kettle still in stock at your store in Aarhus?",
    "I ordered two lamps but only one came in the box.",
    "How much does it cost to send something back to you?",
)
# Piper length_scale: slower and faster than the voice's own pace.
SPEAKING_RATES = (0.9, 1.0, 1.15)
VOICE = "en_US-joe-medium"


def voice_files() -> VoiceFiles:
    return VoiceFiles.from_model(require_model(VOICE).path / f"{VOICE}.onnx")


def synthesize_deck(*, trim: bool = True) -> list[bytes]:
    """Every question at every rate (8 kHz s16le), sentence-major within each rate."""
    from bench.caller_sim import trim_silence

    deck: list[bytes] = []
    for rate in SPEAKING_RATES:
        tts = PiperTts.load(voice_files(), length_scale=rate)
        try:
            for question in QUESTIONS:
                pcm = tts.synthesize_pcm(question)
                deck.append(trim_silence(pcm) if trim else pcm)
        finally:
            tts.close()
    return deck
