"""The console's KPI query of another revision against this tree's, interleaved on one database.

Run:
    ~/.cache/spillway/venv/bin/python bench/bench_console_ab.py --before main --postgres
    ~/.cache/spillway/venv/bin/python bench/bench_console_ab.py --before main

Builds the history of bench/bench_console.py once (this tree's schema), exports the
revision ``--before`` (``git archive``) and times ``web.console.compute_kpis`` of each
tree in turn, ``--rounds`` times ``--runs`` runs after a warm-up, each in its own process,
so that both sides share the machine's load of the moment and a ratio means something on
a shared machine. The indexes that this tree's newer migrations create are dropped while
the older tree runs and created again for this one (other newer schema stays: said so).
Reports per window the wall time's median and 90th percentile, the CPU time (PostgreSQL:
the server's backends, read from /proc; SQLite: the process's own), and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_console import ZONE, database, history  # noqa: E402
from spillway.schema import MIGRATIONS  # noqa: E402
from spillway.storage import Store  # noqa: E402

WINDOWS = ("today", "7d", "30d")
# Run in a child process with PYTHONPATH set to the tree under test.
PROBE = """
import json, os, sys, time
from pathlib import Path
from web.console import compute_kpis
from web.kpis import window
target, runs, out, zone = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
tick = os.sysconf("SC_CLK_TCK")
if target.startswith("postgresql://"):
    from spillway.postgres import PostgresStore
    store = PostgresStore(target)
    [(backend,)] = store.values("SELECT pg_backend_pid()")
    postmaster = open(f"/proc/{backend}/stat").read().rsplit(")", 1)[1].split()[1]
    def cpu():
        total = 0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if f[1] == postmaster:
                total += int(f[11]) + int(f[12])
        return total / tick
else:
    from spillway.storage import SqliteStore
    store = SqliteStore(Path(target))
    cpu = time.process_time
for key in sys.argv[5:]:
    w = window(key, zone, time.time())
    compute_kpis(store, w)
    wall, used = [], []
    for _ in range(runs):
        c0, t0 = cpu(), time.perf_counter()
        compute_kpis(store, w)
        wall.append(time.perf_counter() - t0)
        used.append(cpu() - c0)
    with open(out, "a") as f:
        f.write(json.dumps({"window": key, "wall": wall, "cpu": used}) + "\\n")
store.close()
"""


def newer_indexes(before_tree: Path) -> tuple[list[str], list[str]]:
    """The CREATE INDEX statements of this tree's migrations newer than ``before_tree``'s,
    and the versions of newer migrations that also change anything else."""
    latest = subprocess.run(
        [sys.executable, "-c", "from spillway.schema import latest_version as v; print(v())"],
        env={**os.environ, "PYTHONPATH": str(before_tree)},
        cwd=before_tree,  # python -c puts the working folder first on the path
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    indexes, other = [], []
    for m in MIGRATIONS:
        if m.version <= int(latest):
            continue
        for statement in m.postgres_statements or m.statements:
            if statement.startswith("CREATE INDEX"):
                indexes.append(statement)
            else:
                other.append(str(m.version))
    return indexes, sorted(set(other))


def set_indexes(store: Store, statements: list[str], present: bool) -> None:
    """The newer indexes created (this tree's run) or dropped (the older tree's run)."""
    with store.transaction() as tx:
        for statement in statements:
            name = re.match(r"CREATE INDEX (\w+)", statement)
            assert name is not None
            tx.execute(statement if present else f"DROP INDEX IF EXISTS {name.group(1)}")


def probe(tree: Path, target: str, runs: int, out: Path) -> None:
    subprocess.run(
        [sys.executable, "-c", PROBE, target, str(runs), str(out), ZONE, *WINDOWS],
        env={**os.environ, "PYTHONPATH": str(tree)},
        cwd=tree,
        check=True,
    )


def summary(folder: Path, cpu_name: str) -> None:
    def p90(xs: list[float]) -> float:
        return statistics.quantiles(xs, n=10, method="inclusive")[-1]

    sides = {
        side: [json.loads(line) for line in (folder / f"{side}.jsonl").read_text().splitlines()]
        for side in ("before", "after")
    }
    for key in WINDOWS:
        medians = {}
        for side, rows in sides.items():
            wall = [x * 1000 for r in rows if r["window"] == key for x in r["wall"]]
            used = [x * 1000 for r in rows if r["window"] == key for x in r["cpu"]]
            medians[side] = (statistics.median(wall), statistics.mean(used))
            print(
                f"{key:5s} {side:6s} wall median {medians[side][0]:7.1f}  p90 {p90(wall):7.1f} ms"
                f"  {cpu_name} mean {medians[side][1]:6.1f} ms  (n={len(wall)})"
            )
        (bw, bc), (aw, ac) = medians["before"], medians["after"]
        ratio = f"wall {bw / aw:.2f} x, {cpu_name} {bc / max(ac, 0.1):.2f} x"
        print(f"{key:5s} before / after: {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="a git revision (default: main)")
    parser.add_argument("--postgres", action="store_true", help="a throw-away PostgreSQL cluster")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-console-ab-"))
    before_tree = folder / "before"
    before_tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", args.before], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(before_tree)], input=archive, check=True)
    indexes, other = newer_indexes(before_tree)
    print(f"before: {args.before}; its run drops {len(indexes)} newer index(es)")
    if other:
        print(f"(newer migrations {', '.join(other)} change more; that stays for both)")
    h = history(args.requests, args.attempts, args.calls, time.time())
    with database(folder, h, args.postgres) as (store, dsn):
        target = dsn or str(folder / "console.db")
        loads = []
        for _ in range(args.rounds):
            set_indexes(store, indexes, present=False)
            probe(before_tree, target, args.runs, folder / "before.jsonl")
            set_indexes(store, indexes, present=True)
            probe(ROOT, target, args.runs, folder / "after.jsonl")
            loads.append(open("/proc/loadavg").read().split()[0])
    print(f"load average after each round: {', '.join(loads)}")
    summary(folder, "server CPU" if args.postgres else "CPU")


if __name__ == "__main__":
    main()
