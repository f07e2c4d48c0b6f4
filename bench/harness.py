"""What every benchmark script needs: its own sandbox settings, percentiles, process CPU.

A benchmark runs its own sandbox Asterisk on free loopback ports under a
per-run instance name (``Sandbox.remove()`` deletes it afterwards).
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

from dialplan.sandbox import throwaway_settings
from spillway.settings import Settings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def own_sandbox_settings(
    name: str, *, controller: dict[str, Any] | None = None, **sections: Any
) -> Settings:
    """Settings for a sandbox instance ``<name>-<pid>`` on free ports.

    The pid in the name keeps two runs of one benchmark from sharing (and
    tearing down) one instance.
    """
    return throwaway_settings(f"{name}-{os.getpid()}", controller=controller, **sections)


def proc_cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of a process so far (0 when it is gone)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime are fields 14 and 15 of stat(5); [0] here is field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU seconds all cores have spent busy since boot (everything but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def machine() -> dict[str, Any]:
    """The machine a benchmark ran on: cores, CPU model, Python."""
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version()}


def write_report(report: dict[str, Any], out: Path | None) -> None:
    """Print a benchmark's JSON report, and keep it in ``out`` if given."""
    text = json.dumps(report, indent=2)
    if out:
        out.write_text(text)
    print(text)
