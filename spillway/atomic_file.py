"""Writing a file so that readers see the whole old file or the whole new one, never half.

Caches on disk (rendered prompts, the fitted fallback classifier) are read by
processes that may start while another writes: each write goes to a temporary
file in the same folder, is synced, and is renamed over the target.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Store ``data`` at ``path`` (its folder made if missing); a failed write leaves
    no temporary file behind and ``path`` as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
