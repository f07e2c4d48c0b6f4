"""`spillway dialplan render|check|diff|install`, run as the CLI, over the real sandbox Asterisk.

The commands read their settings from the environment, set here to the test
sandbox's own instance and ports; ``install`` targets that instance's etc
folder, which is what the running sandbox Asterisk reads.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli.commands.dialplan import placement_hints
from cli.main import app
from dialplan.install import BACKUP_DIR
from dialplan.render import SECRET_MASK, SPILLWAY_FILES, softphone_password
from dialplan.sounds import sound_dirs
from spillway.errors import InputError, PbxError
from spillway.settings import Settings
from tests.conftest import PbxHandle, host_settings

runner = CliRunner()


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    pbx, c = settings.pbx, settings.controller
    env = {
        "SPILLWAY_PBX__AMI_PORT": str(pbx.ami_port),
        "SPILLWAY_PBX__SIP_PORT": str(pbx.sip_port),
        "SPILLWAY_PBX__HTTP_PORT": str(pbx.http_port),
        "SPILLWAY_PBX__AMI_SECRET": settings.require_ami_secret(),
        "SPILLWAY_PBX__SANDBOX_INSTANCE": pbx.sandbox_instance,
        "SPILLWAY_CONTROLLER__FASTAGI_PORT": str(c.fastagi_port),
        "SPILLWAY_CONTROLLER__AUDIOSOCKET_PORT": str(c.audiosocket_port),
        "SPILLWAY_CONTROLLER__WEBSOCKET_PORT": str(c.websocket_port),
    }
    env.update(extra)
    return env


def run(tmp_path: Path, env: dict[str, str], *args: str) -> Result:
    config = tmp_path / "empty.yaml"
    config.write_text("{}\n")
    return runner.invoke(app, ["--config", str(config), "dialplan", *args], env=env)


def loaded_max_wait(pbx: PbxHandle) -> str:
    """The max_wait_s the running sandbox's spillway-route queue step uses."""
    out = pbx.cli("dialplan show queue@spillway-route")
    match = re.search(r"SPILLWAY_WAIT_S\}:(\d+)\)", out)
    assert match, out
    return match.group(1)


def restore_sandbox(pbx: PbxHandle) -> None:
    pbx.sandbox.write_config()
    pbx.cli("dialplan reload")
    pbx.cli("module reload app_queue.so")


def test_render_masks_secrets_unless_asked(tmp_path: Path, pbx_settings: Settings) -> None:
    env = cli_env(pbx_settings)
    secret = pbx_settings.require_ami_secret()
    masked, real = tmp_path / "masked", tmp_path / "real"

    result = run(tmp_path, env, "render", "--out", str(masked))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in masked.iterdir()) == sorted(
        [*SPILLWAY_FILES, "agi-bin", "sounds"]
    )
    # The prompts Asterisk plays itself, in the shop's words and the bot's voice.
    assert (masked / "sounds" / "spillway" / "en" / "menu_offer.wav").is_file()
    # The DTMF menu's callback script, ready for the PBX's agi-bin folder.
    script = masked / "agi-bin" / "spillway-callback-spool.py"
    assert script.stat().st_mode & 0o111 and "asterisk.agi" in script.read_text()
    # What it says to do with them names the folder the sandbox's Asterisk plays from, as
    # this host sees it, never the chroot's own name for it.
    dirs = sound_dirs(pbx_settings)
    said = result.output  # printed unwrapped: a path is never split
    assert f"render them into {dirs.local} " in said, result.output
    assert dirs.pbx not in said.replace(str(dirs.local), ""), result.output
    manager = (masked / "manager_spillway.conf").read_text()
    assert f"secret = {SECRET_MASK}" in manager
    for path in masked.glob("*.conf"):
        assert secret not in path.read_text()
        assert softphone_password(secret) not in path.read_text()
    assert "[spillway-inbound]" in (masked / "extensions_spillway.conf").read_text()

    result = run(tmp_path, env, "render", "--out", str(real), "--with-secrets")
    assert result.exit_code == 0, result.output
    assert f"secret = {secret}" in (real / "manager_spillway.conf").read_text()
    assert f"password = {softphone_password(secret)}" in (real / "pjsip_spillway.conf").read_text()
    assert (real / "manager_spillway.conf").stat().st_mode & 0o077 == 0

    # Masked files must never reach a PBX.
    result = run(tmp_path, env, "install", "--from", str(masked), "--target", str(tmp_path), "-y")
    assert isinstance(result.exception, InputError)


def test_render_says_where_the_target_pbx_reads_the_prompts(tmp_path: Path) -> None:
    """The sandbox needs no copying (its own commands put the files in place, and the
    chroot's folder name is meaningless outside it); a host PBX reads pbx.sounds_dir."""
    sandbox = Settings(pbx={"sandbox_instance": "walk"}, paths={"cache_dir": str(tmp_path)})
    hints = placement_hints(sandbox)
    dirs = sound_dirs(sandbox)
    assert dirs.pbx == "/spillway/walk/sounds/spillway/en"
    assert f"render them into {dirs.local} " in hints.sounds
    assert str(dirs.local).startswith(str(tmp_path))
    assert dirs.pbx not in hints.sounds.replace(str(dirs.local), "")
    assert "spillway pbx sandbox up" in hints.sounds and "spillway pbx sandbox up" in hints.script
    # Said in the admin's language (web.language, else shop.language).
    host = host_settings(
        pbx={"sounds_dir": "/usr/share/asterisk/sounds"},
        shop={"language": "da"},
        web={"language": "en"},
    )
    said = placement_hints(host).sounds
    assert said.startswith("copy them into /usr/share/asterisk/sounds/spillway/da on the PBX")
    assert "sandbox" not in said + placement_hints(host).script
    danish = host_settings(
        pbx={"sounds_dir": "/usr/share/asterisk/sounds"}, shop={"language": "da"}
    )
    said = placement_hints(danish).sounds
    assert said.startswith("kopiér dem ind i /usr/share/asterisk/sounds/spillway/da på PBX'en")
    assert "sandkasse" not in said + placement_hints(danish).script


@pytest.mark.asterisk
def test_check_passes_on_the_shipped_templates(tmp_path: Path, pbx: PbxHandle) -> None:
    result = run(tmp_path, cli_env(pbx.settings), "check")
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    for context in ("spillway-inbound", "spillway-route", "spillway-selftest"):
        assert re.search(rf"ok.*{context}: \d+ priorities loaded", result.output)
    assert f"queue {pbx.settings.queue.name} loaded" in result.output


@pytest.mark.asterisk
def test_check_fails_with_asterisks_error_text(tmp_path: Path, pbx: PbxHandle) -> None:
    env = cli_env(pbx.settings)
    folder = tmp_path / "rendered"
    assert run(tmp_path, env, "render", "--out", str(folder), "--with-secrets").exit_code == 0
    extensions = folder / "extensions_spillway.conf"
    extensions.write_text(extensions.read_text().replace("[spillway-route]", "[spillway-route"))

    result = run(tmp_path, env, "check", "--from", str(folder))
    assert isinstance(result.exception, PbxError), result.output
    message = str(result.exception)
    # Asterisk's own words, from its log and from its parser (GetConfig).
    assert "no closing ']'" in message
    assert "extensions_spillway.conf" in message
    assert pbx.settings.require_ami_secret() not in message
    # The sandbox is back on its own configuration.
    assert "spillway-route" in pbx.cli("dialplan show spillway-route")


@pytest.mark.asterisk
def test_install_diffs_backs_up_writes_and_reloads(tmp_path: Path, pbx: PbxHandle) -> None:
    etc = pbx.sandbox.base / "etc"
    restore_sandbox(pbx)
    before = (etc / "extensions_spillway.conf").read_text()
    assert loaded_max_wait(pbx) == str(pbx.settings.queue.max_wait_s)
    env = cli_env(pbx.settings, SPILLWAY_QUEUE__MAX_WAIT_S="45")
    try:
        result = run(tmp_path, env, "diff", "--target", str(etc))
        assert result.exit_code == 0, result.output
        assert "extensions_spillway.conf" in result.output
        assert ":45)" in result.output
        assert pbx.settings.require_ami_secret() not in result.output

        result = run(tmp_path, env, "install", "--target", str(etc), "--yes")
        assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
        assert "reloaded and verified" in result.output
        assert ":45)" in (etc / "extensions_spillway.conf").read_text()
        assert loaded_max_wait(pbx) == "45"
        backups = list((etc / BACKUP_DIR).glob("*/extensions_spillway.conf"))
        assert [b.read_text() for b in backups] == [before]

        result = run(tmp_path, env, "diff", "--target", str(etc))
        assert "up to date" in result.output
    finally:
        restore_sandbox(pbx)


@pytest.mark.asterisk
def test_failed_reload_restores_the_backup(tmp_path: Path, pbx: PbxHandle) -> None:
    etc = pbx.sandbox.base / "etc"
    restore_sandbox(pbx)
    before = (etc / "extensions_spillway.conf").read_text()
    env = cli_env(pbx.settings, SPILLWAY_QUEUE__MAX_WAIT_S="45")
    folder = tmp_path / "edited"
    assert run(tmp_path, env, "render", "--out", str(folder), "--with-secrets").exit_code == 0
    extensions = folder / "extensions_spillway.conf"
    # An admin's edit that Asterisk cannot parse.
    extensions.write_text(extensions.read_text().replace("[spillway-route]", "[spillway-route"))
    try:
        result = run(tmp_path, env, "install", "--from", str(folder), "--target", str(etc), "-y")
        assert isinstance(result.exception, PbxError), result.output
        assert "previous files are restored" in str(result.exception)
        assert "no closing ']'" in str(result.exception) or "invalid format" in str(
            result.exception
        )
        assert (etc / "extensions_spillway.conf").read_text() == before
        # Asterisk runs the previous configuration again.
        assert loaded_max_wait(pbx) == str(pbx.settings.queue.max_wait_s)
        assert "spillway-inbound" in pbx.cli("dialplan show spillway-inbound")
    finally:
        restore_sandbox(pbx)
