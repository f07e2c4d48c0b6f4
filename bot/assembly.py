"""Building the bot's parts from the settings, once, for every front end.

`spillway chat` (typed), `spillway serve` (calls) and the tests all need the
same NLU engine, the same dialogue configuration and the same back-ends, and
the voice bot additionally needs its speech models. They are built here so the
construction exists once:

* :func:`build_nlu` - Rasa when it answers, the in-process fallback otherwise;
* :class:`DialogueFactory` - a fresh :class:`~bot.dialogue.machine.Dialogue` per call;
* :class:`SpeechModels` / :func:`load_speech_models` - the ASR engine, the
  Piper voice and the prompt cache, loaded once per process (seconds and
  hundreds of MB) and shared by every call.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bot.backends import Backends
from bot.backends.choice import build_backends
from bot.dialogue.machine import Dialogue, DialogueConfig, IntentParser
from bot.nlu.data import load_nlu_data, project_dir
from bot.nlu.engine import NluEngine, NluEngineConfig
from bot.nlu.fallback_cache import load_or_train
from bot.nlu.rasa_client import RasaClient
from bot.nlu.rasa_model import pack_hashes
from bot.speech.asr import AsrEngine
from bot.speech.espeak_tts import EspeakTts
from bot.speech.piece_cache import PieceCache
from bot.speech.piper_tts import PiperTts, VoiceFiles
from bot.speech.priority_pool import PriorityPool
from bot.speech.prompt_cache import PromptCache
from bot.speech.vad import VadModel, load_vad_model
from models.discover import require_model
from models.recogniser import RecogniserChoice, installed_recogniser
from models.voice import installed_voice
from spillway.audio import AudioFormat
from spillway.language_pack import DEFAULT_LANGUAGE, load_pack
from spillway.settings import Settings
from spillway.storage import AsyncStore, Store

log = logging.getLogger(__name__)


def build_nlu(settings: Settings, *, use_rasa: bool = True) -> NluEngine:
    """The production NLU engine: the fallback for the pack of ``shop.language`` (trained
    once, then loaded from ``paths.cache_dir``), Rasa in front unless told not or
    ``nlu.rasa_url`` is empty (serve that language's model: `nlu serve --language`)."""
    language = settings.shop.language
    data = load_nlu_data(project_dir(language))
    fallback = load_or_train(data, settings.paths.cache_dir, language=language)
    use_rasa = use_rasa and settings.nlu.uses_rasa  # an empty nlu.rasa_url: fallback only
    rasa = RasaClient(settings.nlu.rasa_url, settings.nlu.timeout_ms) if use_rasa else None
    if rasa is not None:
        pack_hashes()  # read the packs now, not on the event loop at the first call
    config = NluEngineConfig(
        confidence_threshold=settings.nlu.min_confidence,
        retry_after_s=settings.nlu.retry_after_s,
    )
    return NluEngine(fallback, rasa, config, language=language)


class DialogueFactory:
    """Makes one :class:`Dialogue` per call, all sharing the NLU engine and back-ends."""

    def __init__(self, nlu: IntentParser, backends: Backends, config: DialogueConfig) -> None:
        self.nlu = nlu
        self.backends = backends
        self.config = config

    @classmethod
    def from_settings(
        cls, settings: Settings, nlu: IntentParser, store: Store | AsyncStore
    ) -> DialogueFactory:
        """The configured back-ends (``build_backends``) and the dialogue settings."""
        return cls(nlu, build_backends(settings, store), DialogueConfig.from_settings(settings))

    def __call__(self, *, caller_id: str | None, call_id: str) -> Dialogue:
        return Dialogue(
            self.nlu, self.backends, self.config, caller_id=caller_id or None, call_id=call_id
        )


@dataclass(frozen=True, slots=True)
class SpeechModels:
    """Everything the voice bot loads once per process.

    ``asr`` is a Vosk or Whisper engine (one shared model, a bounded decode
    pool), ``tts`` the language's voice (Piper, or espeak-ng where the language's
    Piper voice is not installed: :func:`load_tts`), ``prompts`` the disk cache
    of fixed prompts rendered by ``tts``, ``vad`` the Silero network (each call
    gets its own detector from it: the detector has state),
    ``vad_pool`` the bounded thread pool every call's VAD runs in (never on
    the event loop).
    """

    asr: AsrEngine
    tts: PiperTts | EspeakTts
    prompts: PromptCache
    vad: VadModel
    vad_pool: ThreadPoolExecutor = field(default_factory=lambda: new_vad_pool())
    # Whisper's decodes and Piper's renders, when they share one pool (speech.shared_pool).
    speech_pool: PriorityPool | None = None

    @property
    def output_format(self) -> AudioFormat:
        return self.tts.output_format

    def describe(self) -> str:
        return (
            f"asr={self.asr.name} voice={self.tts.voice_id} rate={self.output_format} "
            f"vad={self.vad.runtime}"
        )

    def close(self) -> None:
        """Stop the engines' thread pools (the models are freed with the objects)."""
        self.asr.close()
        self.tts.close()
        if self.speech_pool is not None:
            self.speech_pool.shutdown(wait=True, cancel_futures=True)
        self.vad_pool.shutdown(wait=True, cancel_futures=True)


def new_vad_pool(workers: int | None = None) -> ThreadPoolExecutor:
    """The VAD thread pool: one worker per core (Silero holds the GIL, so more is useless)."""
    return ThreadPoolExecutor(
        max_workers=workers or max(1, os.cpu_count() or 1), thread_name_prefix="vad"
    )


def recogniser_for(settings: Settings) -> RecogniserChoice:
    """The recogniser ``speech.asr_engine`` names, or on ``auto`` one that understands the
    shop's language."""
    return installed_recogniser(
        settings.speech, settings.paths.models_dir, language=settings.shop.language
    )


def whisper_prompt(language: str = DEFAULT_LANGUAGE) -> str:
    """Whisper's initial prompt, from the pack: what a shop's callers talk about, in their
    language, and its product names (the pack's NLU lookup)."""
    products = ", ".join(load_nlu_data(project_dir(language)).lookups.get("product", ()))
    return load_pack(language).recogniser_prompt.format(products=products)


def load_asr(settings: Settings, *, pool: PriorityPool | None = None) -> AsrEngine:
    """The configured recogniser (``speech.asr_engine``); ModelError when it cannot load.

    ``pool``: Whisper decodes in it (shared with the voice) instead of a pool of its own.
    """
    speech = settings.speech
    choice = recogniser_for(settings)
    if choice.engine == "sherpa":
        from bot.speech.sherpa_asr import SherpaEngine, load_sherpa_whisper

        found = require_model(choice.model, settings.paths.models_dir)
        recogniser = load_sherpa_whisper(
            found.path,
            name=choice.model,
            language=settings.shop.language,
            threads=speech.asr_threads,
        )
        return SherpaEngine(recogniser)
    if choice.engine == "whisper":
        from bot.speech.whisper_asr import WhisperEngine, load_whisper_model

        found = require_model(choice.model, settings.paths.models_dir)
        # asr_threads one-thread decodes at a time: ten callers ending at once are
        # all heard 1.46 x sooner than one two-thread decode at a time, and one
        # decode alone takes as long (docs/PERFORMANCE.md, "Ten callers at once").
        model = load_whisper_model(
            found.path, name=choice.model, cpu_threads=1, workers=speech.asr_threads
        )
        # A decode started at a pause is due when the endpoint would come.
        slack_ms = max(0, speech.endpoint_silence_ms - speech.speculate_pause_ms)
        # The language is forced: multilingual base left to detect it takes Danish spoken
        # by espeak for Norwegian or English now and then.
        language = settings.shop.language
        return WhisperEngine(
            model,
            max_workers=speech.asr_threads,
            language=language,
            beam_size=speech.whisper_beam_size or load_pack(language).recogniser_beam_size,
            prompt=whisper_prompt(language),
            executor=pool,
            speculative_slack_s=slack_ms / 1000,
        )
    from bot.speech.vosk_asr import VoskEngine, VoskTuning, load_vosk_model

    found = require_model(choice.model, settings.paths.models_dir)
    tuning = VoskTuning(beam=speech.vosk_beam, max_active=speech.vosk_max_active)
    model = load_vosk_model(
        found.path,
        name=choice.model,
        tuning=tuning,
        overlay_root=settings.paths.cache_dir / "vosk-tuned",
    )
    return VoskEngine(model, max_workers=speech.asr_threads, pool_size=speech.vosk_pool_size)


def load_tts(
    settings: Settings,
    output_format: AudioFormat,
    *,
    pool: PriorityPool | None = None,
    log_weak: bool = True,
) -> PiperTts | EspeakTts:
    """The voice of the shop's language (models/voice.py), rendering at ``output_format``.

    ``pool``: Piper renders in it (shared with the recogniser); espeak-ng keeps its own.
    ``log_weak``: log (in English) that espeak-ng stands in; False where the caller tells
    the admin itself, in their language (`spillway dialplan install`'s prompts).
    """
    choice = installed_voice(settings.shop.language, settings.speech, settings.paths.models_dir)
    if choice.engine == "espeak":
        if log_weak:
            log.warning("voice for %s: %s (a weak voice)", choice.language, choice.why)
        return EspeakTts(choice.voice, output_format=output_format)
    voice = require_model(choice.voice, settings.paths.models_dir)
    files = VoiceFiles.from_model(voice.path / f"{choice.voice}.onnx", choice.voice)
    speech = settings.speech
    return PiperTts.load(
        files,
        threads=speech.tts_threads,
        output_format=output_format,
        workers=speech.tts_workers,
        executor=pool,
    )


def shared_speech_pool(settings: Settings) -> PriorityPool | None:
    """One pool for Whisper's decodes and Piper's renders, earliest deadline first
    (None: ``speech.shared_pool`` is off, or the recogniser or voice is another).

    Why: two pools of their own put four busy threads on two cores when ten
    callers end a sentence at once, and every decode then runs at half speed;
    one pool of ``asr_threads`` runs each at full speed, the most urgent first
    (docs/PERFORMANCE.md, "One pool for decodes and renders").
    """
    speech = settings.speech
    if not speech.shared_pool or recogniser_for(settings).engine != "whisper":
        return None
    voice = installed_voice(settings.shop.language, speech, settings.paths.models_dir)
    if voice.engine == "espeak":
        return None
    from bot.speech.whisper_asr import MAX_BATCH

    return PriorityPool(speech.asr_threads, thread_name_prefix="speech", max_batch=MAX_BATCH)


def load_speech_models(settings: Settings) -> SpeechModels:
    """Load VAD, ASR and TTS from the settings; one ModelError names what is missing."""
    speech = settings.speech
    vad = load_vad_model(models_root=settings.paths.models_dir)
    pool = shared_speech_pool(settings)
    try:
        tts = load_tts(settings, AudioFormat(speech.sample_rate_hz), pool=pool)
        if speech.reply_cache_pieces:
            tts.pieces = PieceCache(speech.reply_cache_pieces)
        try:
            asr = load_asr(settings, pool=pool)
        except BaseException:
            tts.close()
            raise
    except BaseException:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        raise
    prompts = PromptCache(settings.paths.cache_dir / "prompts", tts)
    models = SpeechModels(asr=asr, tts=tts, prompts=prompts, vad=vad, speech_pool=pool)
    log.info("speech models loaded: %s", models.describe())
    return models
