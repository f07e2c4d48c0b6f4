"""First attempts inside the window the caller was told, on the worlds with signals.

Each world (by default configs/worlds/signals/*.yaml, where a quarter of callers name
"this afternoon" or "tomorrow morning": ``asks_window``) runs under each policy and
seed twice: as shipped, and with ``asks_window`` set to 0 (the world before windows).
Printed per world and policy, over the seeds: the first attempts outside the told
window (the exceptions; the rules refuse them, so they must be 0), the share of
told-window callers reached inside their window, first-attempt contact before and
after (median and range over the seeds), and the calling rules broken.

    PYTHONPATH=. python -m bench.told_windows
    PYTHONPATH=. python -m bench.told_windows configs/worlds/signals/consumers_evening.yaml \\
        --seeds 1,2,3 --json /tmp/told_windows.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from scheduler.simulation.report import kpis
from scheduler.simulation.simulator import PolicyName, simulate
from scheduler.simulation.world import World, load_world
from spillway.paths import repo_root

WORLDS = sorted((repo_root() / "configs" / "worlds" / "signals").glob("*.yaml"))
POLICIES = (PolicyName.PREDICTED, PolicyName.TRADITIONAL)


def without_windows(world: World) -> World:
    """``world`` as it was before windows: no caller names one."""
    segments = [s.model_copy(update={"asks_window": 0.0}) for s in world.segments]
    return world.model_copy(update={"segments": segments})


def _spread(values: list[float]) -> str:
    return (
        f"{statistics.median(values) * 100:.1f}% ({min(values) * 100:.1f}-{max(values) * 100:.1f})"
    )


def measure(path: Path, policy: PolicyName, seeds: list[int]) -> dict[str, Any]:
    """One world under one policy over ``seeds``: the window KPIs, before and after."""
    world = load_world(path)
    rows = []
    for seed in seeds:
        seeded = world.model_copy(update={"seed": seed})
        after = kpis(simulate(seeded, policy))
        before = kpis(simulate(without_windows(seeded), policy))
        rows.append({"seed": seed, "before": before, "after": after})
    return {"world": path.stem, "policy": policy.value, "runs": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("worlds", nargs="*", type=Path, default=WORLDS)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    found = []
    started = time.monotonic()
    print(
        "| world | policy | told-window requests | first attempts outside | reached inside "
        "the told window | first-attempt contact before | after | rules broken |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for path in args.worlds:
        for policy in POLICIES:
            result = measure(path, policy, seeds)
            found.append(result)
            after = [r["after"] for r in result["runs"]]
            before = [r["before"] for r in result["runs"]]
            told = sum(k["told_window_requests"] for k in after)
            requests = sum(k["requests"] for k in after)
            outside = sum(k["first_attempts_outside_told_window"] for k in after)
            inside = [k["told_window_contact_rate"] or 0.0 for k in after]
            broken = sum(k["rule_violations"] for k in after + before)
            print(
                f"| {path.stem} | {policy.value} | {told} of {requests} | {outside} | "
                f"{_spread(inside)} | "
                f"{_spread([k['first_attempt_contact_rate'] for k in before])} | "
                f"{_spread([k['first_attempt_contact_rate'] for k in after])} | {broken} |",
                flush=True,
            )
    print(f"seeds {args.seeds}; {time.monotonic() - started:.0f} s")
    if args.json is not None:
        args.json.write_text(json.dumps(found, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
