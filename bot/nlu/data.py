"""The Rasa NLU training data, read as plain Python objects.

Each language pack (``spillway/languages/<code>/``) holds one Rasa project in
``nlu/`` and a held-out set ``heldout.yml``; both NLU engines learn from the
pack's project: Rasa reads it itself, the in-process fallback classifier reads
it through this module.
Only the parts of the Rasa YAML format the project uses are understood:
intents with annotated examples (``[text](entity)`` and
``[text]{"entity": ..., "value": ...}``), synonyms, lookup tables and regexes.
The raw annotated lines are kept so that a split of the data can be written
back as a Rasa project (``write_project``) for evaluation.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from spillway.errors import NluError
from spillway.language_pack import DEFAULT_LANGUAGE, available_languages, pack_dir

LANGUAGES: tuple[str, ...] = (
    DEFAULT_LANGUAGE,
    *(code for code in available_languages() if code != DEFAULT_LANGUAGE),
)
"""The languages Spillway ships a pack for."""


def language_dir(language: str) -> Path:
    """The pack folder of ``language`` (``spillway/languages/<code>``)."""
    if language not in LANGUAGES:
        raise NluError(f"no language pack {language!r}; known: {', '.join(LANGUAGES)}")
    return pack_dir(language)


def grammar_path(language: str) -> Path:
    """The pack's ``grammar.yaml`` (numbers, times, plain answers, greetings ...)."""
    return language_dir(language) / "grammar.yaml"


@functools.cache
def grammar_doc(language: str) -> dict[str, Any]:
    """``language``'s ``grammar.yaml``, read once; its readers take their own tables
    from it (NluError, naming the file, when it cannot be read)."""
    path = grammar_path(language)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise NluError(f"cannot read the grammar {path}") from exc
    return doc if isinstance(doc, dict) else {}


def grammar_list(language: str, key: str, what: str = "phrases") -> list[str]:
    """The non-empty list ``key`` of ``language``'s ``grammar.yaml`` (NluError naming
    the file and key when it is missing, empty or not a list)."""
    items = grammar_doc(language).get(key)
    if not isinstance(items, list) or not items:
        raise NluError(f"{grammar_path(language)}: grammar {key} must be a list of {what}")
    return [str(item) for item in items]


def project_dir(language: str = DEFAULT_LANGUAGE) -> Path:
    """The Rasa project (config, domain, data) of ``language``."""
    return language_dir(language) / "nlu"


def heldout_file(language: str = DEFAULT_LANGUAGE) -> Path:
    """Caller phrasings of ``language`` written apart from its training data."""
    return language_dir(language) / "heldout.yml"


PROJECT_DIR = project_dir(DEFAULT_LANGUAGE)
"""The English Rasa project shipped with Spillway."""

_ANNOTATION_RE = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")


@dataclass(frozen=True, slots=True)
class EntitySpan:
    """An annotated entity inside an example's plain text."""

    entity: str
    start: int
    end: int
    text: str
    value: str


@dataclass(frozen=True, slots=True)
class NluExample:
    """One training utterance: plain text, its intent, its entities."""

    text: str
    intent: str
    entities: tuple[EntitySpan, ...] = ()
    raw: str = ""


@dataclass(frozen=True, slots=True)
class NluData:
    """Everything the project's NLU files say."""

    examples: tuple[NluExample, ...]
    synonyms: dict[str, str] = field(default_factory=dict)
    lookups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    regexes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    def entity_values(self, entity: str) -> dict[str, str]:
        """Every surface form of ``entity`` -> its canonical value.

        Gathers lookup-table entries, annotated example texts and synonyms
        whose canonical value is one of them.
        """
        forms: dict[str, str] = {}
        for value in self.lookups.get(entity, ()):
            forms[value.lower()] = value
        for example in self.examples:
            for span in example.entities:
                if span.entity == entity:
                    forms[span.text.lower()] = span.value
                    forms[span.value.lower()] = span.value
        canonical = set(forms.values())
        for surface, value in self.synonyms.items():
            if value in canonical:
                forms[surface.lower()] = value
        return forms


def parse_example(raw: str, intent: str) -> NluExample:
    """Strip the entity annotations from one example line."""
    text_parts: list[str] = []
    spans: list[EntitySpan] = []
    pos = 0
    length = 0
    for match in _ANNOTATION_RE.finditer(raw):
        before = raw[pos : match.start()]
        text_parts.append(before)
        length += len(before)
        surface = match.group("text")
        if match.group("short") is not None:
            entity, _, value = match.group("short").partition(":")
            value = value or surface
        else:
            try:
                spec = json.loads(match.group("json"))
            except json.JSONDecodeError as exc:
                raise NluError(f"bad entity annotation in example {raw!r}") from exc
            entity = str(spec["entity"])
            value = str(spec.get("value", surface))
        spans.append(EntitySpan(entity, length, length + len(surface), surface, value))
        text_parts.append(surface)
        length += len(surface)
        pos = match.end()
    text_parts.append(raw[pos:])
    return NluExample("".join(text_parts), intent, tuple(spans), raw)


def _examples_block(block: str) -> list[str]:
    lines = []
    for line in block.splitlines():
        line = line.strip()
        if line.startswith("- "):
            lines.append(line[2:].strip())
    return lines


def load_nlu_data(project_dir: Path = PROJECT_DIR) -> NluData:
    """Read every YAML file under ``project_dir/data`` that has an ``nlu`` key."""
    data_dir = project_dir / "data"
    files = sorted(data_dir.rglob("*.yml")) + sorted(data_dir.rglob("*.yaml"))
    if not files:
        raise NluError(f"no NLU data found under {data_dir}")
    return load_nlu_files(files, str(data_dir))


HELDOUT_FILE = heldout_file(DEFAULT_LANGUAGE)
"""Caller phrasings written apart from the training data, never trained on."""


def load_heldout(path: Path = HELDOUT_FILE, project_dir: Path = PROJECT_DIR) -> NluData:
    """A held-out test set (Rasa NLU format), with the project's synonyms and lookups."""
    project = load_nlu_data(project_dir)
    held = load_nlu_files([path], str(path))
    return NluData(held.examples, project.synonyms, project.lookups, project.regexes)


def load_nlu_files(files: list[Path], where: str) -> NluData:
    """Intent examples, synonyms, lookups and regexes from Rasa NLU YAML files."""
    examples: list[NluExample] = []
    synonyms: dict[str, str] = {}
    lookups: dict[str, list[str]] = defaultdict(list)
    regexes: dict[str, list[str]] = defaultdict(list)
    for path in files:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise NluError(f"cannot parse NLU file {path}") from exc
        for item in doc.get("nlu", []) or []:
            block = str(item.get("examples", ""))
            if "intent" in item:
                intent = str(item["intent"])
                examples.extend(parse_example(raw, intent) for raw in _examples_block(block))
            elif "synonym" in item:
                for surface in _examples_block(block):
                    synonyms[surface] = str(item["synonym"])
            elif "lookup" in item:
                lookups[str(item["lookup"])].extend(_examples_block(block))
            elif "regex" in item:
                regexes[str(item["regex"])].extend(_examples_block(block))
    if not examples:
        raise NluError(f"no intent examples found in {where}")
    return NluData(
        tuple(examples),
        synonyms,
        {k: tuple(v) for k, v in lookups.items()},
        {k: tuple(v) for k, v in regexes.items()},
    )


def split_data(
    data: NluData, test_fraction: float = 0.25, seed: int = 42
) -> tuple[NluData, NluData]:
    """Stratified train/test split, the same for both engines (fixed seed)."""
    rng = random.Random(seed)
    by_intent: dict[str, list[NluExample]] = defaultdict(list)
    for example in data.examples:
        by_intent[example.intent].append(example)
    train: list[NluExample] = []
    test: list[NluExample] = []
    for intent in sorted(by_intent):
        items = list(by_intent[intent])
        rng.shuffle(items)
        n_test = max(1, round(len(items) * test_fraction))
        test.extend(items[:n_test])
        train.extend(items[n_test:])
    return (
        NluData(tuple(train), data.synonyms, data.lookups, data.regexes),
        NluData(tuple(test), data.synonyms, data.lookups, data.regexes),
    )


def write_project(data: NluData, target_dir: Path, template_dir: Path = PROJECT_DIR) -> Path:
    """Write ``data`` as a Rasa project (config and domain from ``template_dir``)."""
    target_dir.mkdir(parents=True, exist_ok=True)
    for name in ("config.yml", "domain.yml"):
        shutil.copyfile(template_dir / name, target_dir / name)
    lines = ['version: "3.1"', "", "nlu:"]
    by_intent: dict[str, list[str]] = defaultdict(list)
    for example in data.examples:
        by_intent[example.intent].append(example.raw or example.text)
    for intent, raws in by_intent.items():
        lines += [f"- intent: {intent}", "  examples: |"] + [f"    - {r}" for r in raws]
    by_value: dict[str, list[str]] = defaultdict(list)
    for surface, value in data.synonyms.items():
        by_value[value].append(surface)
    for value, surfaces in by_value.items():
        lines += [f"- synonym: {value}", "  examples: |"] + [f"    - {s}" for s in surfaces]
    for name, entries in data.lookups.items():
        lines += [f"- lookup: {name}", "  examples: |"] + [f"    - {e}" for e in entries]
    for name, patterns in data.regexes.items():
        lines += [f"- regex: {name}", "  examples: |"] + [f"    - {p}" for p in patterns]
    (target_dir / "data").mkdir(exist_ok=True)
    (target_dir / "data" / "nlu.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target_dir


def project_hash(project_dir: Path = PROJECT_DIR) -> str:
    """A short content hash of the files Rasa trains from (config, domain, data)."""
    digest = hashlib.sha256()
    files = [project_dir / "config.yml", project_dir / "domain.yml"]
    files += sorted(p for p in (project_dir / "data").rglob("*") if p.is_file())
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(project_dir).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()[:16]
