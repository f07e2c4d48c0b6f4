"""`spillway web serve`: the web application (callback API, Prometheus metrics) under uvicorn."""

from __future__ import annotations

import asyncio

import typer
import uvicorn

from cli.context import app_context
from spillway.logs import setup_logging
from spillway.storage import AsyncStore, open_store
from web.callbacks_api import create_app

app = typer.Typer(help="The web application: the callback API.", no_args_is_help=True)


@app.command("serve")
def serve(ctx: typer.Context) -> None:
    """Serve POST /callbacks, GET /callbacks/{id} and GET /metrics on web.bind_host:web.port."""
    state = app_context(ctx)
    settings = state.settings
    setup_logging(settings.logging, verbose=state.verbose)
    settings.web.require_api_token()  # none, empty or short: a config error naming the key
    db = open_store(settings.storage)
    store = AsyncStore(db)
    config = uvicorn.Config(
        create_app(settings, store),
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
