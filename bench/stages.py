"""The bot's own stage marks per reply, read back from a run's ``call_events``.

Benchmarks that drive calls through the bot (bench/bench_latency.py,
bench/bench_conversations.py) split each reply's wait into the stages the
bot reports: where a turn's time goes.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from pathlib import Path

# Bot-side marks of one reply, in order: see SpeechBot's call events.
STAGES = ("endpoint", "recognised", "understood", "first_audio")


def reply_segments(
    db_path: Path, since_wall_s: float, *, from_pause: bool = False
) -> list[tuple[int, float, dict[str, float]]]:
    """Ms between the bot's marks of each reply since ``since_wall_s``, in order.

    endpoint (the endpointer saw the trailing silence) -> recognised (final
    transcript) -> understood (NLU and dialogue) -> first_audio (the first
    synthesized sentence handed to the transport). What the caller measures
    beyond these is the trailing silence itself plus the transport both ways.
    Each reply comes with its number within its call (0: the call's first)
    and its endpoint's wall-clock time.

    ``from_pause``: a reply prepared at the caller's first pause, before the
    endpoint (an early answer), keeps the marks it made before the endpoint
    (``endpoint->recognised`` is then negative), and every reply also gets
    ``endpoint->first_audio``. Without it such replies have no
    ``recognised`` mark and count only in the last segment.
    """
    import sqlite3

    with contextlib.closing(sqlite3.connect(db_path, timeout=10)) as conn:
        rows = conn.execute(
            "SELECT call_id, at, kind, data FROM call_events WHERE at >= ? ORDER BY id",
            (since_wall_s,),
        ).fetchall()
    replies: list[tuple[int, float, dict[str, float]]] = []
    marks: dict[str, dict[str, float]] = {}
    counts: dict[str, int] = {}
    for call_id, at, kind, data in rows:
        mark = kind if kind in ("endpoint", "first_audio") else json.loads(data).get("stage")
        if mark not in STAGES:
            continue
        current = marks.setdefault(call_id, {})
        if from_pause:
            if mark == "first_audio" and "endpoint" not in current:
                continue  # the greeting, or a reply to no utterance
            current[mark] = at  # the latest of each: the marks of the reply that played
        else:
            if mark == "endpoint":
                current.clear()  # a new utterance; a reply only counts from its own endpoint
            if mark in current or (mark != "endpoint" and "endpoint" not in current):
                continue
            current[mark] = at
        if mark == "first_audio":
            segments = {
                f"{a}->{b}": (current[b] - current[a]) * 1000
                for a, b in itertools.pairwise(STAGES)
                if a in current and b in current
            }
            if from_pause:
                segments["endpoint->first_audio"] = (at - current["endpoint"]) * 1000
            replies.append((counts.get(call_id, 0), current["endpoint"], segments))
            counts[call_id] = counts.get(call_id, 0) + 1
            current.clear()
    return replies


def breakdown(db_path: Path, since_wall_s: float) -> dict[str, list[float]]:
    """Ms between the bot's marks, per reply, for one step's replies (:func:`reply_segments`)."""
    segments: dict[str, list[float]] = {f"{a}->{b}": [] for a, b in itertools.pairwise(STAGES)}
    for _, _, reply in reply_segments(db_path, since_wall_s):
        for name, ms in reply.items():
            segments[name].append(ms)
    return segments


def reply_stalls_ms(db_path: Path, since_wall_s: float) -> list[float]:
    """Each reply's silence inside it (ms) since ``since_wall_s``: a sentence not
    rendered by the time the one before had played (the bot's ``spoken`` events)."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(db_path, timeout=10)) as conn:
        rows = conn.execute(
            "SELECT data FROM call_events WHERE at >= ? AND kind = 'spoken' ORDER BY id",
            (since_wall_s,),
        ).fetchall()
    return [float(json.loads(data).get("stalled_ms", 0)) for (data,) in rows]
