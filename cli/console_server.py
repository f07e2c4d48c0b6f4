"""A real `spillway web serve` in a child process, for the demo's screenshot and the benches.

The child gets only the ``SPILLWAY_*`` variables it is given (none of the
caller's), on a loopback port of its own; :func:`serving` yields its URL once
``/login`` answers and stops it afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from dialplan.sandbox import free_port
from spillway.errors import SpillwayError
from spillway.paths import repo_root

START_TIMEOUT_S = 30.0


@contextmanager
def serving(
    env: Mapping[str, str],
    log_path: Path,
    *,
    config_path: Path | None = None,
    start_timeout_s: float = START_TIMEOUT_S,
) -> Iterator[str]:
    """Start the server with ``env`` (secrets file, database ...) on a free port; yield its URL.

    ``start_timeout_s``: how long it may take to answer (a bench's large store on a
    loaded machine takes longer than a test's)."""
    port = free_port()
    child_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SPILLWAY_")},
        **env,
        "SPILLWAY_WEB__BIND_HOST": "127.0.0.1",
        "SPILLWAY_WEB__PORT": str(port),
    }
    config = ["--config", str(config_path)] if config_path else []
    url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "cli", *config, "web", "serve"],
            cwd=repo_root(),
            env=child_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + start_timeout_s
            while True:
                try:
                    httpx.get(f"{url}/login", timeout=1)
                    break
                except httpx.HTTPError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SpillwayError(
                            f"`spillway web serve` did not start: {log_path.read_text()[-2000:]}"
                        ) from None
                    time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            server.wait(10)
