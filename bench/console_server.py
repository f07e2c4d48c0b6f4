"""A real `spillway web serve` on a given database, for the console's bench and browser tests.

Its own secrets file (one user, a session key, an API token), its own free
loopback port and data folder: nothing of the developer's is read or touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from dialplan.sandbox import free_port
from web.users import Role, entry, secret_name

ROOT = Path(__file__).resolve().parent.parent
API_TOKEN = "console-server-token-0123456789"


@contextmanager
def running_console(
    folder: Path,
    db_path: Path,
    *,
    user: str,
    password: str,
    role: Role = Role.VIEWER,
    env_extra: dict[str, str] | None = None,
) -> Iterator[str]:
    """Start the server over ``db_path`` with one user; yield its URL; stop it.

    ``env_extra``: more ``SPILLWAY_*`` settings for the server (a test's own
    ``gdpr.hash_key`` and spool folder).
    """
    secrets = folder / "secrets.env"
    secrets.write_text(
        f"{secret_name(user)}={entry(role, password)}\nSPILLWAY_WEB__SESSION_SECRET={'k' * 40}\n"
    )
    secrets.chmod(0o600)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SPILLWAY_")},
        "SPILLWAY_SECRETS_FILE": str(secrets),
        "SPILLWAY_DATA": str(folder / "data"),
        "SPILLWAY_STORAGE__SQLITE_PATH": str(db_path),
        "SPILLWAY_WEB__PORT": str(port),
        "SPILLWAY_WEB__API_TOKEN": API_TOKEN,
        **(env_extra or {}),
    }
    log_path = folder / "serve.log"
    url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "cli", "web", "serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"{url}/login", timeout=1)
                    break
                except httpx.HTTPError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(log_path.read_text()) from None
                    time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            server.wait(10)
