"""The dialogue's step mixins share one typed base: each helper they call is declared
once (bot/dialogue/steps.py), and the machine provides every one of them."""

from __future__ import annotations

import inspect
from pathlib import Path

from bot.dialogue.actions import ActionSteps
from bot.dialogue.callbacks import CallbackSteps
from bot.dialogue.machine import Dialogue
from bot.dialogue.orders import OrderSteps
from bot.dialogue.steps import PROVIDED_ELSEWHERE, DialogueSteps


def test_the_mixins_declare_no_helper_of_their_own() -> None:
    for mixin in (ActionSteps, CallbackSteps, OrderSteps):
        assert issubclass(mixin, DialogueSteps)
        stubs = [
            name
            for name, member in vars(mixin).items()
            if inspect.isfunction(member)
            and "raise NotImplementedError" in inspect.getsource(member)
        ]
        assert stubs == [], f"{mixin.__name__} declares {stubs} again"


def test_the_dialogue_provides_every_declared_helper() -> None:
    for name in PROVIDED_ELSEWHERE:
        assert getattr(Dialogue, name) is not getattr(DialogueSteps, name), name


def test_no_dialogue_module_is_over_600_lines() -> None:
    # One concept per module: the machine reached 606 lines before the order steps
    # moved to bot/dialogue/orders.py.
    folder = Path(__file__).resolve().parent.parent / "bot" / "dialogue"
    long = {p.name: n for p in folder.glob("*.py") if (n := len(p.read_text().splitlines())) > 600}
    assert long == {}
