"""Retention over back-dated rows: past their period they go, within it they stay, a held
person stays, and the anonymous aggregates keep the contact model's hour-of-week shape."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from scheduler.daemon import run_scheduler
from scheduler.timing.contact_model import fit
from scheduler.timing.model_keeper import read_attempt_log
from spillway.console_text import load_console_text
from spillway.errors import InputError
from spillway.retention import MONTH_S, Periods, apply_retention, hold, release
from spillway.settings import GdprSettings
from spillway.storage import AsyncStore, SqliteStore, Transaction
from tests.conftest import unreachable_ami_settings
from tests.database_line import without_database_line

NOW = time.time()
PERIODS = Periods.from_settings(GdprSettings())  # 24 months for numbers, 12 for call times
OLD_CALL = NOW - 13 * MONTH_S  # past the call times' period, within the numbers'
OLD_NUMBER = NOW - 25 * MONTH_S  # past both
RECENT = NOW - 2 * MONTH_S


def _person(store: SqliteStore, phone: str, at: float, *, attempts: int = 1) -> int:
    """A call with its transcript, a request with attempts, a case and an SMS, all at ``at``."""
    call_id = f"call-{uuid.uuid4().hex[:8]}"
    with store.transaction() as tx:
        tx.insert("calls", {"call_id": call_id, "caller": phone, "started_at": at})
        tx.insert(
            "transcript_turns", {"call_id": call_id, "at": at, "speaker": "caller", "text": "hi"}
        )
        tx.insert("call_events", {"call_id": call_id, "at": at, "kind": "stage"})
        rid = tx.insert(
            "callback_requests",
            {"phone": phone, "source": "api", "created_at": at, "status": "done", "segment": "b2b"},
        )
        for n in range(attempts):
            _attempt(
                tx, rid, phone, at + n * 3600, weekday=n % 5, hour=9 + n % 8, answered=n % 3 == 0
            )
        tx.insert("cases", {"phone": phone, "reason": "late", "created_at": at, "call_id": call_id})
        tx.insert(
            "sms_outbox",
            {"idempotency_key": call_id, "phone": phone, "body": "link", "created_at": at},
        )
    return rid


def _attempt(
    tx: Transaction, rid: int, phone: str, at: float, *, weekday: int, hour: int, answered: bool
) -> None:
    tx.insert(
        "callback_attempts",
        {
            "id": uuid.uuid4().hex,
            "request_id": rid,
            "phone": phone,
            "attempt_no": 1,
            "started_at": at,
            "ended_at": at + 30,
            "outcome": "answered" if answered else "no_answer",
            "local_weekday": weekday,
            "local_hour": hour,
            "hours_since_request": 1.0,
            "segment": "b2b",
            "policy": "predicted",
        },
    )


def _counts(store: SqliteStore, phone: str) -> dict[str, int]:
    return {
        "calls": len(store.query("SELECT 1 FROM calls WHERE caller = ?", (phone,))),
        "requests": len(store.query("SELECT 1 FROM callback_requests WHERE phone = ?", (phone,))),
        "attempts": len(store.query("SELECT 1 FROM callback_attempts WHERE phone = ?", (phone,))),
        "cases": len(store.query("SELECT 1 FROM cases WHERE phone = ?", (phone,))),
        "sms": len(store.query("SELECT 1 FROM sms_outbox WHERE phone = ?", (phone,))),
    }


def test_rows_past_their_period_go_and_the_others_stay(store: SqliteStore) -> None:
    _person(store, "+4520000001", OLD_NUMBER, attempts=3)
    _person(store, "+4520000002", OLD_CALL, attempts=2)
    _person(store, "+4520000003", RECENT)
    _person(store, "+4520000004", OLD_NUMBER, attempts=3)
    assert hold(store, "+4520000004", reason="access request 17", actor="dpo", now=NOW)
    store.insert("do_not_call", {"phone": "+4520000001", "source": "admin", "added_at": OLD_NUMBER})
    dry = apply_retention(store, PERIODS, now=NOW, dry_run=True)
    assert dry["callback_attempts"] == 5 and dry["calls"] == 2
    assert _counts(store, "+4520000001")["attempts"] == 3  # a dry run changes nothing
    removed = apply_retention(store, PERIODS, now=NOW)
    assert removed == dry
    # Past both periods: everything goes (the do-not-call entry is kept until erased).
    assert _counts(store, "+4520000001") == dict.fromkeys(_counts(store, "x"), 0)
    assert store.query("SELECT phone FROM do_not_call") == [{"phone": "+4520000001"}]
    # Past the call times only: calls and attempts go, the request, case and SMS stay.
    assert _counts(store, "+4520000002") == {
        "calls": 0, "requests": 1, "attempts": 0, "cases": 1, "sms": 1
    }  # fmt: skip
    assert store.query("SELECT count(*) AS n FROM transcript_turns")[0]["n"] == 2
    assert _counts(store, "+4520000003") == dict.fromkeys(_counts(store, "x"), 1)
    # Held: nothing of theirs goes, until released.
    assert _counts(store, "+4520000004")["attempts"] == 3
    assert release(store, "+4520000004", reason="access request 17 answered", actor="dpo", now=NOW)
    assert apply_retention(store, PERIODS, now=NOW)["callback_attempts"] == 3
    assert _counts(store, "+4520000004")["requests"] == 0
    # The aggregates keep all eight attempts that went, without a number.
    [agg] = store.query(
        "SELECT sum(tries) AS tries, sum(answers) AS answers FROM contact_aggregates"
    )
    assert agg == {"tries": 8, "answers": 3}  # the first of each person's attempts answered
    actions = [r["action"] for r in store.query("SELECT action FROM gdpr_audit ORDER BY id")]
    assert actions == ["hold", "retention", "release", "retention"]


def test_the_model_fitted_after_retention_keeps_its_hour_of_week_shape(store: SqliteStore) -> None:
    rng = np.random.default_rng(7)
    shape = np.full(168, 0.05)
    for day in range(5):
        shape[day * 24 + 9 : day * 24 + 12] = 0.7  # mornings answer
        shape[day * 24 + 14 : day * 24 + 17] = 0.3
    with store.transaction() as tx:
        for person in range(300):
            phone = f"+45{30000000 + person}"
            rid = tx.insert(
                "callback_requests",
                {
                    "phone": phone,
                    "source": "csv",
                    "created_at": OLD_NUMBER + 86400,
                    "status": "done",
                },
            )
            for _ in range(10):
                slot = int(rng.integers(0, 168))
                _attempt(
                    tx, rid, phone, OLD_CALL, weekday=slot // 24, hour=slot % 24,
                    answered=bool(rng.random() < shape[slot]),
                )  # fmt: skip
    before = fit(read_attempt_log(store), now=NOW).segment_mean("b2b")
    removed = apply_retention(store, PERIODS, now=NOW)
    assert removed["callback_attempts"] == 3000 and removed["callback_requests"] == 300
    log = read_attempt_log(store)
    assert len(log) == 3000 and set(log.customer) == {""}  # anonymous counts only
    after = fit(log, now=NOW).segment_mean("b2b")
    assert np.corrcoef(before, after)[0, 1] > 0.98
    assert np.abs(before - after).max() < 0.05
    # the shape is the data's, not the prior's: mornings well above afternoons
    mornings = [d * 24 + h for d in range(5) for h in (9, 10, 11)]
    afternoons = [d * 24 + h for d in range(5) for h in (14, 15, 16)]
    assert after[mornings].mean() > after[afternoons].mean() + 0.2


def test_the_cli_holds_and_counts(store: SqliteStore) -> None:
    _person(store, "+4520123405", OLD_NUMBER)
    env = {"SPILLWAY_STORAGE__SQLITE_PATH": str(store.path)}
    runner = CliRunner()
    # A hold says why, as a release does (the second walkthrough held with no reason).
    for bad in ([], ["--reason", " "], ["--reason", "call 20 12 34 05"]):
        refused = runner.invoke(app, ["gdpr", "hold", "20123405", *bad], env=env)
        assert isinstance(refused.exception, InputError), refused.output
    assert store.query("SELECT * FROM gdpr_holds") == []
    held = runner.invoke(app, ["gdpr", "hold", "20123405", "--reason", "ticket 9"], env=env)
    assert held.exit_code == 0 and "held" in held.output
    dry = runner.invoke(app, ["gdpr", "retention", "--dry-run"], env=env)
    assert "0 rows past their retention period would be removed" in dry.output
    released = runner.invoke(
        app, ["gdpr", "release", "+4520123405", "--reason", "ticket 9 answered"], env=env
    )
    assert released.exit_code == 0 and "released" in released.output, released.output
    dry = runner.invoke(app, ["gdpr", "retention", "--dry-run"], env=env)
    assert "7 rows past their retention period would be removed" in dry.output, dry.output
    done = runner.invoke(app, ["gdpr", "retention"], env=env)
    assert "7 rows past their retention period removed" in done.output
    [audited] = store.query("SELECT detail FROM gdpr_audit WHERE action = 'retention'")
    t = load_console_text("en")
    for name, n in json.loads(audited["detail"]).items():  # each table in words, as forget's
        said = t("cli.gdpr.forget_table", table=t(f"table.{name}"), rows=t.count("count.rows", n))
        assert said in done.output.splitlines()
    assert _counts(store, "+4520123405") == dict.fromkeys(_counts(store, "x"), 0)


def test_the_holds_list_masks_numbers_and_says_when_nobody_is_held(store: SqliteStore) -> None:
    env = {"SPILLWAY_STORAGE__SQLITE_PATH": str(store.path)}
    runner = CliRunner()
    nobody = runner.invoke(app, ["gdpr", "holds"], env=env).output
    assert without_database_line(nobody).strip() == "nobody is on hold"
    runner.invoke(app, ["gdpr", "hold", "20123405", "--reason", "SAR-1"], env=env)
    shown = runner.invoke(app, ["gdpr", "holds"], env=env).output
    assert "+********05" in shown and "20123405" not in shown and "SAR-1" in shown
    assert "+4520123405" in runner.invoke(app, ["gdpr", "holds", "--full"], env=env).output


def test_a_second_hold_keeps_its_reason(store: SqliteStore) -> None:
    """Holding a person already held (a second access request) keeps the hold and records
    the new reason, in the hold and in the audit log, and `gdpr hold` says so."""
    env = {"SPILLWAY_STORAGE__SQLITE_PATH": str(store.path)}
    runner = CliRunner()
    first = runner.invoke(app, ["gdpr", "hold", "20123405", "--reason", "SAR-1"], env=env)
    second = runner.invoke(app, ["gdpr", "hold", "20123405", "--reason", "SAR-2"], env=env)
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    rows = store.query("SELECT action, reason FROM gdpr_audit ORDER BY id")
    assert [(r["action"], r["reason"]) for r in rows] == [("hold", "SAR-1"), ("hold", "SAR-2")]
    [held] = store.query("SELECT reason FROM gdpr_holds")
    assert held["reason"] == "SAR-1; SAR-2"
    assert "already held: the hold stands, and the reason was added" in second.output
    assert "is held" in first.output
    # The same reason again is still on record in the log, and not repeated in the hold.
    hold(store, "+4520123405", reason="SAR-2", actor="dpo", now=NOW)
    assert store.query("SELECT reason FROM gdpr_holds")[0]["reason"] == "SAR-1; SAR-2"
    assert len(store.query("SELECT 1 FROM gdpr_audit WHERE reason = 'SAR-2'")) == 2


def test_a_release_says_why_and_the_audit_log_shows_it(store: SqliteStore) -> None:
    """`gdpr release` without a reason (or with the person's number in it) is refused and
    changes nothing; with one, the reason is in gdpr_audit.reason and in `gdpr audit`."""
    env = {"SPILLWAY_STORAGE__SQLITE_PATH": str(store.path)}
    runner = CliRunner()
    runner.invoke(app, ["gdpr", "hold", "20123405", "--reason", "SAR-9"], env=env)
    bare = runner.invoke(app, ["gdpr", "release", "20123405"], env=env)
    blank = runner.invoke(app, ["gdpr", "release", "20123405", "--reason", "  "], env=env)
    number = runner.invoke(
        app, ["gdpr", "release", "20123405", "--reason", "called 20 12 34 05 back"], env=env
    )
    for refused in (bare, blank, number):  # the CLI's entry point prints it as one line
        assert isinstance(refused.exception, InputError), refused.output
    assert "a release needs its reason" in str(bare.exception)
    assert "a release needs its reason" in str(blank.exception)
    assert "must never keep it" in str(number.exception)
    assert store.query("SELECT phone FROM gdpr_holds") == [{"phone": "+4520123405"}]
    done = runner.invoke(
        app, ["gdpr", "release", "20123405", "--reason", "SAR-9  answered"], env=env
    )
    assert done.exit_code == 0, done.output
    assert store.query("SELECT phone FROM gdpr_holds") == []
    rows = store.query("SELECT action, reason FROM gdpr_audit ORDER BY id")
    assert [(r["action"], r["reason"]) for r in rows] == [
        ("hold", "SAR-9"), ("release", "SAR-9 answered")
    ]  # fmt: skip
    listing = runner.invoke(app, ["gdpr", "audit"], env=env)
    # A table: the reason in its own column (words may wrap within it).
    assert "reason" in listing.output and "SAR-9" in listing.output, listing.output
    assert "answered" in listing.output
    with pytest.raises(InputError):
        release(store, "+4520123405", reason="", actor="dpo", now=NOW)


@pytest.mark.asyncio(loop_scope="session")
async def test_the_scheduler_daemon_applies_retention(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "d.db")
    store.migrate()
    _person(store, "+4520000006", OLD_NUMBER)
    settings = unreachable_ami_settings(tmp_path, tmp_path / "spool")
    astore = AsyncStore(store)
    stop = asyncio.Event()
    daemon = asyncio.create_task(run_scheduler(settings, astore, stop, node="t"))
    try:
        for _ in range(200):
            if not store.query("SELECT 1 FROM calls"):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(daemon, 10)
        astore.close()
    assert _counts(store, "+4520000006") == dict.fromkeys(_counts(store, "x"), 0)
    store.close()


def test_in_batches_it_removes_the_same_rows_children_first(tmp_path: Path) -> None:
    stores = []
    for name in ("whole", "batched"):
        db = SqliteStore(tmp_path / f"{name}.db")
        db.migrate()
        _person(db, "+4520000001", OLD_NUMBER, attempts=3)
        _person(db, "+4520000002", OLD_CALL, attempts=2)
        _person(db, "+4520000003", RECENT)
        stores.append(db)
    whole, batched = stores
    removed = apply_retention(whole, PERIODS, now=NOW)
    calls, total = 0, dict.fromkeys(removed, 0)
    while any((batch := apply_retention(batched, PERIODS, now=NOW, batch_rows=1)).values()):
        calls += 1
        assert all(n <= 1 for n in batch.values())
        for name, n in batch.items():
            total[name] += n
    assert total == removed and calls > 3
    for phone in ("+4520000001", "+4520000002", "+4520000003"):
        assert _counts(batched, phone) == _counts(whole, phone)
    assert batched.query("SELECT * FROM contact_aggregates") == whole.query(
        "SELECT * FROM contact_aggregates"
    )
    for db in stores:
        db.close()
