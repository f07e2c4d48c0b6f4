"""A person's right of access (`spillway gdpr export`): everything stored about them.

The rows come from every table of the map of personal data
(:data:`spillway.personal_data.PERSONAL_DATA`), found through its links
(their number in any stored form, their calls, their requests), so what is
exported is exactly what erasure would remove. For each open callback the
export adds the plain-words explanation of its timing, the same one
`spillway callbacks explain` gives (:func:`explain_requests`): the right of
access covers how the callback time is computed too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scheduler.contact_model import ContactModel, fit
from scheduler.dialer import attempt_rows, load_facts
from scheduler.explain import Explanation, explain
from scheduler.model_keeper import read_attempt_log
from scheduler.requests import OPEN_STATUSES
from scheduler.rules import rules_from_settings
from spillway.audit import audit
from spillway.personal_data import PERSONAL_DATA, person_where
from spillway.phone import phone_forms
from spillway.settings import Settings
from spillway.storage import Row, Store, check_identifier


@dataclass(frozen=True, slots=True)
class SubjectExport:
    phone: str
    exported_at: float
    tables: dict[str, list[Row]]  # table -> the person's rows, as stored
    explanations: list[Explanation]  # one per open callback

    @property
    def rows(self) -> int:
        return sum(len(rows) for rows in self.tables.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "exported_at": self.exported_at,
            "purposes": {t.name: t.purpose for t in PERSONAL_DATA if self.tables.get(t.name)},
            "data": {name: rows for name, rows in self.tables.items() if rows},
            "callback_timing": [e.as_json() for e in self.explanations],
        }


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
    found = SubjectExport(e164, now, tables, explain_requests(store, open_rows, settings, now=now))
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
    if model is None:
        model = fit(read_attempt_log(store, cb.segment_industry), now=now)
    rules = rules_from_settings(settings)
    explained = []
    for row in rows:
        with store.transaction() as tx:
            facts = load_facts(
                tx, dict(row), default_timezone=cb.default_timezone, counting_claim=False
            )
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
            )
        )
    return explained
