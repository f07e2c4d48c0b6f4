"""The callback API: ``POST /callbacks`` and ``GET /callbacks/{id}``, JSON in and out.

Every request needs ``Authorization: Bearer <web.api_token>`` (:mod:`web.api_http`). A body is at
most ``web.max_body_bytes``; an ``Idempotency-Key`` header makes a retried
POST return the first request instead of a second one (the same key with a
different body gets 422 ``idempotency_key_reused``). Every 4xx answer is
``{"error": {"code": ..., "message": ..., "field": ...}}`` naming the field at
fault. Requests go through :func:`scheduler.intake.record` like every other
door: normalised to E.164, merged with an open one for the same number, and
refused numbers (premium-rate, outside ``callbacks.allowed_countries`` and the
like) recorded as ``invalid_number``. Two requests are refused with nothing stored:
``consent: false`` (422 ``no_consent``: the customer said no; leaving ``consent`` out
says nothing either way) and a number on the do-not-call list (422 ``do_not_call``,
naming ``phone``; also a number erased while on it, matched by its keyed hash).

The customer's window (``not_before``/``not_after``; a time without an offset
is the customer's local time) is checked by :mod:`scheduler.windows`: one
that can never be honoured (past, inverted, more than 30 days ahead, no
calling hours in it) is a 422 naming the field; one that starts later gets an
expiry that covers it. A merge keeps the later request's window and zone.

An answer's times are ISO 8601 in ``shop.timezone`` with its offset, as `spillway
callbacks list --json` and the CSV export give them (one formatter,
:func:`scheduler.subject_access.in_iso_times`). ``next_attempt_at`` is the next call the
console shows: the planned time (``next_attempt_planned``: true), else the first moment
the calling rules allow (false: not planned yet; the timing may choose a later one).

The same application serves ``GET /metrics`` (Prometheus, :mod:`web.metrics`)
behind the same token; Prometheus sends it with ``authorization: {credentials: ...}``;
and ``POST /signals`` (:mod:`web.signals_api`), the customers' signals.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from scheduler.rules import CallingRules, rules_from_settings
from scheduler.subject_access import in_iso_times
from scheduler.timing.choice import TimingConfig, asks_conventional
from scheduler.windows import local_epoch, window_deadline, window_expiry, window_problem
from spillway.errors import StorageError
from spillway.phone import callable_phone, timezone_for
from spillway.request_problem import in_english
from spillway.settings import Settings
from spillway.storage import AsyncStore, Store
from spillway.wording import Wording
from web.api_http import api_error, parse_json, read_body, storage_busy, token_guard
from web.console_data import with_next_calls
from web.metrics import CONTENT_TYPE, exposition, read_metrics
from web.signals_api import signal_routes


class CallbackIn(BaseModel):
    """The body of ``POST /callbacks``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: str = Field(min_length=3, max_length=40)
    name: str | None = Field(None, max_length=100)
    reason: str = Field("web form", max_length=200)
    timezone: str | None = Field(None, max_length=64)
    segment: str | None = Field(None, max_length=40)
    # False: the customer said no, and the request is refused (422 no_consent); None
    # (not given): nothing said either way, as the CSV's empty consent cell.
    consent: bool | None = None
    traditional: bool = False
    # "conventional": the customer asked for a plain callback, not one timed by the model.
    timing: str | None = Field(None, max_length=40)
    not_before: datetime | None = None
    not_after: datetime | None = None

    @field_validator("timing")
    @classmethod
    def _timing(cls, value: str | None) -> str | None:
        asks_conventional(value)  # the one rule of the API and the CSV: raises when wrong
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("an IANA time zone name such as Europe/Copenhagen") from None
        return value


_ID = re.compile(r"[0-9]{1,19}")
_MAX_ID = 2**63 - 1


def _view(
    row: dict[str, Any], rules: CallingRules, settings: Settings, now: float
) -> dict[str, Any]:
    """A request as the API answers it: times as ISO 8601 in ``shop.timezone`` with its
    offset, as `spillway callbacks list --json` and the CSV export give them."""
    [listed] = with_next_calls(
        [row], rules, default_timezone=settings.callbacks.default_timezone, now=now
    )
    view = {
        "id": row["id"],
        "phone": row["phone"],
        "status": row["status"],
        "source": row["source"],
        "attempts": row["attempts"],
        # The console's "next call": the time the dialer planned, else (not planned yet)
        # the first moment the calling rules allow; the stored not_before alone was null
        # for every request not planned yet while the console showed a time.
        "next_attempt_at": listed["next_call"],
        "next_attempt_planned": listed["next_call"] is not None and row["planned_by"] is not None,
        "created_at": row["created_at"],
        # In English words, as before the codes (the stored code is the console's to word).
        "problem": in_english(row["last_error"]),
        # Which timing the request got at intake, and why (policy, pilot, customer).
        "timing": row["timing"],
        "timing_reason": row["timing_reason"],
    }
    return dict(in_iso_times(view, ZoneInfo(settings.shop.timezone)))


def _get(store: Store, request_id: int) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM callback_requests WHERE id = :id", {"id": request_id})
    return dict(rows[0]) if rows else None


def create_app(settings: Settings, store: AsyncStore) -> Starlette:
    """The web application over ``store`` (one bounded worker thread for the database)."""
    web = settings.web
    rules = rules_from_settings(settings)
    countries = settings.callback_countries()
    guard = token_guard(web)

    async def post(request: Request) -> JSONResponse:
        if (refused := await guard(request)) is not None:
            return refused
        body = await read_body(request, web.max_body_bytes)
        if isinstance(body, JSONResponse):
            return body
        data = parse_json(body)
        if isinstance(data, JSONResponse):
            return data
        if not isinstance(data, dict):
            return api_error(400, "invalid_json", "the body must be a JSON object")
        try:
            given = CallbackIn.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or None
            return api_error(422, "invalid_field", f"{field}: {first['msg']}", field)
        key = request.headers.get("idempotency-key")
        if key is not None and not 1 <= len(key) <= 100:
            return api_error(
                422, "invalid_field", "Idempotency-Key: 1 to 100 characters", "Idempotency-Key"
            )
        if given.consent is False:  # a call to a person who said no: nothing stored
            return api_error(422, "no_consent", str(Wording("errors.no_consent")), "consent")
        now = time.time()
        e164, _why = callable_phone(given.phone, settings.shop.country, allowed_countries=countries)
        # A time without an offset is the customer's local time, as in the CSV import.
        zone = given.timezone or timezone_for(
            e164 or given.phone, settings.callbacks.default_timezone
        )
        not_before = local_epoch(given.not_before, zone) if given.not_before else None
        not_after = local_epoch(given.not_after, zone) if given.not_after else None
        expires_at = promised = None
        if e164 is not None:  # a number never called has no window to honour
            problem = window_problem(
                rules,
                phone=e164,
                now=now,
                timezone=zone,
                not_before=not_before,
                not_after=not_after,
            )
            if problem is not None:
                return api_error(422, "invalid_field", problem.message, problem.field)
            expires_at = window_expiry(
                rules, now=now, timezone=zone, not_before=not_before, not_after=not_after
            )
            promised = window_deadline(
                rules, now=now, timezone=zone, not_before=not_before, not_after=not_after
            )
        new = NewRequest(
            phone=given.phone,
            source=RequestSource.API,
            reason=given.reason,
            name=given.name,
            timezone=given.timezone,
            segment=given.segment,
            consent=bool(given.consent),
            traditional=given.traditional or asks_conventional(given.timing),
            not_before=not_before,
            not_after=not_after,
            expires_at=expires_at,
            deadline=promised,
            idempotency_key=key,
        )

        def record() -> tuple[intake.Recorded, dict[str, Any]]:
            with store.store.transaction() as tx:
                recorded = intake.record(
                    tx,
                    new,
                    region=settings.shop.country,
                    now=now,
                    default_timezone=settings.callbacks.default_timezone,
                    allowed_countries=countries,
                    hash_key=settings.gdpr.hash_key_bytes(),
                    timing=TimingConfig.from_settings(settings),
                    refuse_do_not_call=True,
                )
                [row] = tx.query(
                    "SELECT * FROM callback_requests WHERE id = :id", {"id": recorded.id}
                )
            return recorded, dict(row)

        try:
            recorded, row = await store.run(record)
        except intake.KeyReused as exc:  # same key, other body: as payment APIs answer
            return api_error(422, exc.code, exc.message, "Idempotency-Key")
        except intake.OnDoNotCallList as exc:  # told, and no name or number kept
            return api_error(422, exc.code, exc.message, "phone")
        except StorageError as exc:  # the database is locked, full or gone: try again later
            return storage_busy("request", exc)
        status = 200 if recorded.replayed or recorded.merged else 201
        view = _view(row, rules, settings, time.time())
        return JSONResponse({**view, "merged": recorded.merged}, status_code=status)

    async def get(request: Request) -> JSONResponse:
        if (refused := await guard(request)) is not None:
            return refused
        raw = request.path_params["request_id"]
        # ASCII digits that fit a 64-bit row id: "²" is a digit to str.isdigit(), and a
        # 20-digit id overflows SQLite's integer (a 5,000-digit one, Python's int()).
        if _ID.fullmatch(raw) is None or int(raw) > _MAX_ID:
            return api_error(404, "not_found", f"no callback request {raw[:40]!r}")
        row = await store.run(_get, store.store, int(raw))
        if row is None:
            return api_error(404, "not_found", f"no callback request {raw}")
        return JSONResponse(_view(row, rules, settings, time.time()))

    # A node whose heartbeat is three polls old has stopped (or lost its database).
    stale_after_s = 3 * settings.callbacks.poll_interval_s + 5.0

    async def metrics(request: Request) -> Response:
        if (refused := await guard(request)) is not None:
            return refused
        snapshot = await store.run(read_metrics, store.store, time.time())
        body = exposition(snapshot, stale_after_s=stale_after_s)
        return Response(body, media_type=CONTENT_TYPE)

    return Starlette(
        routes=[
            Route("/callbacks", post, methods=["POST"]),
            Route("/callbacks/{request_id}", get, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            *signal_routes(settings, store, guard),
        ]
    )
