"""Held-out evaluation of both NLU engines on one fixed split of the Rasa data.

The split is stratified per intent with a fixed seed (``bot.nlu.data``). The
fallback classifier is trained in-process on the train part; Rasa gets the
train part written as its own project, trains in its venv (cached by hash) and
is asked over HTTP, exactly as the bot asks it. Both are scored on their raw
top intent (Rasa's ``nlu_fallback`` counts as ``out_of_scope``), without the
engine's confidence threshold, so the numbers compare the classifiers.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import precision_recall_fscore_support

from bot.nlu.data import PROJECT_DIR, NluData, load_nlu_data, split_data, write_project
from bot.nlu.fallback import FallbackNlu, clean_text
from bot.nlu.rasa_client import RasaClient
from bot.nlu.rasa_service import RasaInstall, RasaServer, train_model


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


def evaluate_fallback(train: NluData, test: NluData, seed: int = 42) -> EngineReport:
    started = time.perf_counter()
    model = FallbackNlu.train(train, seed=seed)
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    predicted = [model.classify(clean_text(e.text))[0] for e in test.examples]
    parse_ms = (time.perf_counter() - started) * 1000 / max(len(test.examples), 1)
    gold = [e.intent for e in test.examples]
    return score(
        "fallback",
        gold,
        predicted,
        n_train=len(train.examples),
        train_s=train_s,
        mean_parse_ms=parse_ms,
    )


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def evaluate_rasa(
    train: NluData, test: NluData, install: RasaInstall, work_dir: Path | None = None
) -> EngineReport:
    """Train Rasa on ``train`` (cached by content hash), parse ``test`` over HTTP."""
    import asyncio

    work_dir = work_dir or install.cache_dir / "rasa-eval"
    project = write_project(train, work_dir / "project")
    started = time.perf_counter()
    model_path, _ = await asyncio.to_thread(train_model, install, project, work_dir / "models")
    train_s = time.perf_counter() - started
    server = RasaServer(install, model_path, port=free_loopback_port())
    server.start()
    try:
        await server.wait_ready()
        client = RasaClient(server.url, timeout_ms=10_000)
        try:
            started = time.perf_counter()
            predicted = [(await client.parse(clean_text(e.text))).name for e in test.examples]
            parse_ms = (time.perf_counter() - started) * 1000 / max(len(test.examples), 1)
        finally:
            await client.aclose()
    finally:
        await asyncio.to_thread(server.stop)
    gold = [e.intent for e in test.examples]
    return score(
        "rasa",
        gold,
        predicted,
        n_train=len(train.examples),
        train_s=train_s,
        mean_parse_ms=parse_ms,
    )


def default_split(
    project_dir: Path = PROJECT_DIR, test_fraction: float = 0.25, seed: int = 42
) -> tuple[NluData, NluData]:
    return split_data(load_nlu_data(project_dir), test_fraction, seed)
