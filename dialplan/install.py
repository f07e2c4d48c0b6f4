"""Install the rendered files into an Asterisk configuration folder, safely.

Our files are written beside the PBX's own (``*_spillway.conf``); the PBX's
file that should include each one (``extensions.conf``, or FreePBX's
``extensions_custom.conf``) gets one ``#include`` line if it lacks it. Every
file touched is backed up first; the new configuration is reloaded through
AMI and read back, and if it did not load, the backup is restored and
reloaded so the PBX keeps working on its previous configuration. A queue of
``queue.name`` the PBX already defines is used as it is (:mod:`dialplan.existing_queue`).

Each file is written atomically (a temporary file beside it, fsync, rename),
so a full disk or a crash never leaves one cut in half; if any write fails,
every file already written is put back as it was. Files are read and written
as bytes (undecodable bytes kept as they are), so a Latin-1 ``extensions.conf``
gets its include line without being re-encoded. Our files that carry the AMI
secret or the SIP password get mode 0640 (the group of the folder, so that
Asterisk can read them), never world-readable.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from dialplan.check import config_errors, read_back, reload
from dialplan.existing_queue import QUEUE_FILE, existing_queue
from dialplan.render import RenderedFile
from spillway.ami import AmiClient
from spillway.errors import PbxError

BACKUP_DIR = ".spillway-backup"
# Our rendered files that hold a secret (the AMI secret, the SIP password).
SECRET_FILES = frozenset({"manager_spillway.conf", "pjsip_spillway.conf"})


def read_config(path: Path) -> str | None:
    """A configuration file's text, whatever its encoding (None when it does not exist)."""
    try:
        return path.read_bytes().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PbxError.worded("conf_unreadable", path=path, problem=exc.strerror or exc) from exc


def include_target(name: str, *, freepbx: bool) -> str:
    """The PBX file that includes ``name`` (``queues_spillway.conf`` -> ``queues.conf``)."""
    base = name.removesuffix("_spillway.conf")
    if freepbx and base in ("extensions", "queues", "manager", "pjsip"):
        return f"{base}_custom.conf"
    return f"{base}.conf"


@dataclass(frozen=True, slots=True)
class PlannedFile:
    path: Path
    old: str | None
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                (self.old or "").splitlines(keepends=True),
                self.new.splitlines(keepends=True),
                fromfile=f"{self.path} (installed)" if self.old is not None else "/dev/null",
                tofile=f"{self.path} (rendered)",
            )
        )


def _include_line(name: str) -> str:
    return rf'^\s*#\s*(?:try)?include\s+"?{re.escape(name)}"?\s*$'


def includes(text: str, name: str) -> bool:
    """Whether a configuration file already includes ``name`` (#include or #tryinclude)."""
    return re.search(_include_line(name), text, re.MULTILINE) is not None


def _unincluded(target: Path, name: str, *, freepbx: bool) -> list[PlannedFile]:
    """The PBX's file that includes ``name`` without that line, if it has it."""
    including = target / include_target(name, freepbx=freepbx)
    current = read_config(including)
    if current is None or not includes(current, name):
        return []
    new = re.sub(_include_line(name) + r"\n?", "", current, flags=re.MULTILINE)
    return [PlannedFile(including, current, new)]


def used_files(
    target: Path, files: list[RenderedFile], queue_name: str | None
) -> list[RenderedFile]:
    """``files`` without our queue file when the PBX already defines ``queue_name``."""
    if queue_name is None or existing_queue(target, queue_name) is None:
        return files
    return [f for f in files if f.name != QUEUE_FILE]


def plan(
    target: Path, files: list[RenderedFile], *, freepbx: bool, queue_name: str | None = None
) -> list[PlannedFile]:
    """What install would write: our files plus the include lines. A queue ``queue_name``
    the PBX already defines is used as it is (:mod:`dialplan.existing_queue`): our queue
    file is left out, and the include of it an earlier install added is taken out."""
    used = used_files(target, files, queue_name)
    theirs = len(used) < len(files)
    files = used
    planned: list[PlannedFile] = []
    for rendered in files:
        path = target / rendered.name
        planned.append(PlannedFile(path, read_config(path), rendered.text))
        including = target / include_target(rendered.name, freepbx=freepbx)
        current = read_config(including)
        line = f"#include {rendered.name}"
        if current is None or not includes(current, rendered.name):
            text = current or ""
            if text and not text.endswith("\n"):
                text += "\n"
            planned.append(PlannedFile(including, current, text + line + "\n"))
    if theirs:
        planned += _unincluded(target, QUEUE_FILE, freepbx=freepbx)
    return planned


def diff(
    target: Path, files: list[RenderedFile], *, freepbx: bool, queue_name: str | None = None
) -> str:
    planned = plan(target, files, freepbx=freepbx, queue_name=queue_name)
    return "".join(p.diff() for p in planned if p.changed)


@dataclass(frozen=True, slots=True)
class InstallResult:
    written: list[Path]
    backup: Path
    diff: str


def _mode_for(path: Path) -> tuple[int, int | None, int | None]:
    """Mode, owner and group for a file we write: those it has, or safe defaults."""
    try:
        st = path.stat()
        mode = st.st_mode & 0o7777
        if path.name in SECRET_FILES:
            mode &= 0o770  # never world-readable
        return mode, st.st_uid, st.st_gid
    except FileNotFoundError:
        folder = path.parent.stat()
        mode = 0o640 if path.name in SECRET_FILES else 0o644
        return mode, None, folder.st_gid


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` all at once: temp file, fsync, rename."""
    mode, uid, gid = _mode_for(path)
    tmp = path.with_name(f".{path.name}.spillway-tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8", "surrogateescape"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # the umask must not widen or narrow it
        if os.geteuid() == 0 and (uid is not None or gid is not None):
            os.chown(tmp, -1 if uid is None else uid, -1 if gid is None else gid)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _restore(planned: list[PlannedFile]) -> list[str]:
    """Put every file back as it was; return what could not be put back."""
    failed = []
    for item in planned:
        try:
            if item.old is None:
                item.path.unlink(missing_ok=True)
            else:
                write_atomically(item.path, item.old)
        except OSError as exc:
            failed.append(f"{item.path}: {exc.strerror or exc}")
    return failed


def _write_with_backup(
    target: Path, files: list[RenderedFile], *, freepbx: bool, queue_name: str
) -> tuple[list[PlannedFile], Path, str]:
    if not target.is_dir():
        raise PbxError.worded("not_conf_folder", target=target)
    everything = plan(target, files, freepbx=freepbx, queue_name=queue_name)
    planned = [p for p in everything if p.changed]
    backup = target / BACKUP_DIR / time.strftime("%Y%m%d-%H%M%S")
    written: list[PlannedFile] = []
    try:
        backup.mkdir(parents=True, exist_ok=True, mode=0o700)
        for item in planned:
            if item.old is not None:
                shutil.copy2(item.path, backup / item.path.name)
        for item in planned:
            write_atomically(item.path, item.new)
            written.append(item)
    except OSError as exc:
        left = _restore(written)
        where = getattr(exc, "filename", None) or target
        problem = exc.strerror or exc
        if left:
            raise PbxError.worded(
                "write_not_restored",
                where=where,
                problem=problem,
                left="; ".join(left),
                backup=backup,
            ) from exc
        raise PbxError.worded("write_failed", where=where, problem=problem, backup=backup) from exc
    text = "".join(p.diff() for p in planned)
    return planned, backup, text


async def install(
    target: Path,
    files: list[RenderedFile],
    *,
    ami: AmiClient | None,
    queue_name: str,
    freepbx: bool = False,
) -> InstallResult:
    """Back up, write, reload and verify; restore the backup if the reload fails."""
    used = await asyncio.to_thread(used_files, target, files, queue_name)
    planned, backup, text = await asyncio.to_thread(
        _write_with_backup, target, files, freepbx=freepbx, queue_name=queue_name
    )
    if ami is not None:
        try:
            await reload(ami)
            names = [f.name for f in used]
            names += [include_target(f.name, freepbx=freepbx) for f in used]
            errors = await config_errors(ami, names)
            errors += (await read_back(ami, files, queue_name)).errors
        except BaseException:
            await asyncio.to_thread(_restore, planned)
            raise
        if errors:
            await asyncio.to_thread(_restore, planned)
            await reload(ami)
            raise PbxError.worded("reload_restored", errors="; ".join(errors), backup=backup)
    return InstallResult([p.path for p in planned], backup, text)
