"""What every CLI command gets: the settings, read once, lazily.

Loading lazily lets ``--help`` work even when the configuration is broken.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer

from cli.admin_words import admin_words
from spillway.config_file import (
    SYSTEM_CONFIG,
    ConfigSource,
    find_config,
    load_settings,
    user_config,
)
from spillway.errors import SpillwayError
from spillway.settings import Settings

# How the file was found (spillway.config_file.find_config) as a pack key
# (cli.config.chosen.<key>).
CHOSEN = {
    "--config": "option",
    "$SPILLWAY_CONFIG": "env",
    "the system file": "system",
    "the user file": "user",
}


@dataclass
class AppContext:
    config_path: Path | None = None
    verbose: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def config_source(self) -> ConfigSource:
        """The file read (``--config``, ``$SPILLWAY_CONFIG``, /etc, ~/.config), or none."""
        return find_config(self.config_path)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_source.path, use_default_path=False)
        return self._settings

    def announce_config(self) -> None:
        """Say on stderr which configuration file is in force (services, `config show`)."""
        source, t = self.config_source, admin_words(self.settings)
        if source.path is None:
            said = t("cli.config.announced_no_file", system=SYSTEM_CONFIG, user=user_config())
        else:
            chosen = CHOSEN.get(source.how)
            how = t(f"cli.config.chosen.{chosen}") if chosen else source.how
            said = t("cli.config.announced", file=source.path.resolve(), chosen=how)
        typer.echo(said, err=True)

    def reload(self) -> Settings:
        self._settings = None
        return self.settings

    def __post_init__(self) -> None:
        _RUNS[:] = [self]  # the run's context, for the error line main() prints


_RUNS: list[AppContext] = []


def last_settings() -> Settings | None:
    """The settings of the command that ran last in this process (read now if it had not
    read them), or None when there is none or they cannot be read: the language of the
    error line :func:`cli.main.main` prints when a command fails."""
    if not _RUNS:
        return None
    try:
        return _RUNS[0].settings
    except SpillwayError:  # the configuration itself is what failed
        return None


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):
        obj = AppContext()
        ctx.find_root().obj = obj
    return obj
