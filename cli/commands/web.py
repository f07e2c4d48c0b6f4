"""`spillway web serve`: the web application (console, callback API, Prometheus metrics) under
uvicorn; `spillway web user ...` manages the console's users."""

from __future__ import annotations

import asyncio

import typer
import uvicorn

from cli.commands.web_users import app as users_app
from cli.context import app_context
from spillway.errors import SpillwayError
from spillway.logs import setup_logging
from spillway.storage import AsyncStore, open_store
from web.app import create_web_app

app = typer.Typer(
    help="The web application: the console, the callback API and /metrics.",
    no_args_is_help=True,
)
app.add_typer(users_app, name="user")


@app.command("serve")
def serve(ctx: typer.Context) -> None:
    """Serve the console, the callback API and /metrics on web.bind_host:web.port."""
    state = app_context(ctx)
    settings = state.settings
    setup_logging(settings.logging, verbose=state.verbose)
    if settings.web.api_token is None:
        raise SpillwayError(
            "the callback API needs a token: set SPILLWAY_WEB__API_TOKEN "
            "(or put it in the secrets file)",
            hint="spillway web serve refuses to run an API anyone could use",
        )
    db = open_store(settings.storage)
    store = AsyncStore(db)
    config = uvicorn.Config(
        create_web_app(settings, store),
        host=settings.web.bind_host,
        port=settings.web.port,
        log_config=None,  # our logging, numbers masked
        access_log=False,
    )
    try:
        asyncio.run(uvicorn.Server(config).serve())
    finally:
        store.close()
        db.close()
