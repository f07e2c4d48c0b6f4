"""Whisper's decodes and Piper's renders in one pool, earliest deadline first.

Two pools of their own put four busy threads on two cores when ten callers
end a sentence at once; one pool runs each job at full speed, the most urgent
first (docs/PERFORMANCE.md, "One pool for decodes and renders").
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.assembly import shared_speech_pool
from bot.speech.piper_tts import PiperTts
from bot.speech.priority_pool import PriorityPool, due_in
from bot.speech.whisper_asr import WhisperEngine
from spillway.settings import Settings
from tests.test_priority_pool import _blocked_pool


def test_decodes_and_renders_run_by_deadline() -> None:
    pool, _, release = _blocked_pool()
    ran: list[str] = []
    futures = [
        # The rest of a reply, due when its opener has half played.
        pool.submit(ran.append, "render due in 0.3 s", priority=due_in(0.3)),
        # A decode started at a pause: due when the endpoint would come.
        pool.submit(ran.append, "speculative decode", priority=due_in(0.15)),
        pool.submit(ran.append, "render due in 0.05 s", priority=due_in(0.05)),
        # A caller finished speaking and waits: due now, first though it came last.
        pool.submit(ran.append, "final decode", priority=due_in(0.0)),
    ]
    release.set()
    for future in futures:
        future.result(5)
    pool.shutdown()
    assert ran == [
        "final decode",
        "render due in 0.05 s",
        "speculative decode",
        "render due in 0.3 s",
    ]


def test_engine_and_voice_leave_a_shared_pool_to_its_owner() -> None:
    pool = PriorityPool(1, thread_name_prefix="test")
    engine = WhisperEngine(object(), language=None, window_s=None, executor=pool)
    voice = PiperTts(SimpleNamespace(config=SimpleNamespace(sample_rate=22050)), "v", executor=pool)
    engine.close()
    voice.close()
    assert pool.submit(lambda: "still open").result(5) == "still open"
    pool.shutdown()
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)


def test_an_engine_closes_a_pool_of_its_own() -> None:
    engine = WhisperEngine(object(), language=None, window_s=None, max_workers=1)
    engine.close()
    with pytest.raises(RuntimeError):
        engine._executor.submit(lambda: None)


@pytest.mark.speech
def test_whisper_and_piper_share_one_pool_unless_turned_off() -> None:
    base = Settings()

    def with_speech(**update: object) -> Settings:
        return base.model_copy(update={"speech": base.speech.model_copy(update=update)})

    pool = shared_speech_pool(with_speech(asr_engine="whisper"))
    assert isinstance(pool, PriorityPool)
    pool.shutdown()
    assert shared_speech_pool(with_speech(asr_engine="whisper", shared_pool=False)) is None
