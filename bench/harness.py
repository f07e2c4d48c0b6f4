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

# Calling hours at every hour of every day, holidays included: a scripted caller's
# "this afternoon" is then open whenever a benchmark runs. The shop's own hours close
# on Saturday evenings, where the bot rightly asks for another time and a script has
# none, so an outcome would depend on the hour of the run, not on the code measured.
CALLS_ANY_TIME: dict[str, Any] = {
    "weekdays": (0.0, 24.0),
    "saturday": (0.0, 24.0),
    "sunday": (0.0, 24.0),
    "holidays": None,
}


def calls_any_time_env() -> dict[str, str]:
    """:data:`CALLS_ANY_TIME`'s hours as environment variables, for a checkout measured
    in a process of its own (its settings read them; its code needs no change). Not the
    holidays: an older checkout reads no null from the environment, so a run on a
    Danish public holiday keeps that day closed."""
    return {
        f"SPILLWAY_CALLBACKS__{key.upper()}": json.dumps(list(hours))
        for key, hours in CALLS_ANY_TIME.items()
        if hours is not None
    }


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
