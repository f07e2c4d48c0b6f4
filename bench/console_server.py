"""A real `spillway web serve` on a given database, for the console's bench and browser tests.

Its own secrets file (one user, a session key, an API token), its own free
loopback port and data folder: nothing of the developer's is read or touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cli.console_server import START_TIMEOUT_S, serving
from web.users import Role, entry, secret_name

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
    postgres_dsn: str | None = None,
    start_timeout_s: float = START_TIMEOUT_S,
) -> Iterator[str]:
    """Start the server over ``db_path`` (or the PostgreSQL database ``postgres_dsn``) with
    one user; yield its URL; stop it.

    ``env_extra``: more ``SPILLWAY_*`` settings for the server (a test's own
    ``gdpr.hash_key`` and spool folder).
    """
    secrets = folder / "secrets.env"
    secrets.write_text(
        f"{secret_name(user)}={entry(role, password)}\nSPILLWAY_WEB__SESSION_SECRET={'k' * 40}\n"
    )
    secrets.chmod(0o600)
    env = {
        "SPILLWAY_SECRETS_FILE": str(secrets),
        "SPILLWAY_DATA": str(folder / "data"),
        "SPILLWAY_STORAGE__SQLITE_PATH": str(db_path),
        "SPILLWAY_WEB__API_TOKEN": API_TOKEN,
        **(env_extra or {}),
    }
    if postgres_dsn:
        env |= {
            "SPILLWAY_STORAGE__BACKEND": "postgres",
            "SPILLWAY_STORAGE__POSTGRES_DSN": postgres_dsn,
        }
    with serving(env, folder / "serve.log", start_timeout_s=start_timeout_s) as url:
        yield url
