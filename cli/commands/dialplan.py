"""`spillway dialplan ...`: render, check, diff and install the Asterisk configuration.

A thin layer over :mod:`dialplan.render`, :mod:`dialplan.check` and
:mod:`dialplan.install`. Secrets (the AMI user's secret, the softphone's SIP
password) are masked in everything shown on screen and in rendered folders
unless ``--with-secrets`` asks for them; ``install`` always writes the real
ones, since the PBX needs them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax

from cli.admin_confirm import confirmed
from cli.admin_words import admin_words
from cli.context import app_context
from cli.pbx_sounds import SoundsResult, describe, render_sounds, weak_voice
from dialplan import install as installer
from dialplan.ami_users import admin_endpoint, admin_secret_for
from dialplan.check import CheckReport, check_in_sandbox, shown_priorities
from dialplan.existing_queue import QUEUE_FILE, existing_queue
from dialplan.render import (
    SECRET_MASK,
    RenderedFile,
    render_spillway,
    softphone_password,
    spillway_files,
)
from dialplan.sandbox import Sandbox
from dialplan.sounds import sound_dirs
from dialplan.spool import install_script
from spillway.ami import AmiClient, AmiEndpoint
from spillway.errors import InputError, PbxError
from spillway.settings import Settings

app = typer.Typer(
    help="Render, check, diff and install Spillway's Asterisk configuration.",
    no_args_is_help=True,
)
console = Console()

FromOption = Annotated[
    Path | None,
    typer.Option(
        "--from",
        help="Use the files in this folder (as written by `render --with-secrets`, perhaps "
        "edited) instead of rendering them from the configuration.",
        file_okay=False,
    ),
]
TargetOption = Annotated[
    Path | None,
    typer.Option(
        "--target", help="The Asterisk configuration folder (default: pbx.asterisk_config_dir)."
    ),
]
FreePbxOption = Annotated[
    bool,
    typer.Option(
        "--freepbx",
        help="Include our files from FreePBX's *_custom.conf files (extensions_custom.conf, ...).",
    ),
]


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value a rendering contains, to mask in what is shown."""
    secret = settings.require_ami_secret()
    admin = admin_secret_for(settings, secret)
    return [secret, softphone_password(secret)] + ([admin] if admin else [])


def mask(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, SECRET_MASK)
    return text


def read_folder(folder: Path, names: tuple[str, ...]) -> list[RenderedFile]:
    """The include-able files ``names`` from a folder; every one of them must be there."""
    files = []
    for name in names:
        path = folder / name
        if not path.is_file():
            raise InputError.worded("rendered_missing", path=path)
        files.append(RenderedFile(name, path.read_text(encoding="utf-8")))
    return files


def real_files(settings: Settings, source: Path | None) -> list[RenderedFile]:
    """What gets loaded into Asterisk: with real secrets, never masked ones."""
    if source is None:
        return render_spillway(settings, ami_secret=settings.require_ami_secret())
    files = read_folder(source, spillway_files(settings))
    masked = [f.name for f in files if SECRET_MASK in f.text]
    if masked:
        raise InputError.worded(
            "masked_secrets", files=", ".join(masked), folder=source, mask=SECRET_MASK
        )
    return files


def ami_endpoint(settings: Settings) -> AmiEndpoint:
    """`install --reload` reloads and reads back through the CLI: the admin AMI user."""
    return admin_endpoint(settings)


async def check_files(settings: Settings, files: list[RenderedFile]) -> CheckReport:
    """Load ``files`` into the running sandbox Asterisk and read them back."""
    sandbox = Sandbox(settings, ami_secret=settings.require_ami_secret())
    if sandbox.pid() is None:
        raise PbxError.worded("sandbox_down", instance=settings.pbx.sandbox_instance)
    ami = await AmiClient.connect(sandbox.ami_endpoint())
    try:
        return await check_in_sandbox(sandbox, ami, files, queue_name=settings.queue.name)
    finally:
        await ami.close()


async def install_files(
    settings: Settings, target: Path, files: list[RenderedFile], *, freepbx: bool, reload: bool
) -> installer.InstallResult:
    if not reload:
        return await installer.install(
            target, files, ami=None, queue_name=settings.queue.name, freepbx=freepbx
        )
    ami = await AmiClient.connect(ami_endpoint(settings))
    try:
        return await installer.install(
            target, files, ami=ami, queue_name=settings.queue.name, freepbx=freepbx
        )
    finally:
        await ami.close()


def say_existing_queue(settings: Settings, folder: Path) -> None:
    """Say when the PBX already defines the queue: then it is used, not ours rendered."""
    found = existing_queue(folder, settings.queue.name)
    if found is not None:
        said = admin_words(settings)(
            "cli.dialplan.queue_existing", queue=found.name, file=found.path, ours=QUEUE_FILE
        )
        console.print(said, markup=False, soft_wrap=True)


def _show_diff(text: str) -> None:
    if console.is_terminal:
        console.print(Syntax(text, "diff", theme="ansi_dark", word_wrap=True))
    else:
        # Piped or captured: an unwrapped diff that `patch` and grep can use.
        console.print(text, markup=False, highlight=False, soft_wrap=True, end="")


@dataclass(frozen=True, slots=True)
class PlacementHints:
    """What `render` tells the admin to do with the callback script and the prompts."""

    script: str
    sounds: str


def placement_hints(settings: Settings) -> PlacementHints:
    """Where the rendered script and prompts go, as the PBX that runs them reads them.

    The sandbox's Asterisk runs in a chroot, so the folder its dialplan names
    (``/spillway/<instance>/sounds/...``) means nothing on a real PBX, and the sandbox
    needs no copying at all: `pbx sandbox up` and `dialplan install` put both in
    place. A host PBX reads ``pbx.sounds_dir``: that is the folder to name.
    """
    t = admin_words(settings)
    if settings.pbx.mode == "sandbox":
        return PlacementHints(
            script=t("cli.dialplan.script_sandbox"),
            sounds=t("cli.dialplan.sounds_sandbox", folder=sound_dirs(settings).local),
        )
    return PlacementHints(
        script=t("cli.dialplan.script_host"),
        sounds=t(
            "cli.dialplan.sounds_host",
            folder=sound_dirs(settings).pbx,
            language=settings.shop.language,
        ),
    )


@app.command("render")
def render(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder to write the files into.", file_okay=False)
    ] = Path("build/asterisk"),
    with_secrets: Annotated[
        bool,
        typer.Option("--with-secrets", help="Write the real AMI secret and SIP password."),
    ] = False,
) -> None:
    """Write the include-able *_spillway.conf files, the callback spool script and the
    prompts Asterisk plays (rendered with the bot's voice) into a folder (secrets masked)."""
    settings = app_context(ctx).settings
    t = admin_words(settings)
    secret = settings.require_ami_secret() if with_secrets else None
    out.mkdir(parents=True, exist_ok=True)
    for rendered in render_spillway(settings, ami_secret=secret):
        path = out / rendered.name
        path.write_text(rendered.text, encoding="utf-8")
        if secret is not None and rendered.name.startswith(("manager", "pjsip")):
            path.chmod(0o600)
        console.print(t("cli.dialplan.wrote", path=path), markup=False, soft_wrap=True)
    script = install_script(out / "agi-bin")
    hints = placement_hints(settings)
    said = t("cli.dialplan.wrote_script", path=script, hint=hints.script)
    console.print(said, markup=False, soft_wrap=True)
    sounds = asyncio.run(
        render_sounds(settings, out / "sounds" / "spillway" / settings.shop.language)
    )
    console.print(describe(sounds, t))
    _warn_weak_voice(sounds, settings)
    if sounds.missing is None:
        console.print(hints.sounds, markup=False, soft_wrap=True)
    if secret is None:
        console.print(t("cli.dialplan.masked", mask=SECRET_MASK), markup=False)


def _warn_weak_voice(sounds: SoundsResult, settings: Settings) -> None:
    """On stderr, in the admin's language: the prompts are espeak-ng's, and the fix."""
    warning = weak_voice(sounds, admin_words(settings), host=settings.pbx.mode == "host")
    if warning is not None:
        Console(stderr=True).print(warning, style="yellow", markup=False, soft_wrap=True)


@app.command("check")
def check(ctx: typer.Context, source: FromOption = None) -> None:
    """Load the files into the sandbox Asterisk, read them back; fail with Asterisk's errors."""
    settings = app_context(ctx).settings
    report = asyncio.run(check_files(settings, real_files(settings, source)))
    if not report.ok:
        errors = "\n  ".join(mask(e, secrets_of(settings)) for e in report.errors)
        raise PbxError.worded("not_loaded", errors=errors)
    t = admin_words(settings)
    ok = f"[green]{escape(t('cli.dialplan.ok'))}[/] "
    for context, output in report.contexts.items():
        said = t("cli.dialplan.context_loaded", context=context, n=shown_priorities(output))
        console.print(ok + escape(said))
    console.print(ok + escape(t("cli.dialplan.queue_loaded", queue=settings.queue.name)))


@app.command("diff")
def diff(
    ctx: typer.Context,
    target: TargetOption = None,
    freepbx: FreePbxOption = False,
    source: FromOption = None,
) -> None:
    """Show what `install` would change in the target folder (secrets masked)."""
    settings = app_context(ctx).settings
    folder = target or settings.pbx.asterisk_config_dir
    files = real_files(settings, source)
    say_existing_queue(settings, folder)
    text = installer.diff(folder, files, freepbx=freepbx, queue_name=settings.queue.name)
    if not text:
        said = admin_words(settings)("cli.dialplan.up_to_date", folder=folder)
        console.print(said, markup=False, soft_wrap=True)
        return
    _show_diff(mask(text, secrets_of(settings)))


@app.command("install")
def install(
    ctx: typer.Context,
    target: TargetOption = None,
    freepbx: FreePbxOption = False,
    source: FromOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before writing.")] = False,
    reload: Annotated[
        bool,
        typer.Option(
            "--reload/--no-reload",
            help="Reload through AMI and verify; a failed reload restores the backup.",
        ),
    ] = True,
) -> None:
    """Back up, write the files into the Asterisk folder, reload through AMI, verify."""
    settings = app_context(ctx).settings
    t = admin_words(settings)
    folder = target or settings.pbx.asterisk_config_dir
    files = real_files(settings, source)
    say_existing_queue(settings, folder)
    text = installer.diff(folder, files, freepbx=freepbx, queue_name=settings.queue.name)
    # The prompts first: the dialplan that plays them may already be installed.
    sounds = asyncio.run(render_sounds(settings))
    console.print(describe(sounds, t))
    _warn_weak_voice(sounds, settings)
    if not text:
        console.print(t("cli.dialplan.nothing_to_install", folder=folder), markup=False)
        return
    _show_diff(mask(text, secrets_of(settings)))
    if not yes and not confirmed(t, t("cli.dialplan.confirm", folder=folder)):
        console.print(t("cli.dialplan.not_installed"))
        raise typer.Exit(1)
    result = asyncio.run(install_files(settings, folder, files, freepbx=freepbx, reload=reload))
    for path in result.written:
        console.print(t("cli.dialplan.wrote", path=path), markup=False, soft_wrap=True)
    console.print(t("cli.dialplan.backup", folder=result.backup), markup=False, soft_wrap=True)
    if reload:
        console.print(f"[green]{escape(t('cli.dialplan.reloaded'))}[/]")
    else:
        console.print(t("cli.dialplan.not_reloaded"), markup=False)
