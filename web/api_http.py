"""What the JSON APIs share (``/callbacks``, ``/signals``, ``/metrics``): the bearer
token, the error shape, a body read within its cap, and the 503 of a busy database.

Every 4xx answer is ``{"error": {"code": ..., "message": ..., "field": ...}}``
naming the field at fault; a refusal may add keys of its own beside ``error``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from spillway.errors import ConfigError
from spillway.settings import MIN_API_TOKEN_CHARS, WebSettings
from web.auth import bearer_matches

log = logging.getLogger(__name__)

Guard = Callable[[Request], Awaitable[JSONResponse | None]]


def api_error(
    status: int, code: str, message: str, field: str | None = None, **extra: Any
) -> JSONResponse:
    """The one shape of a refusal."""
    return JSONResponse(
        {"error": {"code": code, "message": message, "field": field}, **extra}, status_code=status
    )


def token_guard(web: WebSettings) -> Guard:
    """A check of ``Authorization: Bearer <web.api_token>``: None when it passes, else the
    answer (503 when no token is configured, 401 when the right one is not given)."""
    try:
        token: str | None = web.require_api_token()
    except ConfigError:
        token = None  # `web serve` refuses to start; an embedded app answers 503

    async def guard(request: Request) -> JSONResponse | None:
        if token is None:
            return api_error(
                503,
                "no_token",
                f"the API is off: set SPILLWAY_WEB__API_TOKEN (at least "
                f"{MIN_API_TOKEN_CHARS} characters)",
            )
        if not bearer_matches(request.headers, token):
            return api_error(
                401, "unauthorised", "a valid 'Authorization: Bearer <token>' is needed"
            )
        return None

    return guard


async def read_body(request: Request, max_bytes: int) -> bytes | JSONResponse:
    """The body, or 413 as soon as it (or its announced length) passes ``max_bytes``."""
    too_large = api_error(413, "too_large", f"the body may be at most {max_bytes} bytes")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > max_bytes):
        return too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            return too_large
    return b"".join(chunks)


def parse_json(body: bytes) -> Any:
    """The JSON of ``body``, or a 400 answer saying why not (returned, not raised)."""
    try:
        return json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return api_error(400, "invalid_json", f"the body is not JSON: {exc}")
    except RecursionError:  # a few KB of "[[[[..." nest deeper than the parser goes
        return api_error(400, "invalid_json", "the body is nested too deeply")


def storage_busy(what: str, exc: Exception) -> JSONResponse:
    """503 with ``Retry-After``: the database is locked, full or gone; try again later."""
    log.error("%s not stored: %s", what, exc)
    answer = api_error(503, "storage", f"the {what} could not be stored now; try again")
    answer.headers["Retry-After"] = "5"
    return answer
