"""`spillway scheduler ...`: run the callback dialer, or see how it is doing (in the
console's language: ``cli.scheduler`` in console.yaml)."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from typing import Annotated, Any

import typer
from rich.console import Console

from cli.admin_words import admin_words
from cli.commands.callbacks import JsonOption, _store
from cli.context import app_context
from cli.request_card import code_word
from cli.terminal_text import plain
from scheduler.daemon import run_scheduler, times_by_model
from scheduler.dialer import settings_status_report
from spillway.console_text import ConsoleText
from spillway.logs import setup_logging
from spillway.storage import AsyncStore, open_store

app = typer.Typer(help="The callback dialer: run it, or see how it is doing.", no_args_is_help=True)
console = Console()


@app.command("run")
def run(
    ctx: typer.Context,
    node: Annotated[
        str, typer.Option(help="This dialer's name (default: host and a random id).")
    ] = "",
) -> None:
    """Run the callback dialer until Ctrl-C or SIGTERM (several may share one database)."""
    state = app_context(ctx)
    settings = state.settings
    state.announce_config()
    setup_logging(settings.logging, verbose=state.verbose)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        db = open_store(settings.storage)
        store = AsyncStore(db)
        try:
            await run_scheduler(settings, store, stop, node=node)
        finally:
            store.close()
            db.close()

    asyncio.run(main())


def _seconds(value: float, text: ConsoleText) -> str:
    """A count of seconds as stored (0.4, 3), with the language's decimal mark."""
    return f"{value:g}".replace(".", text.strings["format.decimal_mark"])


def status_lines(
    report: dict[str, Any],
    poll_s: float,
    text: ConsoleText,
    *,
    refit_minutes: float | None = None,
) -> list[str]:
    """What `scheduler status` prints for ``report`` (:func:`status_report`), in ``text``'s
    language; stored values with their control characters shown. ``refit_minutes``: the
    callbacks are timed by the contact model, refitted this often (None: they are not);
    a node that has no model yet then says it times by the plain rules meanwhile."""
    t = text
    lines = [
        t(
            "cli.scheduler.summary",
            due=report["due_now"],
            in_flight=report["in_flight"],
            lag=_seconds(report["lag_s"], t),
        )
    ]
    counts = ", ".join(
        t("cli.scheduler.status_count", status=code_word(t, "status", status), n=n)
        for status, n in sorted(report["by_status"].items())
    )
    lines.append(t("cli.scheduler.by_status", counts=plain(counts or t("cli.scheduler.none"))))
    if not any(n["up"] for n in report["nodes"]):
        # Said first: due requests wait until a node runs.
        lines.append(
            t("cli.scheduler.no_node" if report["nodes"] else "cli.scheduler.no_node_ever")
        )
    for n in report["nodes"]:
        if n["up"]:
            how = t("cli.scheduler.node_up", seen=_seconds(n["seen_s_ago"], t))
            if n["state"] not in (None, "dialling"):
                how = t("cli.scheduler.node_state", how=how, state=plain(n["state"]))
        else:
            how = t(
                "cli.scheduler.node_down",
                seen=_seconds(n["seen_s_ago"], t),
                every=_seconds(poll_s, t),
            )
        line = t("cli.scheduler.node", node=plain(n["node"]), how=how, dialled=n["dialled"])
        if n["up"] and refit_minutes is not None and n["model_age_h"] is None:
            # A normal state on a new node, not an error: the first fit takes a moment.
            timing = t("model.first_fit", minutes=text.number(refit_minutes))
            line = t("cli.scheduler.node_first_fit", line=line, timing=timing)
        if n["last_error"]:
            line = t("cli.scheduler.node_error", line=line, error=plain(n["last_error"]))
        lines.append(line)
    return lines


@app.command("status")
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Due now, in flight, lag, and each dialer node's last heartbeat and error."""
    settings = app_context(ctx).settings
    poll_s = settings.callbacks.poll_interval_s
    with _store(ctx) as db:
        report = settings_status_report(db, settings, time.time())
    if as_json:
        print(json.dumps(report, indent=2))
        return
    refit = settings.callbacks.model_refit_minutes if times_by_model(settings) else None
    for line in status_lines(report, poll_s, admin_words(settings), refit_minutes=refit):
        console.print(line, markup=False, soft_wrap=True)
