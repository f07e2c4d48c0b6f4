"""The fallback classifier's build at start-up: trained (an empty cache) vs loaded (cached).

Run:  nice -n 19 /root/.cache/spillway/venv/bin/python -m bench.bench_fallback_cache \
          [--language en] [--cold 3] [--warm 5]

Each cold run builds with ``bot.nlu.fallback_cache.load_or_train`` into a fresh,
empty temporary cache (a fit and its five calibration folds, then the write);
each warm run builds from the cache the first cold run left (a read and an
unpickle). Printed: the median and the range of wall-clock and CPU seconds for
each, and the machine's load before and after (the machine is shared). Nothing
is written outside the temporary folder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from bot.nlu.data import load_nlu_data, project_dir
from bot.nlu.fallback_cache import load_or_train


def _load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[0]


def _timed(build: object) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    assert callable(build)
    build()
    return time.perf_counter() - wall, time.process_time() - cpu


def _summary(runs: list[tuple[float, float]]) -> dict[str, object]:
    walls = [w for w, _ in runs]
    cpus = [c for _, c in runs]
    return {
        "runs": len(runs),
        "wall_s_median": round(statistics.median(walls), 3),
        "wall_s_range": [round(min(walls), 3), round(max(walls), 3)],
        "cpu_s_median": round(statistics.median(cpus), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", default="en")
    parser.add_argument("--cold", type=int, default=3)
    parser.add_argument("--warm", type=int, default=5)
    args = parser.parse_args()
    data = load_nlu_data(project_dir(args.language))
    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="bench-fallback-cache-") as root:
        kept = Path(root) / "kept"
        cold = []
        for i in range(args.cold):
            where = kept if i == 0 else Path(root) / f"cold-{i}"
            cold.append(_timed(lambda w=where: load_or_train(data, w, language=args.language)))
        warm = [
            _timed(lambda: load_or_train(data, kept, language=args.language))
            for _ in range(args.warm)
        ]
    print(
        json.dumps(
            {
                "language": args.language,
                "examples": len(data.examples),
                "cold_train_and_store": _summary(cold),
                "warm_load": _summary(warm),
                "load_1min_before_after": [load_before, _load()],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
