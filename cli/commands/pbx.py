"""`spillway pbx sandbox ...`: a real Asterisk 22 on loopback for development and tests."""

from __future__ import annotations

import asyncio
import os
import subprocess

import typer
from rich.console import Console
from rich.text import Text

from cli.admin_words import admin_words
from cli.context import app_context
from cli.pbx_sounds import describe, render_sounds, weak_voice
from dialplan.layout import SandboxLayout
from dialplan.sandbox import Sandbox, SandboxStatus
from dialplan.sandbox_process import KILL_WAIT_S, Outcome, SandboxProcess
from spillway.console_text import ConsoleText
from spillway.errors import PbxError
from spillway.secrets import generate_secret, set_secret
from spillway.settings import Settings
from spillway.wording import worded

app = typer.Typer(help="Manage the PBX Spillway talks to.", no_args_is_help=True)
sandbox_app = typer.Typer(
    help="A sandbox Asterisk 22 in a Debian sid chroot, bound to loopback.", no_args_is_help=True
)
app.add_typer(sandbox_app, name="sandbox")
console = Console()


def sandbox_for(ctx: typer.Context, *, create_secret: bool = False) -> Sandbox:
    """The sandbox of the configured instance; creates its AMI secret if asked."""
    state = app_context(ctx)
    settings: Settings = state.settings
    if settings.pbx.ami_secret is None and create_secret:
        path = set_secret("SPILLWAY_PBX__AMI_SECRET", generate_secret())
        say_line(admin_words(settings)("cli.sandbox_up.secret_created", path=path))
        os.environ.pop("SPILLWAY_PBX__AMI_SECRET", None)
        settings = state.reload()
    return Sandbox(settings, ami_secret=settings.require_ami_secret())


def say_line(line: str | Text) -> None:
    """One line as it is: paths and Asterisk's words are text, never rich markup."""
    console.print(line, markup=False, highlight=False)


def up_line(sandbox: Sandbox, pid: int, words: ConsoleText) -> Text:
    """The line that says the sandbox is up, its first words in green."""
    pbx = sandbox.settings.pbx
    where = words(
        "cli.sandbox_up.up_where",
        pid=pid,
        version=sandbox.asterisk_version(),
        host=pbx.host,
        port=pbx.ami_port,
    )
    return Text.assemble((words("cli.sandbox_up.up"), "green"), " ", where)


async def bring_up(sandbox: Sandbox) -> None:
    """Build (once), configure, start and wait for AMI."""
    words = admin_words(sandbox.settings)
    with console.status(words("cli.sandbox_up.building")):
        sandbox.build(log=lambda line: say_line(line.said(words)))
    with console.status(words("cli.sandbox_up.rendering")):
        sounds = await render_sounds(sandbox.settings)
        say_line(describe(sounds, words))
        warning = weak_voice(sounds, words)
        if warning is not None:
            say_line(warning)
    pid = sandbox.start()
    with console.status(words("cli.sandbox_up.waiting")):
        await sandbox.wait_ready()
    say_line(up_line(sandbox, pid, words))


@sandbox_app.command("up")
def up(ctx: typer.Context) -> None:
    """Build the sandbox root once, write the rendered config, start Asterisk, wait for AMI."""
    asyncio.run(bring_up(sandbox_for(ctx, create_secret=True)))


STOP_TIMEOUT_S = 10.0


@sandbox_app.command("down")
def down(ctx: typer.Context) -> None:
    """Stop the sandbox Asterisk: the one its pid file names, checked to be this sandbox's;
    no AMI secret needed."""
    # Not through sandbox_for: an admin who lost or mistyped the AMI secret must still
    # be able to stop the sandbox they started.
    settings = app_context(ctx).settings
    layout = SandboxLayout.from_settings(settings)
    report = SandboxProcess(layout).stop(STOP_TIMEOUT_S)
    said = admin_words(settings)(
        f"cli.sandbox_down.{report.outcome}",
        instance=layout.instance,
        pid=report.pid,
        pid_file=layout.pid_file,
        seconds=f"{STOP_TIMEOUT_S + KILL_WAIT_S:g}",
    )
    say_line(said)
    if report.outcome is Outcome.STILL_RUNNING:
        raise typer.Exit(1)


@sandbox_app.command("status")
def status(ctx: typer.Context) -> None:
    """Show which sandbox instance this is, whether it is built, running and answering on
    AMI."""
    settings = app_context(ctx).settings
    secret = settings.pbx.ami_secret.get_secret_value() if settings.pbx.ami_secret else ""
    # Before the first `up` there is no AMI secret yet: that is a sandbox not built
    # or not running, not a configuration error.
    sandbox = Sandbox(settings, ami_secret=secret)
    pid = sandbox.pid()
    if secret or pid is None:
        result = asyncio.run(sandbox.status())
    else:
        no_secret = worded("cli.sandbox_status.no_secret")
        result = SandboxStatus(
            sandbox.built, True, pid, sandbox.asterisk_version(), False, no_secret
        )
    words = admin_words(settings)
    say_line(status_line(result, words, settings.pbx.sandbox_instance))
    if not result.running:
        say_line(words("cli.sandbox_status.start_it"))
        raise typer.Exit(1)


def status_line(result: SandboxStatus, words: ConsoleText, instance: str) -> str:
    """`pbx sandbox status`'s line in ``words``' language, naming the ``instance`` (one
    machine may run several: pbx.sandbox_instance)."""
    yes_no = {True: words("common.yes"), False: words("common.no")}
    return words(
        "cli.sandbox_status.line",
        instance=instance,
        built=yes_no[result.built],
        running=yes_no[result.running],
        pid=result.pid or "-",
        ami=words("cli.sandbox_status.ami_ok" if result.ami_ok else "common.no"),
        version=result.version or "",
        detail=result.detail.said(words),
    )


@sandbox_app.command("cli")
def cli(
    ctx: typer.Context,
    command: list[str] = typer.Argument(None, help="A CLI command; none opens the console."),
) -> None:
    """Run an Asterisk CLI command in the sandbox, or open its console (no AMI secret
    needed: Asterisk's own console, through its control socket)."""
    layout = SandboxLayout.from_settings(app_context(ctx).settings)
    process = SandboxProcess(layout)
    if process.running() is None:
        raise PbxError.worded("not_running", instance=layout.instance)
    if command:
        console.print(process.cli(" ".join(command)), end="", markup=False, highlight=False)
        return
    subprocess.run(process.remote_console(), check=False)
