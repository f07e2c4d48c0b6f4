"""`spillway install-services`: the units pass `systemd-analyze verify` and carry the
restart policy, the secrets file, the dedicated user, the hardening and a readiness check."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from spillway.errors import ConfigError
from spillway.services import wait_for_port
from tests.conftest import HOST_CALLER_ID, HOST_DIAL_STRING

SERVICES = ("serve", "scheduler", "web", "nlu")


@pytest.fixture
def units(tmp_path: Path) -> Path:
    done = CliRunner().invoke(
        app, ["install-services", "--prefix", str(tmp_path), "--user", "spillway"]
    )
    assert done.exit_code == 0, done.output
    return tmp_path


def test_the_units_pass_systemd_analyze_verify(units: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is missing: apt-get install systemd (./dev installs it)")
    files = sorted(units.glob("*.service"))
    assert [f.name for f in files] == sorted(f"spillway-{s}.service" for s in SERVICES)
    checked = subprocess.run(
        [analyze, "verify", *map(str, files)], capture_output=True, text=True, check=False
    )
    # verify only warns (exit 0) about a line it cannot parse: any output is a failure.
    assert (checked.returncode, checked.stderr.strip(), checked.stdout.strip()) == (0, "", "")


def test_each_unit_restarts_runs_as_its_user_and_is_hardened(units: Path) -> None:
    for name in SERVICES:
        text = (units / f"spillway-{name}.service").read_text()
        for line in (
            "Restart=on-failure",
            "User=spillway",
            "EnvironmentFile=/etc/spillway/secrets.env",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "ReadWritePaths=/var/lib/spillway /var/cache/spillway",
            "PrivateTmp=yes",
            "ProtectHome=yes",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
        ):
            assert line in text.splitlines(), (name, line)
        ready = [line for line in text.splitlines() if line.startswith("ExecStartPost=")]
        assert len(ready) == (0 if name == "scheduler" else 1), name
    web = (units / "spillway-web.service").read_text()
    assert "spillway.services wait 127.0.0.1 18081 120" in web


def test_a_dry_run_writes_nothing(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["install-services", "--prefix", str(tmp_path), "--dry-run"])
    assert done.exit_code == 0 and "ExecStart=" in done.output
    assert list(tmp_path.iterdir()) == []


def test_the_readiness_check_waits_for_the_port() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert wait_for_port("127.0.0.1", server.getsockname()[1], 2)
        port = server.getsockname()[1]
    assert not wait_for_port("127.0.0.1", port, 0.2)


def test_a_dry_run_warns_when_the_python_is_in_a_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setattr(sys, "executable", "/root/.cache/spillway/venv/bin/python")
    done = CliRunner().invoke(app, ["install-services", "--prefix", str(tmp_path), "--dry-run"])
    assert done.exit_code == 0, done.output
    assert "ProtectHome hides" in done.stderr and "would not start" in done.stderr


def test_the_commands_to_run_are_one_line_each_in_a_narrow_terminal(tmp_path: Path) -> None:
    """Pasted into a shell, a command wrapped at the terminal's width fails."""
    done = CliRunner().invoke(
        app, ["install-services", "--prefix", str(tmp_path / "units")], env={"COLUMNS": "40"}
    )
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert (
        "  useradd --system --home-dir /var/lib/spillway --shell /usr/sbin/nologin spillway"
        in lines
    )
    assert (
        "  install -d -o spillway -g spillway -m 0750 /var/lib/spillway /var/cache/spillway"
        in lines
    )
    steps = [line for line in lines if line.startswith("  ")]
    assert len(steps) == 6 and all(
        line.split()[0] in ("useradd", "install", "touch", "systemctl") for line in steps
    )


@pytest.mark.parametrize("before", ["SPILLWAY_GDPR__HASH_KEY=kept-forever\n", None])
def test_the_printed_secrets_step_never_empties_the_file(
    tmp_path: Path, before: str | None
) -> None:
    """OPERATIONS step 2 has written the AMI secret, the API token and the GDPR hash key
    into the secrets file before these steps are pasted: running the printed line keeps
    them (and creates a missing file), owned by the user, readable by no one else."""
    done = CliRunner().invoke(
        app, ["install-services", "--prefix", str(tmp_path / "units"), "--user", "root"]
    )
    assert done.exit_code == 0, done.output
    printed = [line.strip() for line in done.stdout.splitlines() if "secrets.env" in line]
    assert len(printed) == 1 and "/dev/null" not in done.stdout
    secrets = tmp_path / "secrets.env"
    if before is not None:
        secrets.write_text(before, encoding="utf-8")
        secrets.chmod(0o644)
    line = printed[0].replace("/etc/spillway/secrets.env", str(secrets))
    ran = subprocess.run(["sh", "-c", line], capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr
    assert secrets.read_text(encoding="utf-8") == (before or "")
    assert secrets.stat().st_mode & 0o777 == 0o600


def test_it_warns_when_the_services_would_read_another_configuration(tmp_path: Path) -> None:
    """The units read /etc/spillway/spillway.yaml; ports taken from another file mislead."""
    config = tmp_path / "shop.yaml"
    config.write_text("controller:\n  fastagi_port: 24573\n")
    done = CliRunner().invoke(
        app, ["--config", str(config), "install-services", "--prefix", str(tmp_path), "--dry-run"]
    )
    assert done.exit_code == 0, done.output
    assert (
        f"the services will read /etc/spillway/spillway.yaml, but this run read {config} "
        "and took the units' ports and spool folder from it: "
        f"install -m 0644 {config} /etc/spillway/spillway.yaml, then run this again"
    ) in done.stderr
    assert "wait 127.0.0.1 24573 120" in done.stdout


def _units_with(tmp_path: Path, config_text: str) -> tuple[Result, Path]:
    config = tmp_path / "spillway.yaml"
    config.write_text(config_text)
    out = tmp_path / "units"
    done = CliRunner().invoke(
        app, ["--config", str(config), "install-services", "--prefix", str(out)]
    )
    return done, out


def _assert_verified(units: Path) -> None:
    """`systemd-analyze verify` says nothing about the units in ``units`` (it only warns,
    exit 0, about a line it cannot parse: any output is a failure)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is missing: apt-get install systemd (./dev installs it)")
    checked = subprocess.run(
        [analyze, "verify", *map(str, sorted(units.glob("*.service")))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (checked.returncode, checked.stderr.strip(), checked.stdout.strip()) == (0, "", "")


def test_a_database_outside_the_data_folder_is_made_writable(tmp_path: Path) -> None:
    """ProtectSystem=strict leaves only ReadWritePaths writable: a storage.sqlite_path
    elsewhere needs its folder there (SQLite writes its -wal and -journal beside it)."""
    done, units = _units_with(tmp_path, "storage:\n  sqlite_path: /srv/shop/db/calls.db\n")
    assert done.exit_code == 0, done.output
    for name in SERVICES:
        lines = (units / f"spillway-{name}.service").read_text().splitlines()
        assert "ReadWritePaths=/var/lib/spillway /var/cache/spillway /srv/shop/db" in lines
    assert (
        "  install -d -o spillway -g spillway -m 0750 /var/lib/spillway /var/cache/spillway "
        "/srv/shop/db" in done.output.splitlines()
    )
    _assert_verified(units)


def test_a_database_inside_the_data_folder_adds_nothing(tmp_path: Path) -> None:
    done, units = _units_with(tmp_path, "storage:\n  sqlite_path: /var/lib/spillway/db/calls.db\n")
    assert done.exit_code == 0, done.output
    text = (units / "spillway-serve.service").read_text().splitlines()
    assert "ReadWritePaths=/var/lib/spillway /var/cache/spillway" in text


@pytest.mark.parametrize("where", ["/home/admin/spillway.db", "/tmp/spillway.db"])
def test_a_database_the_sandbox_hides_is_refused_naming_the_key(tmp_path: Path, where: str) -> None:
    done, units = _units_with(tmp_path, f"storage:\n  sqlite_path: {where}\n")
    assert isinstance(done.exception, ConfigError)
    assert str(done.exception).startswith(f"storage.sqlite_path is {where}, under /")
    assert "unset storage.sqlite_path" in str(done.exception)
    assert not units.exists()


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "no spillway-nlu unit: nlu.rasa_url is empty"),
        ("da", "ingen spillway-nlu-enhed: nlu.rasa_url er tom"),
    ],
)
def test_without_rasa_there_is_no_nlu_unit_and_it_says_why(
    tmp_path: Path, language: str, said: str
) -> None:
    """nlu.rasa_url empty: the fallback classifier inside serve understands the calls, so
    no spillway-nlu unit is written, serve waits for none, and the command says why."""
    config = f'web:\n  language: {language}\nnlu:\n  rasa_url: ""\n'
    done, units = _units_with(tmp_path, config)
    assert done.exit_code == 0, done.output
    assert said in done.stderr
    written = sorted(f.name for f in units.glob("*.service"))
    assert written == sorted(f"spillway-{s}.service" for s in SERVICES if s != "nlu")
    assert "spillway-nlu" not in done.stdout  # not in the `systemctl enable` line either
    after = [
        line
        for line in (units / "spillway-serve.service").read_text().splitlines()
        if line.startswith("After=")
    ]
    assert after == ["After=network-online.target asterisk.service"]
    _assert_verified(units)


def test_a_unit_left_from_when_rasa_was_configured_is_pointed_out(tmp_path: Path) -> None:
    units = tmp_path / "units"
    units.mkdir()
    (units / "spillway-nlu.service").write_text("[Unit]\n")
    done, _ = _units_with(tmp_path, 'nlu:\n  rasa_url: ""\n')
    assert done.exit_code == 0, done.output
    assert "systemctl disable --now spillway-nlu.service" in done.stderr


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (
            "en",
            {
                "differs": "warning: the services will read /etc/spillway/spillway.yaml, but "
                "this run read {config} and took the units' ports and spool folder from it: "
                "install -m 0644 {config} /etc/spillway/spillway.yaml, then run this again",
                "wrote": "wrote spillway-serve.service spillway-scheduler.service "
                "spillway-web.service into {units}. Then, as root:",
                "walkthrough": "docs/OPERATIONS.md walks through it.",
            },
        ),
        (
            "da",
            {
                "differs": "advarsel: tjenesterne læser /etc/spillway/spillway.yaml, men denne "
                "kørsel læste {config} og tog enhedernes porte og mappen til tilbagekald fra "
                "tastemenuen derfra: install -m 0644 {config} /etc/spillway/spillway.yaml, og "
                "kør så kommandoen igen",
                "wrote": "skrev spillway-serve.service spillway-scheduler.service "
                "spillway-web.service i {units}. Kør derefter som root:",
                "walkthrough": "docs/OPERATIONS.md gennemgår det trin for trin.",
            },
        ),
    ],
)
def test_what_it_says_around_the_commands_is_in_the_admins_language(
    tmp_path: Path, language: str, said: dict[str, str]
) -> None:
    """The commands stay commands (pasted into a root shell); the words around them are
    the admin's, like the rest of the command's."""
    done, units = _units_with(tmp_path, f'web:\n  language: {language}\nnlu:\n  rasa_url: ""\n')
    assert done.exit_code == 0, done.output
    config = tmp_path / "spillway.yaml"
    stderr = " ".join(done.stderr.split())
    assert said["differs"].format(config=config) in stderr
    lines = done.stdout.splitlines()
    assert said["wrote"].format(units=units) in lines
    assert lines[-1] == said["walkthrough"]
    assert "systemctl daemon-reload" in [line.strip() for line in lines]


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "is in a home folder, which ProtectHome hides"), ("da", "ligger i en hjemmemappe")],
)
def test_the_home_folder_warning_is_in_the_admins_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str, said: str
) -> None:
    import sys

    monkeypatch.setattr(sys, "executable", "/root/.cache/spillway/venv/bin/python")
    env = {"SPILLWAY_WEB__LANGUAGE": language}
    args = ["install-services", "--prefix", str(tmp_path), "--dry-run"]
    done = CliRunner().invoke(app, args, env=env)
    assert done.exit_code == 0, done.output
    assert f"/root/.cache/spillway/venv/bin/python {said}" in " ".join(done.stderr.split())


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "has pbx.mode: sandbox, the development Asterisk"),
        ("da", "har pbx.mode: sandbox, den Asterisk til udvikling"),
    ],
)
def test_units_from_a_sandbox_configuration_are_warned_of(
    tmp_path: Path, language: str, said: str
) -> None:
    """The default pbx.mode is the sandbox, for trying Spillway out: services written from
    it would never reach the PBX they are installed beside."""
    done, _ = _units_with(tmp_path, f"web:\n  language: {language}\n")
    assert done.exit_code == 0, done.output
    assert said in done.stderr
    assert "pbx.mode: host" in done.stderr
    host = (
        f"web:\n  language: {language}\npbx:\n  mode: host\n  host: 10.0.0.5\n"
        f"callbacks:\n  dial_string: '{HOST_DIAL_STRING}'\n  caller_id: '{HOST_CALLER_ID}'\n"
    )
    done, _ = _units_with(tmp_path, host)
    assert done.exit_code == 0, done.output
    assert "pbx.mode: sandbox" not in done.stderr
