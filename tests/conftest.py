"""Shared fixtures: isolated settings, a real SQLite store, and the sandbox Asterisk.

The session-scoped ``pbx`` fixture starts a sandbox Asterisk instance of its
own (own folder inside the shared sid root, free loopback ports), so the
tests never touch a sandbox the developer has running for the demo.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from bot.speech.piper_tts import PiperTts
import pytest_asyncio

# Isolate every test from the developer's secrets, data and config files.
_SESSION_TMP = Path(tempfile.mkdtemp(prefix="spillway-tests-"))
os.environ["SPILLWAY_SECRETS_FILE"] = str(_SESSION_TMP / "secrets.env")
os.environ["SPILLWAY_DATA"] = str(_SESSION_TMP / "data")
# The checkout's example configuration, named explicitly: Spillway never reads a
# file from the current folder, and /etc or ~/.config must not leak in.
os.environ["SPILLWAY_CONFIG"] = str(
    Path(__file__).resolve().parent.parent / "configs" / "spillway.yaml"
)
for _name in list(os.environ):
    if _name.startswith("SPILLWAY_") and "__" in _name:
        del os.environ[_name]

from dialplan.sandbox import Sandbox, throwaway_settings  # noqa: E402
from spillway.ami import AmiClient  # noqa: E402
from spillway.settings import Settings  # noqa: E402
from spillway.storage import SqliteStore  # noqa: E402

# Shared fixtures: the dialogue tests' (the demo shop, the language put back) and the
# console page tests' (a seeded scratch database).
pytest_plugins = ("tests.dialogue_fixtures", "tests.console_fixtures")


def make_settings(**sections: dict[str, Any]) -> Settings:
    """Settings from explicit sections only (no YAML file is read)."""
    return Settings(**sections)  # type: ignore[arg-type]


# A real trunk's dial string and the shop's own caller ID: host mode refuses the sandbox's.
HOST_DIAL_STRING = "PJSIP/{e164}@trunk"
HOST_CALLER_ID = "Spillway <+4532123456>"


def host_settings(
    *,
    pbx: dict[str, Any] | None = None,
    callbacks: dict[str, Any] | None = None,
    **sections: dict[str, Any],
) -> Settings:
    """Host-mode settings (``pbx.mode: host``, a trunk's dial string, the shop's caller ID),
    plus ``sections``."""
    return make_settings(
        pbx={"mode": "host", **(pbx or {})},
        callbacks={
            "dial_string": HOST_DIAL_STRING,
            "caller_id": HOST_CALLER_ID,
            **(callbacks or {}),
        },
        **sections,
    )


def unreachable_ami_settings(tmp_path: Path, spool: Path) -> Settings:
    """Host mode with AMI on a port nothing listens on: `scheduler run` polls its spool
    and its database every 0.1 s, and never dials."""
    return host_settings(
        pbx={"ami_port": 1, "ami_secret": "x"},
        callbacks={"spool_dir": str(spool), "poll_interval_s": 0.1},
        paths={"cache_dir": str(tmp_path / "c"), "data_dir": str(tmp_path / "d")},
    )


@pytest.fixture(scope="session")
def joe_tts() -> Iterator[PiperTts]:
    """Piper en_US-joe-medium at 8 kHz, loaded once for the tests that need English speech."""
    pytest.importorskip("piper")
    from bot.speech.piper_tts import PiperTts, VoiceFiles
    from models.discover import require_model

    voice = require_model("en_US-joe-medium")
    tts = PiperTts.load(VoiceFiles.from_model(voice.path / "en_US-joe-medium.onnx"))
    yield tts
    tts.close()


@pytest.fixture(autouse=True)
def _spoken_language_restored() -> Iterator[None]:
    """The bot's spoken pack is process-wide (a bot built for a Danish shop switches it):
    every test starts in the default language, whatever ran before it."""
    from bot.dialogue.prompts import active_pack, use_language
    from spillway.language_pack import DEFAULT_LANGUAGE

    yield
    if active_pack().code != DEFAULT_LANGUAGE:
        use_language(DEFAULT_LANGUAGE)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[Any]]]:
    """The processes a test starts (stand-ins for a server it stops), killed after it."""
    processes: list[subprocess.Popen[Any]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def gone(process: subprocess.Popen[Any], within_s: float = 5.0) -> bool:
    """Whether ``process`` has exited within ``within_s``."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    db = SqliteStore(tmp_path / "test.db")
    db.migrate()
    yield db
    db.close()


@pytest.fixture(scope="session")
def pbx_settings() -> Settings:
    """Settings for the test sandbox: its own instance and free ports."""
    return throwaway_settings(
        f"t{os.getpid()}", storage={"sqlite_path": str(_SESSION_TMP / "pbx.db")}
    )


@dataclass
class PbxHandle:
    """A running sandbox Asterisk with a logged-in AMI client."""

    settings: Settings
    sandbox: Sandbox
    ami: AmiClient

    def cli(self, command: str) -> str:
        return self.sandbox.cli(command)

    async def originate(
        self,
        channel: str,
        *,
        application: str = "Wait",
        data: str = "10",
        variables: dict[str, str] | None = None,
        caller_id: str = "Test Caller <4520123456>",
    ) -> Any:
        """Originate ``channel`` (e.g. ``Local/s@spillway-selftest``) asynchronously."""
        action: dict[str, Any] = {
            "Action": "Originate",
            "Channel": channel,
            "Application": application,
            "Data": data,
            "CallerID": caller_id,
            "Async": "true",
        }
        if variables:
            action["Variable"] = [f"{k}={v}" for k, v in variables.items()]
        return await self.ami.action(action)

    async def reload_dialplan(self) -> None:
        """Re-render this instance's configuration and reload it."""
        self.sandbox.write_config()
        await self.ami.command("core reload")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def pbx(pbx_settings: Settings) -> AsyncIterator[PbxHandle]:
    """The sandbox Asterisk (built once into the cache), started for this session."""
    secret = pbx_settings.require_ami_secret()
    sandbox = Sandbox(pbx_settings, ami_secret=secret)
    await asyncio.to_thread(sandbox.build)
    sandbox.start()
    try:
        await sandbox.wait_ready(timeout_s=60)
        ami = await AmiClient.connect(sandbox.ami_endpoint())
        try:
            yield PbxHandle(pbx_settings, sandbox, ami)
        finally:
            await ami.close()
    finally:
        sandbox.remove()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throw-away PostgreSQL cluster for this test session (see tests/pg_cluster.py)."""
    from bench.pg_cluster import pg_bin, pg_cluster

    if pg_bin() is None:
        pytest.skip("PostgreSQL is not installed (./dev installs Debian's postgresql)")
    with pg_cluster() as dsn:
        yield dsn


@pytest.fixture
def pg_dsn(pg_server: str) -> str:
    """The DSN of a fresh, empty database for one test."""
    from bench.pg_cluster import new_database

    return new_database(pg_server)
