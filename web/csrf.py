"""CSRF tokens: one per session, carried by every form, checked on every POST.

The token lives in the signed session cookie (HttpOnly, SameSite=Strict); a
form posted without it, or with another session's, is refused with 403.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from web.page_text import page_text

CSRF_FIELD = "csrf_token"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = new_token()
        request.session["csrf"] = token
    return token


async def checked_form(request: Request) -> FormData:
    """The posted form, or 403 unless it carries the session's CSRF token."""
    form = await request.form()
    given = form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not isinstance(given, str) or not isinstance(expected, str):
        raise HTTPException(403, page_text(request)("errors.csrf_missing"))
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(403, page_text(request)("errors.csrf_wrong"))
    return form
