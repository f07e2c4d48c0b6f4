"""systemd units for running Spillway as a service (`spillway install-services`).

Four units, one per long-running command (the call controller, the callback
scheduler, the web application and the Rasa NLU service), each under a
dedicated user, restarted on failure, with the secrets from an
``EnvironmentFile`` and systemd's hardening: no new privileges, the whole
file system read-only except the data and cache folders (and the folders of
a database or spool configured elsewhere, :func:`database_folder`), a private /tmp, no
home directories, and only the socket families the services use. Where a
service listens on a port, ``ExecStartPost`` waits until it accepts
connections (:func:`wait_for_port`), so the unit is "started" only once it
can serve. :func:`render_unit` is pure; the CLI writes the files.
"""

from __future__ import annotations

import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from spillway import paths
from spillway.errors import ConfigError
from spillway.settings import DB_FILE_NAME, Settings

CONFIG_DIR = Path("/etc/spillway")
DATA_DIR = Path("/var/lib/spillway")
CACHE_DIR = Path("/var/cache/spillway")
# Folders the units' sandbox hides (ProtectHome) or makes private to each service
# (PrivateTmp): a database there is not the one the admin sees, or not reachable at all.
HIDDEN_FOLDERS = (Path("/home"), Path("/root"), Path("/run/user"), Path("/tmp"), Path("/var/tmp"))


@dataclass(frozen=True, slots=True)
class Service:
    name: str  # the unit is spillway-<name>.service
    description: str
    command: str  # the `spillway` subcommand
    ready_port: int | None = None  # the port it serves on, when it has one
    after: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Layout:
    """Where an installation keeps things, and who runs it."""

    user: str = "spillway"
    # The Python that runs this command (read when a layout is made, not at import).
    python: Path = field(default_factory=lambda: Path(sys.executable))
    config_dir: Path = CONFIG_DIR
    data_dir: Path = DATA_DIR
    cache_dir: Path = CACHE_DIR
    extra_writable: tuple[Path, ...] = ()  # e.g. the callback spool folder

    @property
    def secrets_file(self) -> Path:
        return self.config_dir / "secrets.env"


def database_folder(settings: Settings, data_dir: Path) -> Path | None:
    """The folder of ``storage.sqlite_path`` when the units must make it writable too
    (it lies outside ``data_dir``), else None.

    SQLite writes beside the file (its -wal, -shm and -journal files), so the folder is
    made writable, not the file alone. An unset ``storage.sqlite_path`` follows the data
    folder the units give the service (``SPILLWAY_DATA``): nothing to add. A path the
    sandbox hides or makes private (a home folder, /tmp) is a ConfigError naming the key.
    """
    if settings.storage.backend != "sqlite":
        return None
    path = settings.storage.sqlite_path
    if path == paths.data_dir() / DB_FILE_NAME:
        return None  # not configured: the service's own default, inside its data folder
    folder = Path(path).parent
    if folder.is_relative_to(data_dir):
        return None
    for hidden in HIDDEN_FOLDERS:
        if folder.is_relative_to(hidden):
            raise ConfigError(
                f"storage.sqlite_path is {path}, under {hidden}, which the services' "
                "sandbox hides or keeps private (ProtectHome, PrivateTmp): they would not "
                "write this database",
                hint=f"move it under {data_dir}, or unset storage.sqlite_path",
            )
    return folder


def services(settings: Settings) -> list[Service]:
    """The long-running commands, with the ports they are ready on. No Rasa is asked
    when ``nlu.rasa_url`` is empty (the fallback classifier inside `serve` understands
    every call), so then there is no nlu service and `serve` waits for none."""
    c = settings.controller
    rasa = settings.nlu.uses_rasa
    found = [
        Service(
            "serve",
            "Spillway call controller (FastAGI, bot media, SMS sender)",
            "serve",
            c.fastagi_port,
            after=("asterisk.service", "spillway-nlu.service") if rasa else ("asterisk.service",),
        ),
        Service(
            "scheduler",
            "Spillway callback scheduler (dialer, spool import, daily retention)",
            "scheduler run",
            after=("asterisk.service",),
        ),
        Service(
            "web",
            "Spillway web application (operations console, callback API, metrics)",
            "web serve",
            settings.web.port,
        ),
    ]
    if rasa:
        found.append(
            Service(
                "nlu",
                "Spillway intent recognition (Rasa)",
                "nlu serve",
                urlsplit(settings.nlu.rasa_url).port,
            )
        )
    return found


def render_unit(service: Service, layout: Layout) -> str:
    """The unit file's text."""
    python = layout.python
    writable = " ".join(str(p) for p in (layout.data_dir, layout.cache_dir, *layout.extra_writable))
    after = " ".join(("network-online.target", *service.after))
    lines = [
        "# Written by `spillway install-services`; run it again rather than editing.",
        "[Unit]",
        f"Description={service.description}",
        "Wants=network-online.target",
        f"After={after}",
        "",
        "[Service]",
        "Type=simple",
        f"User={layout.user}",
        f"Group={layout.user}",
        f"EnvironmentFile={layout.secrets_file}",
        f"Environment=SPILLWAY_CONFIG={layout.config_dir / 'spillway.yaml'}",
        f"Environment=SPILLWAY_SECRETS_FILE={layout.secrets_file}",
        f"Environment=SPILLWAY_DATA={layout.data_dir}",
        f"Environment=SPILLWAY_CACHE={layout.cache_dir}",
        f"Environment=HOME={layout.data_dir}",
        f"WorkingDirectory={layout.data_dir}",
        f"ExecStart={python} -m cli {service.command}",
    ]
    if service.ready_port is not None:
        lines.append(
            f"ExecStartPost={python} -m spillway.services wait 127.0.0.1 {service.ready_port} 120"
        )
    lines += [
        "Restart=on-failure",
        "RestartSec=5",
        "TimeoutStopSec=30",
        "# Hardening",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        f"ReadWritePaths={writable}",
        "PrivateTmp=yes",
        "ProtectHome=yes",
        "PrivateDevices=yes",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectControlGroups=yes",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
        "RestrictNamespaces=yes",
        "LockPersonality=yes",
        "RestrictRealtime=yes",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ]
    return "\n".join(lines)


def root_steps(layout: Layout, units: list[str], database: Path | None) -> list[str]:
    """The commands an admin pastes into a root shell after the units are written, one a
    line. Each may be run again on an installed machine: none empties a file that exists
    (the secrets file holds the GDPR hash key, which must never change, so it is created
    with ``touch``, never copied over from /dev/null)."""
    user = layout.user
    secrets = layout.secrets_file
    folders = f"{layout.data_dir} {layout.cache_dir}" + (f" {database}" if database else "")
    names = " ".join(units)
    return [
        f"useradd --system --home-dir {layout.data_dir} --shell /usr/sbin/nologin {user}",
        f"install -d -o {user} -g {user} -m 0750 {folders}",
        f"install -d -m 0755 {layout.config_dir}",
        f"touch {secrets} && chown {user}:{user} {secrets} && chmod 0600 {secrets}",
        "systemctl daemon-reload",
        f"systemctl enable --now {names}",
    ]


def unit_files(settings: Settings, layout: Layout) -> dict[str, str]:
    """File name -> text, for every service."""
    return {f"spillway-{s.name}.service": render_unit(s, layout) for s in services(settings)}


def wait_for_port(host: str, port: int, timeout_s: float) -> bool:
    """Whether something accepts connections on ``host:port`` within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.5)


if __name__ == "__main__":  # ExecStartPost: python -m spillway.services wait HOST PORT SECONDS
    _, verb, host, port, seconds = sys.argv
    sys.exit(0 if verb == "wait" and wait_for_port(host, int(port), float(seconds)) else 1)
