"""The dialling AMI user may only originate and read; the admin tools have their own
user, rendered only where its secret is set (no sockets here; the live side is
tests/test_ami_rights_live.py)."""

from __future__ import annotations

import pytest

from cli.ami_rights import risky_rights
from dialplan.ami_users import admin_endpoint
from dialplan.render import SECRET_MASK, render_spillway
from scheduler.originate import FORGET_CONTEXT, forget_action
from spillway.errors import ConfigError
from spillway.settings import Settings
from tests.conftest import host_settings


def _sections(text: str) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        elif "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            current[key] = value
    return sections


def _manager(settings: Settings, secret: str | None) -> dict[str, dict[str, str]]:
    [manager] = [
        f for f in render_spillway(settings, ami_secret=secret) if f.name.startswith("manager")
    ]
    return _sections(manager.text)


def test_the_dialling_user_may_only_originate_and_report() -> None:
    users = _manager(host_settings(), "s")
    assert set(users) == {"spillway"}  # host mode, no admin secret: no admin user
    assert users["spillway"]["write"] == "originate,reporting"


def test_the_admin_user_is_rendered_only_with_its_secret() -> None:
    users = _manager(host_settings(pbx={"ami_admin_secret": "adm"}), "s")
    assert users["spillway-admin"]["secret"] == "adm"
    assert "command" in users["spillway-admin"]["write"].split(",")
    assert users["spillway"]["write"] == "originate,reporting"
    masked = _manager(host_settings(pbx={"ami_admin_secret": "adm"}), None)
    assert masked["spillway-admin"]["secret"] == SECRET_MASK
    # The sandbox always has one, derived from the dialling secret unless set.
    sandbox = _manager(Settings(), "s")
    assert sandbox["spillway-admin"]["secret"] not in ("", "s", SECRET_MASK)


def test_an_admin_tool_without_the_admin_secret_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"pbx\.ami_admin_secret"):
        admin_endpoint(host_settings(pbx={"ami_secret": "s"}))


def test_forgetting_an_attempt_is_an_originate_not_a_dbdel() -> None:
    action = forget_action("cb-0123abcd")
    assert action["Action"] == "Originate"
    assert action["Channel"] == f"Local/s@{FORGET_CONTEXT}/n"
    assert action["Variable"] == ["__SPILLWAY_FORGET=cb-0123abcd"]


def test_listed_actions_reveal_command_and_system() -> None:
    assert risky_rights(["Ping", "Originate", "DBGet", "QueueStatus"]) == []
    assert risky_rights(["Ping", "Command", "ModuleLoad", "DBDel"]) == ["command", "system"]


async def test_rights_that_could_not_be_checked_are_a_warning_not_ok() -> None:
    # The second walkthrough: "AMI user's rights OK ... not checked" with AMI down.
    from cli.ami_rights import check_ami_rights
    from spillway.settings import Settings

    no_secret = await check_ami_rights(Settings())
    assert no_secret.warning and "not checked" in no_secret.detail and no_secret.fix
    down = Settings(pbx={"ami_secret": "x" * 16, "ami_port": 1})
    unreachable = await check_ami_rights(down)
    assert unreachable.warning and "not checked" in unreachable.detail and unreachable.fix
