"""Who may see the console: login, the session cookie, CSRF tokens, and the login limit.

Nothing is answered without a login. :class:`RequireLogin` stands in front of
every route and refuses by default; only the login form (and its stylesheet)
is open, and the callback API and ``/metrics`` keep their own bearer-token
check (:mod:`web.callbacks_api`). ``/api/kpis`` and the CSV export take the
session or the bearer token, for scripts.

The session is Starlette's signed cookie (itsdangerous): HttpOnly,
SameSite=Strict, ``Max-Age`` of ``web.session_hours``, and the login time
inside it is checked on every request, so a wallboard that polls all day is
still logged out when its session is over. The cookie holds the user's name,
never their role: a role comes from the user list on each request, so a user
removed from it (and the server restarted) is refused at once.

Every form carries the session's CSRF token (``csrf_token``); a POST without
the right one is refused with 403. Failed logins are limited per user name
and per client address (the ``limits`` package, moving windows, in memory):
past either limit the answer is 429 with ``Retry-After``, even for the right
password.
"""

from __future__ import annotations

import hmac
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from spillway.settings import WebSettings
from web.csrf import checked_form, new_token
from web.pages import page_text, render, word
from web.users import Role, User, UserBook

SESSION_COOKIE = "spillway_session"
# Open to anyone: the login form and the one stylesheet it uses.
PUBLIC_PATHS = frozenset({"/login", "/static/console.css"})
# The callback and signals APIs and /metrics check their own bearer token (web.api_http).
BEARER_ONLY_PREFIXES = ("/callbacks", "/signals", "/metrics")
# Read by scripts with the API's bearer token, or by a logged-in browser.
BEARER_OR_SESSION_PATHS = frozenset({"/api/kpis", "/export/callbacks.csv"})


def bearer_matches(request_headers: Mapping[str, str], token: str | None) -> bool:
    """Whether the ``Authorization: Bearer`` header carries ``token`` (never an empty one)."""
    given = request_headers.get("authorization", "")
    if not token or not given.lower().startswith("bearer "):
        return False
    presented = given[7:].strip(" \t")
    return bool(presented) and hmac.compare_digest(presented.encode(), token.encode())


def session_user(scope: Scope, users: UserBook, *, session_s: float, now: float) -> User | None:
    """The logged-in user of this request's session, if it is still valid."""
    session = scope.get("session") or {}
    name, login_at = session.get("user"), session.get("login_at")
    if not isinstance(name, str) or not isinstance(login_at, int | float):
        return None
    if not 0 <= now - login_at <= session_s:
        return None
    return users.get(name)


def current_user(request: Request) -> User:
    """The user :class:`RequireLogin` let in (a bearer-token script counts as a viewer)."""
    user: User = request.scope["state"]["user"]
    return user


def require_role(request: Request, role: Role) -> User:
    user = current_user(request)
    if user.role < role:
        text = page_text(request)
        needed, held = word(text, "role", role.label), word(text, "role", user.role.label)
        raise HTTPException(403, text("errors.role", needed=needed, held=held))
    return user


class RequireLogin:
    """ASGI middleware: refuse every request without a valid session (or bearer token).

    Inside Starlette's SessionMiddleware (it reads ``scope["session"]``). A
    browser asking for a page is sent to the login form; anything else gets
    401 with a JSON error.
    """

    def __init__(self, app: ASGIApp, *, users: UserBook, web: WebSettings) -> None:
        self.app = app
        self.users = users
        self.session_s = web.session_hours * 3600
        self.token = web.api_token.get_secret_value() if web.api_token is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in PUBLIC_PATHS or _bearer_only(path):
            await self.app(scope, receive, send)
            return
        user = session_user(scope, self.users, session_s=self.session_s, now=time.time())
        if user is None and path in BEARER_OR_SESSION_PATHS:
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            if bearer_matches(headers, self.token):
                user = User("api-token", Role.VIEWER)
        if user is None:
            await _refuse(scope, receive, send)
            return
        scope.setdefault("state", {})["user"] = user
        await self.app(scope, receive, send)


def _bearer_only(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in BEARER_ONLY_PREFIXES)


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive)
    wants_page = (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and "hx-request" not in request.headers
    )
    response: Response
    if wants_page:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    else:
        body = {"error": {"code": "unauthorised", "message": "log in, or send the API token"}}
        response = Response(json.dumps(body), status_code=401, media_type="application/json")
    await response(scope, receive, send)


def safe_next(target: str | None) -> str:
    """Where to go after login: a path on this site only (never ``//host`` or a URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@dataclass
class LoginLimit:
    """Failed logins per user name and per client address, in a moving window."""

    per_user: int
    per_address: int
    window_minutes: int

    def __post_init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._user = RateLimitItemPerMinute(self.per_user, self.window_minutes)
        self._address = RateLimitItemPerMinute(self.per_address, self.window_minutes)

    @classmethod
    def from_settings(cls, web: WebSettings) -> LoginLimit:
        return cls(
            web.login_failures_per_user, web.login_failures_per_address, web.login_window_minutes
        )

    def retry_after_s(self, user: str, address: str) -> int | None:
        """Seconds until another try is allowed, or None when one is allowed now."""
        waits = [
            self._limiter.get_window_stats(item, kind, key).reset_time - time.time()
            for item, kind, key in ((self._user, "user", user), (self._address, "addr", address))
            if not self._limiter.test(item, kind, key)
        ]
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, user: str, address: str) -> None:
        self._limiter.hit(self._user, "user", user)
        self._limiter.hit(self._address, "addr", address)


def login_routes(users: UserBook, limit: LoginLimit) -> list[Route]:
    """``GET /login`` (the form), ``POST /login`` and ``POST /logout``."""

    def form(request: Request, *, status: int = 200, problem: str = "") -> Response:
        return render(
            request,
            "login.html",
            {
                "next": safe_next(request.query_params.get("next")),
                "problem": problem,
                "no_users": len(users) == 0,
            },
            status_code=status,
        )

    async def show(request: Request) -> Response:
        return form(request)

    async def login(request: Request) -> Response:
        posted = await checked_form(request)
        name = str(posted.get("username", "")).strip().lower()[:64]
        password = str(posted.get("password", ""))
        address = request.client.host if request.client else "unknown"
        wait = limit.retry_after_s(name, address)
        if wait is not None:
            response = form(
                request, status=429, problem=page_text(request)("login.too_many", seconds=wait)
            )
            response.headers["Retry-After"] = str(wait)
            return response
        user = users.check(name, password)
        if user is None:
            limit.failed(name, address)
            return form(request, status=401, problem=page_text(request)("login.wrong"))
        request.session.clear()  # a new session: nothing carried over from before the login
        request.session.update(user=user.name, login_at=time.time(), csrf=new_token())
        return RedirectResponse(safe_next(str(posted.get("next", "/"))), status_code=303)

    async def logout(request: Request) -> Response:
        await checked_form(request)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    return [
        Route("/login", show, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]


def security_headers() -> dict[str, str]:
    """Headers on every console answer: no framing, no inline script, nothing cached."""
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


class SecurityHeaders:
    """ASGI middleware adding :func:`security_headers` to every answer that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in security_headers().items()]
        # The vendored scripts and the stylesheet may be kept a while; pages never.
        self.static_headers = [
            (b"cache-control", b"private, max-age=3600") if k == b"cache-control" else (k, v)
            for k, v in self.headers
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        ours = self.static_headers if scope["path"].startswith("/static/") else self.headers

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in ours if k not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
