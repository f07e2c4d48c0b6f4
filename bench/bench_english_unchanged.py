"""Is English unchanged by the Danish work? Two checkouts measured in one run (issue 24).

Run: ``PYTHONPATH=. ~/.cache/spillway/venv/bin/python -m bench.bench_english_unchanged
--before 76a2438^ --after HEAD --parts nlu,spoken,conversations --rounds 2``

``--before`` and ``--after`` are git revisions of this repository (76a2438 is
the first Danish merge, the language packs; its parent is English-only). Each
is checked out into a throw-away git worktree and measured with *its own*
benchmark code, on the same machine, in alternating order (before, after;
then after, before), so that load drifts fall on both sides alike:

- ``nlu``: ``bench/bench_understanding.py`` on the English held-out calls:
  intent accuracy (raw and after the confidence floor), calibration error,
  and the calls with an unwanted side effect, per engine (``--rasa`` adds
  Rasa to the fallback);
- ``spoken``: ``tests/test_spoken_call.py``, the English scripts
  (``tests/scripts``) spoken by Piper through the sandbox Asterisk: one test
  per media transport, each passing only when every script reaches its
  outcome (a failed or errored test counts as a miss);
- ``conversations``: ``bench/bench_conversations.py --calls 1``: latency
  from the end of the caller's speech to the first bot audio (p50, p95,
  unheard replies counted as infinitely late), intent and outcome shares.
  Each side speaks its own conversation file: the dialogue changed on purpose
  in between (it now asks "is that right?" before a case or a callback, and
  the caller answers). The before side's file names outcomes as they were
  before issue 14 renamed them (``bot:done``); its misses that are only the
  old name of the outcome reached are counted as reached (:data:`RENAMED`).

It prints (and with ``--out`` keeps) each figure per side: every round's
value, the median, and after / before as a ratio of medians. Commits between
the two revisions that are not the Danish work (for example issue 19's
plain-yes rule, which asks again before side effects) change figures on
purpose; the report lists the commits between them so a reader can tell.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bench.harness import calls_any_time_env

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CONVERSATIONS = Path("bench/conversations/shop.yaml")
Figures = dict[str, float | None]


def _run(
    tree: Path, argv: list[str], timeout_s: float, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """One measurement command in ``tree``, with that tree's code first on the path."""
    env = os.environ | (env_extra or {}) | {"PYTHONPATH": str(tree)}
    return subprocess.run(
        argv, cwd=tree, env=env, text=True, capture_output=True, timeout=timeout_s, check=False
    )


def _failed(what: str, done: subprocess.CompletedProcess[str]) -> RuntimeError:
    tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
    return RuntimeError(f"{what} exited {done.returncode}:\n" + "\n".join(tail))


def measure_nlu(tree: Path, work: Path, *, rasa: bool) -> Figures:
    out = work / "nlu.json"
    argv = [PYTHON, "bench/bench_understanding.py", "--json", str(out)]
    done = _run(tree, [*argv, "--rasa"] if rasa else argv, 3600)
    if done.returncode != 0 or not out.exists():
        raise _failed("bench_understanding", done)
    figures: Figures = {}
    for engine in json.loads(out.read_text()):
        name = engine["engine"]
        for key in ("accuracy_raw", "accuracy_floor", "ece", "calls_with_unwanted"):
            figures[f"nlu {name} {key}"] = engine.get(key)
    return figures


def measure_spoken(tree: Path, work: Path) -> Figures:
    """The English scripts spoken through the sandbox: tests run and passed."""
    report = work / "spoken.xml"
    argv = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_spoken_call.py"]
    argv.append(f"--junitxml={report}")
    done = _run(tree, argv, 3600)
    if not report.exists():
        raise _failed("test_spoken_call", done)
    cases = list(ET.parse(report).getroot().iter("testcase"))
    missed = sum(1 for c in cases if c.find("failure") is not None or c.find("error") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    ran = len(cases) - skipped
    return {
        "spoken tests run": float(ran),
        "spoken tests passed": float(ran - missed),
    }


# Outcome names before issue 14 (a conversation file's ``outcome``) and what they became.
RENAMED = {"bot:done": {"resolved", "callback"}, "bot:handoff": {"handoff"}}


def outcome_rate(conversations: list[dict[str, Any]], placed: int, misses: list[str]) -> float:
    """Conversations that reached their outcome, an old name counting as its new one."""
    expected = {c["name"]: c["outcome"] for c in conversations}
    missed = 0
    for miss in misses:
        source, _, what = miss.partition(": ")
        if not what.startswith("outcome "):
            continue  # an intent or a talk-over, not an outcome
        got = what.removeprefix("outcome ")
        if got not in RENAMED.get(expected[source.split("#")[0]], set()):
            missed += 1
    return round((placed - missed) / max(placed, 1), 4)


def measure_conversations(tree: Path, work: Path) -> Figures:
    out = work / "conversations.json"
    argv = [PYTHON, "-m", "bench.bench_conversations", "--calls", "1", "--runs", "1"]
    # Both sides with calls allowed at every hour, so that no outcome depends on the
    # hour of the run (an older tree's benchmark does not open them itself).
    done = _run(tree, [*argv, "--out", str(out)], 3600, calls_any_time_env())
    if done.returncode != 0 or not out.exists():
        raise _failed("bench_conversations", done)
    [sample] = json.loads(out.read_text())["results"]["baseline"]["1"]
    figures: Figures = {
        f"conversations {key}": sample.get(key)
        for key in ("p50_ms", "p95_ms", "unheard", "intent_accuracy", "turns")
    }
    # Each miss in words (which conversation, what it reached instead), so a rate
    # below 1 can be read, not only counted.
    print(json.dumps({"tree": tree.name, "misses": sample.get("misses", [])}), flush=True)
    conversations = yaml.safe_load((tree / CONVERSATIONS).read_text())
    # One call at a time places each conversation once (bench_conversations' levels).
    figures["conversations outcome_rate"] = outcome_rate(
        conversations, len(conversations), sample.get("misses", [])
    )
    return figures


def _checkout(ref: str, dest: Path) -> Path:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--force", str(dest), ref],
        check=True,
        capture_output=True,
    )
    return dest


def _drop(tree: Path) -> None:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
        check=False,
        capture_output=True,
    )


def _rev(ref: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", ref],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def _between(before: str, after: str) -> list[str]:
    log = subprocess.run(
        ["git", "-C", str(ROOT), "log", "--oneline", "--merges", f"{before}..{after}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line[:120] for line in log.splitlines()]


def summarise(rounds: dict[str, list[Figures]]) -> dict[str, dict[str, Any]]:
    """Per figure: each side's values, their median, and after / before of the medians."""
    keys = sorted({k for side in rounds.values() for r in side for k in r})
    table: dict[str, dict[str, Any]] = {}
    for key in keys:
        row: dict[str, Any] = {}
        for side, samples in rounds.items():
            values = [r.get(key) for r in samples]
            known = [float(v) for v in values if v is not None]
            row[side] = {"values": values, "median": statistics.median(known) if known else None}
        before, after = row["before"]["median"], row["after"]["median"]
        row["ratio"] = round(after / before, 3) if before and after is not None else None
        table[key] = row
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="76a2438^", help="the English-only revision")
    parser.add_argument("--after", default="HEAD")
    parser.add_argument("--parts", default="nlu,spoken,conversations")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rasa", action="store_true", help="nlu: Rasa as well as the fallback")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    parts: dict[str, Callable[[Path, Path], Figures]] = {
        "nlu": lambda tree, work: measure_nlu(tree, work, rasa=args.rasa),
        "spoken": measure_spoken,
        "conversations": measure_conversations,
    }
    chosen = args.parts.split(",")
    unknown = sorted(set(chosen) - set(parts))
    if unknown:
        parser.error(f"--parts: unknown {', '.join(unknown)} (known: {', '.join(parts)})")
    revs = {"before": _rev(args.before), "after": _rev(args.after)}
    rounds: dict[str, list[Figures]] = {"before": [], "after": []}
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="english-") as tmp:
        trees = {side: _checkout(rev, Path(tmp) / side) for side, rev in revs.items()}
        try:
            for n in range(args.rounds):
                order = ["before", "after"] if n % 2 == 0 else ["after", "before"]
                for side in order:
                    figures: Figures = {}
                    for part in chosen:
                        work = Path(tmp) / f"{side}-{n}-{part}"
                        work.mkdir()
                        try:
                            figures |= parts[part](trees[side], work)
                        except (RuntimeError, subprocess.TimeoutExpired) as exc:
                            # A failed measurement is a failure, shown, not a gap.
                            failures.append(f"round {n + 1} {side} {part}: {exc}")
                            figures[f"{part} failed"] = 1.0
                    rounds[side].append(figures)
                    print(json.dumps({"round": n + 1, "side": side} | figures), flush=True)
        finally:
            for tree in trees.values():
                _drop(tree)
    table = summarise(rounds)
    report = {
        "before": revs["before"],
        "after": revs["after"],
        "merges_between": _between(revs["before"], revs["after"]),
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "figures": table,
        "failures": failures,
    }
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text)
    print(text)
    print(f"\n{'figure':<40} {'before':>10} {'after':>10} {'ratio':>7}")
    for key, row in table.items():
        cells = [row["before"]["median"], row["after"]["median"], row["ratio"]]
        shown = ["-" if v is None else f"{v:.4g}" for v in cells]
        print(f"{key:<40} {shown[0]:>10} {shown[1]:>10} {shown[2]:>7}")


if __name__ == "__main__":
    main()
