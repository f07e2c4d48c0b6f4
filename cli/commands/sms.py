"""`spillway sms ...`: the text-message outbox, and one sending pass for cron."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.backends.sms import OUTBOX_STATUSES, SendReport, outbox_counts, outbox_entries
from bot.backends.sms_sender import NO_GATEWAY_HINT, build_gateway, build_sender
from cli.admin_words import admin_words
from cli.context import app_context
from cli.terminal_text import shown
from spillway.errors import ConfigError
from spillway.logs import setup_logging
from spillway.settings import Settings
from spillway.storage import AsyncStore, open_store

app = typer.Typer(
    help="The SMS outbox: list queued, sent and failed messages; send the due ones.",
    no_args_is_help=True,
)
console = Console()


class StatusChoice(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    all = "all"


def _time(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else ""


@app.command("outbox")
def outbox(
    ctx: typer.Context,
    status: Annotated[
        StatusChoice, typer.Option("--status", "-s", help="Which messages to list.")
    ] = StatusChoice.all,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the outbox's messages, newest first (pending, sending, sent, failed)."""
    settings = app_context(ctx).settings
    statuses = OUTBOX_STATUSES if status is StatusChoice.all else (status.value,)
    store = open_store(settings.storage)
    try:
        entries = outbox_entries(store, statuses, limit)
        counts = outbox_counts(store)
    finally:
        store.close()
    if as_json:
        print(
            json.dumps(
                {"counts": counts, "messages": [asdict(e) for e in entries]},
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    table = Table(title="SMS outbox " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    for column in ("id", "status", "to", "tries", "queued", "sent", "message / last error"):
        table.add_column(column, justify="right" if column in ("id", "tries") else "left")
    colour = {"sent": "green", "failed": "red", "sending": "yellow"}
    for e in entries:
        text = shown(e.body)  # whole: the link in it is what an operator checks
        if e.last_error and e.status != "sent":
            text += f"\n[red]{shown(e.last_error)}[/]"
        table.add_row(
            str(e.id),
            f"[{colour.get(e.status, 'cyan')}]{e.status}[/]",
            shown(e.phone),
            str(e.attempts),
            _time(e.created_at),
            _time(e.sent_at),
            text,
        )
    console.print(table)
    if settings.sms.gateway_url is None and counts["pending"] + counts["sending"]:
        console.print(f"[yellow]no SMS gateway configured: {NO_GATEWAY_HINT}[/]")


async def send_once(settings: Settings, limit: int) -> SendReport:
    """One pass over the due messages; ConfigError (nothing sent) without a gateway."""
    gateway = build_gateway(settings.sms)
    store = open_store(settings.storage)
    db = AsyncStore(store)
    try:
        if gateway is None:
            counts = outbox_counts(store)
            t = admin_words(settings)
            queued = t.count("cli.sms.queued", counts["pending"] + counts["sending"])
            raise ConfigError(
                t("cli.sms.no_gateway", queued=queued),
                hint=NO_GATEWAY_HINT,
            )
        return await build_sender(settings.sms, db, gateway).send_pending(limit)
    finally:
        if gateway is not None:
            await gateway.aclose()
        db.close()
        store.close()


@app.command("send-pending")
def send_pending(
    ctx: typer.Context,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="Post at most this many messages.")
    ] = 1000,
) -> None:
    """Send the due messages once through the gateway (for cron); exit 1 if any failed."""
    state = app_context(ctx)
    settings = state.settings
    setup_logging(settings.logging, verbose=state.verbose)
    report = asyncio.run(send_once(settings, limit))
    console.print(
        f"sent {report.sent}, to retry later {report.retry}, failed {report.failed}",
        highlight=False,
    )
    if report.failed:
        raise typer.Exit(1)
