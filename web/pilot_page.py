"""The console's Pilot page: predicted against conventional timing, and what it is worth.

The figures are :func:`scheduler.pilot.report.pilot_report_from_store`'s, the
same `spillway report pilot --json` prints (one computation, so the page and
the command agree to the digit); counted on the store's worker thread. The
page names no customer: it shows counts only.
"""

from __future__ import annotations

import time

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from scheduler.pilot.report import (
    pilot_report_from_store,
    pilot_window,
    shown_difference,
    shown_value,
)
from spillway.settings import Settings
from spillway.storage import AsyncStore
from web.pages import render


def pilot_routes(settings: Settings, store: AsyncStore) -> list[Route]:
    zone = settings.shop.timezone

    async def pilot(request: Request) -> Response:
        since = request.query_params.get("since") or None
        until = request.query_params.get("until") or None
        try:
            start, end = pilot_window(since, until, zone, time.time())
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        report = await store.run(
            pilot_report_from_store, store.store, settings.callbacks.pilot, start, end, zone
        )
        return render(
            request,
            "pilot.html",
            {
                "page": "pilot",
                "r": report,
                "kpis": [report["primary"], *report["secondary"]],
                "since": since or "",
                "until": until or "",
                "policy": settings.callbacks.policy,
                "shown_value": shown_value,
                "shown_difference": shown_difference,
            },
        )

    return [Route("/pilot", pilot, methods=["GET"])]
