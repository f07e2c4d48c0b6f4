"""The fallback classifier's disk cache: a load predicts exactly as a fresh fit, a corrupt
or stale file is rebuilt, writes are atomic. Everything here writes under ``tmp_path``."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from bot.nlu.data import NluData, NluExample, load_nlu_data, project_dir
from bot.nlu.fallback import FallbackNlu, TrainingPlan, clean_text
from bot.nlu.fallback_cache import (
    CachedFit,
    cache_key,
    cache_path,
    is_cached,
    load_or_train,
    write_cached,
)
from spillway import atomic_file

LINES = {
    "en": [
        "where is my order 1 2 3 4 5",
        "i want to return the red running shoes",
        "can someone call me back tomorrow",
        "uh hm",
    ],
    "da": [
        "hvor er min bestilling et to tre fire fem",
        "jeg vil gerne returnere de røde løbesko",
        "kan I ringe mig op i morgen",
        "øh hm",
    ],
}


def tiny_data(extra: str = "") -> NluData:
    """Three intents (the calibration reads one logit per class), five lines each (its
    five folds): trains in a blink."""
    greet = ["hello", "hi there", "good morning", "hey", "hello again" + extra]
    bye = ["goodbye", "bye now", "see you", "bye bye", "farewell"]
    thanks = ["thanks", "thank you", "many thanks", "thanks a lot", "cheers"]
    return NluData(
        examples=tuple(NluExample(t, "greet") for t in greet)
        + tuple(NluExample(t, "goodbye") for t in bye)
        + tuple(NluExample(t, "thanks") for t in thanks)
    )


def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: TrainingPlan) -> object:
        raise AssertionError("trained although the cache held the fit")

    monkeypatch.setattr(TrainingPlan, "fit", refuse)


def same_answers(a: FallbackNlu, b: FallbackNlu, lines: list[str]) -> None:
    assert a.intents == b.intents
    assert a.temperature == b.temperature
    for line in lines:
        assert a.parse(line) == b.parse(line)
        cleaned = clean_text(line)
        assert np.array_equal(a.probabilities(cleaned), b.probabilities(cleaned))


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_cached_load_predicts_exactly_as_a_fresh_fit(
    language: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = load_nlu_data(project_dir(language))
    # A miss fits now (TrainingPlan.fit, what FallbackNlu.train runs) and stores: the
    # model it returns is a fresh fit. One fit a language: 10 s of CPU each.
    fresh = load_or_train(data, tmp_path, language=language)
    assert is_cached(data, tmp_path, language=language)
    no_training(monkeypatch)
    loaded = load_or_train(data, tmp_path, language=language)  # a hit: no fit
    assert loaded is not fresh
    same_answers(fresh, loaded, LINES[language])


def test_a_load_answers_as_fallback_nlu_train_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = FallbackNlu.train(tiny_data())
    load_or_train(tiny_data(), tmp_path)
    no_training(monkeypatch)
    loaded = load_or_train(tiny_data(), tmp_path)
    same_answers(fresh, loaded, ["hello", "bye now friend", "thanks", "xyz"])


def test_the_key_follows_the_data_the_seed_and_the_language(tmp_path: Path) -> None:
    def key(data: NluData, seed: int = 42, language: str = "en") -> str:
        return cache_key(TrainingPlan.of(data, seed=seed, max_chars=500, language=language))

    assert key(tiny_data()) == key(tiny_data())
    assert key(tiny_data()) != key(tiny_data(extra=" friend"))
    assert key(tiny_data()) != key(tiny_data(), seed=7)
    # Danish reads number words its own way: the feature texts differ, so does the key.
    spoken = NluData(examples=(NluExample("order en to tre fire", "x"),))
    assert key(spoken, language="en") != key(spoken, language="da")


def test_a_change_of_data_trains_again(tmp_path: Path) -> None:
    load_or_train(tiny_data(), tmp_path)
    assert not is_cached(tiny_data(extra=" friend"), tmp_path)
    load_or_train(tiny_data(extra=" friend"), tmp_path)
    assert is_cached(tiny_data(extra=" friend"), tmp_path)


def stored_path(tmp_path: Path) -> Path:
    plan = TrainingPlan.of(tiny_data(), seed=42, max_chars=500, language="en")
    return cache_path(tmp_path, "en", cache_key(plan))


@pytest.mark.parametrize(
    "content",
    [b"", b"not a pickle", pickle.dumps({"key": "x"}), pickle.dumps(CachedFit("x", None, 1.0))],
    ids=["empty", "garbage", "other-object", "other-key"],
)
def test_a_corrupt_or_stale_file_is_rebuilt_not_fatal(tmp_path: Path, content: bytes) -> None:
    path = stored_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    model = load_or_train(tiny_data(), tmp_path)
    assert model.parse("hello there").name == "greet"
    fit = pickle.loads(path.read_bytes())  # replaced by a good one
    assert isinstance(fit, CachedFit)
    assert fit.key == cache_key(TrainingPlan.of(tiny_data(), seed=42, max_chars=500, language="en"))


def test_a_truncated_file_is_rebuilt(tmp_path: Path) -> None:
    load_or_train(tiny_data(), tmp_path)
    path = stored_path(tmp_path)
    path.write_bytes(path.read_bytes()[:100])
    assert load_or_train(tiny_data(), tmp_path).parse("bye bye").name == "goodbye"
    assert isinstance(pickle.loads(path.read_bytes()), CachedFit)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_or_train(tiny_data(), tmp_path)
    path = stored_path(tmp_path)
    before = path.read_bytes()

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic_file.os, "fsync", broken)
    with pytest.raises(OSError):
        write_cached(path, pickle.loads(before))
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_an_unwritable_cache_still_gives_a_classifier(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    model = load_or_train(tiny_data(), blocker)  # <file>/nlu-fallback cannot be made
    assert model.parse("good morning").name == "greet"
