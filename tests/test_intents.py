"""One vocabulary of intents: the enum, Rasa's domain, the training data and every user agree."""

from __future__ import annotations

import yaml

from bot.dialogue.machine import _MENU
from bot.dialogue.offer import OFFER_BOT_REQUESTS
from bot.dialogue.prompts import PROMPTS
from bot.nlu.data import PROJECT_DIR, load_nlu_data
from bot.nlu.intents import ANSWERS, SELF_SERVICE, TOPICS, Intent
from tests.dialogue_fixtures import fallback_model


def test_the_enum_is_exactly_the_rasa_domain() -> None:
    domain = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text())
    assert sorted(domain["intents"]) == sorted(i.value for i in Intent)


def test_the_enum_is_exactly_the_training_data() -> None:
    assert load_nlu_data().intents == sorted(i.value for i in Intent)


def test_the_fallback_classifier_learns_exactly_the_enum() -> None:
    fallback = fallback_model("en")
    labels = set(fallback.intents)
    assert labels == {i.value for i in Intent}


def test_menu_offer_and_topics_use_the_enum() -> None:
    for group in (set(_MENU.values()), set(OFFER_BOT_REQUESTS), TOPICS, ANSWERS, SELF_SERVICE):
        assert group and all(isinstance(i, Intent) for i in group), group
    assert SELF_SERVICE <= TOPICS
    assert not ANSWERS & TOPICS


def test_every_fixed_prompt_carries_no_caller_data() -> None:
    # Fixed wording may be cached on disk: at most the shop's name and its caller
    # notice (settings, the same for every caller) are filled in.
    for action, prompt in PROMPTS.items():
        if prompt.fixed:
            fields = {f for f in ("{shop}", "{notice}") if f in prompt.text}
            rest = prompt.text
            for f in fields:
                rest = rest.replace(f, "")
            assert "{" not in rest, action
