"""Server-rendered pages: the Jinja2 templates in ``web/templates`` and how they are filled.

Every page gets the logged-in user, the session's CSRF token (every form
carries it) and the shop's time zone; autoescaping is on.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from scheduler.timing.choice import policy_word
from spillway.logs import mask_numbers
from spillway.phone import mask_phone
from web.csrf import csrf_token

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")


def local_time(ts: float | None, zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(zone)).strftime(fmt) if ts else "-"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


templates.env.filters["masked"] = lambda phone: mask_phone(phone or "")
# Free text (what a caller said, a reason, a summary) with any phone number in it masked.
templates.env.filters["masked_text"] = lambda text: mask_numbers(str(text))
templates.env.filters["percent"] = percent
# A policy's stored name as every page says it: the rule-based timing is "conventional".
templates.env.filters["policy"] = lambda name: policy_word(str(name)) if name else name


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> Response:
    """The template ``name`` with the page's common context."""
    user = request.scope.get("state", {}).get("user")
    zone = request.app.state.zone if hasattr(request.app.state, "zone") else "UTC"
    return templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "csrf_token": csrf_token(request),
            "zone": zone,
            "when": lambda ts, fmt="%Y-%m-%d %H:%M": local_time(ts, zone, fmt),
            **context,
        },
        status_code=status_code,
    )
