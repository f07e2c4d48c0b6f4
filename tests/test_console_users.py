"""`spillway web user add|list|remove`: the console's users in the secrets file, hashed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app as cli_app
from spillway.config_file import load_settings
from spillway.errors import ConfigError

PASSWORD = "a long test password"


def test_web_user_commands_keep_users_in_the_secrets_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "secrets.env"
    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(secrets))
    runner = CliRunner()
    added = runner.invoke(
        cli_app,
        ["web", "user", "add", "anna", "--role", "supervisor", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    assert PASSWORD not in secrets.read_text() and oct(secrets.stat().st_mode)[-3:] == "600"
    settings = load_settings(use_default_path=False)
    assert settings.web.users["anna"].startswith("supervisor:$argon2id$")
    assert settings.web.session_secret is not None
    listed = runner.invoke(cli_app, ["web", "user", "list"])
    assert listed.exit_code == 0 and "anna\tsupervisor" in listed.output
    short = runner.invoke(cli_app, ["web", "user", "add", "bo", "--password-stdin"], input="x\n")
    assert short.exit_code != 0
    removed = runner.invoke(cli_app, ["web", "user", "remove", "anna"])
    assert removed.exit_code == 0 and load_settings(use_default_path=False).web.users == {}
    again = runner.invoke(cli_app, ["web", "user", "remove", "anna"])
    assert again.exit_code != 0 and "no user 'anna'" in str(again.exception)


def test_a_user_line_that_is_not_role_and_hash_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text("SPILLWAY_WEB__USERS__anna=boss:plain-password\n")
    secrets.chmod(0o600)
    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(secrets))
    with pytest.raises(ConfigError, match=r"web\.users.*ROLE:ARGON2-HASH"):
        load_settings(use_default_path=False)
