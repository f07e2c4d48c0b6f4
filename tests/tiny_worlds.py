"""A shipped simulation world cut small, for CLI tests of ``spillway simulate report``.

Three days and 150 customers a segment: the report's four policies (and its
frontier or ablation) run in seconds, and the tables still have every row.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from scheduler.simulation.world import load_world


def tiny_world(source: Path, path: Path) -> Path:
    """``source`` cut to three days and a few customers, written to ``path``."""
    data = load_world(source).model_dump(mode="json", by_alias=True)
    data["days"] = 3
    for segment in data["segments"]:
        segment["count"] = 150
        segment["requests_per_day"] = 8.0
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path
