"""The in-process fallback intent classifier (scikit-learn) and entity finder.

Used when the Rasa service is unreachable or too slow. It learns from the same
Rasa YAML as Rasa (via ``bot.nlu.data``): TF-IDF over word 1-2-grams and
character 2-5-grams, then a logistic regression. Its confidence is calibrated
by temperature scaling (Platt scaling for many classes: one divisor of the
logits), fitted on out-of-fold predictions of the training data, so that
"0.8" means right about 8 times in 10 (the reliability table is in
docs/PERFORMANCE.md, h2-bot-understanding). Entities come from rules:
order numbers from spoken-digit normalisation, products from the lookup
table, annotated examples and synonyms in the data.

Training (with its five calibration folds) takes 12-13 s of CPU (26 s on an
admin's busy machine), so the model is built at start-up and passed in
explicitly; nothing here is module-global.
``bot.nlu.fallback_cache`` keeps the fitted pipeline on disk, keyed by a
:class:`TrainingPlan`, so a start after the first loads it instead.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, Pipeline

from bot.nlu.data import DEFAULT_LANGUAGE, NluData
from bot.nlu.intents import Intent
from bot.nlu.spoken_numbers import NumberGrammar, find_numbers, number_grammar
from bot.types import ParsedIntent

log = logging.getLogger(__name__)
OUT_OF_SCOPE = Intent.OUT_OF_SCOPE
MAX_INPUT_CHARS = 500
"""Longer input is truncated: no caller says more than this in one turn."""

# Danish letters are letters: "rød", "få", "løbesko" (no English line has them).
_CLEAN_RE = re.compile(r"[^a-z0-9æøåéü' ]+")
_SPACES_RE = re.compile(r"\s+")
_DIGITS_RE = re.compile(r"\d+")


def clean_text(text: str, max_chars: int = MAX_INPUT_CHARS) -> str:
    """Lower-case, keep letters/digits/apostrophes, squeeze spaces, truncate."""
    text = text[: max_chars * 2].lower()
    text = _CLEAN_RE.sub(" ", text)
    return _SPACES_RE.sub(" ", text).strip()[:max_chars].strip()


def _features_text(text: str, grammar: NumberGrammar) -> str:
    """Number runs become one token so that any order number looks the same."""
    out: list[str] = []
    last = 0
    for span in find_numbers(text, grammar):
        out.append(text[last : span.start])
        out.append(" num " if len(span.digits) >= 4 else span.text)
        last = span.end
    out.append(text[last:])
    return _DIGITS_RE.sub("num", "".join(out))


@dataclass(frozen=True, slots=True)
class EntityRules:
    """Rule-based entity extraction learned from the NLU data."""

    products: dict[str, str]
    """Surface form (lower case) -> canonical product name."""
    grammar: NumberGrammar
    """The pack's spoken numbers."""
    min_order_digits: int = 4
    max_order_digits: int = 12

    @classmethod
    def from_data(cls, data: NluData, language: str = DEFAULT_LANGUAGE) -> EntityRules:
        return cls(products=data.entity_values("product"), grammar=number_grammar(language))

    def extract(self, text: str) -> dict[str, str]:
        """Find ``order_number`` and ``product`` in cleaned text."""
        entities: dict[str, str] = {}
        for span in find_numbers(text, self.grammar):
            if self.min_order_digits <= len(span.digits) <= self.max_order_digits:
                entities["order_number"] = span.digits
                break
        product = self.find_product(text)
        if product is not None:
            entities["product"] = product
        return entities

    def find_product(self, text: str) -> str | None:
        best: tuple[int, int, str] | None = None  # (-length, start, value)
        for surface, value in self.products.items():
            for match in re.finditer(rf"\b{re.escape(surface)}\b", text):
                key = (-len(surface), match.start(), value)
                if best is None or key < best:
                    best = key
        return best[2] if best else None

    def canonical_product(self, value: str) -> str:
        return self.products.get(value.lower(), value)


CALIBRATION_FOLDS = 5


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The divisor of ``logits`` that minimises the log-loss of ``labels`` (class indices)."""

    def nll(temperature: float) -> float:
        scaled = log_softmax(logits / temperature, axis=1)
        return float(-scaled[np.arange(len(labels)), labels].mean())

    return float(minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded").x)


def class_logits(decision: np.ndarray) -> np.ndarray:
    """One column of logits per class. With two classes a logistic regression gives one
    decision value ``d`` per example (the log-odds of the second class): its columns are
    ``[0, d]``, whose softmax is the regression's own probabilities."""
    decision = np.asarray(decision, dtype=float)
    if decision.ndim == 2:
        return decision
    return np.column_stack([np.zeros_like(decision), decision])


def calibration_folds(labels: list[str]) -> int:
    """How many folds the calibration can have: CALIBRATION_FOLDS, fewer when the rarest
    intent has fewer examples than that (each fold needs one of each); 0: none possible
    (an intent with a single example, or a single intent)."""
    counts = Counter(labels)
    if len(counts) < 2:
        return 0
    folds = min(CALIBRATION_FOLDS, min(counts.values()))
    return folds if folds >= 2 else 0


def _calibrate(pipeline: Pipeline, texts: list[str], labels: list[str], seed: int) -> float:
    """The temperature from out-of-fold logits: each example scored by a model
    that never saw it, the noise and mumbling lines of the data included.

    With too few examples for two folds the confidences stay uncalibrated
    (temperature 1), and the log says so: nothing to learn the temperature from."""
    n_folds = calibration_folds(labels)
    if n_folds == 0:
        rarest = min(Counter(labels).items(), key=lambda kv: kv[1], default=("-", 0))
        log.warning(
            "fallback NLU: confidences left uncalibrated (temperature 1): the intent %r has "
            "%d example(s), and calibration needs at least 2 of each of at least 2 intents",
            rarest[0],
            rarest[1],
        )
        return 1.0
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    logits = cross_val_predict(clone(pipeline), texts, labels, cv=folds, method="decision_function")
    classes = sorted(set(labels))
    index = np.array([classes.index(label) for label in labels])
    return fit_temperature(class_logits(np.asarray(logits)), index)


def new_pipeline(seed: int) -> Pipeline:
    """The unfitted classifier: word and character TF-IDF, then a logistic regression."""
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                        (
                            "chars",
                            TfidfVectorizer(
                                analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True
                            ),
                        ),
                    ]
                ),
            ),
            ("clf", LogisticRegression(C=20.0, max_iter=2000, random_state=seed)),
        ]
    )


@dataclass(frozen=True, slots=True)
class TrainingPlan:
    """Everything a fit depends on, before the fit: the feature texts, their labels,
    the rules and the unfitted pipeline (``bot.nlu.fallback_cache`` hashes it)."""

    texts: list[str]
    labels: list[str]
    rules: EntityRules
    pipeline: Pipeline
    seed: int
    max_chars: int

    @classmethod
    def of(cls, data: NluData, *, seed: int, max_chars: int, language: str) -> TrainingPlan:
        rules = EntityRules.from_data(data, language)
        texts = [
            _features_text(clean_text(e.text, max_chars), rules.grammar) for e in data.examples
        ]
        labels = [e.intent for e in data.examples]
        return cls(texts, labels, rules, new_pipeline(seed), seed, max_chars)

    def fit(self) -> tuple[Pipeline, float]:
        """A fitted copy of the pipeline and its calibrated temperature (seconds of CPU)."""
        pipeline = clone(self.pipeline)
        temperature = _calibrate(pipeline, self.texts, self.labels, self.seed)
        pipeline.fit(self.texts, self.labels)
        return pipeline, temperature

    def model(self, pipeline: Pipeline, temperature: float) -> FallbackNlu:
        """The classifier from a fitted ``pipeline`` (fresh or loaded from the cache)."""
        return FallbackNlu(pipeline, self.rules, self.max_chars, temperature)


class FallbackNlu:
    """TF-IDF + logistic regression intents (calibrated), rule-based entities."""

    engine_name = "fallback"

    def __init__(
        self, pipeline: Pipeline, rules: EntityRules, max_chars: int, temperature: float = 1.0
    ) -> None:
        self._pipeline = pipeline
        self.temperature = temperature
        self.rules = rules
        self.max_chars = max_chars
        words: TfidfVectorizer = pipeline.named_steps["features"].transformer_list[0][1]
        self._vocabulary = frozenset(words.vocabulary_)

    @classmethod
    def train(
        cls,
        data: NluData,
        *,
        seed: int = 42,
        max_chars: int = MAX_INPUT_CHARS,
        language: str = DEFAULT_LANGUAGE,
    ) -> FallbackNlu:
        """Learn ``data`` (the pack of ``language``: its numbers are read by its grammar)."""
        plan = TrainingPlan.of(data, seed=seed, max_chars=max_chars, language=language)
        pipeline, temperature = plan.fit()
        return plan.model(pipeline, temperature)

    @property
    def intents(self) -> list[str]:
        return [str(c) for c in self._pipeline.classes_]

    def classify(self, text: str) -> tuple[str, float]:
        """The most likely intent of cleaned ``text`` and its probability."""
        features = _features_text(text, self.rules.grammar)
        # Text without one known word (noise, a foreign language, a wall of
        # "x") would still get a confident-looking guess from the char n-grams.
        if not any(word in self._vocabulary for word in features.split()):
            return OUT_OF_SCOPE, 0.0
        probs = self.probabilities(features)
        best = int(np.argmax(probs))
        return str(self._pipeline.classes_[best]), float(probs[best])

    def probabilities(self, features: str) -> np.ndarray:
        """Calibrated class probabilities (in the order of :attr:`intents`)."""
        logits = class_logits(np.asarray(self._pipeline.decision_function([features])))[0]
        return np.asarray(softmax(logits / self.temperature))

    def parse(self, text: str) -> ParsedIntent:
        cleaned = clean_text(text, self.max_chars)
        name, confidence = self.classify(cleaned)
        return ParsedIntent(
            name=name,
            confidence=confidence,
            entities=self.rules.extract(cleaned) if cleaned else {},
            engine=self.engine_name,
            text=cleaned,
        )
