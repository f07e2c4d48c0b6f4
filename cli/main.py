"""The `spillway` command: a thin Typer layer over the library.

Every SpillwayError becomes one clear line on stderr, in the admin's language with its
stable code (:func:`cli.admin_words.error_line`), and its exit code (2 for configuration
and input errors); nothing else is caught here.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.command_index import PRETTY_EXCEPTIONS, RICH_MARKUP_MODE, LazyGroup
from cli.context import AppContext, app_context, last_settings
from cli.help_format import no_types_on_flags, summaries_joined
from spillway import __version__
from spillway.errors import ConfigError, SpillwayError
from spillway.logs import setup_logging

no_types_on_flags()  # before any help is printed
summaries_joined()

app = typer.Typer(
    help="Spillway: a local-first overflow voice bot and smart-callback engine for Asterisk.",
    no_args_is_help=True,
    pretty_exceptions_enable=PRETTY_EXCEPTIONS,
    rich_markup_mode=RICH_MARKUP_MODE,
    # The other commands load from cli/command_index.py only when used: importing
    # them all (the bot, scikit-learn, argon2...) made every command take ~3 s.
    cls=LazyGroup,
)
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
    # Imported here: the checks pull in httpx and the storage layer (numpy).
    from cli.admin_words import admin_words
    from cli.doctor import run_checks
    from cli.report import print_checks

    settings = app_context(ctx).settings
    setup_logging(settings.logging, verbose=app_context(ctx).verbose)
    checks = asyncio.run(run_checks(settings, call=call))
    if not print_checks(console, checks, admin_words(settings)):
        raise typer.Exit(1)


def main() -> None:
    """Console entry point."""
    try:
        app()
    except SpillwayError as exc:
        from cli.admin_words import error_line  # here: it reads the language packs

        settings = last_settings()
        # A configuration says every refused value at once, each on its line.
        for each in (exc, *exc.more) if isinstance(exc, ConfigError) else (exc,):
            line = error_line(each, settings)
            err_console.print(line, markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
