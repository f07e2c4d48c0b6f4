"""The held-out NLU set (spillway/languages/en/heldout.yml): written apart from the training data,
never trained on, and the fallback classifier's floor on it (how callers actually
describe faults, callbacks with a time, short answers)."""

from __future__ import annotations

import re

from bot.nlu.data import load_heldout, load_nlu_data
from bot.nlu.evaluation import evaluate_fallback
from bot.nlu.intents import Intent

_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]+\)|\{[^}]*\})")


def _plain(text: str) -> str:
    return _ANNOTATION.sub(r"\1", text).strip().lower()


def test_no_held_out_line_is_a_training_example() -> None:
    training = {_plain(e.text) for e in load_nlu_data().examples}
    held = [_plain(e.text) for e in load_heldout().examples]
    assert len(held) >= 140
    assert sorted(set(held) & training) == []


def test_every_held_out_intent_is_one_the_bot_knows() -> None:
    known = {i.value for i in Intent}
    assert {e.intent for e in load_heldout().examples} <= known


def test_the_fallback_understands_how_callers_describe_faults() -> None:
    report = evaluate_fallback(load_nlu_data(), load_heldout())
    recall = {row.intent: row.recall for row in report.per_intent}
    # Measured 0.944 overall and 0.96 on complaints (before widening the data:
    # 0.812 and 0.33); the floors leave room for retraining noise only.
    assert report.accuracy >= 0.9, report
    assert recall["complaint"] >= 0.9
    for short in ("affirm", "deny", "goodbye", "callback_request"):
        assert recall[short] >= 0.85, (short, recall[short])
