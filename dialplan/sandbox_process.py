"""The sandbox Asterisk as a process: found by the pid file ``pbx sandbox up`` wrote, and
told from every other process by its command line.

Stopping it needs no AMI secret, so an admin who lost or mistyped theirs can still stop
their own sandbox; and it never signals a process that merely reuses the recorded pid
(the machine rebooted, the sandbox died) or another instance's Asterisk.

The sandbox runs ``chroot <root> /usr/sbin/asterisk -f -n -C /spillway/<instance>/etc/
asterisk.conf``; chroot execs Asterisk with the same arguments, so at every moment its
command line names Asterisk and this instance's configuration file, and no other
instance's Asterisk names that file.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

from dialplan.layout import SandboxLayout
from spillway.errors import PbxError

ASK_TIMEOUT_S = 5.0  # `core stop now` through the control socket
KILL_WAIT_S = 2.0  # after SIGKILL, for the kernel to take it away


class Outcome(StrEnum):
    """What ``pbx sandbox down`` did; each has its words (``cli.sandbox_down.<value>``)."""

    STOPPED = "stopped"
    NOT_RUNNING = "not_running"  # no pid file: nothing to stop
    STALE = "stale"  # the pid file named a process that is not this sandbox's Asterisk
    STILL_RUNNING = "still_running"  # even SIGKILL did not take it away in time


@dataclass(frozen=True, slots=True)
class StopReport:
    outcome: Outcome
    pid: int | None  # the pid the pid file named, when it named one


def is_instance_asterisk(argv: Sequence[str], conf_in_root: str) -> bool:
    """Whether a command line is the Asterisk running with ``-C conf_in_root`` (directly,
    or through the chroot that is about to exec it)."""
    names_asterisk = any(PurePosixPath(arg).name == "asterisk" for arg in argv)
    configured = any(a == "-C" and b == conf_in_root for a, b in itertools.pairwise(argv))
    return names_asterisk and configured


def command_line(pid: int) -> list[str] | None:
    """The arguments ``pid`` runs with; None when there is no such process, or it has
    exited and waits to be reaped (a zombie has no command line)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    if not raw:
        return None
    return [part.decode(errors="replace") for part in raw.rstrip(b"\0").split(b"\0")]


@dataclass(frozen=True, slots=True)
class SandboxProcess:
    """One instance's Asterisk, by its pid file."""

    layout: SandboxLayout

    def recorded(self) -> int | None:
        """The pid the pid file names (None: no file, or not a number)."""
        try:
            return int(self.layout.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def is_ours(self, pid: int) -> bool:
        """Whether ``pid`` is this instance's Asterisk right now."""
        argv = command_line(pid)
        return argv is not None and is_instance_asterisk(argv, self.layout.conf_in_root)

    def running(self) -> int | None:
        """The pid of this instance's running Asterisk (None: not running)."""
        pid = self.recorded()
        return pid if pid is not None and self.is_ours(pid) else None

    def stop(self, timeout_s: float = 10.0) -> StopReport:
        """Stop this instance's Asterisk: asked to (``core stop now``), then SIGTERM, then
        SIGKILL, each only while it is still ours. A pid file naming anything else is
        removed and nothing is signalled."""
        pid = self.recorded()
        if pid is None or not self.is_ours(pid):
            self.layout.pid_file.unlink(missing_ok=True)
            return StopReport(Outcome.NOT_RUNNING if pid is None else Outcome.STALE, pid)
        # Asked, Asterisk hangs its channels up and closes its files; a signal is for
        # one that cannot be asked (its control socket gone, a root not built here).
        if not (self._ask_to_stop() and self._gone(pid, timeout_s / 2)):
            self._signal(pid, signal.SIGTERM)
            if not self._gone(pid, timeout_s / 2):
                self._signal(pid, signal.SIGKILL)
                if not self._gone(pid, KILL_WAIT_S):
                    return StopReport(Outcome.STILL_RUNNING, pid)
        self.layout.pid_file.unlink(missing_ok=True)
        return StopReport(Outcome.STOPPED, pid)

    def remote_console(self) -> list[str]:
        """The command line of Asterisk's own console on this instance (``asterisk -r``):
        its control socket in the root, no AMI and so no secret; add ``-x <command>`` to
        run one command."""
        return ["chroot", str(self.layout.root), "asterisk", "-C", self.layout.conf_in_root, "-r"]

    def cli(self, command: str, *, timeout_s: float = 10.0) -> str:
        """Run an Asterisk CLI command on this instance (``asterisk -rx``), its output."""
        result = subprocess.run(
            [*self.remote_console(), "-x", command],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if result.returncode != 0:
            raise PbxError.worded("cli_failed", command=command, problem=result.stderr.strip())
        return result.stdout

    def _ask_to_stop(self) -> bool:
        """``core stop now`` through the instance's control socket (no AMI, no secret);
        whether Asterisk took the command."""
        if not self.layout.root.is_dir():
            return False
        try:
            self.cli("core stop now", timeout_s=ASK_TIMEOUT_S)
        except (OSError, PbxError, subprocess.TimeoutExpired):
            return False
        return True

    def _gone(self, pid: int, within_s: float) -> bool:
        deadline = time.monotonic() + within_s
        while self.is_ours(pid):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return True

    def _signal(self, pid: int, sig: signal.Signals) -> None:
        """``sig`` to Asterisk and what it started (its own session: the pid is the
        group's), checked to be ours just before."""
        if not self.is_ours(pid):
            return
        try:
            if os.getpgid(pid) == pid:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            return  # it went by itself
        except PermissionError:
            raise PbxError.worded(
                "not_yours_to_stop", pid=pid, instance=self.layout.instance
            ) from None
