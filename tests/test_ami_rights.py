"""The AMI user gets only the write rights something uses, and the doctor warns on the
ones that reach beyond calls (command, system)."""

from __future__ import annotations

from pathlib import Path

from cli.doctor import ami_write_rights, check_ami_rights
from dialplan.render import render_spillway
from spillway.settings import Settings
from tests.conftest import host_settings


def _host(folder: Path) -> Settings:
    return host_settings(pbx={"asterisk_config_dir": str(folder)})


def test_the_rendered_user_has_no_rights_nothing_uses() -> None:
    [manager] = [
        f for f in render_spillway(Settings(), ami_secret="x") if f.name.startswith("manager")
    ]
    rights = ami_write_rights(manager.text, "spillway")
    assert rights is not None
    assert "agent" not in rights and "user" not in rights
    assert {"originate", "call", "reporting"} <= set(rights)


def test_the_doctor_warns_on_command_and_system(tmp_path: Path) -> None:
    (tmp_path / "manager_spillway.conf").write_text(
        "[other]\nwrite = all\n[spillway]\nsecret = s\n"
        "write = system,call,originate,command,reporting ; the old default\n"
    )
    check = check_ami_rights(_host(tmp_path))
    assert check.ok and check.warning
    assert "system, command reach beyond placing calls" in check.detail
    (tmp_path / "manager_spillway.conf").write_text(
        "[spillway]\nwrite = originate,call,reporting\n"
    )
    quiet = check_ami_rights(_host(tmp_path))
    assert quiet.ok and not quiet.warning


def test_an_unreadable_user_is_said_not_checked(tmp_path: Path) -> None:
    check = check_ami_rights(_host(tmp_path))
    assert check.ok and not check.warning and "not checked" in check.detail
