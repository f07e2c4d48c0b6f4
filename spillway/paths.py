"""Where Spillway keeps things outside the checkout.

Heavy, rebuildable things (the sandbox PBX root, virtual environments, models)
live in the cache directory; state worth keeping (the database) in the data
directory; secrets in the config directory. Each honours an environment
variable so CI and tests can point them elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


def cache_dir() -> Path:
    """``$SPILLWAY_CACHE`` or ``~/.cache/spillway``."""
    return _env_path("SPILLWAY_CACHE", Path.home() / ".cache" / "spillway")


def data_dir() -> Path:
    """``$SPILLWAY_DATA`` or ``~/.local/share/spillway``."""
    return _env_path("SPILLWAY_DATA", Path.home() / ".local" / "share" / "spillway")


def secrets_file() -> Path:
    """``$SPILLWAY_SECRETS_FILE`` or ``~/.config/spillway/secrets.env``."""
    return _env_path("SPILLWAY_SECRETS_FILE", Path.home() / ".config" / "spillway" / "secrets.env")


def repo_root() -> Path:
    """The checkout this package was installed from (editable installs)."""
    return Path(__file__).resolve().parent.parent
