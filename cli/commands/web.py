"""`spillway web serve`: the web application (console, callback API, Prometheus metrics) under
uvicorn; `spillway web user ...` manages the console's users."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from cli.admin_words import admin_words
from cli.commands.web_users import app as users_app
from cli.context import app_context
from spillway import paths
from spillway.errors import ConfigError
from spillway.logs import setup_logging
from spillway.secrets import generate_secret, set_secret
from spillway.settings import Settings
from spillway.storage import AsyncStore, open_store

app = typer.Typer(
    help="The web application: the console, the callback API and /metrics.",
    no_args_is_help=True,
)
app.add_typer(users_app, name="user")


@app.command("token")
def token(
    ctx: typer.Context,
    new: Annotated[bool, typer.Option("--new", help="Replace a token already set.")] = False,
    show: Annotated[
        bool,
        typer.Option(
            "--show",
            help="Print the token alone on standard output (writing one first when none is "
            "set), for TOKEN=$(spillway web token --show).",
        ),
    ] = False,
) -> None:
    """Write the callback API's bearer token (web.api_token) into the secrets file, if there
    is none: `spillway web serve` needs one. It is printed only with --show."""
    settings = app_context(ctx).settings
    t = admin_words(settings)
    if _usable_token(settings) and not new:
        if show:
            typer.echo(settings.web.require_api_token())
        else:
            typer.echo(t("cli.web_token.set", path=paths.secrets_file()))
        return
    # 32 URL-safe characters: well over the 16 require_api_token asks for.
    secret = generate_secret()
    path = set_secret("SPILLWAY_WEB__API_TOKEN", secret)
    # With --show, standard output holds the token alone (for $(...)): the rest to stderr.
    typer.echo(t("cli.web_token.written", path=path), err=show)
    if show:
        typer.echo(secret)


def _usable_token(settings: Settings) -> bool:
    """Whether web.api_token is one `web serve` takes (a short one is replaced)."""
    try:
        settings.web.require_api_token()
    except ConfigError:
        return False
    return True


@app.command("serve")
def serve(ctx: typer.Context) -> None:
    """Serve the console, the callback API and /metrics on web.bind_host:web.port."""
    # Imported here: the web app and uvicorn cost `spillway web user ...` ~1 s at start-up.
    import uvicorn

    from web.app import create_web_app
    from web.connection_guard import ConnectionLimits, OncePerInterval, guarded_protocol

    state = app_context(ctx)
    settings = state.settings
    state.announce_config()
    setup_logging(settings.logging, verbose=state.verbose)
    settings.web.require_api_token()  # none, empty or short: a config error naming the key
    web = settings.web
    limits = ConnectionLimits.under_fd_limit(
        web.header_timeout_s, web.max_connections, web.max_connections_per_peer
    )
    db = open_store(settings.storage)
    store = AsyncStore(db)
    config = uvicorn.Config(
        create_web_app(settings, store),
        host=web.bind_host,
        port=web.port,
        http=guarded_protocol(limits),
        # uvicorn's own limits besides ours: idle keep-alive and a request head's
        # size (its limit_concurrency would count the same connections we cap).
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=16 * 1024,
        log_config=None,  # our logging, numbers masked
        access_log=False,
    )

    async def main() -> None:
        # "Too many open files" (and any other loop error) once per 10 s, with a count.
        asyncio.get_running_loop().set_exception_handler(OncePerInterval())
        await uvicorn.Server(config).serve()

    try:
        asyncio.run(main())
    finally:
        store.close()
        db.close()
