"""A person's right of access (`spillway gdpr export`): everything stored about them.

The rows come from every table of the map of personal data
(:data:`spillway.personal_data.PERSONAL_DATA`), found through its links
(their number in any stored form, their calls, their requests), so what is
exported is exactly what erasure would remove. For each open callback the
export adds the plain-words explanation of its timing, the same one
`spillway callbacks explain` gives (:func:`explain_requests`): the right of
access covers how the callback time is computed too.

Times are stored as UNIX seconds; the export gives them as ISO 8601 in the
shop's time zone, with its offset (``2026-12-03T23:20:21+01:00``): a person
reading their data should not have to convert epoch seconds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.dialer import attempt_rows, load_facts
from scheduler.requests import OPEN_STATUSES
from scheduler.rules import rules_from_settings
from scheduler.signals import signals_for
from scheduler.timing.contact_model import ContactModel, fit
from scheduler.timing.explain import Explanation, explain
from scheduler.timing.model_keeper import read_attempt_log, season_calendar
from scheduler.timing.signal_evidence import SignalSettings
from scheduler.timing.slot_policy import calendar_season
from spillway.audit import audit
from spillway.personal_data import PERSONAL_DATA, person_where
from spillway.phone import phone_forms
from spillway.settings import Settings
from spillway.storage import Row, Store, check_identifier

# The columns (and explanation fields) that hold a moment in UNIX seconds: ``at``,
# ``*_at`` and a request's window. tests/test_gdpr.py fails when a mapped
# table gains a REAL column that is neither one of these nor listed there as a number.
TIME_FIELD = re.compile(r"^(at|\w+_at|not_before|not_after|deadline)$")


def iso_time(ts: float, zone: ZoneInfo) -> str:
    """A moment as ISO 8601 in ``zone``, with its offset, to the second."""
    return datetime.fromtimestamp(ts, zone).isoformat(timespec="seconds")


def with_iso_times(rows: Sequence[Mapping[str, Any]], zone: ZoneInfo) -> list[dict[str, Any]]:
    """``rows`` (of one table: the same fields) with each time field (:data:`TIME_FIELD`)
    given as :func:`iso_time`."""
    times = [k for k in rows[0] if TIME_FIELD.match(k)] if rows else []
    converted = []
    for row in rows:
        out = dict(row)
        for k in times:
            if isinstance(v := out[k], int | float):
                out[k] = iso_time(float(v), zone)
        converted.append(out)
    return converted


@dataclass(frozen=True, slots=True)
class SubjectExport:
    phone: str
    exported_at: float
    tables: dict[str, list[Row]]  # table -> the person's rows, as stored
    explanations: list[Explanation]  # one per open callback
    zone: str = "UTC"  # the shop's time zone: the export's times are given in it

    @property
    def rows(self) -> int:
        return sum(len(rows) for rows in self.tables.values())

    def as_json(self) -> dict[str, Any]:
        zone = ZoneInfo(self.zone)
        return {
            "phone": self.phone,
            "exported_at": iso_time(self.exported_at, zone),
            "time_zone": self.zone,
            "purposes": {t.name: t.purpose for t in PERSONAL_DATA if self.tables.get(t.name)},
            "data": {
                name: with_iso_times(rows, zone) for name, rows in self.tables.items() if rows
            },
            "callback_timing": with_iso_times([e.as_json() for e in self.explanations], zone),
        }

    def json_text(self) -> str:
        """The export as `spillway gdpr export` writes it (and the console downloads it)."""
        return json.dumps(self.as_json(), indent=2, default=str, ensure_ascii=False)


def person_rows(store: Store, e164: str) -> dict[str, list[Row]]:
    """Every mapped table's rows that belong to ``e164``, in the map's order."""
    forms = phone_forms(e164)
    found: dict[str, list[Row]] = {}
    with store.transaction() as tx:
        for table in PERSONAL_DATA:
            where, params = person_where(table.name, forms)
            found[table.name] = tx.query(
                f"SELECT * FROM {check_identifier(table.name)} WHERE {where}", params
            )
    return found


def export_person(
    store: Store, e164: str, settings: Settings, *, now: float, actor: str | None = None
) -> SubjectExport:
    """What :mod:`spillway.personal_data` says is stored about ``e164``, and why its
    open callbacks are timed as they are; ``actor``: recorded in the audit log."""
    tables = person_rows(store, e164)
    open_rows = [r for r in tables["callback_requests"] if r["status"] in OPEN_STATUSES]
    found = SubjectExport(
        e164,
        now,
        tables,
        explain_requests(store, open_rows, settings, now=now),
        zone=settings.shop.timezone,
    )
    if actor is not None:
        with store.transaction() as tx:
            rows = {name: len(rows) for name, rows in tables.items()}
            audit(tx, actor=actor, action="export", rows=rows, now=now)
    return found


def explain_requests(
    store: Store,
    rows: Sequence[Row],
    settings: Settings,
    *,
    now: float,
    model: ContactModel | None = None,
) -> list[Explanation]:
    """The timing explanation of each request row (the one `spillway callbacks explain`,
    the console and a subject-access export all give), over ``model`` or else one fitted
    from the attempts now, as the scheduler daemon fits it."""
    if not rows:
        return []
    cb = settings.callbacks
    seasons = season_calendar(settings)
    if model is None:
        model = fit(
            read_attempt_log(
                store, cb.segment_industry, seasons=seasons, timezone=cb.default_timezone
            ),
            now=now,
        )
    rules = rules_from_settings(settings)
    signals = SignalSettings.from_settings(cb)
    explained = []
    for row in rows:
        with store.transaction() as tx:
            facts = load_facts(
                tx, dict(row), default_timezone=cb.default_timezone, counting_claim=False
            )
            # The customer's recent signals, as the dialer reads them when it plans.
            recent = signals_for(tx, [facts.phone], since_s=now - signals.horizon_s, until_s=now)
            facts = replace(facts, signals=tuple(recent[facts.phone]))
        made = attempt_rows(store, int(row["id"]))
        explained.append(
            explain(
                dict(row),
                facts,
                rules,
                model,
                now=now,
                configured_policy=cb.policy,
                first_attempt_at=min((a["started_at"] for a in made), default=None),
                signal_settings=signals,
                language=settings.shop.language,
                season_of=calendar_season(seasons) if seasons.periods else None,
            )
        )
    return explained
