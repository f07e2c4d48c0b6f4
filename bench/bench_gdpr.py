"""Data-protection benchmarks: one person's export, and their erasure from a large database.

Run:
    SPILLWAY_SECRETS_FILE=$(mktemp) ~/.cache/spillway/venv/bin/python \
        bench/bench_gdpr.py --runs 5 --json /tmp/gdpr.json

- export: a customer with 1,000 callback requests (one still open) and 10,000
  attempts, among 100,000 other attempts; `spillway gdpr export`'s work
  (every mapped table, and the open callback's timing explanation, as
  `callbacks explain` gives it). Goal: under 1 s. Timed as the user meets it:
  over the contact model a running scheduler stored at its last refit (the
  keeper's refit and store are done once first, and timed); and, in runs
  interleaved with those, with no stored model (the daemon not running):
  then the model is fitted from all attempts, as before. The rows alone are
  timed too. ``--thread-per-core`` adds that fallback with the booster
  fitted on a thread per core (the library's default, before), for the ratio.
  An export that did not use the stored model when it should is a failure.
  Then the whole command, ``spillway gdpr export PHONE --out FILE``, as a new
  process on that database (CLI start-up included), ``--runs`` times; a run
  that exits non-zero or writes no export is a failure.
  ``--seasons FILE [--season-region R]``: as a shop with that season calendar
  (``callbacks.seasons_file``) has it: the keeper dates each attempt into its
  season and stores the season factors with the model.
- forget: one customer (10 requests, 100 attempts, a call with its
  transcript, a case, an SMS, a do-not-call entry) in a SQLite database of
  1,000,000 attempts; `spillway gdpr forget`'s work, secure delete and the
  WAL checkpoint included. Goal: under 5 s. The customer is written again
  before each run.
- retention: the same database, whose attempts are spread over the past 23
  months: those past the call times' 12 months (about half) are folded into
  the aggregates and deleted, in one run as `spillway gdpr retention` does it,
  and on a copy in the daemon's batches (how long each batch holds the
  database is how long the dialer may wait). The daemon's first daily run on
  an old database is this one; later runs remove one day's worth.

Medians over ``--runs``. The databases are built in a temporary folder
(``--keep DIR`` to reuse one) and never touch the configured database.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import machine, write_report  # noqa: E402
from scheduler.daemon import RETENTION_BATCH_ROWS  # noqa: E402
from scheduler.subject_access import export_person, person_rows  # noqa: E402
from scheduler.timing import contact_model  # noqa: E402
from scheduler.timing.model_keeper import (  # noqa: E402
    MAX_ROWS,
    read_attempt_window,
    season_calendar,
)
from scheduler.timing.stored_model import (  # noqa: E402
    fitting_fingerprint,
    save_model,
    stored_form,
)
from spillway.erasure import forget  # noqa: E402
from spillway.retention import Periods, apply_retention  # noqa: E402
from spillway.settings import GdprSettings, Settings  # noqa: E402
from spillway.storage import SqliteStore  # noqa: E402

NOW = time.time()
KEY = b"bench-key"
SUBJECT = "+4520123456"
ATTEMPT_SQL = (
    "INSERT INTO callback_attempts (id, request_id, phone, attempt_no, started_at, ended_at, "
    "outcome, local_weekday, local_hour, hours_since_request, segment, policy) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'predicted')"
)


def _fill(
    store: SqliteStore, phone: str, requests: int, attempts: int, *, at: float, rng: random.Random
) -> None:
    """``requests`` requests for ``phone`` (the last one open) with ``attempts`` attempts,
    inside the caller's transaction."""
    conn = store.db.conn
    ids = []
    for n in range(requests):
        status = "pending" if n == requests - 1 else "done"
        ids.append(
            conn.execute(
                "INSERT INTO callback_requests (phone, source, created_at, status, segment, "
                "timezone) VALUES (?, 'api', ?, ?, 'b2b', 'Europe/Copenhagen')",
                (phone, at, status),
            ).lastrowid
        )
    rows = []
    for n in range(attempts):
        started = at - rng.random() * 300 * 86400
        rows.append(
            (
                uuid.uuid4().hex,
                ids[n % requests],
                phone,
                1 + n % 3,
                started,
                started + 30,
                "answered" if rng.random() < 0.3 else "no_answer",
                rng.randrange(7),
                rng.randrange(24),
                1.0,
                "b2b",
            )
        )
    conn.executemany(ATTEMPT_SQL, rows)


def _filled(
    store: SqliteStore, phone: str, requests: int, attempts: int, rng: random.Random
) -> None:
    store.db.conn.execute("BEGIN")
    _fill(store, phone, requests, attempts, at=NOW - 3600, rng=rng)
    store.db.conn.execute("COMMIT")


def _person_extras(store: SqliteStore, phone: str) -> None:
    call_id = uuid.uuid4().hex
    with store.transaction() as tx:
        tx.insert("calls", {"call_id": call_id, "caller": phone.lstrip("+"), "started_at": NOW})
        for i in range(6):
            tx.insert(
                "transcript_turns",
                {"call_id": call_id, "at": NOW, "speaker": "caller", "text": f"turn {i}"},
            )
        tx.insert("cases", {"phone": phone, "reason": "broken", "created_at": NOW})
        tx.insert(
            "sms_outbox",
            {"idempotency_key": call_id, "phone": phone, "body": "x", "created_at": NOW},
        )
        tx.insert("do_not_call", {"phone": phone, "source": "caller", "added_at": NOW})


def _background(store: SqliteStore, attempts: int, rng: random.Random) -> None:
    """Other customers: ten attempts over two requests each, 10,000 customers a commit."""
    conn = store.db.conn
    for first in range(0, attempts // 10, 10_000):
        conn.execute("BEGIN")
        for n in range(first, min(first + 10_000, attempts // 10)):
            at = NOW - rng.random() * 400 * 86400
            _fill(store, f"+4531{n:06d}", 2, 10, at=at, rng=rng)
        conn.execute("COMMIT")


def _keeper_refit(store: SqliteStore, settings: Settings) -> float:
    """What the scheduler daemon's keeper does at each refit: read, fit, store; seconds."""
    cb = settings.callbacks
    industry, calendar = cb.segment_industry, season_calendar(settings)
    started = time.perf_counter()
    log, window = read_attempt_window(
        store, industry, seasons=calendar, timezone=cb.default_timezone
    )
    model = contact_model.fit(log, now=time.time())
    fingerprint = fitting_fingerprint(
        industry, MAX_ROWS, seasons=calendar, timezone=cb.default_timezone
    )
    save_model(store, stored_form(model, window, fingerprint))
    return time.perf_counter() - started


def _unstored_export(store: SqliteStore, settings: Settings) -> tuple[float, str | None]:
    """The export with no stored model (the row put back after); seconds, model source."""
    [row] = store.query("SELECT * FROM fitted_models")
    store.execute("DELETE FROM fitted_models")
    try:
        started = time.perf_counter()
        export = export_person(store, SUBJECT, settings, now=time.time())
        took = time.perf_counter() - started
    finally:
        store.insert("fitted_models", row)
    return took, export.explanations[0].model_source


def _command_export(folder: Path, runs: int, settings: Settings) -> tuple[list[float], int]:
    """``spillway gdpr export`` as an admin runs it, on the export database: seconds, failures."""
    config = folder / "export.yaml"
    cb = settings.callbacks
    calendar = (
        f"callbacks:\n  seasons_file: {cb.seasons_file}\n  season_region: {cb.season_region}\n"
        if cb.seasons_file
        else ""
    )
    config.write_text(f"storage:\n  sqlite_path: {folder / 'export.db'}\n{calendar}")
    out = folder / "export.json"
    argv = [sys.executable, "-m", "cli", "--config", str(config), "gdpr", "export", SUBJECT]
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    took, failures = [], 0
    for _ in range(runs):
        out.unlink(missing_ok=True)
        started = time.perf_counter()
        done = subprocess.run(
            [*argv, "--out", str(out)], env=env, capture_output=True, text=True, check=False
        )
        took.append(time.perf_counter() - started)
        failures += done.returncode != 0 or not out.exists() or '"stored"' not in out.read_text()
    return took, failures


def bench_export(
    folder: Path,
    runs: int,
    rng: random.Random,
    *,
    thread_per_core: bool = False,
    settings: Settings | None = None,
) -> dict[str, Any]:
    store = SqliteStore(folder / "export.db")
    store.migrate()
    if not store.query("SELECT 1 FROM callback_requests LIMIT 1"):
        _background(store, 100_000, rng)
        _filled(store, SUBJECT, 1_000, 10_000, rng)
        _person_extras(store, SUBJECT)
    settings = settings or Settings()
    refit_s = _keeper_refit(store, settings)
    rows_s, stored_s, fitted_s, per_core_s = [], [], [], []
    failures = 0
    for _ in range(runs):
        started = time.perf_counter()
        found = person_rows(store, SUBJECT)
        rows_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        export = export_person(store, SUBJECT, settings, now=time.time())
        stored_s.append(time.perf_counter() - started)
        failures += export.explanations[0].model_source != "stored"
        took, source = _unstored_export(store, settings)
        fitted_s.append(took)
        failures += source != "none"
        if thread_per_core:
            # The fallback with the booster on a thread per core (before: the library's
            # default), interleaved so that both see the same load.
            contact_model.GBM_THREADS = None
            try:
                per_core_s.append(_unstored_export(store, settings)[0])
            finally:
                contact_model.GBM_THREADS = 1
    [size] = store.query("SELECT length(body) AS n FROM fitted_models")
    store.close()
    command_s, command_failures = _command_export(folder, runs, settings)
    failures += command_failures
    report: dict[str, Any] = {
        "attempts_in_database": 110_000,
        "seasons_file": str(settings.callbacks.seasons_file or ""),
        "rows_exported": sum(len(r) for r in found.values()),
        "open_callbacks_explained": len(export.explanations),
        "failures": failures,
        "keeper_refit_and_store_s": round(refit_s, 3),
        "stored_model_chars": size["n"],
        "rows_median_s": round(statistics.median(rows_s), 3),
        "export_median_s": round(statistics.median(stored_s), 3),
        "export_max_s": round(max(stored_s), 3),
        "export_runs_s": [round(s, 3) for s in stored_s],
        "export_no_stored_model_median_s": round(statistics.median(fitted_s), 3),
        "export_no_stored_model_runs_s": [round(s, 3) for s in fitted_s],
        "command_median_s": round(statistics.median(command_s), 3),
        "command_max_s": round(max(command_s), 3),
        "command_runs_s": [round(s, 3) for s in command_s],
        "no_stored_over_stored": round(
            statistics.median(fitted_s) / statistics.median(stored_s), 1
        ),
    }
    if per_core_s:
        report["export_no_stored_thread_per_core_median_s"] = round(
            statistics.median(per_core_s), 3
        )
        report["export_no_stored_thread_per_core_runs_s"] = [round(s, 3) for s in per_core_s]
        report["per_core_over_one_thread"] = round(
            statistics.median(per_core_s) / statistics.median(fitted_s), 2
        )
    return report


def _large_database(folder: Path, rng: random.Random) -> SqliteStore:
    """The 1,000,000-attempt database (built once per folder)."""
    store = SqliteStore(folder / "forget.db")
    store.migrate()
    if not store.query("SELECT 1 FROM callback_requests LIMIT 1"):
        _background(store, 1_000_000 - 100, rng)
    return store


def bench_forget(folder: Path, runs: int, rng: random.Random) -> dict[str, Any]:
    store = _large_database(folder, rng)
    total = store.query("SELECT count(*) AS n FROM callback_attempts")[0]["n"] + 100
    times = []
    for _ in range(runs):
        _filled(store, SUBJECT, 10, 100, rng)
        _person_extras(store, SUBJECT)
        started = time.perf_counter()
        erased = forget(store, SUBJECT, key=KEY, actor="bench", now=time.time())
        times.append(time.perf_counter() - started)
        store.execute("DELETE FROM do_not_call")
    store.close()
    return {
        "attempts_in_database": total,
        "rows_erased": erased.total,
        "forget_median_s": round(statistics.median(times), 3),
        "forget_runs_s": [round(s, 3) for s in times],
    }


def bench_retention(folder: Path, rng: random.Random) -> dict[str, Any]:
    periods = Periods.from_settings(GdprSettings())
    source = _large_database(folder, rng)
    source.backup(folder / "retention.db")  # the same old rows, for the batched run
    source.close()
    store = SqliteStore(folder / "forget.db")
    started = time.perf_counter()
    removed = apply_retention(store, periods, now=NOW)
    took = time.perf_counter() - started
    store.close()
    # As the scheduler daemon runs it: batches of RETENTION_BATCH_ROWS per table.
    store = SqliteStore(folder / "retention.db")
    batches, batched_rows = [], 0
    while True:
        started = time.perf_counter()
        batch = apply_retention(store, periods, now=NOW, batch_rows=RETENTION_BATCH_ROWS)
        batches.append(time.perf_counter() - started)
        batched_rows += sum(batch.values())
        if not any(batch.values()):
            break
    store.close()
    return {
        "rows_removed": sum(removed.values()),
        "retention_s": round(took, 3),
        "batched_rows_removed": batched_rows,
        "batched_total_s": round(sum(batches), 3),
        "batches": len(batches),
        "batch_median_s": round(statistics.median(batches), 3),
        "batch_max_s": round(max(batches), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the databases here")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--thread-per-core",
        action="store_true",
        help="also time the export without a stored model with the booster on a thread per core",
    )
    parser.add_argument("--seasons", type=Path, help="a season calendar (callbacks.seasons_file)")
    parser.add_argument("--season-region", help="callbacks.season_region with --seasons")
    parser.add_argument(
        "--parts", default="export,forget,retention", help="which of export,forget,retention"
    )
    args = parser.parse_args()
    rng = random.Random(22)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-gdpr-"))
    folder.mkdir(parents=True, exist_ok=True)
    parts = set(args.parts.split(","))
    report: dict[str, Any] = {"machine": machine(), "load_average_at_start": os.getloadavg()}
    if "export" in parts:
        seasons = {"seasons_file": str(args.seasons), "season_region": args.season_region}
        report["export"] = bench_export(
            folder,
            args.runs,
            rng,
            thread_per_core=args.thread_per_core,
            settings=Settings(callbacks=seasons) if args.seasons else None,
        )
    if "forget" in parts:
        report["forget"] = bench_forget(folder, args.runs, rng)
    if "retention" in parts:
        report["retention"] = bench_retention(folder, rng)
    report["load_average_at_end"] = os.getloadavg()
    write_report(report, args.json)


if __name__ == "__main__":
    main()
