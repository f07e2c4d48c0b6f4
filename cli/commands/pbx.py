"""`spillway pbx sandbox ...`: a real Asterisk 22 on loopback for development and tests."""

from __future__ import annotations

import asyncio
import os
import subprocess

import typer
from rich.console import Console

from cli.admin_words import admin_words
from cli.context import app_context
from cli.pbx_sounds import describe, render_sounds
from dialplan.layout import SandboxLayout
from dialplan.sandbox import Sandbox, SandboxStatus
from dialplan.sandbox_process import KILL_WAIT_S, Outcome, SandboxProcess
from spillway.errors import PbxError
from spillway.secrets import generate_secret, set_secret
from spillway.settings import Settings

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
        console.print(f"created an AMI secret for the sandbox in {path}")
        os.environ.pop("SPILLWAY_PBX__AMI_SECRET", None)
        settings = state.reload()
    return Sandbox(settings, ami_secret=settings.require_ami_secret())


async def bring_up(sandbox: Sandbox) -> None:
    """Build (once), configure, start and wait for AMI."""
    with console.status("building the Debian sid root (once, about a minute)"):
        sandbox.build(log=lambda line: console.print(line))
    with console.status("rendering the prompts Asterisk plays (once per wording)"):
        sounds = await render_sounds(sandbox.settings)
        console.print(describe(sounds, admin_words(sandbox.settings)))
    pid = sandbox.start()
    with console.status("waiting for Asterisk to answer on AMI"):
        await sandbox.wait_ready()
    console.print(
        f"[green]sandbox Asterisk up[/] (pid {pid}, {sandbox.asterisk_version()}, "
        f"AMI {sandbox.settings.pbx.host}:{sandbox.settings.pbx.ami_port})"
    )


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
    console.print(said, markup=False, highlight=False)
    if report.outcome is Outcome.STILL_RUNNING:
        raise typer.Exit(1)


@sandbox_app.command("status")
def status(ctx: typer.Context) -> None:
    """Show whether the sandbox is built, running and answering on AMI."""
    settings = app_context(ctx).settings
    secret = settings.pbx.ami_secret.get_secret_value() if settings.pbx.ami_secret else ""
    # Before the first `up` there is no AMI secret yet: that is a sandbox not built
    # or not running, not a configuration error.
    sandbox = Sandbox(settings, ami_secret=secret)
    pid = sandbox.pid()
    if secret or pid is None:
        result = asyncio.run(sandbox.status())
    else:
        result = SandboxStatus(
            sandbox.built,
            True,
            pid,
            sandbox.asterisk_version(),
            False,
            "no AMI secret configured: SPILLWAY_PBX__AMI_SECRET",
        )
    console.print(
        f"built: {result.built}  running: {result.running}  pid: {result.pid}  "
        f"AMI: {'ok' if result.ami_ok else 'no'}  {result.version or ''}  ({result.detail})"
    )
    if not result.running:
        console.print("start it with `spillway pbx sandbox up`", markup=False)
        raise typer.Exit(1)


@sandbox_app.command("cli")
def cli(
    ctx: typer.Context,
    command: list[str] = typer.Argument(None, help="A CLI command; none opens the console."),
) -> None:
    """Run an Asterisk CLI command in the sandbox, or open its console."""
    sandbox = sandbox_for(ctx)
    if sandbox.pid() is None:
        raise PbxError.worded("not_running", instance=sandbox.instance)
    if command:
        console.print(sandbox.cli(" ".join(command)), end="", markup=False, highlight=False)
        return
    subprocess.run(
        ["chroot", str(sandbox.root), "asterisk", "-C", sandbox.conf_in_root, "-r"], check=False
    )
