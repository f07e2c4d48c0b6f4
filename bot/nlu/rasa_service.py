"""Rasa as a separate service: its own venv, cached training, a supervised server.

Rasa 3.6 needs Python 3.8-3.10 and pins dozens of packages (TensorFlow among
them) that must never enter Spillway's own environment. So Rasa lives in its
own virtual environment under the cache directory and is only ever run as a
subprocess; Spillway talks to it over loopback HTTP (``bot.nlu.rasa_client``).

* ``RasaInstall.ensure()`` creates the venv idempotently: a marker file holds
  the pinned version, and a present marker means "reuse".
* ``train_model()`` trains an NLU-only model named after a hash of the project
  files, so re-training unchanged data is instant.
* ``RasaServer`` starts ``rasa run --enable-api`` on loopback, waits until
  ``/status`` answers, and ``supervise()`` restarts it when it dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot.nlu.data import PROJECT_DIR, project_hash
from spillway import paths
from spillway.errors import ModelError, NluError
from spillway.locks import file_lock

log = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"
DEFAULT_PYTHON = Path("/root/.pyenv/versions/3.10.13/bin/python3.10")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 15005
# pip >= 24.1 rejects some legacy version specifiers in Rasa 3.6's dependency
# tree; the pip inside the Rasa venv is pinned below that.
_PIP_PIN = "pip<24.1"
_MARKER = ".spillway-rasa-installed"


def default_cache_dir() -> Path:
    """``$SPILLWAY_CACHE`` or ``~/.cache/spillway``."""
    return paths.cache_dir()


def _tail(path: Path, n_chars: int = 1500) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-n_chars:]
    except OSError:
        return ""


@dataclass(frozen=True, slots=True)
class RasaInstall:
    """Where Rasa's venv lives and how to (re)create it."""

    cache_dir: Path = field(default_factory=default_cache_dir)
    python: Path = DEFAULT_PYTHON
    version: str = RASA_VERSION

    @property
    def venv_dir(self) -> Path:
        return self.cache_dir / "rasa-venv"

    @property
    def marker(self) -> Path:
        return self.venv_dir / _MARKER

    @property
    def rasa_bin(self) -> Path:
        return self.venv_dir / "bin" / "rasa"

    @property
    def log_dir(self) -> Path:
        return self.cache_dir / "rasa-logs"

    def is_installed(self) -> bool:
        if not self.marker.is_file() or not self.rasa_bin.is_file():
            return False
        return self.marker.read_text(encoding="utf-8").strip() == f"rasa=={self.version}"

    def env(self) -> dict[str, str]:
        """Environment for every Rasa subprocess: quiet, no telemetry."""
        env = dict(os.environ)
        env.update(
            {
                "RASA_TELEMETRY_ENABLED": "false",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                "PYTHONWARNINGS": "ignore",
                "VIRTUAL_ENV": str(self.venv_dir),
            }
        )
        env.pop("PYTHONPATH", None)
        env.pop("PYTHONHOME", None)
        return env

    def ensure(self) -> bool:
        """Install Rasa unless the marker says it is there. True if it installed.

        Blocking (minutes on first run); call it from a thread or the CLI.
        """
        if self.is_installed():
            return False
        with file_lock(self.cache_dir / "rasa-install.lock"):
            if self.is_installed():
                return False
            self._install()
        return True

    def _install(self) -> None:
        if not self.python.is_file():
            raise ModelError(
                f"Rasa {self.version} needs Python 3.8-3.10; {self.python} does not exist",
                hint="install Python 3.10 or pass its path",
            )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / "install.log"
        pip = [str(self.venv_dir / "bin" / "python"), "-m", "pip", "install"]
        steps = [
            [str(self.python), "-m", "venv", str(self.venv_dir)],
            [*pip, "--upgrade", _PIP_PIN, "setuptools<71", "wheel"],
            [*pip, f"rasa=={self.version}"],
        ]
        self.marker.unlink(missing_ok=True)
        started = time.monotonic()
        with log_path.open("a", encoding="utf-8") as out:
            for cmd in steps:
                log.info("rasa install: %s", " ".join(cmd))
                out.write(f"$ {' '.join(cmd)}\n")
                out.flush()
                result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
                if result.returncode != 0:
                    raise ModelError(
                        f"installing Rasa failed at: {' '.join(cmd)}",
                        hint=f"see {log_path}: {_tail(log_path, 400)!r}",
                    )
        if not self.rasa_bin.is_file():
            raise ModelError(f"Rasa installed but {self.rasa_bin} is missing")
        self.marker.write_text(f"rasa=={self.version}\n", encoding="utf-8")
        log.info("Rasa %s installed in %.0fs", self.version, time.monotonic() - started)


def model_path_for(project_dir: Path, models_dir: Path) -> Path:
    """The cache path of the model trained from ``project_dir`` as it is now."""
    return models_dir / f"nlu-{project_hash(project_dir)}.tar.gz"


def train_model(
    install: RasaInstall,
    project_dir: Path = PROJECT_DIR,
    models_dir: Path | None = None,
    *,
    force: bool = False,
) -> tuple[Path, bool]:
    """Train an NLU model unless one for these exact files exists.

    Returns the model path and whether it was trained now. Blocking.
    """
    models_dir = models_dir or install.cache_dir / "rasa-models"
    target = model_path_for(project_dir, models_dir)
    if target.is_file() and not force:
        return target, False
    if not install.is_installed():
        raise ModelError("Rasa is not installed", hint="run `spillway nlu install` first")
    with file_lock(models_dir / f"{target.name}.lock"):
        if target.is_file() and not force:
            return target, False
        work = models_dir / f"{target.name}.tmp"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        log_path = models_dir / f"{target.name}.log"
        cmd = [
            str(install.rasa_bin), "train", "nlu",
            "--config", str(project_dir / "config.yml"),
            "--domain", str(project_dir / "domain.yml"),
            "--nlu", str(project_dir / "data"),
            "--out", str(work),
            "--fixed-model-name", "model",
        ]  # fmt: skip
        with log_path.open("w", encoding="utf-8") as out:
            result = subprocess.run(
                cmd, stdout=out, stderr=subprocess.STDOUT, env=install.env(), cwd=work, check=False
            )
        trained = work / "model.tar.gz"
        if result.returncode != 0 or not trained.is_file():
            raise ModelError(
                f"rasa train nlu failed (exit {result.returncode})",
                hint=f"see {log_path}: {_tail(log_path, 400)!r}",
            )
        os.replace(trained, target)
        shutil.rmtree(work, ignore_errors=True)
    return target, True


class RasaServer:
    """One ``rasa run --enable-api`` process on loopback."""

    def __init__(
        self,
        install: RasaInstall,
        model_path: Path,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        log_path: Path | None = None,
    ) -> None:
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise NluError(f"Rasa must listen on loopback, not {host}")
        self.install = install
        self.model_path = model_path
        self.host = host
        self.port = port
        self.log_path = log_path or install.log_dir / f"server-{port}.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        """Spawn the server (returns at once; see ``wait_ready``)."""
        if self.running:
            return
        if not self.model_path.is_file():
            raise ModelError(f"Rasa model {self.model_path} does not exist")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [
            str(self.install.rasa_bin), "run", "--enable-api",
            "--model", str(self.model_path),
            "--interface", self.host, "--port", str(self.port),
        ]  # fmt: skip
        with self.log_path.open("ab") as out:
            self._proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.install.env(),
                cwd=self.model_path.parent,
                start_new_session=True,  # its own process group, stopped as one
            )
        log.info("started Rasa pid %s on %s", self._proc.pid, self.url)

    async def _status_ok(self, client: httpx.AsyncClient) -> bool:
        try:
            response = await client.get(f"{self.url}/status")
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and bool(response.json().get("model_file"))

    async def wait_ready(self, timeout_s: float = 120.0) -> float:
        """Wait until ``/status`` reports a model; returns seconds waited.

        Polls on the event loop rather than in a worker thread: a busy default
        executor once delayed this check until after the process had been
        killed, and a healthy start was then reported as a failed one.
        """
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
            while time.monotonic() - started < timeout_s:
                if not self.running:
                    raise NluError("Rasa exited while starting", hint=_tail(self.log_path, 400))
                if await self._status_ok(client):
                    return time.monotonic() - started
                await asyncio.sleep(0.5)
        raise NluError(f"Rasa did not answer /status within {timeout_s:.0f}s")

    def stop(self, grace_s: float = 10.0) -> None:
        if self._proc is None:
            return
        proc, self._proc = self._proc, None
        if proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=grace_s)

    async def port_taken(self) -> bool:
        """Whether something already listens on our port (another Rasa, or anything else)."""
        try:
            _reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), 2.0
            )
        except (OSError, TimeoutError):
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    async def supervise(
        self,
        stop: asyncio.Event,
        *,
        ready_timeout_s: float = 120.0,
        min_backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
    ) -> None:
        """Keep the server up until ``stop`` is set; restart it when it dies.

        A port someone else holds is refused at the start (NluError), and
        waited out with back-off later: a second Rasa on a taken port loads
        its model (a core for half a minute), fails to bind, and dies, and
        the other server's answers would have made it look ready.
        """
        backoff = min_backoff_s
        started_once = False
        try:
            while not stop.is_set():
                if not self.running:
                    if await self.port_taken():
                        if not started_once:
                            raise NluError(
                                f"something already listens on {self.url} "
                                "(another `spillway nlu serve`?); not starting a second Rasa",
                                hint="stop it, or set nlu.rasa_url to a free port",
                            )
                        log.error(
                            "Rasa is down and %s is taken by another process; "
                            "trying again in %.0fs",
                            self.url,
                            backoff,
                        )
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), backoff)
                        backoff = min(backoff * 2, max_backoff_s)
                        continue
                    if started_once:
                        self.restarts += 1
                        log.warning("Rasa is down; restarting (restart #%d)", self.restarts)
                    started_once = True
                    self.start()
                    try:
                        waited = await self.wait_ready(ready_timeout_s)
                    except NluError as exc:
                        log.error("Rasa failed to start: %s; retrying in %.0fs", exc, backoff)
                        self.stop()
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), backoff)
                        backoff = min(backoff * 2, max_backoff_s)
                        continue
                    log.info("Rasa ready on %s after %.1fs", self.url, waited)
                    backoff = min_backoff_s
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
        finally:
            await asyncio.to_thread(self.stop)
