"""The conversation benchmark's test callers, in a process of their own.

A bot's machine runs `spillway serve` alone: the callers' phones are elsewhere.
:mod:`bench.bench_conversations` keeps the bot (its controller) in the bench's
process and starts this one for the callers, so that their audio loops (twenty
20 ms frames a second each way per call, and the listening for the bot's voice)
take neither the bot's event loop nor its interpreter lock. They still share
the machine's cores, as Asterisk does. Run by the bench as::

    python -m bench.caller_process JOB OUT

JOB is a pickle of :class:`CallerJob`; OUT gets a pickle of the
:class:`cli.commands.call.PlacedCall` list. The callers find the bench's
controller listening on the settings' FastAGI port and call through it
(:func:`cli.commands.call.controller_for`).
"""

from __future__ import annotations

import asyncio
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cli.commands.call import CallSpec, PlacedCall, place_calls  # noqa: E402
from spillway.settings import Settings  # noqa: E402


@dataclass(frozen=True, slots=True)
class CallerJob:
    """What the callers' process is to do: the calls, and how many at a time."""

    settings: Settings
    specs: list[CallSpec]
    concurrency: int
    stagger_s: float = 0.0
    think_s: float = 0.0


async def place_apart(job: CallerJob, work_dir: Path) -> list[PlacedCall]:
    """Run ``job`` in a child process (the controller must already listen)."""
    job_path, out_path = work_dir / "callers-job.pickle", work_dir / "callers-placed.pickle"
    job_path.write_bytes(pickle.dumps(job))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.caller_process", str(job_path), str(out_path), cwd=ROOT
    )
    try:
        code = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if code != 0:
        raise RuntimeError(f"the test callers' process failed with exit code {code}")
    placed: list[PlacedCall] = pickle.loads(out_path.read_bytes())
    return placed


def main() -> None:
    job_path, out_path = (Path(a) for a in sys.argv[1:3])
    job: CallerJob = pickle.loads(job_path.read_bytes())
    placed = asyncio.run(
        place_calls(
            job.settings,
            job.specs,
            concurrency=job.concurrency,
            stagger_s=job.stagger_s,
            think_s=job.think_s,
        )
    )
    out_path.write_bytes(pickle.dumps(placed))


if __name__ == "__main__":
    main()
