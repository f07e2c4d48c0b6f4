"""Where a sandbox instance keeps its files, as this host and as Asterisk see them.

The sandbox Asterisk runs in a chroot, so one folder has two names: the
host's (``~/.cache/spillway/pbx/root/spillway/<instance>/...``) and the one
inside the root (``/spillway/<instance>/...``). The dialplan needs the
inside name (where the callback script writes its spool), the scheduler the
outside one (where it imports from); both come from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from spillway.settings import Settings


@dataclass(frozen=True, slots=True)
class SandboxLayout:
    pbx_dir: Path  # the cache folder holding the shared root and the instances' pid files
    instance: str

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxLayout:
        return cls(settings.paths.cache_dir / "pbx", settings.pbx.sandbox_instance)

    @property
    def root(self) -> Path:
        return self.pbx_dir / "root"

    @property
    def base_in_root(self) -> str:
        return f"/spillway/{self.instance}"

    @property
    def base(self) -> Path:
        return self.root / self.base_in_root.lstrip("/")

    @property
    def pid_file(self) -> Path:
        """Where ``pbx sandbox up`` records the pid of the Asterisk it started."""
        return self.pbx_dir / f"{self.instance}.pid"

    @property
    def conf_in_root(self) -> str:
        """The ``-C`` file this instance's Asterisk runs with: what tells it from another's."""
        return f"{self.base_in_root}/etc/asterisk.conf"

    def inside(self, relative: str) -> str:
        """``relative`` (to the instance folder) as Asterisk sees it."""
        return f"{self.base_in_root}/{relative}"

    def outside(self, relative: str) -> Path:
        """``relative`` (to the instance folder) as this host sees it."""
        return self.base / relative
