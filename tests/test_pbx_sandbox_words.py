"""`spillway pbx sandbox up`, `status` and `cli` speak the admin's language (``web.language``,
else ``shop.language``): the progress lines, the sandbox root build's lines, the status
line and its details, in en and da; and `cli` reaches Asterisk through its own console
(``asterisk -r`` in the root), so it needs no AMI secret. No Asterisk here: a sleeping
Python with the sandbox Asterisk's command line stands in for it, and a ``chroot`` or
``debootstrap`` of this test's own, first on $PATH, for the real ones."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.admin_words import error_line
from cli.commands import pbx as pbx_cmd
from cli.main import app
from cli.pbx_sounds import SoundsResult, describe
from dialplan.layout import SandboxLayout
from dialplan.sandbox import READY_MARKER, Sandbox
from spillway.console_text import load_console_text
from spillway.errors import ModelError, PbxError
from spillway.settings import Settings
from spillway.wording import Wording, worded
from tests.test_pbx_sandbox_down import INSTANCE, asterisk_argv, layout, start

__all__ = ["layout"]  # the fixture, shared with the `down` tests
runner = CliRunner()


def sandbox(language: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app, ["pbx", "sandbox", *args], env={"SPILLWAY_SHOP__LANGUAGE": language}
    )
    return result.exit_code, result.output


def flat(output: str) -> str:
    """``output`` as one line: the console wraps long lines at its width."""
    return " ".join(output.split())


def fake_command(folder: Path, name: str, script: str) -> Path:
    """A ``name`` on $PATH running the shell ``script`` (its arguments in "$@")."""
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder first on $PATH, for this test's stand-ins of system commands."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return folder


@pytest.mark.parametrize(
    ("language", "line", "start_it"),
    [
        (
            "en",
            f"instance: {INSTANCE}  built: no  running: no  pid: -  AMI: no    (not built)",
            "start it with `spillway pbx sandbox up`",
        ),
        (
            "da",
            f"instans: {INSTANCE}  bygget: nej  kører: nej  pid: -  AMI: nej    (ikke bygget)",
            "start den med `spillway pbx sandbox up`",
        ),
    ],
)
def test_status_of_a_sandbox_not_built_is_said_in_the_admins_language(
    layout: SandboxLayout, language: str, line: str, start_it: str
) -> None:
    code, said = sandbox(language, "status")
    assert code == 1, said
    assert flat(said) == flat(f"{line} {start_it}")


@pytest.mark.parametrize(
    ("language", "line"),
    [
        (
            "en",
            f"instance: {INSTANCE}  built: yes  running: yes  pid: {{pid}}  AMI: no  "
            "Asterisk 22.10.0  "
            "(no AMI secret configured: SPILLWAY_PBX__AMI_SECRET)",
        ),
        (
            "da",
            f"instans: {INSTANCE}  bygget: ja  kører: ja  pid: {{pid}}  AMI: nej  "
            "Asterisk 22.10.0  "
            "(ingen AMI-adgangskode sat op: SPILLWAY_PBX__AMI_SECRET)",
        ),
    ],
)
def test_status_of_a_running_sandbox_without_a_secret_says_why_ami_is_not_checked(
    layout: SandboxLayout,
    bin_dir: Path,
    started: list[subprocess.Popen[bytes]],
    language: str,
    line: str,
) -> None:
    layout.root.mkdir()
    (layout.root / READY_MARKER).write_text("built\n")
    fake_command(bin_dir, "chroot", 'echo "Asterisk 22.10.0"')  # `asterisk -V` in the root
    asterisk = start(started, *asterisk_argv(layout.conf_in_root))
    layout.pid_file.write_text(f"{asterisk.pid}\n")
    code, said = sandbox(language, "status")
    assert code == 0, said
    assert flat(said) == flat(line.format(pid=asterisk.pid))


@pytest.mark.parametrize(
    ("language", "detail"),
    [("en", "AMI login failed: refused"), ("da", "AMI-login mislykkedes: refused")],
)
def test_status_details_are_words_of_the_packs(language: str, detail: str) -> None:
    text = load_console_text(language)
    failed = worded("cli.sandbox_status.ami_failed", problem=PbxError("refused"))
    assert failed.said(text) == detail
    for name in ("not_built", "stopped", "running", "no_secret"):
        said = worded(f"cli.sandbox_status.{name}").said(text)
        assert said and said == text(f"cli.sandbox_status.{name}")


def test_cli_needs_no_ami_secret_and_uses_asterisks_own_console(
    layout: SandboxLayout, bin_dir: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    assert Settings().pbx.ami_secret is None  # the layout fixture's: none anywhere
    fake_command(bin_dir, "chroot", 'echo "chroot $*"')
    asterisk = start(started, *asterisk_argv(layout.conf_in_root))
    layout.pid_file.write_text(f"{asterisk.pid}\n")
    code, said = sandbox("en", "cli", "core", "show", "uptime")
    assert code == 0, said
    console = f"chroot {layout.root} asterisk -C {layout.conf_in_root} -r"
    assert flat(said) == f"{console} -x core show uptime"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", f"the sandbox Asterisk ({INSTANCE}) is not running"),
        ("da", f"sandkassens Asterisk ({INSTANCE}) kører ikke"),
    ],
)
def test_cli_of_a_stopped_sandbox_says_so_not_that_a_secret_is_missing(
    layout: SandboxLayout, monkeypatch: pytest.MonkeyPatch, language: str, words: str
) -> None:
    monkeypatch.setenv("SPILLWAY_SHOP__LANGUAGE", language)
    result = runner.invoke(app, ["pbx", "sandbox", "cli", "core", "show", "uptime"])
    error = result.exception
    assert isinstance(error, PbxError), result.output  # `spillway` says its error_line
    said = error_line(error, Settings())
    assert said.startswith(words) and said.endswith("[pbx.not_running]")


def build_lines(sandbox_: Sandbox, language: str) -> tuple[list[str], PbxError]:
    """What ``build`` logs, said in ``language``, and the error it stops at."""
    logged: list[Wording] = []
    with pytest.raises(PbxError) as raised:
        sandbox_.build(log=logged.append)
    text = load_console_text(language)
    return [line.said(text) for line in logged], raised.value


@pytest.mark.parametrize(
    ("language", "building"),
    [
        ("en", "building the sandbox root in {root} (about a minute, 500 MB)"),
        ("da", "bygger sandkassens rodmappe i {root} (cirka et minut, 500 MB)"),
    ],
)
def test_the_root_build_says_what_it_does_in_the_admins_language(
    layout: SandboxLayout,
    bin_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    building: str,
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)  # past the check for root
    fake_command(bin_dir, "debootstrap", "echo 'E: no network'; exit 3")
    lines, error = build_lines(Sandbox(Settings(), ami_secret="any"), language)
    assert lines == [building.format(root=layout.root)]
    assert error.code == "pbx.debootstrap_failed" and "E: no network" in str(error)


@pytest.mark.parametrize(
    ("language", "adding"),
    [
        ("en", "adding asterisk, python3 to the sandbox root"),
        ("da", "føjer asterisk, python3 til sandkassens rodmappe"),
    ],
)
def test_a_built_root_missing_packages_says_it_adds_them_in_the_admins_language(
    layout: SandboxLayout,
    bin_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    adding: str,
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr("dialplan.sandbox.DEBIAN_PACKAGES", ("asterisk", "python3", "bash"))
    layout.root.mkdir()
    (layout.root / READY_MARKER).write_text("built\n")
    # dpkg-query in the root knows bash only; apt-get there fails.
    script = 'case "$*" in *dpkg-query*) echo "bash install ok installed";; *) exit 100;; esac'
    fake_command(bin_dir, "chroot", script)
    lines, error = build_lines(Sandbox(Settings(), ami_secret="any"), language)
    assert lines == [adding]
    assert error.code == "pbx.packages_failed"


class Rehearsal(Sandbox):
    """A sandbox whose build, start and AMI wait only say what they would do."""

    def build(self, log: Any = print) -> None:
        log(worded("cli.sandbox_up.building_root", root=self.root))

    def start(self) -> int:
        return 4242

    async def wait_ready(self, timeout_s: float = 30.0) -> None:
        return None

    def asterisk_version(self) -> str:
        return "Asterisk 22.10.0"


@pytest.mark.parametrize(
    ("language", "statuses", "lines"),
    [
        (
            "en",
            [
                "building the Debian sid root (once, about a minute)",
                "rendering the prompts Asterisk plays (once per wording)",
                "waiting for Asterisk to answer on AMI",
            ],
            [
                "building the sandbox root in {root} (about a minute, 500 MB)",
                "prompts in {folder} are up to date",
                "sandbox Asterisk up (pid 4242, Asterisk 22.10.0, AMI 127.0.0.1:{port})",
            ],
        ),
        (
            "da",
            [
                "bygger rodmappen med Debian sid (kun første gang, cirka et minut)",
                "laver de lydfiler, Asterisk selv afspiller (kun når ordlyden er ny)",
                "venter på, at Asterisk svarer på AMI",
            ],
            [
                "bygger sandkassens rodmappe i {root} (cirka et minut, 500 MB)",
                "lydfilerne i {folder} er opdaterede",
                "sandkassens Asterisk kører (pid 4242, Asterisk 22.10.0, AMI 127.0.0.1:{port})",
            ],
        ),
    ],
)
def test_up_says_each_step_in_the_admins_language(
    layout: SandboxLayout,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    language: str,
    statuses: list[str],
    lines: list[str],
) -> None:
    monkeypatch.setenv("SPILLWAY_SHOP__LANGUAGE", language)
    settings = Settings()
    folder = layout.pbx_dir / "sounds"

    async def up_to_date(_settings: Settings) -> SoundsResult:
        return SoundsResult(folder)

    shown: list[str] = []
    spinner = pbx_cmd.console.status

    def status(words: str) -> Any:
        shown.append(words)
        return spinner(words)

    monkeypatch.setattr(pbx_cmd, "render_sounds", up_to_date)
    monkeypatch.setattr(pbx_cmd.console, "status", status)
    asyncio.run(pbx_cmd.bring_up(Rehearsal(settings, ami_secret="any")))
    assert shown == statuses
    port = settings.pbx.ami_port
    expected = [line.format(root=layout.root, folder=folder, port=port) for line in lines]
    assert flat(capsys.readouterr().out) == flat("\n".join(expected))


@pytest.mark.parametrize(
    ("language", "why"),
    [
        ("en", "cannot write there: Permission denied"),
        ("da", "kan ikke skrive dér: Permission denied"),
    ],
)
def test_prompts_that_cannot_be_written_say_why_in_the_admins_language(
    tmp_path: Path, language: str, why: str
) -> None:
    cannot = worded("cli.sounds.cannot_write", problem="Permission denied")
    said = describe(SoundsResult(tmp_path, missing=cannot), load_console_text(language))
    assert f"{tmp_path}: {why};" in said


def test_a_voice_that_is_not_installed_is_said_in_the_admins_language(tmp_path: Path) -> None:
    missing = ModelError.worded("not_installed", name="'x'", command="spillway models fetch x")
    danish = load_console_text("da")
    said = describe(SoundsResult(tmp_path, missing=missing), danish)
    assert missing.message_said(danish) in said
    assert str(missing) not in said  # not the English words
