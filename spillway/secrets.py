"""The secrets file: dotenv lines outside the repository, readable by its owner only.

Also what keeps secrets out of what we print: credentials inside a URL
(``https://user:pass@host``) are masked by :func:`mask_url_credentials`.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path

from spillway import paths
from spillway.errors import ConfigError
from spillway.wording import Wording

_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")


def mask_url_credentials(text: str) -> str:
    """``text`` with the ``user:pass@`` of every URL in it masked."""
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}***@", text)


def check_secrets_file(path: Path) -> Wording | None:
    """Refuse a secrets file others can write; return a warning (the pack's words, said
    in the admin's language where it is shown) when others can read it."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o022:
        raise ConfigError.worded("secrets_writable", file=path, mode=f"{mode:04o}")
    if mode & 0o044:
        return Wording("cli.config.secrets_readable", {"file": path, "mode": f"{mode:04o}"})
    return None


def _secret_lines(target: Path) -> list[str]:
    return target.read_text(encoding="utf-8").splitlines() if target.exists() else []


def _write_secret_lines(target: Path, lines: list[str]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = target.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    tmp.replace(target)


def set_secret(name: str, value: str, *, path: Path | None = None) -> Path:
    """Add or replace ``name=value`` in the secrets file (mode 0600); return its path."""
    target = path or paths.secrets_file()
    lines = [line for line in _secret_lines(target) if not line.startswith(f"{name}=")]
    lines.append(f"{name}={value}")
    _write_secret_lines(target, lines)
    return target


def remove_secret(name: str, *, path: Path | None = None) -> bool:
    """Remove ``name`` from the secrets file; False when it was not there."""
    target = path or paths.secrets_file()
    lines = _secret_lines(target)
    kept = [line for line in lines if not line.startswith(f"{name}=")]
    if len(kept) == len(lines):
        return False
    _write_secret_lines(target, kept)
    return True


def generate_secret() -> str:
    return secrets.token_urlsafe(24)
