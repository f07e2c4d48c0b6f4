"""The fallback classifier learns from small training data too: two intents (a logistic
regression then gives one decision value, not one per intent) and intents with fewer
examples than calibration folds."""

from __future__ import annotations

import logging

import pytest

from bot.nlu.data import NluData, NluExample
from bot.nlu.fallback import FallbackNlu, calibration_folds

YES = ("yes please", "yes", "yeah sure", "that is right", "correct", "yes that's it")
NO = ("no thanks", "no", "nope", "that is wrong", "not at all", "no it isn't")


def _data(**intents: tuple[str, ...]) -> NluData:
    return NluData(
        tuple(NluExample(text, intent) for intent, texts in intents.items() for text in texts)
    )


def test_two_intents_train_calibrate_and_classify() -> None:
    nlu = FallbackNlu.train(_data(affirm=YES, deny=NO))
    assert nlu.intents == ["affirm", "deny"]
    assert 0.05 <= nlu.temperature <= 20.0
    assert nlu.parse("yes please").name == "affirm"
    assert nlu.parse("no thanks").name == "deny"
    probabilities = nlu.probabilities("yes please")
    assert probabilities.shape == (2,) and abs(float(probabilities.sum()) - 1.0) < 1e-9


def test_few_examples_take_fewer_folds() -> None:
    assert calibration_folds(["a"] * 9 + ["b"] * 3) == 3
    assert calibration_folds(["a"] * 9 + ["b"] * 9) == 5
    assert calibration_folds(["a"] * 9 + ["b"]) == 0
    assert calibration_folds(["a"] * 9) == 0
    nlu = FallbackNlu.train(_data(affirm=YES[:3], deny=NO[:3]))
    assert nlu.parse("yes").name == "affirm"


def test_one_example_of_an_intent_leaves_it_uncalibrated_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.nlu.fallback"):
        nlu = FallbackNlu.train(_data(affirm=YES, deny=NO[:1]))
    assert nlu.temperature == 1.0
    assert "uncalibrated" in caplog.text and "'deny' has 1 example" in caplog.text
    assert nlu.parse("yes please").name == "affirm"
