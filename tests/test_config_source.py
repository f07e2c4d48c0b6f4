"""Which configuration is in force is never a guess: the file is found the same way
from every folder, every service says which file it read, paths follow
``paths.data_dir``, and host mode refuses the sandbox's dial string."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from spillway import config_file as settings_module
from spillway.config_file import load_settings
from spillway.errors import ConfigError
from spillway.settings import Settings

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "configs" / "spillway.yaml"


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding another checkout's configs/spillway.yaml, as the current folder;
    no $SPILLWAY_CONFIG, an empty home and no system file."""
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "spillway.yaml").write_text("queue:\n  agents: 7\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPILLWAY_CONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(settings_module, "SYSTEM_CONFIG", tmp_path / "etc" / "spillway.yaml")
    return tmp_path


def test_a_file_in_the_current_folder_is_never_read(elsewhere: Path) -> None:
    assert load_settings().queue.agents == 2  # the default, not the folder's 7
    result = CliRunner().invoke(app, ["config", "check"])
    assert result.exit_code == 0, result.output
    assert "no file read" in result.stdout


def test_the_search_order_is_flag_env_system_user(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = elsewhere / "home" / ".config" / "spillway" / "spillway.yaml"
    user.parent.mkdir(parents=True)
    user.write_text("queue:\n  agents: 5\n")
    assert load_settings().queue.agents == 5
    system = settings_module.SYSTEM_CONFIG
    system.parent.mkdir(parents=True)
    system.write_text("queue:\n  agents: 4\n")
    assert load_settings().queue.agents == 4
    env = elsewhere / "env.yaml"
    env.write_text("queue:\n  agents: 3\n")
    monkeypatch.setenv("SPILLWAY_CONFIG", str(env))
    assert load_settings().queue.agents == 3
    flag = elsewhere / "flag.yaml"
    flag.write_text("queue:\n  agents: 1\n")
    result = CliRunner().invoke(app, ["--config", str(flag), "config", "show"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["queue"]["agents"] == 1
    assert f"configuration: {flag} (from --config)" in result.stderr


def test_config_show_says_when_no_file_was_read(elsewhere: Path) -> None:
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "configuration: no file read (built-in defaults)" in result.stderr
    json.loads(result.stdout)  # stdout stays pure JSON


def test_the_database_follows_data_dir_unless_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shipped example with only paths.data_dir changed moves the database.
    monkeypatch.setenv("SPILLWAY_PATHS__DATA_DIR", str(tmp_path / "state"))
    assert load_settings(EXAMPLE).storage.sqlite_path == tmp_path / "state" / "spillway.db"
    config = tmp_path / "c.yaml"
    config.write_text(f"paths:\n  data_dir: {tmp_path / 'yaml-state'}\n")
    monkeypatch.delenv("SPILLWAY_PATHS__DATA_DIR")
    assert load_settings(config).storage.sqlite_path == tmp_path / "yaml-state" / "spillway.db"
    # Set explicitly, it stays where it was put.
    config.write_text(
        f"paths:\n  data_dir: {tmp_path / 'yaml-state'}\n"
        f"storage:\n  sqlite_path: {tmp_path / 'mine.db'}\n"
    )
    assert load_settings(config).storage.sqlite_path == tmp_path / "mine.db"


def test_host_mode_refuses_the_sandbox_dial_string(tmp_path: Path) -> None:
    config = tmp_path / "host.yaml"
    config.write_text("pbx:\n  mode: host\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert message.startswith(
        "config error: callbacks.dial_string = 'Local/{digits}@spillway-sim-customer'"
    )
    assert "exists only in the sandbox" in message
    for command in (["config", "check"], ["doctor"]):
        result = CliRunner().invoke(app, ["--config", str(config), *command])
        assert isinstance(result.exception, ConfigError)  # exit 2, one line (cli.main)
        assert "callbacks.dial_string" in str(result.exception)
    # A real trunk is accepted; the sandbox keeps its simulated customers.
    config.write_text(
        'pbx:\n  mode: host\ncallbacks:\n  dial_string: "PJSIP/{e164}@my-trunk"\n'
        "  caller_id: '\"Shop\" <+4532123456>'\n"
    )
    assert load_settings(config).callbacks.dial_string == "PJSIP/{e164}@my-trunk"
    assert Settings().callbacks.dial_string.endswith("@spillway-sim-customer")


@pytest.mark.parametrize(
    ("dial_string", "problem"),
    [
        ("PJSIP/{phone}@my-trunk", "({phone} is neither)"),  # a KeyError at dial time
        ("PJSIP/my-trunk", "(it has neither)"),  # every customer the same number
        ("PJSIP/{e164@my-trunk", "each brace closed"),  # Python cannot read it
    ],
)
def test_a_dial_string_must_name_the_customers_number(
    tmp_path: Path, dial_string: str, problem: str
) -> None:
    config = tmp_path / "host.yaml"
    config.write_text(f"pbx:\n  mode: host\ncallbacks:\n  dial_string: '{dial_string}'\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert message.startswith(f"config error: callbacks.dial_string = '{dial_string}': expected")
    assert problem in message and f"(in {config} line 4)" in message
    config.write_text("callbacks:\n  dial_string: 'PJSIP/00{digits}@my-trunk'\n")
    assert load_settings(config).callbacks.dial_string == "PJSIP/00{digits}@my-trunk"


def test_config_show_never_prints_a_users_password_hash(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPILLWAY_WEB__USERS__ANNA", "supervisor:$argon2id$v=19$m=65536$secret")
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "argon2id" not in result.stdout
    assert json.loads(result.stdout)["web"]["users"] == {"anna": "supervisor:**********"}


def test_config_check_refuses_a_short_api_token(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPILLWAY_WEB__API_TOKEN", "short")
    result = CliRunner().invoke(app, ["config", "check"])
    # `spillway` (cli.main:main) turns a ConfigError into its one line and exit code 2.
    assert isinstance(result.exception, ConfigError), result.output
    assert result.exception.exit_code == 2
    assert "web.api_token has 5 characters" in str(result.exception)
