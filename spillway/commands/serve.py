"""`spillway serve`: the call controller (FastAGI) and the media server in one process."""

from __future__ import annotations

import asyncio
import logging

import typer

from agi.controller import running_controller
from agi.menu_bot import MenuBot
from spillway.context import app_context
from spillway.settings import Settings

log = logging.getLogger(__name__)


async def serve_forever(settings: Settings) -> None:
    """Run until cancelled (Ctrl-C)."""
    async with running_controller(settings, MenuBot()) as (_controller, fastagi, media):
        c = settings.controller
        log.info(
            "serving: FastAGI %s:%s, AudioSocket %s, WebSocket %s (transport %s)",
            c.bind_host,
            fastagi.port,
            media.audiosocket_port,
            media.websocket_port,
            c.transport,
        )
        typer.echo(
            f"spillway serve: FastAGI on {c.bind_host}:{fastagi.port}, media on "
            f"AudioSocket {media.audiosocket_port} / WebSocket {media.websocket_port}; "
            "Ctrl-C stops"
        )
        await asyncio.Event().wait()


def serve(ctx: typer.Context) -> None:
    """Run the call controller: FastAGI routing and the bot's media server."""
    settings = app_context(ctx).settings
    try:
        asyncio.run(serve_forever(settings))
    except KeyboardInterrupt:
        typer.echo("stopped")
