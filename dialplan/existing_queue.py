"""A queue the PBX already has: Spillway uses it instead of rendering a second one.

A shop that already runs a queue of ``queue.name`` (``[salg]`` in ``queues.conf`` with
its agents as ``member =>`` lines) must not get our ``queues_spillway.conf`` beside it:
Asterisk would read two sections of one queue, and ours, with no members, would leave
its agents out. So the installer looks for the section in ``queues.conf`` and every file
it includes that it can read (relative to the configuration folder, as Asterisk reads
them, globs too); found, our queue file is neither installed nor included, and the
diff and install output say which file defines it. A template (``[salg](!)``) and an
addition to a section defined before (``[salg](+)``, members for our queue) are not a
queue's definition, and our own file is never the PBX's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

QUEUE_FILE = "queues_spillway.conf"
# queues.conf includes the rest; FreePBX's queues_custom.conf is read too, in case
# queues.conf itself cannot be.
_FIRST_FILES = ("queues.conf", "queues_custom.conf")
_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*(?:\(([^)]*)\))?")
_INCLUDE = re.compile(r'^\s*#\s*(?:try)?include\s+"?([^"]+?)"?\s*$')
# [name](!) is a template, [name](+) adds to a section defined before: neither defines one.
_NOT_A_DEFINITION = {"!", "+"}
# A file that includes itself, or a long chain, must not keep the installer reading.
_MAX_FILES = 200


@dataclass(frozen=True, slots=True)
class ExistingQueue:
    name: str
    path: Path  # the PBX's file that defines it


def _readable(path: Path) -> list[str] | None:
    """The lines of a configuration file with comments cut off, or None: a file the
    installer cannot read (absent, a folder, no permission) is one it cannot judge."""
    try:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError:
        return None
    # ";" starts a comment unless escaped; block comments (;-- --;) are rare in queues.conf.
    return [re.split(r"(?<!\\);", line, maxsplit=1)[0] for line in text.splitlines()]


def _included(target: Path, name: str) -> list[Path]:
    """The files an #include names: a relative name is in the configuration folder."""
    given = Path(name)
    folder, pattern = (given.parent, given.name) if given.is_absolute() else (target, name)
    if any(c in pattern for c in "*?["):
        return sorted(folder.glob(pattern))
    return [folder / pattern]


def existing_queue(target: Path, name: str) -> ExistingQueue | None:
    """The file in ``target`` (or included from its ``queues.conf``) that defines the
    queue ``[name]``, or None when the PBX has no such queue."""
    todo = [target / first for first in _FIRST_FILES]
    seen: set[Path] = set()
    while todo and len(seen) < _MAX_FILES:
        path = todo.pop(0)
        if path in seen or path.name == QUEUE_FILE:
            continue
        seen.add(path)
        for line in _readable(path) or []:
            section = _SECTION.match(line)
            if (
                section
                and section.group(1).strip() == name
                and not _NOT_A_DEFINITION & set(section.group(2) or "")
            ):
                return ExistingQueue(name, path)
            include = _INCLUDE.match(line)
            if include:
                todo += _included(target, include.group(1).strip())
    return None
