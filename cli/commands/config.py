"""`spillway config ...`: check and show the effective configuration."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from cli.context import app_context
from spillway.secrets import mask_url_credentials
from spillway.settings import default_config_path

app = typer.Typer(help="Check and show the configuration.", no_args_is_help=True)
console = Console()


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Validate the configuration; exit 2 with one line naming the bad key."""
    state = app_context(ctx)
    state.settings  # noqa: B018 - loading is the check
    console.print(f"configuration OK ({state.config_path or default_config_path() or 'defaults'})")


@app.command("show")
def show(ctx: typer.Context) -> None:
    """Print the effective configuration as JSON, secrets masked (also in URLs)."""
    settings = app_context(ctx).settings
    text = json.dumps(settings.model_dump(mode="json"), default=str)
    console.print_json(mask_url_credentials(text))
