"""Settings: sources, immutability, and one clear line for every broken config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from spillway.config_file import load_settings
from spillway.errors import ConfigError
from spillway.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spillway.yaml"
    path.write_text(text)
    return path


def test_shipped_example_config_is_valid() -> None:
    settings = load_settings(REPO / "configs" / "spillway.yaml")
    assert settings.pbx.ami_port == 15038
    assert settings.queue.max_wait_s == 30
    assert not str(settings.storage.sqlite_path).startswith("~")  # "~" expanded


def test_the_conventional_timing_is_accepted_by_the_name_every_screen_shows(
    tmp_path: Path,
) -> None:
    settings = load_settings(write(tmp_path, "callbacks:\n  policy: conventional\n"))
    assert settings.callbacks.policy == "traditional"  # its stored name
    with pytest.raises(ConfigError, match=r"callbacks\.policy"):
        load_settings(write(tmp_path, "callbacks:\n  policy: whenever\n"))


def test_settings_are_immutable() -> None:
    settings = load_settings(use_default_path=False)
    with pytest.raises(ValidationError):
        settings.pbx.ami_port = 1  # type: ignore[misc]


def test_environment_overrides_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "queue:\n  agents: 3\n  max_wait_s: 45\n")
    monkeypatch.setenv("SPILLWAY_QUEUE__MAX_WAIT_S", "12")
    settings = load_settings(path)
    assert settings.queue.agents == 3
    assert settings.queue.max_wait_s == 12


def test_null_in_the_environment_means_null_in_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `holidays: null` (no public holidays closed) said as an environment variable.
    path = write(tmp_path, "callbacks:\n  holidays: SE\n  sunday: [10, 14]\n")
    assert load_settings(path).callbacks.holidays == "SE"
    monkeypatch.setenv("SPILLWAY_CALLBACKS__HOLIDAYS", "null")
    monkeypatch.setenv("SPILLWAY_CALLBACKS__SUNDAY", "null")
    settings = load_settings(path)
    assert settings.callbacks.holidays is None and settings.callbacks.sunday is None


def test_secret_comes_from_secrets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text("SPILLWAY_PBX__AMI_SECRET=s3cret\n")
    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(secrets))
    settings = load_settings(use_default_path=False)
    assert settings.require_ami_secret() == "s3cret"
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pbx:\n  ami_port: abc\n", "pbx.ami_port = 'abc': expected a whole number"),
        ("pbx:\n  ami_prot: 5038\n", "pbx.ami_prot: unknown key"),
        (
            "queue:\n  max_wait_s: -1\n",
            "queue.max_wait_s = -1: expected at least 1",
        ),
        ("controller:\n  transport: carrier-pigeon\n", "controller.transport = 'carrier-pigeon'"),
        ("pbx:\n  ami_secret: hunter2\n", "pbx.ami_secret must not be in"),
        ("pbx: [1, 2\n", "invalid YAML"),
        ("- just\n- a list\n", "expected a mapping"),
    ],
)
def test_broken_config_is_one_clear_error(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    assert "hunter2" not in message


def test_missing_secret_is_a_config_error() -> None:
    settings = load_settings(use_default_path=False)
    with pytest.raises(ConfigError, match=r"pbx\.ami_secret is missing"):
        settings.require_ami_secret()


def test_a_missing_ami_secret_says_what_to_run_in_each_pbx_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from cli.doctor import check_pbx

    secrets = tmp_path / "secrets.env"
    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(secrets))
    monkeypatch.delenv("SPILLWAY_PBX__AMI_SECRET", raising=False)
    host = load_settings(
        write(
            tmp_path,
            'pbx:\n  mode: host\ncallbacks:\n  dial_string: "PJSIP/{e164}@t"\n'
            "  caller_id: 'Shop <+4532123456>'\n",
        )
    )
    sandbox = load_settings(write(tmp_path, ""))
    with pytest.raises(ConfigError) as caught:
        host.require_ami_secret()
    # A real PBX's admin is told to write one, never to build the sandbox.
    for hint in (caught.value.hint or "", asyncio.run(check_pbx(host))[0].fix):
        assert "sandbox" not in hint
        assert f'openssl rand -hex 24)" >> {secrets}' in hint
        assert "spillway dialplan install" in hint
    with pytest.raises(ConfigError) as caught:
        sandbox.require_ami_secret()
    assert caught.value.hint == "`spillway pbx sandbox up` creates one for the sandbox"
    assert asyncio.run(check_pbx(sandbox))[0].fix == caught.value.hint


def _spillway(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=REPO,
        check=False,
    )


@pytest.mark.parametrize(
    ("yaml_text", "args", "expected"),
    [
        ("pbx:\n  ami_port: notaport\n", ["config", "check"], "pbx.ami_port = 'notaport'"),
        ("queue:\n  agentz: 2\n", ["doctor"], "queue.agentz: unknown key"),
        # `pbx sandbox cli` no longer needs one: it uses Asterisk's own console.
        ("", ["dialplan", "check"], "pbx.ami_secret is missing"),
    ],
)
def test_cli_exits_2_with_one_line(
    tmp_path: Path, yaml_text: str, args: list[str], expected: str
) -> None:
    path = write(tmp_path, yaml_text)
    result = _spillway("--config", str(path), *args)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert result.stdout == ""


def test_the_bots_call_limit_is_set_or_follows_the_measured_cpu_per_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(controller={"max_bot_calls": 3}).controller.bot_call_limit() == 3
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    measured = Settings().controller.cpu_per_bot_call
    assert Settings().controller.bot_call_limit() == int(2 / measured)
    # No constant per core: the limit follows what one call was measured to cost.
    assert Settings(controller={"cpu_per_bot_call": 0.4}).controller.bot_call_limit() == 5
    assert Settings(controller={"cpu_per_bot_call": 0.1}).controller.bot_call_limit() == 20
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert Settings(controller={"cpu_per_bot_call": 0.4}).controller.bot_call_limit() == 20
    # A call that needs more than the machine has still gets one call.
    assert Settings(controller={"cpu_per_bot_call": 16}).controller.bot_call_limit() == 1
    with pytest.raises(ValidationError, match="max_bot_calls"):
        Settings(controller={"max_bot_calls": 0})
    with pytest.raises(ValidationError, match="cpu_per_bot_call"):
        Settings(controller={"cpu_per_bot_call": 0})


def test_sandbox_status_before_the_first_up_says_not_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No AMI secret yet is a sandbox not built, not a configuration error."""
    from typer.testing import CliRunner

    from cli.main import app

    monkeypatch.delenv("SPILLWAY_PBX__AMI_SECRET", raising=False)
    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(tmp_path / "none.env"))
    path = write(tmp_path, f"paths:\n  cache_dir: {tmp_path / 'cache'}\n")
    result = CliRunner().invoke(app, ["--config", str(path), "pbx", "sandbox", "status"])
    assert result.exit_code == 1, result.output
    assert "built: no  running: no" in result.output and "(not built)" in result.output
    assert "spillway pbx sandbox up" in result.output
    assert "ami_secret" not in result.output
