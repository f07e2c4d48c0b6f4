"""Which Rasa NLU server on this machine is Spillway's own, and stopping it.

`spillway nlu serve` (which the demo starts in the background, in a session of its
own) records its pid in ``<cache_dir>/nlu-serve.pid``; it supervises ``rasa run`` from
the Rasa venv in the cache and stops it when it is itself told to stop (SIGTERM).
`spillway nlu stop` therefore stops the supervisor named by that file, or, when the
file is gone, whatever of ours listens on ``nlu.rasa_url``'s port: the supervisor,
or an orphaned ``rasa run`` from our venv. A process we did not start is never
signalled, even when it holds the port: it is named and left running.

Linux only (``/proc``), as the rest of Spillway's process handling is.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PID_FILE_NAME = "nlu-serve.pid"
PROC = Path("/proc")
# Long enough for the supervisor to stop Rasa (it gives Rasa 10 s, then kills it).
STOP_GRACE_S = 25.0


def pid_file(cache_dir: Path) -> Path:
    """Where `spillway nlu serve` records its pid (the demo writes it too)."""
    return cache_dir / PID_FILE_NAME


def is_our_serve(argv: Sequence[str]) -> bool:
    """Whether a command line is `spillway nlu serve` (or `python -m cli nlu serve`, as
    the demo starts it), not merely a process that mentions those words."""
    for at in range(len(argv) - 1):
        if argv[at] == "nlu" and argv[at + 1] == "serve":
            return any(Path(arg).name == "spillway" or arg == "cli" for arg in argv[:at])
    return False


def is_our_rasa(argv: Sequence[str], venv_dir: Path) -> bool:
    """Whether a command line is ``rasa run`` from Spillway's Rasa venv (``venv_dir``)."""
    ours = str(venv_dir).rstrip("/") + "/"
    return "run" in argv and any(arg.startswith(ours) for arg in argv[:2])


def command_line(pid: int) -> list[str] | None:
    """The process's argv; None when no such live process (a zombie counts as gone)."""
    try:
        if _state(pid) == "Z":
            return None
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _state(pid: int) -> str:
    # /proc/PID/stat: "pid (comm) S ppid ..."; comm may hold spaces and parentheses.
    after = (PROC / str(pid) / "stat").read_text().rpartition(")")[2].split()
    return after[0]


def parent_pid(pid: int) -> int | None:
    try:
        return int((PROC / str(pid) / "stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def listener_pids(port: int) -> list[int]:
    """The processes with a TCP socket listening on ``port`` (any address)."""
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in (PROC / "net" / table).read_text().splitlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and int(local.rpartition(":")[2], 16) == port:
                    inodes.add(f"socket:[{inode}]")
    pids: list[int] = []
    if not inodes:
        return pids
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                pids.append(int(entry.name))
    return pids


def port_listening(host: str, port: int, timeout_s: float = 1.0) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout_s):
        return True
    return False


@dataclass(frozen=True, slots=True)
class NluProcess:
    """A process found for `nlu stop`: ours (to stop) or not (to name and leave)."""

    pid: int
    argv: tuple[str, ...]
    ours: bool

    @property
    def command(self) -> str:
        line = " ".join(self.argv)
        return line if len(line) <= 100 else line[:99] + "…"


@dataclass(frozen=True, slots=True)
class Found:
    """What holds the NLU service here: ours, if any; a stale pid file's pid; strangers."""

    ours: NluProcess | None
    stale_pid: int | None = None  # the pid file named a pid that is not our server now
    foreign: tuple[NluProcess, ...] = ()


def _recorded_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def find_ours(cache_dir: Path, venv_dir: Path, port: int) -> Found:
    """Our Rasa server: the pid file's `nlu serve`, else what of ours listens on ``port``
    (for a ``rasa run``, its supervising `nlu serve` when it has one, else itself)."""
    recorded = _recorded_pid(pid_file(cache_dir))
    stale = None
    if recorded is not None:
        argv = command_line(recorded)
        if argv is not None and is_our_serve(argv):
            return Found(NluProcess(recorded, tuple(argv), ours=True))
        stale = recorded
    foreign: list[NluProcess] = []
    for pid in listener_pids(port):
        argv = command_line(pid)
        if argv is None:
            continue
        if is_our_serve(argv):
            return Found(NluProcess(pid, tuple(argv), ours=True), stale)
        if is_our_rasa(argv, venv_dir):
            parent = parent_pid(pid)
            parent_argv = command_line(parent) if parent else None
            if parent and parent_argv is not None and is_our_serve(parent_argv):
                return Found(NluProcess(parent, tuple(parent_argv), ours=True), stale)
            return Found(NluProcess(pid, tuple(argv), ours=True), stale)
        foreign.append(NluProcess(pid, tuple(argv), ours=False))
    return Found(None, stale, tuple(foreign))


def stop_process(found: NluProcess, grace_s: float = STOP_GRACE_S) -> bool:
    """SIGTERM ``found`` (ours only) and wait up to ``grace_s``; whether it is gone."""
    if not found.ours:
        raise ValueError(f"pid {found.pid} is not Spillway's: not signalled")
    try:
        os.kill(found.pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    except PermissionError:
        # Another user's process (a pid reused since it was recorded): not ours to stop.
        return False
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if command_line(found.pid) is None:
            return True
        time.sleep(0.1)
    return command_line(found.pid) is None


def forget_pid_file(cache_dir: Path, pid: int | None) -> None:
    """Remove the pid file when it names ``pid`` (a newer server's record is kept)."""
    path = pid_file(cache_dir)
    if pid is not None and _recorded_pid(path) == pid:
        path.unlink(missing_ok=True)
