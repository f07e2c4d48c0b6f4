"""The copies `spillway db migrate` keeps of the database from before a schema change.

They live in ``<data_dir>/backups`` as ``spillway-<YYYYmmdd-HHMMSS>-before-v<N>.db``
(``.dump`` for PostgreSQL) and hold personal data as it was, people erased since
included. So they are kept only as long as the setting says
(``gdpr.migration_backups_kept``: the newest N) and the record of processing names
them. Only files of exactly that name are counted and deleted: a backup the admin put
in the folder under a name of their own is theirs to keep.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

NAME = re.compile(r"spillway-(\d{8}-\d{6})-before-v(\d+)\.(db|dump)")


@dataclass(frozen=True, slots=True)
class MigrationBackup:
    path: Path
    stamp: str  # YYYYmmdd-HHMMSS, when it was taken (the machine's local time)

    def age_days(self, now: float) -> int:
        """Whole days since it was taken, at ``now`` (epoch seconds)."""
        taken = time.mktime(time.strptime(self.stamp, "%Y%m%d-%H%M%S"))
        return max(int((now - taken) // 86400), 0)


def folder_of(data_dir: Path) -> Path:
    """Where `spillway db migrate` writes its copies."""
    return data_dir / "backups"


def file_name(stamp: str, version: int, backend: str) -> str:
    """The name of the copy taken at ``stamp`` before migrating to ``version``."""
    return f"spillway-{stamp}-before-v{version}{'.db' if backend == 'sqlite' else '.dump'}"


def migration_backups(folder: Path) -> list[MigrationBackup]:
    """The automatic copies in ``folder``, newest first (none when it does not exist)."""
    if not folder.is_dir():
        return []
    found = [
        MigrationBackup(path, match.group(1))
        for path in folder.iterdir()
        if (match := NAME.fullmatch(path.name)) and path.is_file()
    ]
    # The stamp sorts as the time; the name breaks a tie within one second.
    return sorted(found, key=lambda b: (b.stamp, b.path.name), reverse=True)


def to_prune(backups: list[MigrationBackup], keep: int) -> list[MigrationBackup]:
    """Which of ``backups`` (newest first) go when the newest ``keep`` are kept."""
    return backups[max(keep, 0) :]


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete the automatic copies in ``folder`` beyond the newest ``keep``; the files
    deleted."""
    gone = []
    for backup in to_prune(migration_backups(folder), keep):
        backup.path.unlink(missing_ok=True)
        gone.append(backup.path)
    return gone
