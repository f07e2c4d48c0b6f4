"""`spillway config ...`: check and show the effective configuration."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from cli.admin_words import admin_words
from cli.context import CHOSEN, app_context
from spillway.privacy_notice import notice_warning
from spillway.retention_periods import periods_warning
from spillway.secrets import mask_url_credentials

app = typer.Typer(help="Check and show the configuration.", no_args_is_help=True)
console = Console()


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Validate the configuration; exit 2 with a line for each bad key, all at once. A
    valid setting that does not do what its name says is warned about (exit 0)."""
    state = app_context(ctx)
    settings = state.settings  # loading is most of the check
    if settings.web.api_token is not None:
        # Set but too short is refused by `web serve`: say so here, not at start-up.
        settings.web.require_api_token()
    source = state.config_source
    t = admin_words(settings)
    # Valid, but not what the names say: said first, so the OK line does not hide it.
    for warning in (periods_warning(settings.gdpr, t), notice_warning(settings.gdpr, t)):
        if warning is not None:
            console.print(warning, style="yellow", markup=False, highlight=False)
    if source.path is None:
        said = t("cli.config.check_ok_no_file")
    else:
        chosen = CHOSEN.get(source.how)
        said = t(
            "cli.config.check_ok",
            file=source.path.resolve(),
            chosen=t(f"cli.config.chosen.{chosen}") if chosen else source.how,
        )
    console.print(said, markup=False, highlight=False)


@app.command("show")
def show(ctx: typer.Context) -> None:
    """Print the effective configuration as JSON, secrets masked (also in URLs); which
    file was read (or that none was) goes to stderr."""
    state = app_context(ctx)
    settings = state.settings
    state.announce_config()
    data = settings.model_dump(mode="json")
    # The console's users are secrets-file lines holding password hashes: roles only.
    users = data.get("web", {}).get("users") or {}
    data["web"]["users"] = {
        name: line.split(":", 1)[0] + ":**********" for name, line in users.items()
    }
    text = json.dumps(data, default=str)
    console.print_json(mask_url_credentials(text))
