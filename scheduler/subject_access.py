"""A person's right of access (`spillway gdpr export`): everything stored about them.

The rows come from every table of the map of personal data
(:data:`spillway.personal_data.PERSONAL_DATA`), found through its links
(their number in any stored form, their calls, their requests), so what is
exported is exactly what erasure would remove. For each open callback the
export adds the plain-words explanation of its timing, the same one
`spillway callbacks explain` gives (:func:`explain_requests`): the right of
access covers how the callback time is computed too. The explanation uses
the contact model the scheduler stored at its last refit, and fits one
only when none is fresh (:mod:`scheduler.timing.model_source`), so an export
takes a fraction of a second, not the seconds of a fit.

Times are stored as UNIX seconds; the export gives them as ISO 8601 in the
shop's time zone, with its offset (``2026-12-03T23:20:21+01:00``): a person
reading their data should not have to convert epoch seconds. A column that holds
JSON as text (a request's or case's ``context``, a call event's ``data``) is given
as the JSON object it holds, its times as ISO 8601 too. The rows are otherwise
as stored: a column kept as a code and its values (a request's ``plan_reason`` and
``last_error``) stays so, with its words in the shop's language beside it
(``plan_reason_words``, ``last_error_words``); a hash kept of a request (its
``idempotency_hash``, a merged request's ``hash``) is said to be one (``*_words``):
personal data, since a number can be found from it by trying them all.

Each open callback's timing names two moments of the first call: ``promised_by``, what
the customer was promised, and ``deadline_at``, the scheduler's own target for
conventional timing (earlier, for a request timed by prediction, which is promised
the close of its day); each has words beside it saying which is the promise, and
``given_up_at`` (with its words) when no call comes any more, ``expires_at`` (with its
words) when the request expires by the shop's own rule (later than ``given_up_at`` when
the time the customer asked for ends first).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.dialer import attempt_rows, load_facts
from scheduler.requests import OPEN_STATUSES
from scheduler.rules import RequestFacts, rules_from_settings
from scheduler.signals import signals_for
from scheduler.timing.explain import (
    CUSTOMER,
    CallHistory,
    Explanation,
    Promise,
    explain,
    promise,
)
from scheduler.timing.model_keeper import season_calendar
from scheduler.timing.model_source import ModelSource, model_source
from scheduler.timing.plan_reason import reason_words
from scheduler.timing.signal_evidence import SignalSettings
from scheduler.timing.slot_policy import calendar_season
from spillway.aggregates import FINISHED
from spillway.audit import audit
from spillway.console_text import ConsoleText, load_console_text
from spillway.language_pack import load_pack
from spillway.personal_data import (
    PERSONAL_DATA,
    Erasure,
    is_keyed_hash,
    keyed_hash,
    person_where,
)
from spillway.phone import phone_forms
from spillway.request_problem import problem_words
from spillway.settings import Settings
from spillway.storage import Row, Store, Transaction, check_identifier

# The columns (and explanation fields) that hold a moment in UNIX seconds: ``at``,
# ``*_at`` and a request's window. tests/test_gdpr.py fails when a mapped
# table gains a REAL column that is neither one of these nor listed there as a number.
TIME_FIELD = re.compile(r"^(at|\w+_at|not_before|not_after|deadline|promised_by)$")


def hash_words(_stored: str | None, text: ConsoleText) -> str:
    """What a stored hash of a request is, in ``text``'s language."""
    return text("dp.export_fields.hash")


def keyed_number_words(stored: str | None, text: ConsoleText) -> str | None:
    """What a do-not-call entry's number is when an erasure left its keyed hash in its
    place (:func:`spillway.personal_data.keyed_hash`); None for the number itself."""
    return text("dp.export_fields.keyed_number") if is_keyed_hash(stored) else None


# The columns stored as a code and its values, per table, worded beside them
# (``<column>_words``); a hash is said to be one.
WORDED: dict[str, dict[str, Callable[[str | None, ConsoleText], str | None]]] = {
    "callback_requests": {
        "plan_reason": reason_words,
        "last_error": problem_words,
        "idempotency_hash": hash_words,
    },
    "callback_request_keys": {"idempotency_hash": hash_words},
    "do_not_call": {"phone": keyed_number_words},
}
# The columns that hold JSON as text, per table: exported as the object they hold.
JSON_TEXT = {"callback_requests": {"context"}, "cases": {"context"}, "call_events": {"data"}}


def decoded(table: str, rows: Sequence[Mapping[str, Any]], text: ConsoleText) -> list[dict]:
    """``table``'s ``rows`` with each JSON-as-text column (:data:`JSON_TEXT`) given as what
    it holds (a text that is not JSON stays as stored), a merged request's hash said."""
    columns = JSON_TEXT.get(table, set())
    out = []
    for stored in rows:
        row = dict(stored)
        for column in columns & row.keys():
            try:
                value = json.loads(row[column]) if isinstance(row[column], str) else None
            except ValueError:
                continue
            if isinstance(value, dict):
                row[column] = _with_hash_words(value, text)
        out.append(row)
    return out


def _with_hash_words(context: dict[str, Any], text: ConsoleText) -> dict[str, Any]:
    """``context`` with each merged request's ``hash`` followed by what it is."""
    merged = context.get("merged")
    if not isinstance(merged, list):
        return context
    said = []
    for entry in merged:
        if isinstance(entry, dict) and entry.get("hash"):
            entry = {**entry, "hash_words": hash_words(entry["hash"], text)}
        said.append(entry)
    return {**context, "merged": said}


def timing_words(explained: Mapping[str, Any], text: ConsoleText) -> dict[str, Any]:
    """An explanation's JSON with the words that say which of its moments is the promise
    beside ``promised_by``, ``deadline_at``, ``given_up_at`` and ``expires_at``."""
    same = explained["deadline_at"] == explained["promised_by"]
    words = {
        "promised_by": "dp.export_fields.promised_by",
        "deadline_at": f"dp.export_fields.deadline_{'same' if same else 'target'}",
        "given_up_at": (
            "dp.export_fields.given_up_window"
            if explained["given_up_at"] != explained["expires_at"]
            else "dp.export_fields.given_up"
        ),
        # The request's own expiry: said beside it too, so the two moments of the end of a
        # request (expires_at, given_up_at) are not left for the reader to tell apart.
        "expires_at": (
            "dp.export_fields.expires_window"
            if explained["given_up_at"] != explained["expires_at"]
            else "dp.export_fields.expires"
        ),
    }
    out: dict[str, Any] = {}
    for key, value in explained.items():
        out[key] = value
        if key in words:
            out[f"{key}_words"] = text(words[key])
    return out


def iso_time(ts: float, zone: ZoneInfo) -> str:
    """A moment as ISO 8601 in ``zone``, with its offset, to the second."""
    return datetime.fromtimestamp(ts, zone).isoformat(timespec="seconds")


def with_iso_times(rows: Sequence[Mapping[str, Any]], zone: ZoneInfo) -> list[dict[str, Any]]:
    """``rows`` (of one table: the same fields) with each time field (:data:`TIME_FIELD`)
    given as :func:`iso_time`."""
    return [in_iso_times(dict(row), zone) for row in rows]


def with_words(
    table: str, rows: Sequence[Mapping[str, Any]], text: ConsoleText
) -> list[dict[str, Any]]:
    """``table``'s ``rows`` with each coded column (:data:`WORDED`) that holds a value
    followed by its words in ``text``'s language."""
    coded = WORDED.get(table, {})
    worded = []
    for row in rows:
        out: dict[str, Any] = {}
        for key, value in row.items():
            out[key] = value
            said = coded[key](str(value), text) if value and key in coded else None
            if said is not None:
                out[f"{key}_words"] = said
        worded.append(out)
    return worded


def in_iso_times(data: Any, zone: ZoneInfo) -> Any:
    """JSON-able ``data`` with every time field (:data:`TIME_FIELD`) at any depth (a
    merged request's ``at`` in a context too) given as :func:`iso_time`."""
    if isinstance(data, list):
        return [in_iso_times(item, zone) for item in data]
    if not isinstance(data, dict):
        return data
    return {
        key: (
            iso_time(float(value), zone)
            if TIME_FIELD.match(str(key))
            and isinstance(value, int | float)
            and not isinstance(value, bool)
            else in_iso_times(value, zone)
        )
        for key, value in data.items()
    }


@dataclass(frozen=True, slots=True)
class SubjectExport:
    phone: str
    exported_at: float
    tables: dict[str, list[Row]]  # table -> the person's rows, as stored
    explanations: list[Explanation]  # one per open callback
    zone: str = "UTC"  # the shop's time zone: the export's times are given in it
    language: str = "en"  # the shop's language: the purposes and coded columns are said in it

    @property
    def rows(self) -> int:
        return sum(len(rows) for rows in self.tables.values())

    def as_json(self) -> dict[str, Any]:
        zone = ZoneInfo(self.zone)
        text = load_console_text(self.language)
        return {
            "phone": self.phone,
            "exported_at": iso_time(self.exported_at, zone),
            "time_zone": self.zone,
            "purposes": {
                t.name: load_pack(self.language).say(f"purpose_{t.name}")
                for t in PERSONAL_DATA
                if self.tables.get(t.name)
            },
            "data": {
                name: with_iso_times(with_words(name, decoded(name, rows, text), text), zone)
                for name, rows in self.tables.items()
                if rows
            },
            # An explanation's plan_reason is the request's: worded beside it too.
            "callback_timing": with_iso_times(
                [
                    timing_words(e, text)
                    for e in with_words(
                        "callback_requests", [e.as_json() for e in self.explanations], text
                    )
                ],
                zone,
            ),
        }

    def json_text(self) -> str:
        """The export as `spillway gdpr export` writes it (and the console downloads it).

        Indented, but each stored row on one line: Python's C encoder writes only
        unindented JSON, and an indented dump of a customer with 10,000 attempts took
        most of the command's time (0.95 s of 1.3 s).
        """
        parts = []
        for key, value in self.as_json().items():
            if key == "data":
                tables = [
                    f"    {_compact(name)}: [\n"
                    + ",\n".join(f"      {_compact(row)}" for row in rows)
                    + "\n    ]"
                    for name, rows in value.items()
                ]
                text = "{\n" + ",\n".join(tables) + "\n  }" if tables else "{}"
            else:
                text = json.dumps(value, indent=2, default=str, ensure_ascii=False)
                text = text.replace("\n", "\n  ")
            parts.append(f"  {_compact(key)}: {text}")
        return "{\n" + ",\n".join(parts) + "\n}"


def _compact(value: object) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def person_rows(store: Store, e164: str, *, hash_key: bytes | None = None) -> dict[str, list[Row]]:
    """Every mapped table's rows that belong to ``e164``, in the map's order; with
    ``hash_key`` (``gdpr.hash_key``) also those an erasure left under its keyed hash (a
    forgotten person's do-not-call entry): still data about this number, so the right of
    access covers them."""
    forms = phone_forms(e164)
    found: dict[str, list[Row]] = {}
    with store.transaction() as tx:
        for table in PERSONAL_DATA:
            where, params = person_where(table.name, forms)
            keyed = [c.name for c in table.columns if c.erasure is Erasure.KEYED_HASH]
            if hash_key is not None and keyed:
                by_hash = " OR ".join(f"{check_identifier(c)} = :keyed_hash" for c in keyed)
                where = f"({where} OR {by_hash})"
                params = {**params, "keyed_hash": keyed_hash(e164, hash_key)}
            found[table.name] = tx.query(
                f"SELECT * FROM {check_identifier(table.name)} WHERE {where}", params
            )
    return found


def export_person(
    store: Store, e164: str, settings: Settings, *, now: float, actor: str | None = None
) -> SubjectExport:
    """What :mod:`spillway.personal_data` says is stored about ``e164``, and why its
    open callbacks are timed as they are; ``actor``: recorded in the audit log."""
    tables = person_rows(store, e164, hash_key=settings.gdpr.hash_key_bytes())
    open_rows = [r for r in tables["callback_requests"] if r["status"] in OPEN_STATUSES]
    found = SubjectExport(
        e164,
        now,
        tables,
        explain_requests(store, open_rows, settings, now=now),
        zone=settings.shop.timezone,
        language=settings.shop.language,
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
    source: ModelSource | None = None,
    language: str | None = None,
    reader: str = CUSTOMER,
) -> list[Explanation]:
    """The timing explanation of each request row (the one `spillway callbacks explain`,
    the console and a subject-access export all give), over ``source`` or else the model
    the scheduler daemon stored, or one fitted from the attempts now
    (:func:`~scheduler.timing.model_source.model_source`); each says which.

    ``language``: what it is said in (None: ``shop.language``, the customer's);
    ``reader``: the customer, or the team lead (told about the customer: the console).
    """
    if not rows:
        return []
    cb = settings.callbacks
    seasons = season_calendar(settings)
    if source is None:
        source = model_source(store, settings, now=now)
    rules = rules_from_settings(settings)
    signals = SignalSettings.from_settings(cb)
    language = language or settings.shop.language
    note = source.note(load_pack(language), cb.model_max_age_hours)
    explained = []
    for row in rows:
        facts, first_attempt_at = _request_facts(store, row, settings, now=now)
        with store.transaction() as tx:
            # The customer's recent signals, as the dialer reads them when it plans.
            recent = signals_for(tx, [facts.phone], since_s=now - signals.horizon_s, until_s=now)
            history = call_history(tx, row)
        why = explain(
            dict(row),
            replace(facts, signals=tuple(recent[facts.phone])),
            rules,
            source.for_customer(store, facts.phone),
            now=now,
            configured_policy=cb.policy,
            first_attempt_at=first_attempt_at,
            history=history,
            signal_settings=signals,
            language=language,
            season_of=calendar_season(seasons) if seasons.periods else None,
            reader=reader,
        )
        explained.append(
            replace(
                why,
                model_source=source.why.value,
                model_fitted_at=source.fitted_at,
                model_note=note,
            )
        )
    return explained


def request_promise(
    store: Store,
    row: Row,
    settings: Settings,
    *,
    now: float,
    language: str | None = None,
    reader: str = CUSTOMER,
) -> Promise:
    """What ``row`` was promised and when its next call is, as :func:`explain_requests`
    says it (`spillway callbacks show`: no contact model needed); ``language`` and
    ``reader`` as there."""
    facts, first_attempt_at = _request_facts(store, row, settings, now=now)
    return promise(
        dict(row),
        facts,
        rules_from_settings(settings),
        now=now,
        configured_policy=settings.callbacks.policy,
        first_attempt_at=first_attempt_at,
        language=language or settings.shop.language,
        reader=reader,
    )


def _request_facts(
    store: Store, row: Row, settings: Settings, *, now: float
) -> tuple[RequestFacts, float | None]:
    """The rule facts of ``row`` as the dialer loads them, and when its first call started."""
    with store.transaction() as tx:
        facts = load_facts(
            tx,
            dict(row),
            default_timezone=settings.callbacks.default_timezone,
            counting_claim=False,
        )
    made = attempt_rows(store, int(row["id"]))
    return facts, min((a["started_at"] for a in made), default=None)


def call_history(tx: Transaction, row: Row) -> CallHistory:
    """The finished calls to ``row``'s number, this request's and its other requests'
    (simulated ones too: the explanation says the model never learns from them)."""
    [counted] = tx.query(
        "SELECT count(*) AS calls, "
        "coalesce(sum(CASE WHEN request_id = :id THEN 1 ELSE 0 END), 0) AS own, "
        "coalesce(sum(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END), 0) AS answered "
        f"FROM callback_attempts WHERE phone = :phone AND {FINISHED}",
        {"id": row["id"], "phone": row["phone"]},
    )
    return CallHistory(
        own=int(counted["own"]),
        calls=int(counted["calls"]),
        answered=int(counted["answered"]),
        simulated=bool(row.get("simulated")),
    )
