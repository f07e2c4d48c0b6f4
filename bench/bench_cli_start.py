"""CLI start-up: how long an admin waits for `spillway --help`, `spillway callbacks list`
and `spillway gdpr export NUMBER`, each a fresh process as a user runs it.

Run:
    ~/.cache/spillway/venv/bin/python bench/bench_cli_start.py --runs 15 \
        [--before /path/to/other/checkout] [--json /tmp/cli_start.json]

Each tree (this one, and ``--before``'s if given) gets its own throw-away
database in a temporary folder, migrated by its own CLI first (not timed), and
a config file naming it. A run times each command once per tree, the trees
alternating so that both see the same load. Each command is
``python -m cli ARGS`` with ``PYTHONPATH`` set to its tree (what the
``spillway`` console script runs), timed from spawn to exit.

Reported per tree and command: wall-clock seconds (median, p90, min) and the
process's CPU seconds (median; less sensitive to a shared machine); failures
(a non-zero exit) are counted; with ``--before``, the ratio of the medians
(before / after); the load average before and after, since the machine may be
shared.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import machine, percentile, write_report  # noqa: E402

COMMANDS: dict[str, list[str]] = {
    "help": ["--help"],
    "callbacks_list": ["callbacks", "list"],
    "gdpr_export": ["gdpr", "export", "+4520123456"],
}


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _env(tree: Path, config: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "SPILLWAY_CONFIG": str(config)}


def prepare(tree: Path, folder: Path) -> Path:
    """A config naming an empty, migrated database of the tree's own schema."""
    folder.mkdir(parents=True)
    config = folder / "spillway.yaml"
    config.write_text(f"storage:\n  sqlite_path: {folder / 'spillway.db'}\n")
    subprocess.run(
        [sys.executable, "-m", "cli", "db", "migrate"],
        env=_env(tree, config),
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return config


def time_once(tree: Path, config: Path, args: list[str]) -> tuple[float, float, bool]:
    """Wall-clock and CPU seconds of one ``python -m cli ARGS``, and whether it succeeded."""
    cpu0, t0 = _children_cpu_s(), time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=_env(tree, config),
        cwd=config.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=300,
    )
    wall = time.perf_counter() - t0
    if result.returncode != 0:
        print(f"{tree}: {' '.join(args)} exited {result.returncode}: {result.stderr[-300:]!r}")
    return wall, _children_cpu_s() - cpu0, result.returncode == 0


def summary(walls: list[float], cpus: list[float], failures: int) -> dict[str, Any]:
    return {
        "wall_median_s": round(statistics.median(walls), 3),
        "wall_p90_s": round(percentile(walls, 0.9), 3),
        "wall_min_s": round(min(walls), 3),
        "cpu_median_s": round(statistics.median(cpus), 3),
        "runs": len(walls),
        "failures": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--before", type=Path, help="another checkout to compare against")
    parser.add_argument("--json", type=Path, help="also write the report here")
    opts = parser.parse_args()

    trees = {"after": ROOT}
    if opts.before:
        trees = {"before": opts.before.resolve(), "after": ROOT}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-cli-start-") as tmp:
        configs = {name: prepare(tree, Path(tmp) / name) for name, tree in trees.items()}
        walls: dict[tuple[str, str], list[float]] = {}
        cpus: dict[tuple[str, str], list[float]] = {}
        failures: dict[tuple[str, str], int] = {}
        for run in range(opts.runs):
            for command, args in COMMANDS.items():
                # Alternate which tree goes first, so neither always runs warmer.
                order = list(trees) if run % 2 == 0 else list(reversed(trees))
                for name in order:
                    wall, cpu, ok = time_once(trees[name], configs[name], args)
                    key = (name, command)
                    walls.setdefault(key, []).append(wall)
                    cpus.setdefault(key, []).append(cpu)
                    failures[key] = failures.get(key, 0) + (not ok)
    results: dict[str, dict[str, Any]] = {
        name: {
            command: summary(walls[name, command], cpus[name, command], failures[name, command])
            for command in COMMANDS
        }
        for name in trees
    }
    report: dict[str, Any] = {
        "machine": machine(),
        "trees": {name: str(tree) for name, tree in trees.items()},
        "results": results,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    if opts.before:
        report["before_over_after_median"] = {
            command: {
                "wall": round(
                    results["before"][command]["wall_median_s"]
                    / results["after"][command]["wall_median_s"],
                    2,
                ),
                "cpu": round(
                    results["before"][command]["cpu_median_s"]
                    / results["after"][command]["cpu_median_s"],
                    2,
                ),
            }
            for command in COMMANDS
        }
    write_report(report, opts.json)


if __name__ == "__main__":
    main()
