"""Held-out evaluation of both NLU engines on one fixed split of the Rasa data.

The split is stratified per intent with a fixed seed (``bot.nlu.data``). The
fallback classifier is trained in-process on the train part; Rasa gets the
train part written as its own project, trains in its venv (cached by hash) and
is asked over HTTP, exactly as the bot asks it. Both are scored on their raw
top intent (Rasa's ``nlu_fallback`` counts as ``out_of_scope``), without the
engine's confidence threshold, so the numbers compare the classifiers.

Test lines with an annotated ``order_number`` are also scored on the number the
bot ends up with (``NluEngine``: the engine's entities, read by the pack's
spoken-number grammar): right only when every digit is.
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass, replace
from pathlib import Path

from sklearn.metrics import precision_recall_fscore_support

from bot.nlu.data import (
    DEFAULT_LANGUAGE,
    PROJECT_DIR,
    NluData,
    load_nlu_data,
    project_dir,
    split_data,
    write_project,
)
from bot.nlu.engine import NluEngine
from bot.nlu.fallback import FallbackNlu, clean_text
from bot.nlu.rasa_client import RasaClient
from bot.nlu.rasa_service import RasaInstall, RasaServer, train_model

RASA_READY_TIMEOUT_S = 600.0


@dataclass(frozen=True, slots=True)
class IntentScore:
    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class EngineReport:
    engine: str
    accuracy: float
    per_intent: tuple[IntentScore, ...]
    n_train: int
    n_test: int
    train_s: float
    mean_parse_ms: float
    order_numbers: int = 0
    """Test lines with an annotated order number."""
    order_numbers_right: int = 0

    @property
    def order_number_accuracy(self) -> float | None:
        return self.order_numbers_right / self.order_numbers if self.order_numbers else None


def order_number_golds(test: NluData) -> list[tuple[str, str]]:
    """(text, digits) of every test line that names an order number."""
    return [
        (e.text, span.value)
        for e in test.examples
        for span in e.entities
        if span.entity == "order_number"
    ]


async def order_numbers_right(engine: NluEngine, golds: list[tuple[str, str]]) -> int:
    """How many of ``golds`` the engine reads to exactly their digits."""
    right = 0
    for text, digits in golds:
        right += (await engine.parse(text)).entities.get("order_number") == digits
    return right


def score(engine: str, gold: list[str], predicted: list[str], **timing: float) -> EngineReport:
    labels = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, zero_division=0
    )
    rows = tuple(
        IntentScore(label, float(p), float(r), float(f), int(s))
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    )
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / max(len(gold), 1)
    return EngineReport(
        engine=engine,
        accuracy=accuracy,
        per_intent=rows,
        n_train=int(timing.get("n_train", 0)),
        n_test=len(gold),
        train_s=timing.get("train_s", 0.0),
        mean_parse_ms=timing.get("mean_parse_ms", 0.0),
    )


def evaluate_fallback(
    train: NluData, test: NluData, seed: int = 42, language: str = DEFAULT_LANGUAGE
) -> EngineReport:
    started = time.perf_counter()
    model = FallbackNlu.train(train, seed=seed, language=language)
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    predicted = [model.classify(clean_text(e.text))[0] for e in test.examples]
    parse_ms = (time.perf_counter() - started) * 1000 / max(len(test.examples), 1)
    gold = [e.intent for e in test.examples]
    golds = order_number_golds(test)
    right = asyncio.run(order_numbers_right(NluEngine(model), golds)) if golds else 0
    report = score(
        "fallback",
        gold,
        predicted,
        n_train=len(train.examples),
        train_s=train_s,
        mean_parse_ms=parse_ms,
    )
    return replace(report, order_numbers=len(golds), order_numbers_right=right)


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def evaluate_rasa(
    train: NluData,
    test: NluData,
    install: RasaInstall,
    work_dir: Path | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> EngineReport:
    """Train Rasa on ``train`` (cached by content hash), parse ``test`` over HTTP.

    The pipeline (config, domain) is ``language``'s pack's."""
    work_dir = work_dir or install.cache_dir / "rasa-eval"
    if language != DEFAULT_LANGUAGE:
        work_dir = work_dir.with_name(f"{work_dir.name}-{language}")
    project = write_project(train, work_dir / "project", project_dir(language))
    started = time.perf_counter()
    model_path, _ = await asyncio.to_thread(train_model, install, project, work_dir / "models")
    train_s = time.perf_counter() - started
    server = RasaServer(install, model_path, port=free_loopback_port())
    server.start()
    try:
        # Loading a model takes minutes on a busy machine; an evaluation can wait.
        await server.wait_ready(RASA_READY_TIMEOUT_S)
        client = RasaClient(server.url, timeout_ms=10_000)
        try:
            started = time.perf_counter()
            predicted = [(await client.parse(clean_text(e.text))).name for e in test.examples]
            parse_ms = (time.perf_counter() - started) * 1000 / max(len(test.examples), 1)
            golds = order_number_golds(test)
            engine = NluEngine(FallbackNlu.train(train, language=language), client)
            right = await order_numbers_right(engine, golds) if golds else 0
        finally:
            await client.aclose()
    finally:
        await asyncio.to_thread(server.stop)
    gold = [e.intent for e in test.examples]
    report = score(
        "rasa",
        gold,
        predicted,
        n_train=len(train.examples),
        train_s=train_s,
        mean_parse_ms=parse_ms,
    )
    return replace(report, order_numbers=len(golds), order_numbers_right=right)


def default_split(
    project_dir: Path = PROJECT_DIR, test_fraction: float = 0.25, seed: int = 42
) -> tuple[NluData, NluData]:
    return split_data(load_nlu_data(project_dir), test_fraction, seed)
