"""The secrets file: dotenv lines outside the repository, readable by its owner only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from spillway import paths


def set_secret(name: str, value: str, *, path: Path | None = None) -> Path:
    """Add or replace ``name=value`` in the secrets file (mode 0600); return its path."""
    target = path or paths.secrets_file()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lines = target.read_text(encoding="utf-8").splitlines() if target.exists() else []
    lines = [line for line in lines if not line.startswith(f"{name}=")]
    lines.append(f"{name}={value}")
    tmp = target.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    tmp.replace(target)
    return target


def generate_secret() -> str:
    return secrets.token_urlsafe(24)
