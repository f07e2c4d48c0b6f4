"""Every language pack's understanding: NLU data, held-out sets and grammar, the same keys in every
languages: the Rasa project, examples for every intent, a held-out set written
apart from the training data, and the same grammar rules. The fallback's floors
on each pack's held-out set."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.nlu.data import (
    LANGUAGES,
    heldout_file,
    language_dir,
    load_heldout,
    load_nlu_data,
    project_dir,
)
from bot.nlu.evaluation import evaluate_fallback
from bot.nlu.intents import Intent
from spillway.errors import NluError

_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]+\)|\{[^}]*\})")
NLU_PARTS = ("nlu/config.yml", "nlu/domain.yml", "nlu/data/nlu.yml", "heldout.yml", "grammar.yaml")


def _plain(text: str) -> str:
    return _ANNOTATION.sub(r"\1", text).strip().lower()


def _keys(tree: object, prefix: str = "") -> set[str]:
    """Every key path of a grammar, down to the rule level (not the word tables)."""
    if not isinstance(tree, dict):
        return set()
    out: set[str] = set()
    for key, value in tree.items():
        path = f"{prefix}{key}"
        out.add(path)
        if key in ("numbers", "time", "say", "parts", "answers"):
            out |= _keys(value, path + ".")
        elif prefix.endswith("parts."):
            out |= {f"{path}.{k}" for k in value}
    return out


def _grammar(language: str) -> dict[str, object]:
    doc = yaml.safe_load((language_dir(language) / "grammar.yaml").read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("part", NLU_PARTS)
def test_every_pack_has_every_nlu_part(language: str, part: str) -> None:
    assert (language_dir(language) / part).is_file()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pack_config_names_its_language(language: str) -> None:
    config = yaml.safe_load((project_dir(language) / "config.yml").read_text(encoding="utf-8"))
    assert config["language"] == language


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_domain_is_exactly_the_enum(language: str) -> None:
    domain = yaml.safe_load((project_dir(language) / "domain.yml").read_text(encoding="utf-8"))
    assert sorted(domain["intents"]) == sorted(i.value for i in Intent)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("intent", [i.value for i in Intent])
def test_every_pack_has_examples_for_every_intent(language: str, intent: str) -> None:
    examples = [e for e in load_nlu_data(project_dir(language)).examples if e.intent == intent]
    assert len(examples) >= 25, (language, intent, len(examples))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_pack_knows_every_product_of_the_shop(language: str) -> None:
    english = set(load_nlu_data(project_dir("en")).entity_values("product").values())
    assert set(load_nlu_data(project_dir(language)).entity_values("product").values()) == english


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_held_out_line_is_trained_on(language: str) -> None:
    training = {_plain(e.text) for e in load_nlu_data(project_dir(language)).examples}
    held = [
        _plain(e.text) for e in load_heldout(heldout_file(language), project_dir(language)).examples
    ]
    assert len(set(held)) == len(held)
    assert sorted(set(held) & training) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_held_out_set_is_as_large_as_englishs_per_intent(language: str) -> None:
    def counts(code: str) -> Counter[str]:
        held = load_heldout(heldout_file(code), project_dir(code)).examples
        return Counter(e.intent for e in held)

    english, here = counts("en"), counts(language)
    assert set(here) == {i.value for i in Intent}
    assert {i: here[i] for i in english if here[i] < english[i]} == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_pack_has_every_grammar_rule_another_has(language: str) -> None:
    keys = {code: _keys(_grammar(code)) for code in LANGUAGES}
    everyone = set().union(*keys.values())
    assert sorted(everyone - keys[language]) == []


def test_an_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(NluError, match="no language pack 'xx'"):
        language_dir("xx")


def test_the_packs_are_package_data() -> None:
    # Shipped in the wheel (pyproject's package-data), found beside the package.
    assert (
        language_dir("da").parent
        == Path(__file__).resolve().parent.parent / "spillway" / "languages"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_fallback_on_the_packs_held_out_set(language: str) -> None:
    report = evaluate_fallback(
        load_nlu_data(project_dir(language)),
        load_heldout(heldout_file(language), project_dir(language)),
        language=language,
    )
    # Measured (docs/PERFORMANCE.md, danish-nlu): en 0.938, da 0.964, da order numbers 12/12.
    assert report.accuracy >= 0.9, report
    accuracy = report.order_number_accuracy
    assert accuracy is None or accuracy >= 0.9, report
    if language == "da":
        assert report.order_numbers >= 12


async def test_the_bot_understands_the_shops_language() -> None:
    # The production engine learns the pack of shop.language (its words and its numbers).
    from bot.assembly import build_nlu
    from spillway.settings import Settings

    settings = Settings.model_validate({"shop": {"language": "da"}})
    nlu = build_nlu(settings, use_rasa=False)
    parsed = await nlu.parse("hvor er min pakke ordre en nul nul fire to")
    assert (parsed.name, parsed.entities.get("order_number")) == ("order_status", "10042")


@pytest.mark.parametrize(
    ("args", "intent", "order"),
    [
        (
            ["--language", "da", "hvor er min pakke ordre en nul nul fire to"],
            "order_status",
            "10042",
        ),
        (["where is order one zero zero four two"], "order_status", "10042"),
    ],
)
def test_nlu_parse_takes_the_language(args: list[str], intent: str, order: str) -> None:
    import json

    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["nlu", "parse", "--no-rasa", "--json", *args])
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.output)
    assert (parsed["intent"], parsed["entities"].get("order_number")) == (intent, order)


def test_nlu_refuses_an_unknown_language() -> None:
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["nlu", "parse", "--no-rasa", "--language", "xx", "hej"])
    assert result.exit_code != 0
    assert "not one of en, da" in result.output
