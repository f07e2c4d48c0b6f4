"""`spillway install-services`: systemd units for serve, scheduler, web and nlu (Rasa, only
when ``nlu.rasa_url`` is set)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.admin_words import admin_words
from cli.context import app_context
from spillway.errors import InputError
from spillway.services import (
    CACHE_DIR,
    CONFIG_DIR,
    DATA_DIR,
    Layout,
    database_folder,
    root_steps,
    unit_files,
)

console = Console()
NLU_UNIT = "spillway-nlu.service"


def install_services(
    ctx: typer.Context,
    user: Annotated[str, typer.Option(help="The dedicated user the services run as.")] = "spillway",
    prefix: Annotated[Path, typer.Option(help="Where the unit files go.")] = Path(
        "/etc/systemd/system"
    ),
    data_dir: Annotated[Path, typer.Option(help="The writable data folder.")] = DATA_DIR,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the units instead of writing them.")
    ] = False,
) -> None:
    """Write systemd units (restart on failure, secrets from an EnvironmentFile, a dedicated
    user, hardening, readiness checks) for serve, scheduler, web and nlu (no nlu unit when
    nlu.rasa_url is empty: the fallback classifier inside serve then understands calls)."""
    settings = app_context(ctx).settings
    spool = settings.callbacks.spool_dir
    database = database_folder(settings, data_dir)
    layout = Layout(
        user=user,
        data_dir=data_dir,
        cache_dir=CACHE_DIR,
        config_dir=CONFIG_DIR,
        extra_writable=tuple(p for p in (database, spool) if p is not None),
    )
    units = unit_files(settings, layout)
    warn = Console(stderr=True)
    t = admin_words(settings)
    # The units read the file in the configuration folder; their ports and spool folder
    # come from the one this run read: say so when those differ.
    read = app_context(ctx).config_source.path
    unit_config = layout.config_dir / "spillway.yaml"
    if read is None or read.resolve() != unit_config:
        todo = (
            f"install -m 0644 {read} {unit_config}"
            if read
            else t("cli.services.write_config", file=unit_config)
        )
        warn.print(
            t(
                "cli.services.config_differs",
                unit_config=unit_config,
                read=read or t("cli.services.no_config"),
                todo=todo,
            ),
            style="yellow",
            markup=False,
            soft_wrap=True,
        )
    if settings.pbx.mode == "sandbox":
        # The default, for trying Spillway out: services on a real PBX want pbx.mode: host.
        warn.print(
            t("cli.services.sandbox_mode", source=read or t("cli.services.no_config")),
            style="yellow",
            markup=False,
            soft_wrap=True,
        )
    if layout.python.is_relative_to("/home") or layout.python.is_relative_to("/root"):
        # Said first, and on stderr, so a --dry-run's units on stdout stay clean.
        warn.print(
            t("cli.services.home_python", python=layout.python),
            style="yellow",
            markup=False,
            soft_wrap=True,
        )
    if not settings.nlu.uses_rasa:
        # Said on stderr, so a --dry-run's units on stdout stay clean.
        warn.print(t("cli.services.no_nlu"), markup=False, soft_wrap=True)
        if (prefix / NLU_UNIT).exists():  # from a run while Rasa was configured
            warn.print(
                t("cli.services.old_nlu", unit=NLU_UNIT, folder=prefix),
                style="yellow",
                markup=False,
                soft_wrap=True,
            )
    if dry_run:
        for name, text in units.items():
            print(f"# {prefix / name}\n{text}")
        return
    try:
        prefix.mkdir(parents=True, exist_ok=True)
        for name, text in units.items():
            (prefix / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError.worded("units_unwritable", folder=prefix, problem=exc) from exc
    names = " ".join(units)
    # Not wrapped at the terminal's width: each command is pasted into a shell whole.
    said = t("cli.services.wrote", units=names, folder=prefix)
    console.print(said, markup=False, soft_wrap=True)
    for step in root_steps(layout, list(units), database):
        console.print(f"  {step}", markup=False, soft_wrap=True)
    console.print(t("cli.services.walkthrough"), markup=False, soft_wrap=True)
