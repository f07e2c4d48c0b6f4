"""`spillway callbacks explain ID`: the customer's right of access to how their callback
time is computed, in plain words, over a real SQLite database."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from scheduler import requests
from scheduler.requests import NewRequest, RequestSource
from spillway.storage import SqliteStore


def _config(tmp_path: Path, store: SqliteStore, extra: str = "") -> Path:
    config = tmp_path / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {store.path}\n{extra}")
    return config


def _request(store: SqliteStore, phone: str, **kwargs: object) -> int:
    with store.transaction() as tx:
        return requests.record(
            tx,
            NewRequest(phone, RequestSource.API, "t", segment="shops", **kwargs),  # type: ignore[arg-type]
            region="DK",
            now=time.time(),
        ).id


def _attempts(store: SqliteStore, request_id: int, phone: str, outcomes: list[str]) -> None:
    for n, outcome in enumerate(outcomes, start=1):
        store.insert(
            "callback_attempts",
            {
                "id": uuid.uuid4().hex,
                "request_id": request_id,
                "phone": phone,
                "attempt_no": n,
                "started_at": time.time() - 86400 * n,
                "ended_at": time.time() - 86400 * n + 30,
                "outcome": outcome,
                "local_weekday": 1,
                "local_hour": 10,
                "hours_since_request": 1.0,
                "segment": "shops",
                "policy": "predicted",
            },
        )


def test_explain_shows_the_factors_the_week_and_why_hours_are_refused(
    tmp_path: Path, store: SqliteStore
) -> None:
    config = _config(tmp_path, store)
    earlier = _request(store, "+4520123456")
    _attempts(store, earlier, "+4520123456", ["no_answer", "answered"])
    store.execute("UPDATE callback_requests SET status = 'done' WHERE id = ?", (earlier,))
    request_id = _request(store, "+4520123456")
    result = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "explain", str(request_id), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["policy"] == "predicted" and len(data["week"]) == 168
    assert any("1 of 2 calls answered" in f for f in data["factors"])
    refused = [c for c in data["week"] if not c["allowed"]]
    assert refused and all(c["reason"] for c in refused)
    assert all(0 < c["probability"] < 1 for c in data["week"])
    # The text form: the heatmap has a row per day, and the reasons are listed.
    text = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "explain", str(request_id)]
    )
    assert text.exit_code == 0, text.output
    assert "Chance of reaching you" in text.output
    assert sum(text.output.count(day) for day in ("Mon ", "Tue ", "Wed ", "Sun ")) >= 4
    assert "outside the calling hours" in text.output or "expired" in text.output


def test_a_traditional_callback_is_explained_as_such(tmp_path: Path, store: SqliteStore) -> None:
    config = _config(tmp_path, store)
    request_id = _request(store, "+4520123457", traditional=True)
    result = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "explain", str(request_id), "--json"]
    )
    data = json.loads(result.stdout)
    assert data["policy"] == "traditional"
    assert "No prediction is used" in data["factors"][0]


def test_explaining_a_request_that_does_not_exist_says_so(
    tmp_path: Path, store: SqliteStore
) -> None:
    result = CliRunner().invoke(
        app, ["--config", str(_config(tmp_path, store)), "callbacks", "explain", "999"]
    )
    assert result.exit_code != 0
    assert "no callback request 999" in str(result.exception) + result.output
