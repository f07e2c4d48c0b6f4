"""What every CLI command gets: the settings, read once, lazily.

Loading lazily lets ``--help`` work even when the configuration is broken.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer

from spillway.config_file import ConfigSource, find_config, load_settings
from spillway.errors import SpillwayError
from spillway.settings import Settings


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
        typer.echo(self.config_source.describe(), err=True)

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
