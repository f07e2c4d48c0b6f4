"""The operations console's routes: Overview, Callbacks, a request's detail, Calls, a call's
detail, Model, Health,
``GET /api/kpis`` and the CSV export.

Pages are rendered on the server (:mod:`web.pages`); the Overview's live part
is a fragment htmx polls every few seconds. Every database read runs on the
store's worker thread, KPIs and all, so the event loop never waits on disk.
:class:`web.auth.RequireLogin` has let the request in before any of these runs.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from scheduler import requests as callback_requests
from scheduler.due_soon import zones_in_play
from scheduler.pilot.report import instant
from scheduler.requests import FINAL_STATUSES, RequestStatus
from scheduler.rules import CallingRules, rules_from_settings
from scheduler.timing.choice import policy_word
from scheduler.timing.explain import Explanation
from scheduler.timing.give_up import given_up_words
from scheduler.timing.model_keeper import season_calendar
from scheduler.timing.plan_timeline import PlanLine
from spillway.console_text import ConsoleText
from spillway.request_problem import cancelled_in_console, problem_words
from spillway.settings import Settings
from spillway.storage import AsyncStore, Store
from web.auth import current_user, require_role
from web.call_timeline import event_data
from web.calls_data import CALL_OUTCOME_CHOICES, call_detail, list_calls
from web.console_data import (
    LIST_LIMIT,
    POLICY_CHOICES,
    SOURCE_CHOICES,
    STATUS_CHOICES,
    TIMING_CHOICES,
    FilterError,
    ModelCache,
    RequestFilter,
    list_requests,
    overview_live,
    request_detail,
    requests_csv,
    scheduler_nodes,
    with_next_calls,
)
from web.csrf import checked_form
from web.event_words import event_words
from web.figure_cache import FigureCache
from web.health import health_checks
from web.kpi_rows import bot_facts, handoff_reason, request_tallies, simulated_requests
from web.kpis import (
    WINDOW_KEYS,
    Window,
    bot_kpis_from,
    callback_kpis_from,
    daily_series_from,
    local_days,
    window,
)
from web.model_view import calibration, learned, model_facts, reliability, segment_heatmaps
from web.pages import page_text, render, word
from web.users import Role

LIVE_POLL_S = 5
# The Overview's windows, in turn, when it is opened on a day with nothing yet (no
# request, no call): the first that has something (a new week after a quiet one, or a
# demo's simulated month that ended days ago, still opens on figures).
EMPTY_TODAY_SHOWS = ("7d", "30d")


def stale_after_s(settings: Settings) -> float:
    """A scheduler node whose heartbeat is three polls old has stopped (as /metrics says)."""
    return 3 * settings.callbacks.poll_interval_s + 5.0


def compute_kpis(store: Store, w: Window) -> dict[str, Any]:
    """Both halves' KPIs for the window, and the daily series (worker thread), read
    together (:meth:`spillway.storage.Store.reading`)."""
    with store.reading() as reader:
        by_policy, medians, by_day = request_tallies(reader, w)
        bot = bot_facts(reader, w.since, w.until)
        simulated = simulated_requests(reader, w.since, w.until)
    return {
        "window": {
            "since": datetime.fromtimestamp(w.since, ZoneInfo(w.zone)).isoformat(),
            "until": datetime.fromtimestamp(w.until, ZoneInfo(w.zone)).isoformat(),
            "time_zone": w.zone,
            "label": w.label,
        },
        "callbacks": callback_kpis_from(by_policy, medians),
        "bot": bot_kpis_from(*bot),
        "daily": daily_series_from(by_day, [day for day, _, _ in local_days(w)]),
        # The Overview says so when simulated requests are counted (`simulate --store`).
        "simulated_requests": simulated,
    }


def quiet(k: dict[str, Any]) -> bool:
    """No callback request and no call to the bot in the window's figures."""
    return not k["callbacks"]["requests"] and not k["bot"]["calls"]


def window_label(text: ConsoleText, w: Window) -> str:
    """The window as the Overview names it: "Last 7 days: 2026-03-02 08:00 to ... (zone)";
    a chosen range by its first and last day ("2026-11-01 through 2026-11-20"), not by
    the midnight after its last day, which reads as one day too many."""
    if w.key == "range":
        return text(
            "window.range",
            first=text.when(w.since, w.zone, "%Y-%m-%d"),
            last=text.when(w.until - 1, w.zone, "%Y-%m-%d"),
            zone=w.zone,
        )
    return text(
        f"window.{w.key}",
        start=text.when(w.since, w.zone),
        end=text.when(w.until, w.zone),
        zone=w.zone,
    )


def timing_words(text: ConsoleText, timing: str, reason: str | None) -> str:
    """Which timing a request has and why, as the console's language says it."""
    return text(
        "request.timing_value",
        timing=word(text, "policy", timing),
        reason=word(text, "timing_reason", reason or "unknown"),
    )


# The plan's "next call" lines that, for a request nothing has planned, name a moment
# the calling rules allow, not one a dialler chose.
_NEXT_CALL_KEYS = frozenset({"next_now", "next_reopens", "next_earliest", "next_after_asked"})


def unplanned_line(line: PlanLine, idle_at: float | None) -> PlanLine:
    """``line``, or, when nothing will plan the request (``idle_at``: now, the request is
    open and unplanned and no scheduler node is up; None: not so), its next call as the
    earliest possible moment and not a plan (pure): "Next call: 08:00" read as booked."""
    if idle_at is None or line.key not in _NEXT_CALL_KEYS:
        return line
    if line.key == "next_after_asked":  # the customer's time is kept, said with it
        return PlanLine("next_after_asked_unplanned", line.times)
    return PlanLine("next_unplanned", {"when": line.times.get("when", idle_at)})


def idle_since(row: dict[str, Any], nodes: list[dict[str, Any]], now: float) -> float | None:
    """``now`` when ``row`` waits for a plan no scheduler node is up to make (pure)."""
    waiting = row["status"] == RequestStatus.PENDING and row.get("planned_by") is None
    return now if waiting and not any(n["up"] for n in nodes) else None


def plan_words(
    text: ConsoleText,
    why: Explanation,
    rules: CallingRules | None = None,
    idle_at: float | None = None,
) -> list[str]:
    """A request's plan as its page says it: to the team lead, about the customer, each
    moment in the customer's zone as the console writes times (``plan.*``); when the
    calls end, a give-up time at night as the end of the last calling day's hours under
    ``rules`` (:func:`scheduler.timing.give_up.given_up_words`); ``idle_at``
    (:func:`idle_since`): its next call said as the earliest, not planned."""
    said = []
    for line in (unplanned_line(line, idle_at) for line in why.plan_lines):
        values: dict[str, object] = {k: text.when(v, why.timezone) for k, v in line.times.items()}
        if line.status is not None:
            values["status"] = word(text, "status", line.status)
        if line.why is not None:
            values["why"] = problem_words(line.why, text)
        said.append(text(f"plan.{line.key}", **values))
    said.append(
        text(
            "request.policy_line_window" if why.window_end else "request.policy_line",
            policy=word(text, "policy", policy_word(why.policy)),
            deadline=text.when(why.promised_by, why.timezone),
            expires=given_up_words(
                text,
                why.given_up_at,
                why.timezone,
                rules,
                window_end=bool(why.window_end),
                as_day=False,  # the page writes every time one way
            ),
        )
    )
    return said


def _day(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise HTTPException(400, f"{name}: a date such as 2026-03-02, not {raw!r}") from None


def overview_key(w: Window) -> tuple[object, ...]:
    """What the Overview's figures depend on: a rolling window (today, 7d, 30d) is one
    entry per time zone, a chosen range its own."""
    if w.key == "range":
        return ("overview", w.key, w.zone, w.since, w.until)
    return ("overview", w.key, w.zone)


def console_routes(settings: Settings, store: AsyncStore, figures: FigureCache) -> list[Route]:
    """The console's pages; ``figures`` is the application's one :class:`FigureCache`."""
    zone = settings.shop.timezone
    stale_s = stale_after_s(settings)
    rules = rules_from_settings(settings)
    default_tz = settings.callbacks.default_timezone
    models = ModelCache(
        settings.callbacks.model_refit_minutes * 60,
        seasons=season_calendar(settings),
        timezone=settings.callbacks.default_timezone,
    )

    async def kpis_of(w: Window, now: float) -> dict[str, Any]:
        return await figures.get(
            overview_key(w), now, lambda: store.run(compute_kpis, store.store, w)
        )

    async def overview(request: Request) -> Response:
        # Dates without a window (a link or a bookmark to ?since=..&until=..) are a range:
        # the boxes show them, so the figures must be theirs, not today's.
        dated = "since" in request.query_params or "until" in request.query_params
        key = request.query_params.get("window", "range" if dated else "today")
        now = time.time()
        try:
            w = window(
                key,
                zone,
                now,
                since=_day(request.query_params.get("since"), "since"),
                until=_day(request.query_params.get("until"), "until"),
            )
        except ValueError as exc:
            if key != "range":
                raise HTTPException(400, str(exc)) from None
            # A range picked with one date, or backwards: today, and the page says why.
            w = window("today", zone, now)
            bad_range = True
        else:
            bad_range = False
        k = await kpis_of(w, now)
        # Opened without a window early in a quiet day: today's tiles would all be 0, so
        # the last 7 days are shown, and said so; "Today" (?window=today) shows today.
        today_empty = not dated and "window" not in request.query_params and quiet(k)
        if today_empty:
            for key in EMPTY_TODAY_SHOWS:
                w = window(key, zone, now)
                k = await kpis_of(w, now)
                if not quiet(k):
                    break
        text = page_text(request)
        return render(
            request,
            "overview.html",
            {
                "page": "overview",
                "w": w,
                "windows": WINDOW_KEYS,
                "k": k,
                "window_label": window_label(text, w),
                "series_json": json.dumps(k["daily"]),
                "poll_s": LIVE_POLL_S,
                "today_empty": today_empty,
                "bad_range": bad_range,
            },
        )

    async def live(request: Request) -> Response:
        now = time.time()
        # The pending requests' time zones read every pending row: once a minute, not
        # on every tab's 5-second poll.
        in_play = await figures.get(
            ("due_zones", default_tz),
            now,
            lambda: store.run(
                lambda: {"zones": zones_in_play(store.store, default_timezone=default_tz)}
            ),
        )
        data = await store.run(
            lambda: overview_live(
                store.store,
                now,
                stale_after_s=stale_s,
                rules=rules,
                default_timezone=default_tz,
                zones=in_play["zones"],
            )
        )
        return render(request, "live.html", {"live": data, "now": time.time()})

    def _filter(request: Request) -> RequestFilter:
        try:
            return RequestFilter.parse(dict(request.query_params))
        except FilterError as exc:
            raise HTTPException(400, str(exc)) from None

    def _listed(f: RequestFilter, limit: int | None) -> tuple[list[dict[str, Any]], int]:
        """The filter's requests, each with its next call as its own page gives it."""
        rows, total = list_requests(store.store, f, zone, limit=limit)
        return with_next_calls(rows, rules, default_timezone=default_tz, now=time.time()), total

    async def callbacks_page(request: Request) -> Response:
        f = _filter(request)
        rows, total = await store.run(_listed, f, LIST_LIMIT)
        return render(
            request,
            "callbacks.html",
            {
                "page": "callbacks",
                "f": f,
                "rows": rows,
                "total": total,
                "statuses": STATUS_CHOICES,
                "policies": POLICY_CHOICES,
                "sources": SOURCE_CHOICES,
                "timings": TIMING_CHOICES,
                "export_query": f.query_string(),
            },
        )

    async def export(request: Request) -> Response:
        f = _filter(request)
        rows, _ = await store.run(_listed, f, None)
        return Response(
            requests_csv(rows, zone, page_text(request)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="callbacks.csv"'},
        )

    def _request_id(request: Request) -> int:
        raw = request.path_params["request_id"]
        if not raw.isdigit() or len(raw) > 18:
            raise HTTPException(404, page_text(request)("errors.no_request", id=repr(raw)))
        return int(raw)

    async def detail(request: Request) -> Response:
        request_id = _request_id(request)
        now = time.time()
        found = await store.run(request_detail, store.store, request_id, settings, models, now)
        if found is None:
            raise HTTPException(404, page_text(request)("errors.no_request", id=request_id))
        row, attempts, why = found
        nodes = await store.run(lambda: scheduler_nodes(store.store, now, stale_after_s=stale_s))
        by_day: dict[int, list[Any]] = {}
        for cell in why.week:
            by_day.setdefault(cell.weekday, []).append(cell)
        text = page_text(request)
        # A closed request is not called again: when to call it means nothing, so its page
        # has no hour-by-hour chance (the template says why).
        still_open = RequestStatus(row["status"]) not in FINAL_STATUSES
        # Monday first, as the Model page's heatmaps (and `callbacks explain`'s) are: a
        # week that started on today's weekday read as another calendar.
        heatmap = [
            (text.weekday(day), sorted(by_day.get(day, []), key=lambda c: c.hour))
            for day in range(7)
        ]
        refused: dict[str, int] = {}
        for cell in why.week:
            if not cell.allowed:
                refused[cell.reason] = refused.get(cell.reason, 0) + 1
        return render(
            request,
            "request.html",
            {
                "page": "callbacks",
                "r": row,
                "context": json.loads(row.get("context") or "{}"),
                "attempts": attempts,
                "why": why,
                "timing": timing_words(text, why.timing, why.timing_reason),
                "plan": plan_words(text, why, rules, idle_since(row, nodes, now)),
                "heatmap": heatmap,
                "refused": sorted(refused.items(), key=lambda kv: -kv[1])[:6],
                "best": why.best_hours(),
                "problem": problem_words(row.get("last_error"), text) or "",
                "done": request.query_params.get("done"),
                "open": still_open,
                "may_cancel": still_open and current_user(request).role >= Role.SUPERVISOR,
            },
        )

    async def cancel(request: Request) -> Response:
        form = await checked_form(request)
        user = require_role(request, Role.SUPERVISOR)
        request_id = _request_id(request)
        if form.get("confirm") != "yes":  # the customer loses the callback: asked first
            raise HTTPException(
                400, page_text(request)("request.cancel_unconfirmed", id=request_id)
            )

        def close() -> bool:
            with store.store.transaction() as tx:
                rows = tx.query(
                    "SELECT status FROM callback_requests WHERE id = :id", {"id": request_id}
                )
                if not rows or RequestStatus(rows[0]["status"]) in FINAL_STATUSES:
                    return False
                callback_requests.close(
                    tx,
                    request_id,
                    RequestStatus.CANCELLED,
                    now=time.time(),
                    error=cancelled_in_console(user.name),
                )
                return True

        if not await store.run(close):
            raise HTTPException(409, page_text(request)("errors.not_open", id=request_id))
        return RedirectResponse(f"/requests/{request_id}?done=cancelled", status_code=303)

    async def calls_page(request: Request) -> Response:
        params = request.query_params
        outcome = params.get("outcome", "")
        if outcome and outcome not in CALL_OUTCOME_CHOICES:
            raise HTTPException(400, f"outcome: one of {', '.join(CALL_OUTCOME_CHOICES)}")
        since, until = _day(params.get("since"), "since"), _day(params.get("until"), "until")
        rows, total = await store.run(list_calls, store.store, outcome, since, until, zone)
        return render(
            request,
            "calls.html",
            {
                "page": "calls",
                "rows": rows,
                "total": total,
                "outcome": outcome,
                "outcomes": CALL_OUTCOME_CHOICES,
                "since": since,
                "until": until,
            },
        )

    async def call_page(request: Request) -> Response:
        call_id = request.path_params["call_id"][:200]
        found = await store.run(call_detail, store.store, call_id)
        if found is None:
            raise HTTPException(404, page_text(request)("errors.no_call", id=repr(call_id)))
        call, transcript, events, call_turns = found
        text = page_text(request)
        return render(
            request,
            "call.html",
            {
                "page": "calls",
                "c": call,
                "transcript": transcript,
                # Each event's fields in words; the stored data stays for an admin's view.
                "events": [{**e, "said": event_words(text, event_data(e["data"]))} for e in events],
                # A handed-over call's reason: the last one a stage gave, as the Calls page.
                "handoff": next(
                    (
                        r
                        for e in reversed(events)
                        if e["kind"] == "stage" and (r := handoff_reason(e["data"]))
                    ),
                    None,
                ),
                "turns": call_turns,
            },
        )

    async def model_page(request: Request) -> Response:
        now = time.time()

        def read() -> tuple[Any, ...]:
            model = models.get(store.store, settings.callbacks.segment_industry, now)
            nodes = scheduler_nodes(store.store, now, stale_after_s=stale_s)
            return model, calibration(store.store), nodes, learned(model, store.store)

        model, drawn_from, nodes, taught = await store.run(read)
        bins = reliability(drawn_from.pairs)
        return render(
            request,
            "model.html",
            {
                "page": "model",
                "facts": model_facts(model),
                "nodes": nodes,
                "bins": bins,
                "calibration": drawn_from,
                "bins_json": json.dumps(
                    [{"predicted": b.mean_predicted, "observed": b.observed} for b in bins]
                ),
                "heatmaps": segment_heatmaps(model),
                "learned": taught,
                "max_age_h": settings.callbacks.model_max_age_hours,
            },
        )

    async def health(request: Request) -> Response:
        text = page_text(request)
        checks = await store.run(
            lambda: health_checks(
                store.store, settings, time.time(), stale_after_s=stale_s, text=text
            )
        )
        return render(request, "health.html", {"page": "health", "checks": checks})

    async def api_kpis(request: Request) -> Response:
        now = time.time()
        params = request.query_params
        try:
            since = (
                instant(params["since"], "since", zone) if "since" in params else now - 30 * 86400
            )
            until = instant(params["until"], "until", zone) if "until" in params else now
        except ValueError as exc:
            field = str(exc).split(":")[0]
            return JSONResponse(
                {"error": {"code": "invalid_field", "message": str(exc), "field": field}}, 400
            )
        if until <= since:
            return JSONResponse(
                {
                    "error": {
                        "code": "invalid_field",
                        "message": "until must be after since",
                        "field": "until",
                    }
                },
                400,
            )
        figures = await store.run(compute_kpis, store.store, Window("range", since, until, zone))
        del figures["daily"]
        return JSONResponse(figures)

    async def callbacks_address(request: Request) -> Response:
        # The README calls the list "Callbacks", so /callbacks is typed into the address
        # bar; the path is the API's (POST), the page lives at /requests.
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/requests{query}", status_code=303)

    return [
        Route("/", overview, methods=["GET"]),
        # GET only: POST /callbacks goes on to the API (web.callbacks_api), mounted after.
        Route("/callbacks", callbacks_address, methods=["GET"]),
        Route("/live", live, methods=["GET"]),
        Route("/requests", callbacks_page, methods=["GET"]),
        Route("/requests/{request_id}", detail, methods=["GET"]),
        Route("/requests/{request_id}/cancel", cancel, methods=["POST"]),
        Route("/calls", calls_page, methods=["GET"]),
        Route("/calls/{call_id}", call_page, methods=["GET"]),
        Route("/model", model_page, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/api/kpis", api_kpis, methods=["GET"]),
        Route("/export/callbacks.csv", export, methods=["GET"]),
    ]
