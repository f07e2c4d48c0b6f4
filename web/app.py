"""The whole web application of `spillway web serve`: the console, the callback API and
``/metrics``, behind one login.

Outermost first: security headers on every answer, Starlette's signed session
cookie, then :class:`web.auth.RequireLogin`, which refuses anything without a
session (or, where a script may, the API's bearer token). The callback API
(:mod:`web.callbacks_api`, with ``/metrics``) is mounted as it is and checks
its own bearer token.
"""

from __future__ import annotations

import logging
import secrets

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from spillway.console_text import console_language, load_console_text
from spillway.settings import Settings
from spillway.storage import AsyncStore
from web.auth import SESSION_COOKIE, LoginLimit, RequireLogin, SecurityHeaders, login_routes
from web.callbacks_api import create_app as create_api
from web.console import console_routes
from web.data_protection import data_protection_routes
from web.figure_cache import FigureCache
from web.pages import STATIC_DIR
from web.pilot_page import pilot_routes
from web.users import UserBook

log = logging.getLogger(__name__)


def create_web_app(settings: Settings, store: AsyncStore) -> Starlette:
    """The console, the callback API and /metrics over ``store``."""
    web = settings.web
    users = UserBook.from_settings(web)
    if web.session_secret is not None and web.session_secret.get_secret_value():
        session_key = web.session_secret.get_secret_value()
    else:
        log.warning(
            "web.session_secret is not set: sessions last until this server stops "
            "(`spillway web user add` creates one in the secrets file)"
        )
        session_key = secrets.token_urlsafe(32)
    figures = FigureCache()  # the Overview's and the Pilot page's, counted once a minute
    app = Starlette(
        routes=[
            *login_routes(users, LoginLimit.from_settings(web)),
            *console_routes(settings, store, figures),
            *data_protection_routes(settings, store),
            *pilot_routes(settings, store, figures),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
            Mount("", app=create_api(settings, store)),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=session_key,
                session_cookie=SESSION_COOKIE,
                max_age=round(web.session_hours * 3600),
                same_site="strict",
                https_only=web.cookie_https_only,
            ),
            Middleware(RequireLogin, users=users, web=web),
        ],
    )
    app.state.zone = settings.shop.timezone
    # The console's words: web.language, else the shop's (a missing key fails here, at start).
    app.state.text = load_console_text(console_language(settings))
    return app
