"""The `spillway` command: a thin Typer layer over the library.

Every SpillwayError becomes one clear line on stderr and its exit code
(2 for configuration and input errors); nothing else is caught here.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.commands import call as call_cmd
from cli.commands import callbacks as callbacks_cmd
from cli.commands import chat as chat_cmd
from cli.commands import config as config_cmd
from cli.commands import db as db_cmd
from cli.commands import demo_seed as demo_seed_cmd
from cli.commands import dialplan as dialplan_cmd
from cli.commands import explain as explain_cmd
from cli.commands import gdpr as gdpr_cmd
from cli.commands import models as models_cmd
from cli.commands import nlu as nlu_cmd
from cli.commands import pbx as pbx_cmd
from cli.commands import report as report_cmd
from cli.commands import serve as serve_cmd
from cli.commands import services as services_cmd
from cli.commands import signals as signals_cmd
from cli.commands import simulate as simulate_cmd
from cli.commands import sms as sms_cmd
from cli.commands import web as web_cmd
from cli.context import AppContext, app_context
from cli.doctor import run_checks
from cli.help_format import no_types_on_flags
from cli.language import LanguageOption, with_language
from cli.report import print_checks
from spillway import __version__
from spillway.errors import SpillwayError
from spillway.logs import setup_logging

no_types_on_flags()  # before any help is printed

app = typer.Typer(
    help="Spillway: a local-first overflow voice bot and smart-callback engine for Asterisk.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(pbx_cmd.app, name="pbx")
app.add_typer(db_cmd.app, name="db")
app.add_typer(config_cmd.app, name="config")
app.add_typer(dialplan_cmd.app, name="dialplan")
app.add_typer(chat_cmd.app, name="chat")
app.add_typer(nlu_cmd.app, name="nlu")
app.add_typer(models_cmd.app, name="models")
app.add_typer(sms_cmd.app, name="sms")
callbacks_cmd.app.command("explain")(explain_cmd.explain_command)
app.add_typer(callbacks_cmd.app, name="callbacks")
app.add_typer(callbacks_cmd.scheduler_app, name="scheduler")
app.add_typer(web_cmd.app, name="web")
app.add_typer(gdpr_cmd.app, name="gdpr")
app.add_typer(signals_cmd.app, name="signals")
app.add_typer(simulate_cmd.app, name="simulate")
app.add_typer(report_cmd.app, name="report")
app.command("call")(call_cmd.call)
app.command("serve")(serve_cmd.serve)
app.command("install-services")(services_cmd.install_services)
console = Console()
err_console = Console(stderr=True)


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="YAML config file (default: $SPILLWAY_CONFIG, else "
            "/etc/spillway/spillway.yaml, else ~/.config/spillway/spillway.yaml; never the "
            "current folder's).",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Spillway: a local-first overflow voice bot and smart-callback engine for Asterisk."""
    ctx.obj = AppContext(config_path=config, verbose=verbose)


@app.command()
def version() -> None:
    """Print Spillway's version."""
    console.print(__version__)


@app.command()
def doctor(
    ctx: typer.Context,
    call: Annotated[
        bool,
        typer.Option(
            "--call",
            help="Also place a real test call: Asterisk -> Spillway's FastAGI -> Asterisk "
            "(into the running `spillway serve`, else a listener of the doctor's own).",
        ),
    ] = False,
) -> None:
    """Check AMI, Asterisk and its modules, models, the NLU server, the database, and that
    `spillway serve` and the callback scheduler run."""
    settings = app_context(ctx).settings
    setup_logging(settings.logging, verbose=app_context(ctx).verbose)
    if not print_checks(console, asyncio.run(run_checks(settings, call=call))):
        raise typer.Exit(1)


demo_app = typer.Typer(
    help="The demo: run it end to end, or load its shop data.", invoke_without_command=True
)
app.add_typer(demo_app, name="demo")
demo_app.command("seed")(demo_seed_cmd.seed)


@demo_app.callback()
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


def main() -> None:
    """Console entry point."""
    try:
        app()
    except SpillwayError as exc:
        err_console.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
