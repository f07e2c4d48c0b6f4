"""Files that hold personal data, made readable by their owner only (0600).

The database and its backups hold customers' numbers and names. Whatever the
process's umask, such a file is created owner-only before a byte is written
to it; SQLite then gives its ``-wal``, ``-shm`` and ``-journal`` files the
database file's own mode. A folder made for them is 0700. Existing files and
folders keep their mode (an admin may have chosen it).
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> None:
    """Make ``path`` (and missing parents) if missing; the folder made here is 0700."""
    if path.is_dir():
        return
    path.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    os.chmod(path, FOLDER_MODE)  # mkdir's mode is masked by the umask


def create_private(path: Path) -> None:
    """Create ``path`` empty and 0600 if it does not exist (an existing file is left as is)."""
    if path.exists():
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, FILE_MODE)  # O_CREAT's mode is masked by the umask; 0600 is the ceiling
    finally:
        os.close(fd)
