"""The dialling AMI user may only originate and read; the admin tools have their own
user, rendered only where its secret is set (no sockets here; the live side is
tests/test_ami_rights_live.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cli.ami_rights import risky_rights
from dialplan.ami_users import admin_endpoint
from dialplan.render import SECRET_MASK, render_spillway
from scheduler.originate import FORGET_CONTEXT, forget_action
from spillway.config_file import load_settings
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


def _permits(settings: Settings) -> dict[str, list[str]]:
    """Each rendered user's ACL lines (deny and permit), in order."""
    [manager] = [
        f for f in render_spillway(settings, ami_secret="s") if f.name.startswith("manager")
    ]
    users: dict[str, list[str]] = {}
    for raw in manager.text.splitlines():
        line = raw.split(";", 1)[0].strip()
        if line.startswith("["):
            current = users.setdefault(line.strip("[]"), [])
        elif line.startswith(("permit", "deny")):
            current.append(" ".join(line.split()))
    return users


def test_both_ami_users_permit_the_configured_networks() -> None:
    loopback = ["deny = 0.0.0.0/0.0.0.0", "permit = 127.0.0.1/255.255.255.255"]
    assert _permits(Settings()) == {"spillway": loopback, "spillway-admin": loopback}
    # Unset, the hosts the PBX already knows Spillway by: advertise_host and each
    # worker's FastAGI host (an install on another machine keeps logging in).
    moved = host_settings(
        controller={"advertise_host": "10.0.0.7"},
        pbx={
            "ami_admin_secret": "a",
            "workers": [
                {"name": "a", "fastagi": "10.0.0.7:4573"},
                {"name": "b", "fastagi": "10.0.0.8:4573"},
            ],
        },
    )
    assert _permits(moved)["spillway"] == [
        "deny = 0.0.0.0/0.0.0.0",
        "permit = 10.0.0.7/255.255.255.255",
        "permit = 10.0.0.8/255.255.255.255",
    ]
    # A name cannot be an ACL entry: loopback, until pbx.ami_permit says otherwise.
    named = host_settings(
        controller={"advertise_host": "spillway.lan"}, pbx={"ami_admin_secret": "a"}
    )
    assert _permits(named)["spillway"] == loopback
    wide = host_settings(pbx={"ami_admin_secret": "a", "ami_permit": ["127.0.0.1", "10.0.0.0/24"]})
    lines = [
        "deny = 0.0.0.0/0.0.0.0",
        "permit = 127.0.0.1/255.255.255.255",
        "permit = 10.0.0.0/255.255.255.0",
    ]
    assert _permits(wide) == {"spillway": lines, "spillway-admin": lines}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (["10.0.0.5/24"],
         r"pbx\.ami_permit\.0 = '10\.0\.0\.5/24': expected a network without host bits set: "
         r"10\.0\.0\.0/24 for the whole network"),
        (["127.0.0.1", "spillway.lan"],
         r"pbx\.ami_permit\.1 = 'spillway\.lan': expected an IPv4 network"),
        (["fd00::/64"], r"pbx\.ami_permit\.0 = 'fd00::/64': expected an IPv4 network"),
        ([], r"pbx\.ami_permit = \[\]: expected at least one network"),
    ],
)  # fmt: skip
def test_a_bad_ami_permit_names_the_key(tmp_path: Path, value: list[str], problem: str) -> None:
    config = tmp_path / "spillway.yaml"
    config.write_text(yaml.safe_dump({"pbx": {"ami_permit": value}}))
    with pytest.raises(ConfigError, match=problem):
        load_settings(config, use_default_path=False)


async def test_the_missing_secret_hint_names_the_environment_or_the_secrets_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Secrets never go in the YAML: the hint must not send the admin there. On a real PBX
    it names the secrets file; in the sandbox, the command that makes the secret."""
    from cli.ami_rights import check_ami_rights

    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(tmp_path / "secrets.env"))
    check = await check_ami_rights(host_settings(pbx={"ami_secret": None}))
    assert "SPILLWAY_PBX__AMI_SECRET" in check.fix
    assert str(tmp_path / "secrets.env") in check.fix
    assert "set pbx.ami_secret" not in check.fix
    sandbox = await check_ami_rights(Settings())
    assert sandbox.fix.startswith("`spillway pbx sandbox up`"), sandbox.fix
