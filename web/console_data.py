"""What the console's pages show, read from the database (run on the store's worker thread).

The Callbacks list and its CSV export share one :class:`RequestFilter`, so
the export holds exactly the rows the list shows. CSV cells that a
spreadsheet would run as a formula (starting ``= + - @``, tab or carriage
return) are neutralised with a leading apostrophe. Phone numbers are masked
in the list and the export; only a request's own detail page shows it whole.

The export is read by scripts (with the bearer token) as well as people: its column
names and values stay the stable stored ones (``status``: ``pending``), except why a
request closed, which no script could read from words: ``problem`` says it in the
console's language (in English as before for an English console, as the callbacks
API's ``problem`` does), and ``problem_code`` gives its stable code (``max_attempts``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from scheduler.dialer import attempt_rows
from scheduler.due_soon import due_within
from scheduler.requests import RequestSource, RequestStatus
from scheduler.rule_facts import row_facts
from scheduler.rules import CallingRules, next_allowed
from scheduler.subject_access import explain_requests, iso_time
from scheduler.timing.contact_model import ContactModel, fit
from scheduler.timing.explain import TEAM_LEAD, Explanation
from scheduler.timing.model_keeper import read_attempt_log
from scheduler.timing.model_source import ModelSource, model_source
from spillway.console_text import ConsoleText, console_language
from spillway.logs import mask_numbers
from spillway.phone import mask_phone
from spillway.request_problem import problem_code, problem_words
from spillway.seasons import NO_SEASONS, SeasonCalendar
from spillway.settings import Settings
from spillway.storage import Store
from web.kpi_rows import POLICY_SQL
from web.kpis import window

LIST_LIMIT = 500
STATUS_CHOICES = ("open", *(s.value for s in RequestStatus))
SOURCE_CHOICES = tuple(s.value for s in RequestSource)
POLICY_CHOICES = ("predicted", "traditional", "unplanned")
# A request's timing as drawn or asked for at intake (the pilot's group): the stored
# ``timing``, a customer's plain callback (``traditional``) conventional; none without a pilot.
TIMING_CHOICES = ("predicted", "conventional")
TIMING_SQL = "COALESCE(r.timing, CASE WHEN r.traditional = 1 THEN 'conventional' END)"


class FilterError(ValueError):
    """A filter value the list cannot use; the message names the parameter."""


@dataclass(frozen=True, slots=True)
class RequestFilter:
    """The Callbacks list's filters; empty means any."""

    status: str = ""
    policy: str = ""
    source: str = ""
    since: date | None = None  # local days of creation, inclusive
    until: date | None = None
    timing: str = ""  # the pilot's group (TIMING_CHOICES)

    @classmethod
    def parse(cls, params: dict[str, str]) -> RequestFilter:
        """From query parameters; raises FilterError naming the parameter at fault."""
        keys = ("status", "policy", "source", "timing")
        chosen = {k: (params.get(k) or "").strip() for k in keys}
        for key, allowed in (
            ("status", STATUS_CHOICES),
            ("policy", POLICY_CHOICES),
            ("source", SOURCE_CHOICES),
            ("timing", TIMING_CHOICES),
        ):
            if chosen[key] and chosen[key] not in allowed:
                raise FilterError(f"{key}: one of {', '.join(allowed)}, not {chosen[key]!r}")
        days: dict[str, date | None] = {}
        for key in ("since", "until"):
            raw = (params.get(key) or "").strip()
            try:
                days[key] = date.fromisoformat(raw) if raw else None
            except ValueError:
                raise FilterError(f"{key}: a date such as 2026-03-02, not {raw!r}") from None
        return cls(
            chosen["status"], chosen["policy"], chosen["source"], **days, timing=chosen["timing"]
        )

    def query_string(self) -> str:
        pairs = {
            "status": self.status,
            "policy": self.policy,
            "source": self.source,
            "timing": self.timing,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return urlencode({k: v for k, v in pairs.items() if v})

    def where(self, zone: str) -> tuple[str, dict[str, Any]]:
        """The SQL condition over ``callback_requests r`` and its parameters."""
        parts, params = ["1 = 1"], dict[str, Any]()
        if self.status == "open":
            parts.append("r.status IN ('pending', 'dialling')")
        elif self.status:
            parts.append("r.status = :status")
            params["status"] = self.status
        if self.source:
            parts.append("r.source = :source")
            params["source"] = self.source
        if self.policy == "unplanned":
            parts.append(f"{POLICY_SQL} IS NULL")
        elif self.policy:
            parts.append(f"{POLICY_SQL} = :policy")
            params["policy"] = self.policy
        if self.timing:
            parts.append(f"{TIMING_SQL} = :timing")
            params["timing"] = self.timing
        if self.since or self.until:
            span = window(
                "range",
                zone,
                0.0,
                since=self.since or date(1970, 1, 2),
                until=self.until or date(9998, 12, 30),
            )
            parts.append("r.created_at >= :since AND r.created_at < :until")
            params.update(since=span.since, until=span.until)
        return " AND ".join(parts), params


def list_requests(
    store: Store, f: RequestFilter, zone: str, *, limit: int | None = LIST_LIMIT
) -> tuple[list[dict[str, Any]], int]:
    """The requests the filter selects, newest first (at most ``limit``), and how many match."""
    where, params = f.where(zone)
    [count] = store.query(f"SELECT COUNT(*) AS n FROM callback_requests r WHERE {where}", params)
    tail = " LIMIT :limit" if limit is not None else ""
    rows = store.query(
        f"SELECT r.*, {POLICY_SQL} AS policy, {TIMING_SQL} AS pilot_timing "
        f"FROM callback_requests r WHERE {where} "
        f"ORDER BY r.id DESC{tail}",
        {**params, "limit": limit} if limit is not None else params,
    )
    return rows, int(count["n"])


def with_next_calls(
    rows: list[dict[str, Any]], rules: CallingRules, *, default_timezone: str, now: float
) -> list[dict[str, Any]]:
    """``rows`` with ``next_call``: when an open one can next be called, as its page says
    it (a planned time, else the first moment the calling rules allow from now; None when
    none comes before it expires, or it is closed), and ``due``: that moment is now, which
    the page says as "now". The stored ``not_before`` alone said "-" for every request the
    dialer had not planned yet."""
    out = []
    for row in rows:
        at = None
        if row["status"] == "pending":
            facts = row_facts(row, default_timezone=default_timezone)
            at = next_allowed(rules, facts, max(row["not_before"] or 0.0, now))
        out.append({**row, "next_call": at, "due": at is not None and at <= now})
    return out


CSV_COLUMNS = (
    "id",
    "phone",
    "status",
    "source",
    "policy",
    "timing",  # the pilot's group: predicted, conventional, or empty (no pilot)
    "attempts",
    "created_at",
    "next_attempt_at",
    "reason",
    "problem",  # in the console's language
    "problem_code",  # spillway.request_problem's code; empty for a stored text of no known kind
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: Any) -> str:
    """A CSV cell a spreadsheet shows as text: a leading ``= + - @`` gets an apostrophe."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _iso(ts: float | None, zone: str) -> str:
    """ISO 8601 with the offset as ``+01:00``; an empty cell for no time (a "-" placeholder
    would be read as a formula by a spreadsheet, and neutralised)."""
    return iso_time(ts, ZoneInfo(zone)) if ts else ""


def requests_csv(rows: list[dict[str, Any]], zone: str, text: ConsoleText) -> str:
    """The rows as CSV (numbers masked, times ISO in ``zone``, a problem's words in
    ``text``'s language)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            neutralise(v)
            for v in (
                r["id"],
                mask_phone(r["phone"]),
                r["status"],
                r["source"],
                r["policy"] or "unplanned",
                r.get("pilot_timing") or "",
                r["attempts"],
                _iso(r["created_at"], zone),
                _iso(r.get("next_call"), zone),
                mask_numbers(r["reason"] or ""),
                mask_numbers(problem_words(r["last_error"], text) or ""),
                problem_code(r["last_error"]) or "",
            )
        )
    return out.getvalue()


class ModelCache:
    """The contact model fitted from the attempts table, refitted as often as the dialer does
    (the Model page); and the model the request pages explain with (:meth:`source`).

    Fitting reads every attempt: a detail page must not pay that each time.
    """

    def __init__(
        self,
        refit_s: float,
        *,
        seasons: SeasonCalendar = NO_SEASONS,
        timezone: str = "Europe/Copenhagen",
    ) -> None:
        self.refit_s = refit_s
        self.seasons = seasons  # the configured season calendar, as the dialer's keeper has it
        self.timezone = timezone
        self._fitted: tuple[float, ContactModel] | None = None
        self._source: tuple[float, ModelSource] | None = None

    def get(self, store: Store, segment_industry: dict[str, str], now: float) -> ContactModel:
        if self._fitted is None or now - self._fitted[0] > self.refit_s:
            log = read_attempt_log(
                store, segment_industry, seasons=self.seasons, timezone=self.timezone
            )
            self._fitted = (now, fit(log, now=now))
        return self._fitted[1]

    def source(self, store: Store, settings: Settings, now: float) -> ModelSource:
        """The scheduler's stored model while fresh, else one fitted now (kept as long)."""
        if self._source is None or now - self._source[0] > self.refit_s:
            self._source = (now, model_source(store, settings, now=now))
        return self._source[1]


def request_detail(
    store: Store, request_id: int, settings: Settings, models: ModelCache, now: float
) -> tuple[dict[str, Any], list[dict[str, Any]], Explanation] | None:
    """A request, its attempts and the explanation `spillway callbacks explain` prints."""
    rows = store.query("SELECT * FROM callback_requests WHERE id = :id", {"id": request_id})
    if not rows:
        return None
    row = dict(rows[0])
    source = models.source(store, settings, now)
    # Said to the team lead about the customer, in the console's language.
    [why] = explain_requests(
        store,
        [row],
        settings,
        now=now,
        source=source,
        language=console_language(settings),
        reader=TEAM_LEAD,
    )
    return row, attempt_rows(store, request_id), why


def overview_live(
    store: Store,
    now: float,
    *,
    stale_after_s: float,
    rules: CallingRules,
    default_timezone: str,
    zones: list[str] | None = None,
) -> dict[str, Any]:
    """The Overview's live parts: calls in progress, callbacks due within the hour under
    the calling rules (none on a Saturday evening, with when calls are allowed again), nodes."""
    calls = store.query(
        "SELECT call_id, caller, started_at, stage, intent FROM calls "
        "WHERE ended_at IS NULL ORDER BY started_at DESC LIMIT 50"
    )
    due = due_within(store, rules, now, default_timezone=default_timezone, zones=zones)
    return {
        "calls": calls,
        "due": due.rows,
        "due_count": due.count,
        "due_capped": due.capped,
        "reopens_at": due.reopens_at,
        "nodes": scheduler_nodes(store, now, stale_after_s=stale_after_s),
    }


def scheduler_nodes(store: Store, now: float, *, stale_after_s: float) -> list[dict[str, Any]]:
    """Each scheduler node with its heartbeat's age, whether it is up and its model's age."""
    return [
        {
            **n,
            "age_s": max(0.0, now - n["heartbeat_at"]),
            "up": now - n["heartbeat_at"] <= stale_after_s,
            "model_age_h": None
            if n["model_fitted_at"] is None
            else max(0.0, now - n["model_fitted_at"]) / 3600,
        }
        for n in store.query(
            "SELECT node, heartbeat_at, dialled, policy_fallbacks, model_fitted_at, last_error "
            "FROM scheduler_nodes ORDER BY node"
        )
    ]
