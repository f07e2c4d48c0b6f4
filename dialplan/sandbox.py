"""A real Asterisk 22 for development and tests, in a Debian sid chroot.

Debian stable carries no Asterisk, so the sandbox is built once with
debootstrap (about a minute and 500 MB) into the cache directory, outside the
checkout. Several *instances* can share that root: each has its own
configuration, run, log and database folders under ``/spillway/<instance>``
and its own ports, so a demo sandbox and a test sandbox run side by side.
Asterisk runs in the foreground (``-f``) as a child process we track by pid.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialplan.ami_users import admin_secret_for
from dialplan.layout import SandboxLayout
from dialplan.render import render_sandbox
from dialplan.sandbox_process import SandboxProcess, StopReport
from dialplan.spool import SANDBOX_AGI_BIN, callback_spool, copy_pyst2, install_script
from spillway.ami import AmiClient, AmiEndpoint
from spillway.errors import AmiAuthError, AmiError, PbxError
from spillway.listen_ports import free_port
from spillway.locks import file_lock
from spillway.settings import Settings
from spillway.wording import Wording, worded

DEBIAN_SUITE = "sid"
DEBIAN_PACKAGES = (
    "asterisk",
    "asterisk-modules",
    "asterisk-core-sounds-en",
    "python3",
    "python3-six",
)
READY_MARKER = ".spillway-root-ready"
STATUS = "cli.sandbox_status."  # the status details' keys in console.yaml


def throwaway_settings(
    instance: str, *, controller: dict[str, Any] | None = None, **sections: Any
) -> Settings:
    """Settings for a throw-away sandbox instance (tests, benchmarks) on free ports.

    A fresh AMI secret, and free AMI, SIP, HTTP, FastAGI and media ports, so
    that two runs side by side never share (or tear down) one instance.
    ``controller`` adds to the controller's ports; ``sections`` are further
    settings sections as they are.
    """
    return Settings(
        pbx={
            "mode": "sandbox",
            "ami_port": free_port(),
            "sip_port": free_port(),
            "http_port": free_port(),
            "ami_secret": uuid.uuid4().hex,
            "sandbox_instance": instance,
        },
        controller={
            "fastagi_port": free_port(),
            "audiosocket_port": free_port(),
            "websocket_port": free_port(),
            **(controller or {}),
        },
        **sections,
    )


def debian_mirror() -> str:
    return os.environ.get("SPILLWAY_DEBIAN_MIRROR", "http://deb.debian.org/debian")


@dataclass(frozen=True, slots=True)
class SandboxStatus:
    built: bool
    running: bool
    pid: int | None
    version: str | None
    ami_ok: bool
    detail: Wording  # said in the admin's language (``cli.sandbox_status.<...>``)


class Sandbox:
    """One sandbox Asterisk instance inside the shared sid root."""

    def __init__(self, settings: Settings, *, ami_secret: str) -> None:
        self.settings = settings
        self.ami_secret = ami_secret
        self.layout = SandboxLayout.from_settings(settings)
        self.instance = self.layout.instance
        self.pbx_dir = self.layout.pbx_dir
        self.root = self.layout.root
        self.base_in_root = self.layout.base_in_root
        self.base = self.layout.base
        self.conf_in_root = self.layout.conf_in_root
        self.pid_file = self.layout.pid_file
        self.process = SandboxProcess(self.layout)
        self.console_log = self.pbx_dir / f"{self.instance}.console.log"
        self._process: subprocess.Popen[bytes] | None = None

    # -- building --------------------------------------------------------
    @property
    def built(self) -> bool:
        return (self.root / READY_MARKER).is_file()

    def build(self, log: Callable[[Wording], None] = print) -> None:
        """debootstrap the sid root once; later calls return at once. ``log`` is told what
        is being done, as words to say in the admin's language (``print``: English)."""
        with file_lock(self.pbx_dir / ".build.lock"):
            if self.built:
                self._add_missing_packages(log)
                return
            if os.geteuid() != 0:
                raise PbxError.worded("build_needs_root")
            debootstrap = shutil.which("debootstrap")
            if debootstrap is None:
                raise PbxError.worded("no_debootstrap")
            partial = self.pbx_dir / "root.partial"
            if partial.exists():
                shutil.rmtree(partial)
            log(worded("cli.sandbox_up.building_root", root=self.root))
            cmd = [
                debootstrap,
                "--variant=minbase",
                f"--include={','.join(DEBIAN_PACKAGES)}",
                DEBIAN_SUITE,
                str(partial),
                debian_mirror(),
            ]
            build_log = self.pbx_dir / "debootstrap.log"
            with build_log.open("w") as out:
                result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
            if result.returncode != 0:
                tail = build_log.read_text(errors="replace").splitlines()[-5:]
                raise PbxError.worded(
                    "debootstrap_failed",
                    exit=result.returncode,
                    tail=" | ".join(tail),
                    log=build_log,
                )
            (partial / READY_MARKER).write_text(time.strftime("%F %T\n"))
            if self.root.exists():
                shutil.rmtree(self.root)
            partial.rename(self.root)

    def _add_missing_packages(self, log: Callable[[Wording], None]) -> None:
        """A root built before a package joined DEBIAN_PACKAGES gets it now (apt in the root)."""
        query = subprocess.run(
            ["chroot", str(self.root), "dpkg-query", "-W", "-f=${Package} ${Status}\\n"],
            capture_output=True,
            text=True,
            check=False,
        )
        installed = {
            line.split()[0] for line in query.stdout.splitlines() if line.endswith(" installed")
        }
        missing = [p for p in DEBIAN_PACKAGES if p not in installed]
        if not missing or os.geteuid() != 0:
            return
        log(worded("cli.sandbox_up.adding_packages", packages=", ".join(missing)))
        apt = ["chroot", str(self.root), "apt-get", "-q", "-o", "Acquire::Check-Valid-Until=false"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        with (self.pbx_dir / "apt.log").open("w") as out:
            # The package lists debootstrap left may be enough; a failed update is not fatal.
            subprocess.run(
                [*apt, "update"], stdout=out, stderr=subprocess.STDOUT, env=env, check=False
            )
            result = subprocess.run(
                [*apt, "install", "-y", "--no-install-recommends", *missing],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                check=False,
            )
        if result.returncode != 0:
            raise PbxError.worded(
                "packages_failed",
                packages=", ".join(missing),
                exit=result.returncode,
                log=self.pbx_dir / "apt.log",
                root=self.root,
            )

    def asterisk_version(self) -> str:
        out = subprocess.run(
            ["chroot", str(self.root), "asterisk", "-V"],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout.strip()

    # -- configuration ---------------------------------------------------
    def write_config(self) -> list[Path]:
        """Render this instance's configuration into the root; return the files."""
        for sub in ("etc", "db", "run", "log", "cache", "spool/outgoing", "spool/tmp"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        # A per-instance RTP range keeps two instances from fighting over ports.
        rtp_start = 20000 + (self.settings.pbx.ami_port % 40) * 1000
        written = []
        for rendered in render_sandbox(
            self.settings, base=self.base_in_root, ami_secret=self.ami_secret, rtp_start=rtp_start
        ):
            target = self.base / "etc" / rendered.name
            target.write_text(rendered.text, encoding="utf-8")
            if rendered.name.startswith("manager"):
                target.chmod(0o600)
            written.append(target)
        # The DTMF menu's callback script, with pyst2 beside it, and its spool.
        agi_bin = self.layout.outside(SANDBOX_AGI_BIN)
        install_script(agi_bin)
        copy_pyst2(agi_bin / "pylib")
        callback_spool(self.settings).local.mkdir(parents=True, exist_ok=True)
        # Tone definitions (ringback, busy) come from Debian's stock file.
        stock = self.root / "etc" / "asterisk" / "indications.conf"
        if stock.is_file():
            shutil.copyfile(stock, self.base / "etc" / "indications.conf")
        return written

    # -- running ---------------------------------------------------------
    def pid(self) -> int | None:
        """The pid of this instance's running Asterisk (None: not running)."""
        pid = self.process.recorded()
        if pid is not None and self._process is not None and self._process.pid == pid:
            # Our own child: poll() also reaps it.
            return pid if self._process.poll() is None else None
        # Any other must still be this instance's Asterisk, not a recycled pid.
        return self.process.running()

    def start(self) -> int:
        """Start Asterisk in the background (idempotent); return its pid."""
        if not self.built:
            raise PbxError.worded("not_built")
        with file_lock(self.pbx_dir / f".{self.instance}.lock"):
            running = self.pid()
            if running is not None:
                self._refuse_another_secret()
            self.write_config()
            if running is not None:
                # Already up: pick up the configuration just written.
                self.cli("core reload")
                return running
            with self.console_log.open("ab") as out:
                process = subprocess.Popen(
                    [
                        "chroot",
                        str(self.root),
                        "/usr/sbin/asterisk",
                        "-f",
                        "-n",
                        "-C",
                        self.conf_in_root,
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self._process = process
            self.pid_file.write_text(f"{process.pid}\n")
            return process.pid

    def running_secret(self) -> str | None:
        """The dialling user's AMI secret in this instance's written manager_spillway.conf
        (None: none)."""
        try:
            text = (self.base / "etc" / "manager_spillway.conf").read_text(encoding="utf-8")
        except OSError:
            return None
        section = None
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if line.startswith("["):
                section = line.strip().strip("[]")
            elif sep and key.strip() == "secret" and section == self.settings.pbx.ami_username:
                return value.strip()
        return None

    def _refuse_another_secret(self) -> None:
        """A running sandbox keeps its AMI secret: a client holding another one (a typo
        in $SPILLWAY_PBX__AMI_SECRET) must not rewrite it and lock out everyone else."""
        written = self.running_secret()
        if written is not None and written != self.ami_secret:
            raise PbxError.worded("another_secret", instance=self.instance)

    def ami_endpoint(self) -> AmiEndpoint:
        """The admin AMI user's (tests, benchmarks and tools that reload or run CLI commands)."""
        pbx = self.settings.pbx
        secret = admin_secret_for(self.settings, self.ami_secret)
        assert secret is not None  # the sandbox always has one
        return AmiEndpoint(pbx.host, pbx.ami_port, pbx.ami_admin_username, secret)

    def dialling_endpoint(self) -> AmiEndpoint:
        """The dialling AMI user's (the scheduler's): originate and read only."""
        pbx = self.settings.pbx
        return AmiEndpoint(pbx.host, pbx.ami_port, pbx.ami_username, self.ami_secret)

    async def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Wait until AMI logs us in and Asterisk reports it is fully booted."""
        deadline = time.monotonic() + timeout_s
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.pid() is None:
                raise PbxError.worded(
                    "exited_at_start",
                    console_log=self.console_log,
                    messages=self.base / "log" / "messages",
                )
            try:
                client = await AmiClient.connect(self.ami_endpoint())
            except AmiAuthError as exc:
                raise PbxError.worded("login_refused", problem=exc) from exc
            except AmiError as exc:
                last_error = exc
                await asyncio.sleep(0.2)
                continue
            try:
                # AMI answers before the dialplan and channel drivers are loaded;
                # calls placed before "fully booted" silently fail.
                await client.command("core waitfullybooted")
                output = await client.command("core show uptime")
                if "System uptime" in output:
                    return
            except AmiError as exc:
                last_error = exc
            finally:
                await client.close()
            await asyncio.sleep(0.2)
        raise PbxError.worded("no_answer", seconds=f"{timeout_s:g}", problem=last_error)

    def cli(self, command: str, *, timeout_s: float = 10.0) -> str:
        """Run an Asterisk CLI command on this instance (``asterisk -rx``; no AMI)."""
        return self.process.cli(command, timeout_s=timeout_s)

    def stop(self, timeout_s: float = 10.0) -> StopReport:
        """Stop Asterisk (no AMI secret needed: :class:`SandboxProcess`); say what was done."""
        report = self.process.stop(timeout_s)
        if self._process is not None:
            self._process.poll()  # our own child: reaped
        return report

    def remove(self) -> None:
        """Stop, then delete this instance's folder and console log (for throw-away instances).

        Tests and benchmarks name instances per process; without this their
        console logs would pile up in the cache. The shared sid root stays.
        """
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
        self.console_log.unlink(missing_ok=True)

    async def status(self) -> SandboxStatus:
        """Whether the root is built, Asterisk runs and AMI logs us in."""
        pid = self.pid()
        if not self.built:
            return SandboxStatus(False, False, None, None, False, worded(STATUS + "not_built"))
        version = self.asterisk_version()
        if pid is None:
            return SandboxStatus(True, False, None, version, False, worded(STATUS + "stopped"))
        try:
            client = await AmiClient.connect(self.ami_endpoint())
        except AmiError as exc:
            refused = worded(STATUS + "ami_failed", problem=exc)
            return SandboxStatus(True, True, pid, version, False, refused)
        await client.close()
        return SandboxStatus(True, True, pid, version, True, worded(STATUS + "running"))
