"""The console's Pilot page: predicted against conventional timing, and what it is worth.

The figures are :func:`scheduler.pilot.report.pilot_report_from_store`'s, the
same `spillway report pilot --json` prints (one computation, so the page and
the command agree to the digit); counted on the store's worker thread, at most
once a minute per window (:mod:`web.figure_cache`, shared with the Overview).
The page names no customer: it shows counts only.
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
from web.figure_cache import FigureCache
from web.pages import render


def pilot_routes(settings: Settings, store: AsyncStore, figures: FigureCache) -> list[Route]:
    """The Pilot page; its report is kept in ``figures`` (the Overview's cache) for a minute."""
    zone = settings.shop.timezone

    async def pilot(request: Request) -> Response:
        since = request.query_params.get("since") or None
        until = request.query_params.get("until") or None
        now = time.time()
        try:
            start, end = pilot_window(since, until, zone, now)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        # Keyed by the window as asked (no until: "up to now", one entry per minute).
        report = await figures.get(
            ("pilot", since, until, zone),
            now,
            lambda: store.run(
                pilot_report_from_store, store.store, settings.callbacks.pilot, start, end, zone
            ),
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
