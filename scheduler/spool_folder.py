"""The callback spool folder, touched without ever following a link.

Anyone in Asterisk's group can write the spool, so every name in it is
untrusted. Each entry of ``new/`` is opened relative to a descriptor of its
folder with ``O_NOFOLLOW`` (a symbolic link is refused, never followed) and
``O_NONBLOCK`` (a FIFO cannot block the reader), then checked with ``fstat``
before a byte is read: a folder, FIFO, socket or device is refused, and so is
a file over the size limit or one with other hard links. Setting an entry
aside renames the entry itself into ``bad/`` (a rename moves a link, it never
follows one); ``bad/`` is opened the same way, and if it is a link, the link is
renamed out of the way inside the spool and a real folder made. The reason
beside it is written under a fresh name (``O_EXCL``) and renamed into place,
so a planted ``.error`` link is replaced, never written through.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from spillway.errors import InputError
from spillway.plain_files import OPEN_FLAGS, NotPlain, read_plain
from spillway.wording import Wording, worded

log = logging.getLogger(__name__)

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ = OPEN_FLAGS | os.O_NOFOLLOW
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_FOLDER_MODE = 0o770
_FILE_MODE = 0o660
_MAX_SAME_NAME = 1_000
# What an open failure says about the entry itself (set it aside), as opposed to
# the host (out of descriptors, I/O error: leave it for the next run).
# Why an entry is refused: keys of ``cli.spool`` in console.yaml.
_ENTRY_ERRORS = {
    errno.ELOOP: "symlink",
    errno.EACCES: "permission_denied",
    errno.EPERM: "not_permitted",
    errno.ENXIO: "socket",
    errno.ENOTDIR: "not_a_file",
}


class EntryRefused(Exception):
    """This entry is not a plain file the spool may read; the message says why (a
    :class:`Wording` of the pack, or a foreign message as it came)."""

    def __init__(self, reason: Wording | str) -> None:
        super().__init__(str(reason))
        self.reason = reason


class NotAFolder(InputError):
    """``new/`` of the spool is a link or not a folder: nothing is imported from it."""


def shown(name: str) -> str:
    """A file name as it may be printed: control characters and stray bytes escaped."""
    return name if name.isprintable() else ascii(name)[1:-1]


def _exists(dir_fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def _free_name(dir_fd: int, name: str) -> str:
    """``name``, or ``name.1``, ``name.2`` ... whichever is not taken in that folder."""
    candidate = name
    for n in range(1, _MAX_SAME_NAME):
        if not _exists(dir_fd, candidate) and not _exists(dir_fd, f"{candidate}.error"):
            return candidate
        candidate = f"{name}.{n}"
    raise OSError(errno.EEXIST, f"{_MAX_SAME_NAME} entries named {name!r} already set aside")


class SpoolFolder:
    """Descriptors of a spool folder and its ``new/``; see :meth:`open`."""

    def __init__(self, path: Path, root_fd: int, new_fd: int) -> None:
        self.path = path
        self._root = root_fd
        self._new = new_fd
        self._bad: int | None = None

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path) -> Iterator[SpoolFolder | None]:
        """The folder at ``path`` (its own name may be a link: the admin set it), None
        if it or its ``new/`` does not exist yet. ``new/`` as a link is an error."""
        try:
            root = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError:
            yield None
            return
        try:
            try:
                new = os.open("new", _DIR, dir_fd=root)
            except FileNotFoundError:
                yield None
                return
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise NotAFolder(f"{path}/new is a symbolic link or not a folder") from None
                raise
            folder = cls(path, root, new)
            try:
                yield folder
            finally:
                folder._close()
        finally:
            os.close(root)

    def _close(self) -> None:
        os.close(self._new)
        if self._bad is not None:
            os.close(self._bad)

    def names(self, suffix: str) -> list[str]:
        """The names in ``new/`` ending in ``suffix`` (any case), sorted."""
        return sorted(n for n in os.listdir(self._new) if n.lower().endswith(suffix))

    def read(self, name: str, *, max_bytes: int) -> bytes | None:
        """The bytes of ``new/name``; None if it is gone (another node took it).

        Raises :class:`EntryRefused` for anything but a plain file of at most
        ``max_bytes``: nothing of it is read first.
        """
        try:
            fd = os.open(name, _READ, dir_fd=self._new)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno in _ENTRY_ERRORS:
                raise EntryRefused(worded(f"cli.spool.{_ENTRY_ERRORS[exc.errno]}")) from None
            raise
        try:
            return read_plain(fd, max_bytes, single_link=True)
        except NotPlain as exc:
            raise EntryRefused(str(exc)) from None
        finally:
            os.close(fd)

    def remove(self, name: str) -> None:
        """Unlink ``new/name`` (the entry itself, whatever it is)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=self._new)

    def set_aside(self, name: str, reason: str) -> str | None:
        """Move ``new/name`` into ``bad/`` with ``reason`` beside it; the name it got there
        (None if the entry was already gone)."""
        bad = self._bad_folder()
        target = _free_name(bad, name)
        self._write_reason(bad, f"{target}.error", reason)
        try:
            os.rename(name, target, src_dir_fd=self._new, dst_dir_fd=bad)
        except FileNotFoundError:
            return None
        return target

    def _bad_folder(self) -> int:
        if self._bad is not None:
            return self._bad
        with contextlib.suppress(FileExistsError):
            os.mkdir("bad", _FOLDER_MODE, dir_fd=self._root)
        try:
            self._bad = os.open("bad", _DIR, dir_fd=self._root)
        except OSError as exc:
            if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                raise
            # A link (or a file) where bad/ should be: never follow it. It is kept,
            # renamed inside the spool for the admin to look at, and a real bad/ made.
            aside = _free_name(self._root, "bad.not-a-folder")
            os.rename("bad", aside, src_dir_fd=self._root, dst_dir_fd=self._root)
            log.warning(
                "callback spool %s: bad/ was a link or not a folder; renamed to %s, "
                "and a new bad/ made",
                self.path,
                aside,
            )
            os.mkdir("bad", _FOLDER_MODE, dir_fd=self._root)
            self._bad = os.open("bad", _DIR, dir_fd=self._root)
        return self._bad

    @staticmethod
    def _write_reason(dir_fd: int, name: str, reason: str) -> None:
        temporary = f".{name}.{secrets.token_hex(6)}.tmp"
        fd = os.open(temporary, _CREATE, _FILE_MODE, dir_fd=dir_fd)
        try:
            os.write(fd, (reason + "\n").encode("utf-8", "backslashreplace"))
        finally:
            os.close(fd)
        try:
            os.rename(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except OSError:
            os.unlink(temporary, dir_fd=dir_fd)
            raise
