"""`spillway demo`: run the demo end to end, or (`demo seed`) load its shop data."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from cli.commands import demo_seed as demo_seed_cmd
from cli.commands import pbx as pbx_cmd
from cli.context import app_context
from cli.language import LanguageOption, with_language
from spillway.logs import setup_logging

console = Console()

app = typer.Typer(
    help="The demo: run it end to end, or load its shop data.", invoke_without_command=True
)
app.command("seed")(demo_seed_cmd.seed)


@app.callback()
def demo(ctx: typer.Context, language: LanguageOption = None) -> None:
    """Bring up the sandbox PBX, place a call through it into Spillway, run the doctor
    (in the shop's language, or --language's)."""
    if ctx.invoked_subcommand is not None:
        return
    from cli.demo import run_demo

    state = app_context(ctx)
    sandbox = pbx_cmd.sandbox_for(ctx, create_secret=True)
    setup_logging(state.settings.logging, verbose=state.verbose)
    settings = with_language(state.settings, language)

    async def main() -> bool:
        await pbx_cmd.bring_up(sandbox)
        return await run_demo(settings, sandbox, console, config_path=state.config_source.path)

    if not asyncio.run(main()):
        raise typer.Exit(1)
