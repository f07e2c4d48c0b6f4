"""Reading a file only if it is a plain file, and only so much of it.

Files from other hands (the callback spool, a CSV an admin was sent) may be a
FIFO that blocks the reader forever, a device such as ``/dev/zero`` that never
ends, a folder, or a file of gigabytes. Open them with :data:`OPEN_FLAGS`
(never blocking), then :func:`read_plain` checks the type and size with
``fstat`` before a byte is read, and reads no more than the cap even if the
file grows meanwhile.
"""

from __future__ import annotations

import os
import stat

OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_CHUNK = 1024 * 1024


class NotPlain(ValueError):
    """Not a plain file, too large, or linked elsewhere: nothing of it was read."""


class TooLarge(NotPlain):
    def __init__(self, size: int, max_bytes: int) -> None:
        super().__init__(f"larger than {max_bytes} bytes ({size} bytes)")
        self.size = size


def kind(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def read_plain(fd: int, max_bytes: int, *, single_link: bool = False) -> bytes:
    """All of the open file ``fd``, if it is a plain file of at most ``max_bytes``.

    ``single_link``: refuse a file with other hard links too (a name planted
    for a file that lives elsewhere).
    """
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise NotPlain(f"{kind(info.st_mode)}, not a file")
    if single_link and info.st_nlink != 1:
        raise NotPlain("a file with other hard links: refused")
    if info.st_size > max_bytes:
        raise TooLarge(info.st_size, max_bytes)
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:  # it may have grown since fstat
        chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > max_bytes:
        raise TooLarge(size, max_bytes)
    return b"".join(chunks)
