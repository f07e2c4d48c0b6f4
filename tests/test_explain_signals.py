"""`spillway callbacks explain` names the customer's own signals that moved the chosen hour,
in the shop's language (English and Danish, from the packs), and says so when none did."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from typer.testing import CliRunner

from cli.main import app
from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from scheduler.rules import CallingRules, RequestFacts
from scheduler.signals import SignalEvent, record
from scheduler.timing.contact_model import AttemptLog, fit
from scheduler.timing.explain import CallHistory, Explanation, explain
from scheduler.timing.signal_evidence import SignalSettings
from spillway.storage import SqliteStore

ZONE = ZoneInfo("Europe/Copenhagen")
PHONE = "+4520123456"
MON_9 = datetime(2026, 6, 29, 9, 0, tzinfo=ZONE).timestamp()
TUE_15 = datetime(2026, 6, 30, 15, 0, tzinfo=ZONE).timestamp()


def _opens_before(at: float, weeks: int = 3) -> tuple[SignalEvent, ...]:
    """E-mails opened at ``at``'s weekday and hour (plus ten minutes), the weeks before."""
    return tuple(
        SignalEvent(PHONE, "email_open", at - w * 7 * 86400 + 600) for w in range(weeks, 0, -1)
    )


def _explained(signals: tuple[SignalEvent, ...], language: str, planned_at: float) -> Explanation:
    row: dict[str, Any] = {
        "id": 1,
        "status": "pending",
        "source": "api",
        "traditional": 0,
        "not_before": planned_at,
        "not_after": None,
        "planned_by": "predicted",
        "plan_pick_share": 0.9,
        "plan_reason": None,
        "last_error": None,
    }
    facts = RequestFacts(PHONE, "Europe/Copenhagen", MON_9, segment="shops", signals=signals)
    empty = AttemptLog([], [], np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool))
    return explain(
        row,
        facts,
        CallingRules(),
        fit(empty, now=MON_9, gbm=False),
        now=MON_9,
        configured_policy="predicted",
        history=CallHistory(),
        signal_settings=SignalSettings(),
        language=language,
    )


def test_the_explanation_names_the_signal_that_moved_the_hour_in_english() -> None:
    factors = _explained(_opens_before(TUE_15), "en", TUE_15).factors
    assert (
        "Your own activity moved this time: you often open our e-mails on Tuesday "
        "afternoons (recently: 3)."
    ) in factors


def test_the_explanation_names_the_signal_in_danish() -> None:
    factors = _explained(_opens_before(TUE_15), "da", TUE_15).factors
    assert (
        "Din egen aktivitet flyttede tidspunktet: du åbner tit vores e-mails tirsdag "
        "eftermiddag (for nylig: 3)."
    ) in factors


def test_signals_elsewhere_are_not_claimed_for_the_chosen_hour() -> None:
    monday_evening = datetime(2026, 6, 29, 19, 0, tzinfo=ZONE).timestamp()
    factors = _explained(_opens_before(monday_evening), "en", TUE_15).factors
    assert not any("moved this time" in f for f in factors)
    assert any("your 3 recent visits, e-mail opens and calls" in f for f in factors)


def test_without_signals_nothing_is_said_about_them() -> None:
    factors = _explained((), "en", TUE_15).factors
    assert not any("activity" in f or "recent visits" in f for f in factors)


def test_the_command_reads_the_signals_and_speaks_the_shops_language(
    tmp_path: Path, store: SqliteStore
) -> None:
    now = time.time()
    local = datetime.fromtimestamp(now, ZONE)
    # Two days ahead, 15:30 local (a weekday or not: the plan is given, not chosen here).
    planned = (local + timedelta(days=2)).replace(hour=15, minute=30, second=0, microsecond=0)
    with store.transaction() as tx:
        request = intake.record(
            tx, NewRequest(PHONE, RequestSource.API, "t", segment="shops"), region="DK", now=now
        ).id
        for n, event in enumerate(_opens_before(planned.timestamp())):
            record(tx, f"ev-{n}", event, source="test", now_s=now)
    store.execute(
        "UPDATE callback_requests SET not_before = ?, planned_by = 'predicted' WHERE id = ?",
        (planned.timestamp(), request),
    )
    config = tmp_path / "c.yaml"
    config.write_text(f"shop:\n  language: da\nstorage:\n  sqlite_path: {store.path}\n")
    result = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "explain", str(request), "--json"]
    )
    assert result.exit_code == 0, result.output
    factors = json.loads(result.stdout)["factors"]
    day = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")[
        planned.weekday()
    ]
    assert f"du åbner tit vores e-mails {day} eftermiddag (for nylig: 3)" in " ".join(factors)
