"""The demo's console: a simulated month in a throw-away database, and how to open it.

The demo ends here. A pilot month of the calibrated world (each request drawn
to predicted or conventional timing) is simulated and stored, as
`spillway simulate --store` stores it, in a database of the demo's own
(``<cache_dir>/demo-console/spillway.db``, made afresh on every run), never
the configured one. A demo user with a fresh password, the session key and an
API token go into the demo's own secrets file beside it (mode 0600), never
the real secrets file. The demo prints the command that serves the console
on that database and those secrets, its URL (the stored month's range) and
the login.
"""

from __future__ import annotations

import secrets
import shlex
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape

from cli.admin_words import admin_words
from cli.commands.simulate import store_run
from scheduler.simulation.label import SimulationLabel
from scheduler.simulation.simulator import PolicyName, simulate
from scheduler.simulation.store import StoredPeriod
from scheduler.simulation.world import load_world
from spillway.paths import repo_root
from spillway.secrets import generate_secret, set_secret
from spillway.settings import Settings
from web.users import Role, entry, secret_name

DEMO_WORLD = Path("configs/worlds/calibrated_traditional.yaml")
DEMO_USER = "demo"


@dataclass(frozen=True, slots=True)
class DemoConsole:
    """Where the demo's console lives and how to get in."""

    folder: Path
    database: Path
    secrets_file: Path
    user: str
    password: str
    period: StoredPeriod
    command: str
    url: str


def _spillway() -> str:
    """The console script of this install (./dev's venv is not on PATH), else the bare name."""
    beside = Path(sys.executable).parent / "spillway"
    return str(beside) if beside.is_file() else "spillway"


def prepare_demo_console(
    settings: Settings, console: Console, *, config_path: Path | None = None
) -> DemoConsole:
    """Simulate and store the month, write the demo's secrets; print how to open the console."""
    folder = settings.paths.cache_dir / "demo-console"
    shutil.rmtree(folder, ignore_errors=True)  # throw-away: a fresh month every run
    folder.mkdir(parents=True)
    database = folder / "spillway.db"
    secrets_file = folder / "secrets.env"
    password = secrets.token_urlsafe(12)
    set_secret(secret_name(DEMO_USER), entry(Role.SUPERVISOR, password), path=secrets_file)
    set_secret("SPILLWAY_WEB__SESSION_SECRET", generate_secret() * 2, path=secrets_file)
    set_secret("SPILLWAY_WEB__API_TOKEN", generate_secret(), path=secrets_file)
    storage = settings.storage.model_copy(update={"backend": "sqlite", "sqlite_path": database})
    world = load_world(repo_root() / DEMO_WORLD)
    words = admin_words(settings)
    console.print(words("cli.demo.simulating", world=DEMO_WORLD), markup=False)
    run = simulate(world, PolicyName.PILOT)
    period = store_run(
        storage,
        run,
        SimulationLabel(DEMO_WORLD.name, PolicyName.PILOT.value, world.seed, demo=True).stored(),
        text=words,
        say=lambda line: console.print(line, markup=False, soft_wrap=True),
    )
    env = (
        f"SPILLWAY_SECRETS_FILE={shlex.quote(str(secrets_file))} "
        f"SPILLWAY_STORAGE__SQLITE_PATH={shlex.quote(str(database))}"
    )
    config = f" --config {shlex.quote(str(config_path))}" if config_path else ""
    command = f"{env} {shlex.quote(_spillway())}{config} web serve"
    # The Overview's range is in local days of the console's time zone.
    zone = ZoneInfo(settings.shop.timezone)
    since = datetime.fromtimestamp(period.since, zone).date().isoformat()
    until = datetime.fromtimestamp(period.until, zone).date().isoformat()
    host = settings.web.bind_host
    url = f"http://{host}:{settings.web.port}/?window=range&since={since}&until={until}"
    console.print(f"[bold]{escape(words('cli.demo.console'))}[/]")
    for line in (
        command,
        words("cli.demo.console_open", url=url),
        words("cli.demo.console_login", user=DEMO_USER, password=password),
    ):
        console.print(f"  {line}", markup=False, soft_wrap=True)
    return DemoConsole(folder, database, secrets_file, DEMO_USER, password, period, command, url)
