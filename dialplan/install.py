"""Install the rendered files into an Asterisk configuration folder, safely.

Our files are written beside the PBX's own (``*_spillway.conf``); the PBX's
file that should include each one (``extensions.conf``, or FreePBX's
``extensions_custom.conf``) gets one ``#include`` line if it lacks it. Every
file touched is backed up first; the new configuration is reloaded through
AMI and read back, and if it did not load, the backup is restored and
reloaded so the PBX keeps working on its previous configuration.
"""

from __future__ import annotations

import asyncio
import difflib
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from dialplan.check import config_errors, read_back, reload
from dialplan.render import RenderedFile
from spillway.ami import AmiClient
from spillway.errors import PbxError

BACKUP_DIR = ".spillway-backup"


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


def includes(text: str, name: str) -> bool:
    """Whether a configuration file already includes ``name`` (#include or #tryinclude)."""
    pattern = rf'^\s*#\s*(?:try)?include\s+"?{re.escape(name)}"?\s*$'
    return re.search(pattern, text, re.MULTILINE) is not None


def plan(target: Path, files: list[RenderedFile], *, freepbx: bool) -> list[PlannedFile]:
    """What install would write: our files plus the include lines."""
    planned: list[PlannedFile] = []
    for rendered in files:
        path = target / rendered.name
        old = path.read_text(encoding="utf-8") if path.exists() else None
        planned.append(PlannedFile(path, old, rendered.text))
        including = target / include_target(rendered.name, freepbx=freepbx)
        current = including.read_text(encoding="utf-8") if including.exists() else None
        line = f"#include {rendered.name}"
        if current is None or not includes(current, rendered.name):
            text = current or ""
            if text and not text.endswith("\n"):
                text += "\n"
            planned.append(PlannedFile(including, current, text + line + "\n"))
    return planned


def diff(target: Path, files: list[RenderedFile], *, freepbx: bool) -> str:
    return "".join(p.diff() for p in plan(target, files, freepbx=freepbx) if p.changed)


@dataclass(frozen=True, slots=True)
class InstallResult:
    written: list[Path]
    backup: Path
    diff: str


def _restore(planned: list[PlannedFile]) -> None:
    for item in planned:
        if item.old is None:
            item.path.unlink(missing_ok=True)
        else:
            item.path.write_text(item.old, encoding="utf-8")


def _write_with_backup(
    target: Path, files: list[RenderedFile], *, freepbx: bool
) -> tuple[list[PlannedFile], Path, str]:
    if not target.is_dir():
        raise PbxError(f"{target} is not an Asterisk configuration folder")
    planned = [p for p in plan(target, files, freepbx=freepbx) if p.changed]
    backup = target / BACKUP_DIR / time.strftime("%Y%m%d-%H%M%S")
    backup.mkdir(parents=True, exist_ok=True)
    for item in planned:
        if item.old is not None:
            shutil.copy2(item.path, backup / item.path.name)
    text = "".join(p.diff() for p in planned)
    for item in planned:
        item.path.write_text(item.new, encoding="utf-8")
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
    planned, backup, text = await asyncio.to_thread(
        _write_with_backup, target, files, freepbx=freepbx
    )
    if ami is not None:
        try:
            await reload(ami)
            errors = await config_errors(ami, files)
            errors += (await read_back(ami, files, queue_name)).errors
        except BaseException:
            await asyncio.to_thread(_restore, planned)
            raise
        if errors:
            await asyncio.to_thread(_restore, planned)
            await reload(ami)
            raise PbxError(
                "the new configuration did not load; the previous files are restored: "
                + "; ".join(errors),
                hint=f"backup kept in {backup}",
            )
    return InstallResult([p.path for p in planned], backup, text)
