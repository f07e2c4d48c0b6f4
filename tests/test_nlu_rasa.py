"""Rasa as a service: a real server trained from the shipped data, and fail-over.

The tests marked ``rasa`` need Rasa's own venv (``spillway nlu install``, run by
the test script before pytest); they train once (cached by the project hash)
and start one supervised server on a free loopback port for the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.backends.demo_data import seed_demo
from bot.backends.local import local_backends
from bot.dialogue.inputs import TextTurn
from bot.dialogue.machine import Dialogue, DialogueConfig
from bot.dialogue.result import Outcome
from bot.nlu.data import load_nlu_data
from bot.nlu.engine import NluEngine, NluEngineConfig
from bot.nlu.evaluation import free_loopback_port
from bot.nlu.fallback import FallbackNlu
from bot.nlu.rasa_client import RasaClient, intent_from_parse
from bot.nlu.rasa_service import RasaInstall, RasaServer, train_model
from spillway.errors import NluError
from spillway.storage import AsyncStore, SqliteStore


@pytest.fixture(scope="module")
def fallback() -> FallbackNlu:
    return FallbackNlu.train(load_nlu_data())


# --- no Rasa needed --------------------------------------------------------


def test_rasa_fallback_intent_is_reported_as_out_of_scope() -> None:
    body = {
        "intent": {"name": "nlu_fallback", "confidence": 0.4},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.4},
            {"name": "goodbye", "confidence": 0.21},
        ],
        "entities": [{"entity": "product", "value": "grey sofa"}],
    }
    got = intent_from_parse(body, "hmm")
    assert (got.name, got.confidence, got.entities, got.engine) == (
        "out_of_scope",
        0.21,
        {"product": "grey sofa"},
        "rasa",
    )


async def test_slow_rasa_times_out_to_the_fallback(fallback: FallbackNlu) -> None:
    """A peer that accepts and never answers is treated like a dead Rasa."""
    held: list[asyncio.StreamWriter] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read(65536)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    engine = NluEngine(
        fallback,
        RasaClient(f"http://127.0.0.1:{port}", timeout_ms=200),
        NluEngineConfig(retry_after_s=60),
    )
    try:
        started = time.monotonic()
        got = await engine.parse("what time do you open tomorrow")
        elapsed = time.monotonic() - started
        assert (got.name, got.engine) == ("opening_hours", "fallback")
        assert elapsed < 2.0
        # Within the back-off Rasa is not asked at all.
        assert engine.active_engine == "fallback"
    finally:
        await engine.aclose()
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


# --- a real Rasa server -----------------------------------------------------


@pytest.fixture(scope="session")
def rasa_install() -> RasaInstall:
    install = RasaInstall()
    if not install.is_installed():
        pytest.skip(f"Rasa venv missing at {install.venv_dir}; run `spillway nlu install`")
    return install


@pytest.fixture(scope="session")
def rasa_model(rasa_install: RasaInstall) -> Path:
    path, _ = train_model(rasa_install)
    return path


class Supervised:
    def __init__(self, server: RasaServer, task: asyncio.Task[None], stop: asyncio.Event):
        self.server = server
        self.task = task
        self.stop = stop


async def _wait_status(url: str, timeout_s: float = 180.0) -> None:
    client = RasaClient(url, timeout_ms=2000)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            with contextlib.suppress(NluError):
                await client.status()
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"Rasa at {url} not ready after {timeout_s}s")
            await asyncio.sleep(0.5)
    finally:
        await client.aclose()


async def _wait_restarted(server: RasaServer, restarts: int, old_pid: int) -> None:
    """Wait until the supervisor has counted the death and a new Rasa answers."""
    # A restart that fails and is retried counts too, hence ">" rather than "== +1".
    async with asyncio.timeout(240):
        while server.restarts <= restarts or server.pid in (None, old_pid):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    await _wait_status(server.url)
    assert server.restarts > restarts


@pytest.fixture(scope="session")
async def rasa_service(rasa_install: RasaInstall, rasa_model: Path) -> AsyncIterator[Supervised]:
    server = RasaServer(rasa_install, rasa_model, port=free_loopback_port())
    stop = asyncio.Event()
    task = asyncio.create_task(server.supervise(stop))
    try:
        await _wait_status(server.url)
        yield Supervised(server, task, stop)
    finally:
        stop.set()
        await task
    assert not server.running


@pytest.mark.rasa
async def test_rasa_parses_over_http(rasa_service: Supervised) -> None:
    client = RasaClient(rasa_service.server.url, timeout_ms=5000)
    try:
        status = await client.status()
        assert status["model_file"] == rasa_service.server.model_path.name
        got = await client.parse("have you got the red kettle in stock")
        assert (got.name, got.engine) == ("stock_check", "rasa")
        assert got.confidence > 0.5
        assert got.entities.get("product") == "red kettle"
    finally:
        await client.aclose()


@pytest.mark.rasa
async def test_engine_uses_rasa_and_normalises_entities(
    rasa_service: Supervised, fallback: FallbackNlu
) -> None:
    engine = NluEngine(fallback, RasaClient(rasa_service.server.url, timeout_ms=3000))
    try:
        got = await engine.parse("yeah hi i'm calling about order five five eight two one")
        assert (got.name, got.engine) == ("order_status", "rasa")
        assert got.entities["order_number"] == "55821"
        got = await engine.parse("do you have the leather boots in a size eight")
        assert (got.name, got.entities) == ("stock_check", {"product": "leather boots"})
        got = await engine.parse("")
        assert got.name == "out_of_scope"
        got = await engine.parse("'; DROP TABLE orders; -- " * 400)
        assert got.name == "out_of_scope" or got.confidence < 0.9
    finally:
        await engine.aclose()


@pytest.mark.rasa
async def test_rasa_dies_engine_falls_back_then_switches_back(
    rasa_service: Supervised, fallback: FallbackNlu
) -> None:
    server = rasa_service.server
    engine = NluEngine(
        fallback,
        RasaClient(server.url, timeout_ms=3000),
        NluEngineConfig(retry_after_s=1.0),
    )
    utterance = "can somebody call me back this afternoon"
    try:
        assert (await engine.parse(utterance)).engine == "rasa"
        restarts = server.restarts
        pid = server.pid
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)  # Rasa dies mid-session

        got = await engine.parse(utterance)
        assert (got.name, got.engine) == ("callback_request", "fallback")

        # The supervisor notices and starts a new Rasa; once it answers and the
        # back-off has passed, the engine is back on Rasa without being told.
        await _wait_restarted(server, restarts, pid)
        await asyncio.sleep(1.1)
        got = await engine.parse(utterance)
        assert (got.name, got.engine) == ("callback_request", "rasa")
    finally:
        await engine.aclose()


@pytest.mark.rasa
async def test_conversation_completes_when_rasa_dies_mid_call(
    rasa_service: Supervised, fallback: FallbackNlu, store: SqliteStore
) -> None:
    """Rasa is killed between two caller turns; the fallback carries the call to its end."""
    server = rasa_service.server
    now = 1_750_000_000.0
    seed_demo(store, now)
    db = AsyncStore(store)
    engine = NluEngine(
        fallback, RasaClient(server.url, timeout_ms=3000), NluEngineConfig(retry_after_s=30.0)
    )
    dialogue = Dialogue(
        engine,
        local_backends(db, clock=lambda: now),
        DialogueConfig(),
        # The number on order 10042: its own customer hears the carrier (disclosure.py).
        caller_id="+4520123456",
        call_id="rasa-dies",
        clock=lambda: now,
    )
    try:
        await dialogue.start()
        await dialogue.handle(TextTurn("hi where is my order"))
        first = dialogue.turns[-1].intent
        assert first is not None and (first.name, first.engine) == ("order_status", "rasa")

        restarts, pid = server.restarts, server.pid
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)  # Rasa dies in the middle of the call

        for text in ("it is one zero zero four two", "yes that is right", "no thanks goodbye"):
            await dialogue.handle(TextTurn(text))
        engines = [t.intent.engine for t in dialogue.turns[1:] if t.intent is not None]
        assert engines and set(engines) == {"fallback"}
        status = " ".join(t.reply.text for t in dialogue.turns)
        assert "GLS" in status and "tomorrow" in status
        assert dialogue.result is not None and dialogue.result.outcome is Outcome.RESOLVED
    finally:
        await engine.aclose()
        db.close()
    await _wait_restarted(server, restarts, pid)  # leave the service as we found it


async def test_a_taken_port_is_refused_before_a_second_rasa_loads(tmp_path: Path) -> None:
    """Another `nlu serve` (or anything) on the port: a clear error, no Rasa spawned.

    Spawning one anyway loaded a model for half a minute, failed to bind, and,
    because the other server answered /status, looked ready: restarted forever.
    """

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    squatter = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = squatter.sockets[0].getsockname()[1]
    server = RasaServer(RasaInstall(cache_dir=tmp_path), tmp_path / "no-model.tar.gz", port=port)
    try:
        assert await server.port_taken()
        with pytest.raises(NluError, match="already listens"):
            await asyncio.wait_for(server.supervise(asyncio.Event()), 10)
        assert server.pid is None and server.restarts == 0
    finally:
        squatter.close()
        await squatter.wait_closed()
    assert not await server.port_taken()
