"""`spillway pbx sandbox down` stops the sandbox Asterisk its pid file names without the
AMI secret (an admin who lost theirs can still stop their own sandbox), and only when
that pid's command line is this sandbox's Asterisk: a recycled pid, or another
instance's Asterisk, is left running. The sandbox's errors are said in the admin's
language with their codes. No Asterisk here: processes this test starts stand in, with
the command line the sandbox's Asterisk has (``chroot <root> /usr/sbin/asterisk ... -C
/spillway/<instance>/etc/asterisk.conf``)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.admin_words import error_line
from cli.main import app
from dialplan.layout import SandboxLayout
from dialplan.sandbox import READY_MARKER, Sandbox, throwaway_settings
from dialplan.sandbox_process import is_instance_asterisk
from spillway.console_text import load_console_text
from spillway.errors import PbxError
from spillway.settings import Settings
from spillway.wording import worded
from tests.conftest import gone

INSTANCE = "downtest"
SLEEPER = "import time; time.sleep(120)"
runner = CliRunner()


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SandboxLayout:
    """A sandbox instance in a cache folder of its own, and no AMI secret anywhere."""
    monkeypatch.setenv("SPILLWAY_PATHS__CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(tmp_path / "no-secrets.env"))
    monkeypatch.delenv("SPILLWAY_PBX__AMI_SECRET", raising=False)
    monkeypatch.setenv("SPILLWAY_PBX__SANDBOX_INSTANCE", INSTANCE)
    monkeypatch.setenv("SPILLWAY_SHOP__LANGUAGE", "en")
    settings = Settings()
    assert settings.pbx.ami_secret is None  # what this test is about
    layout = SandboxLayout.from_settings(settings)
    layout.pbx_dir.mkdir(parents=True)
    return layout


def start(started: list[subprocess.Popen[bytes]], *argv: str) -> subprocess.Popen[bytes]:
    """A sleeping Python whose command line ends in ``argv``, in a session of its own
    (as the sandbox starts Asterisk)."""
    process = subprocess.Popen([sys.executable, "-c", SLEEPER, *argv], start_new_session=True)
    started.append(process)
    deadline = time.monotonic() + 10
    while argv and argv[-1].encode() not in Path(f"/proc/{process.pid}/cmdline").read_bytes():
        assert time.monotonic() < deadline, "the stand-in never started"
        time.sleep(0.02)
    return process


def asterisk_argv(conf: str) -> list[str]:
    return ["/usr/sbin/asterisk", "-f", "-n", "-C", conf]


def down(language: str = "en") -> tuple[int, str]:
    result = runner.invoke(
        app, ["pbx", "sandbox", "down"], env={"SPILLWAY_SHOP__LANGUAGE": language}
    )
    return result.exit_code, " ".join(result.output.split())


def test_only_this_instances_asterisk_counts_as_the_sandbox() -> None:
    conf = "/spillway/demo/etc/asterisk.conf"
    assert is_instance_asterisk(asterisk_argv(conf), conf)  # after chroot exec'd it
    assert is_instance_asterisk(["chroot", "/cache/pbx/root", *asterisk_argv(conf)], conf)
    other = asterisk_argv("/spillway/t2482/etc/asterisk.conf")
    assert not is_instance_asterisk(other, conf)  # another instance's
    assert not is_instance_asterisk(["/usr/bin/vim", conf], conf)
    assert not is_instance_asterisk(["sleep", "60"], conf)
    assert not is_instance_asterisk(["/usr/sbin/asterisk", "-f"], conf)  # whose, unknown


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", f"the sandbox Asterisk ({INSTANCE}) was not running: nothing stopped"),
        ("da", f"sandkassens Asterisk ({INSTANCE}) kørte ikke: der var intet at stoppe"),
    ],
)
def test_down_without_a_pid_file_says_it_was_not_running(
    layout: SandboxLayout, language: str, words: str
) -> None:
    code, said = down(language)
    assert code == 0, said
    assert words in said


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "stopped the sandbox Asterisk ({instance}, pid {pid})"),
        ("da", "sandkassens Asterisk ({instance}, pid {pid}) er stoppet"),
    ],
)
def test_down_without_a_secret_stops_the_sandboxs_asterisk(
    layout: SandboxLayout, started: list[subprocess.Popen[bytes]], language: str, words: str
) -> None:
    asterisk = start(started, *asterisk_argv(layout.conf_in_root))
    layout.pid_file.write_text(f"{asterisk.pid}\n")
    code, said = down(language)
    assert code == 0, said
    assert words.format(instance=INSTANCE, pid=asterisk.pid) in said
    assert gone(asterisk) and asterisk.returncode is not None and asterisk.returncode < 0
    assert not layout.pid_file.exists()


@pytest.mark.parametrize("other", ["sleep", "another instance"])
@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "named pid {pid}, which is not this sandbox's Asterisk; removed the file"),
        ("da", "pegede på pid {pid}, som ikke er sandkassens Asterisk; filen er fjernet"),
    ],
)
def test_down_never_signals_a_process_that_reuses_the_recorded_pid(
    layout: SandboxLayout,
    started: list[subprocess.Popen[bytes]],
    other: str,
    language: str,
    words: str,
) -> None:
    if other == "sleep":
        stranger = subprocess.Popen(["sleep", "120"], start_new_session=True)
        started.append(stranger)
    else:
        stranger = start(started, *asterisk_argv("/spillway/another/etc/asterisk.conf"))
    layout.pid_file.write_text(f"{stranger.pid}\n")
    code, said = down(language)
    assert code == 0, said
    assert words.format(pid=stranger.pid) in said
    time.sleep(0.3)
    assert stranger.poll() is None  # still running
    assert not layout.pid_file.exists()


@pytest.mark.asterisk
def test_down_stops_a_real_sandbox_whose_secret_is_not_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real thing: a sandbox started with a secret this shell no longer has."""
    settings = throwaway_settings(f"down{os.getpid()}")
    sandbox = Sandbox(settings, ami_secret=settings.require_ami_secret())
    if not sandbox.built:
        pytest.skip("the sandbox root is not built: spillway pbx sandbox up")
    sandbox.start()
    try:
        asyncio.run(sandbox.wait_ready(timeout_s=60))
        pid = sandbox.pid()
        assert pid is not None
        monkeypatch.setenv("SPILLWAY_PBX__SANDBOX_INSTANCE", sandbox.instance)
        monkeypatch.delenv("SPILLWAY_PBX__AMI_SECRET", raising=False)
        assert Settings().pbx.ami_secret is None
        code, said = down()
        assert code == 0, said
        assert f"stopped the sandbox Asterisk ({sandbox.instance}, pid {pid})" in said
        assert sandbox.pid() is None and not sandbox.pid_file.exists()
    finally:
        sandbox.remove()


def test_a_wrong_secret_is_refused_in_the_admins_language(
    layout: SandboxLayout, started: list[subprocess.Popen[bytes]]
) -> None:
    """A client with a mistyped secret finding the sandbox running (`spillway call`)
    stops at the reason, in words of the packs, and leaves the configuration as it is."""
    settings = Settings()
    layout.root.mkdir()
    (layout.root / READY_MARKER).write_text("built\n")
    manager = layout.base / "etc" / "manager_spillway.conf"
    manager.parent.mkdir(parents=True)
    written = f"[{settings.pbx.ami_username}]\nsecret = the-right-one\n"
    manager.write_text(written)
    asterisk = start(started, *asterisk_argv(layout.conf_in_root))
    layout.pid_file.write_text(f"{asterisk.pid}\n")
    with pytest.raises(PbxError, match="another AMI secret") as raised:
        Sandbox(settings, ami_secret="not-the-secret").start()
    assert manager.read_text() == written
    error = raised.value
    assert error.code == "pbx.another_secret"
    english = error_line(error, settings)
    assert f"the running sandbox ({INSTANCE}) has another AMI secret" in english
    assert "to give the sandbox this secret: spillway pbx sandbox down, then up" in english
    assert english.endswith("[pbx.another_secret]")
    danish = error.said(load_console_text("da"))
    assert f"den kørende sandkasse ({INSTANCE}) har en anden AMI-adgangskode" in danish
    assert "spillway pbx sandbox down og derefter up" in danish
    assert "another" not in danish


def test_a_sandbox_not_built_says_so_with_its_code(layout: SandboxLayout) -> None:
    with pytest.raises(PbxError) as raised:
        Sandbox(Settings(), ami_secret="any").start()
    error = raised.value
    assert error.code == "pbx.not_built"
    assert str(error) == "the sandbox is not built (spillway pbx sandbox up)"
    assert error.said(load_console_text("da")) == (
        "sandkassen er ikke bygget endnu (spillway pbx sandbox up)"
    )


WORDED: list[tuple[str, dict[str, object], str, str]] = [
    # (code under pbx., its values, English words, Danish words)
    ("build_needs_root", {}, "needs root (debootstrap", "kan kun bygges som root"),
    ("no_debootstrap", {}, "debootstrap is not installed", "debootstrap er ikke installeret"),
    (
        "debootstrap_failed",
        {"exit": 1, "tail": "E: x", "log": "/l"},
        "debootstrap failed (exit 1): E: x (full log in /l)",
        "debootstrap mislykkedes (afslutningskode 1): E: x (hele loggen står i /l)",
    ),
    (
        "packages_failed",
        {"packages": "python3", "exit": 100, "log": "/a", "root": "/r"},
        "cannot add python3 to the sandbox root (apt-get exit 100) (see /a; or rebuild: rm -rf /r)",
        "kan ikke føje python3 til sandkassens rodmappe (apt-get afsluttede med kode 100)",
    ),
    ("not_running", {"instance": "demo"}, "(demo) is not running", "(demo) kører ikke"),
    (
        "exited_at_start",
        {"console_log": "/c", "messages": "/m"},
        "exited during start-up (see /c and /m)",
        "stoppede under opstarten (se /c og /m)",
    ),
    (
        "login_refused",
        {"problem": "nope"},
        "refused our AMI login: nope",
        "afviste vores AMI-login",
    ),
    (
        "no_answer",
        {"seconds": "30", "problem": "x"},
        "did not answer on AMI within 30 s: x",
        "svarede ikke på AMI inden for 30 s: x",
    ),
    (
        "cli_failed",
        {"command": "core reload", "problem": "x"},
        "'core reload' failed",
        "mislykkedes",
    ),
    (
        "not_yours_to_stop",
        {"pid": 7, "instance": "demo"},
        "pid 7, the sandbox Asterisk (demo), runs as another user: not stopped",
        "kører som en anden bruger og er ikke stoppet",
    ),
    ("conf_unreadable", {"path": "/e", "problem": "x"}, "nothing was changed", "intet er ændret"),
    ("not_conf_folder", {"target": "/e"}, "not an Asterisk configuration", "mappe med Asterisk"),
    (
        "write_not_restored",
        {"where": "/e/a", "problem": "x", "left": "/e/b", "backup": "/k"},
        "NOT restored: /e/b (backup of the previous files in /k)",
        "IKKE gendannet: /e/b (de tidligere filer er sikkerhedskopieret i /k)",
    ),
    (
        "reload_restored",
        {"errors": "x", "backup": "/k"},
        "the previous files are restored: x (backup kept in /k)",
        "de tidligere filer er lagt tilbage: x (sikkerhedskopien er gemt i /k)",
    ),
    (
        "caller_not_reached",
        {"host": "h", "port": 9},
        "can the PBX reach h:9?",
        "kan PBX'en nå h:9?",
    ),
    ("agents_not_busy", {"seconds": 10}, "within 10 s", "optaget inden for 10 s"),
    ("channel_gone", {"uniqueid": "u1"}, "channel (u1) is gone", "kanal (u1) er væk"),
]


@pytest.mark.parametrize(
    ("name", "values", "english", "danish"), WORDED, ids=[case[0] for case in WORDED]
)
def test_each_pbx_error_is_said_in_english_and_danish_with_its_code(
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    values: dict[str, object],
    english: str,
    danish: str,
) -> None:
    error = PbxError.worded(name, **values)
    assert error.code == f"pbx.{name}"
    assert english in str(error)
    said = error.said(load_console_text("da"))
    assert danish in said and english not in said
    monkeypatch.setenv("SPILLWAY_SHOP__LANGUAGE", "da")
    line = error_line(error, Settings())
    assert line.startswith(said) and line.endswith(f"[pbx.{name}]")


def test_the_self_test_that_saw_no_event_says_none_in_the_admins_language() -> None:
    error = PbxError.worded("selftest_timeout", seconds="15", events=worded("common.none"))
    assert "(events seen: none)" in str(error)
    assert "(hændelser set: ingen)" in error.said(load_console_text("da"))
