"""`dialplan install` writes atomically, rolls every file back on any failure, keeps
secrets out of reach, keeps a Latin-1 ``extensions.conf`` as it is, and does not
call a reload that Asterisk did not take "verified"."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app
from dialplan import install as installer
from dialplan.install import BACKUP_DIR
from dialplan.render import render_spillway
from spillway.errors import PbxError
from spillway.settings import Settings
from tests.conftest import PbxHandle, host_settings
from tests.test_dialplan_commands import cli_env, restore_sandbox, run


def _files() -> list[Any]:
    return render_spillway(Settings(), ami_secret="s3cret")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def _modes(folder: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.glob("*_spillway.conf")}


async def test_secret_files_are_not_world_readable(tmp_path: Path) -> None:
    await installer.install(tmp_path, _files(), ami=None, queue_name="q")
    modes = _modes(tmp_path)
    assert modes["manager_spillway.conf"] == 0o640
    assert modes["extensions_spillway.conf"] == 0o644
    assert "s3cret" in (tmp_path / "manager_spillway.conf").read_text()
    # An existing, too open secrets file is narrowed on the next install.
    (tmp_path / "manager_spillway.conf").chmod(0o666)
    (tmp_path / "manager_spillway.conf").write_text("old\n")
    await installer.install(tmp_path, _files(), ami=None, queue_name="q")
    assert stat.S_IMODE((tmp_path / "manager_spillway.conf").stat().st_mode) == 0o660


async def test_a_latin1_extensions_conf_gets_its_include_and_keeps_its_bytes(
    tmp_path: Path,
) -> None:
    original = "; Caf\xe9 M\xfcller's PBX\n[default]\nexten => 1,1,NoOp(\xe6\xf8\xe5)\n".encode(
        "latin-1"
    )
    (tmp_path / "extensions.conf").write_bytes(original)
    await installer.install(tmp_path, _files(), ami=None, queue_name="q")
    after = (tmp_path / "extensions.conf").read_bytes()
    assert after == original + b"#include extensions_spillway.conf\n"


@pytest.mark.parametrize("fail_at", [1, 3, 5])
async def test_a_write_that_fails_midway_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int
) -> None:
    (tmp_path / "extensions.conf").write_text("[default]\n")
    (tmp_path / "extensions_spillway.conf").write_text("; an older Spillway dialplan\n")
    before = _snapshot(tmp_path)
    real_replace = os.replace
    calls = [0]

    def full_disk(src: Any, dst: Any) -> None:
        calls[0] += 1
        if calls[0] == fail_at:
            raise OSError(28, "No space left on device", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(installer.os, "replace", full_disk)
    with pytest.raises(PbxError, match="No space left on device; nothing was changed"):
        await installer.install(tmp_path, _files(), ami=None, queue_name="q")
    monkeypatch.undo()
    assert _snapshot(tmp_path) == before  # no file cut, none half-written, no temp files left


async def test_an_unusable_file_changes_nothing_and_says_which(tmp_path: Path) -> None:
    (tmp_path / "extensions.conf").write_text("[default]\n")
    (tmp_path / "queues_spillway.conf").mkdir()  # cannot be replaced by a file
    before = _snapshot(tmp_path)
    with pytest.raises(PbxError) as err:
        await installer.install(tmp_path, _files(), ami=None, queue_name="q")
    assert "queues_spillway.conf: Is a directory; nothing was changed" in str(err.value)
    assert _snapshot(tmp_path) == before
    assert set(before) == {"extensions.conf"}  # and no temporary or partial file


@pytest.mark.asterisk
def test_a_reload_that_asterisk_refused_is_not_called_verified(
    tmp_path: Path, pbx: PbxHandle
) -> None:
    # The PBX's own extensions.conf does not parse: Asterisk keeps the old
    # dialplan, whose spillway contexts have the same shape as the new one.
    etc = pbx.sandbox.base / "etc"
    restore_sandbox(pbx)
    ours_before = (etc / "extensions_spillway.conf").read_text()
    env = cli_env(
        pbx.settings,
        SPILLWAY_CONTROLLER__FASTAGI_PORT=str(pbx.settings.controller.fastagi_port + 1),
    )
    backups = set((etc / BACKUP_DIR).glob("*"))
    extensions = etc / "extensions.conf"
    extensions.write_text(extensions.read_text() + "\n[broken\nexten => 1,1,NoOp()\n")
    try:
        result = run(tmp_path, env, "install", "--target", str(etc), "-y")
        assert isinstance(result.exception, PbxError), result.output
        assert "previous files are restored" in str(result.exception)
        assert "verified" not in result.output
        assert (etc / "extensions_spillway.conf").read_text() == ours_before
    finally:
        restore_sandbox(pbx)
        for made in set((etc / BACKUP_DIR).glob("*")) - backups:
            shutil.rmtree(made)


def test_the_rendered_dialplan_logs_no_whole_caller_number() -> None:
    [extensions] = [f for f in _files() if f.name == "extensions_spillway.conf"]
    noops = [line for line in extensions.text.splitlines() if "NoOp(" in line]
    assert noops and all("${CALLERID(num)}" not in line for line in noops), noops
    assert any("${CALLERID(num):-2}" in line for line in noops)


async def test_a_real_pbxs_pjsip_conf_is_left_alone(tmp_path: Path) -> None:
    """pjsip_spillway.conf is the sandbox's loopback softphone, a comment only with
    ``pbx.mode: host``: neither it nor an ``#include`` of it reaches a production PBX."""
    production = "[my-trunk]\ntype = endpoint\n"
    (tmp_path / "pjsip.conf").write_text(production)
    host = render_spillway(host_settings(), ami_secret="s3cret")
    diff = installer.diff(tmp_path, host, freepbx=False)
    assert "pjsip.conf" not in diff and "pjsip_spillway" not in diff
    await installer.install(tmp_path, host, ami=None, queue_name="q")
    assert (tmp_path / "pjsip.conf").read_text() == production
    assert not (tmp_path / "pjsip_spillway.conf").exists()
    assert "#include extensions_spillway.conf" in (tmp_path / "extensions.conf").read_text()
    # The sandbox keeps its softphone.
    sandbox = [f.name for f in render_spillway(Settings(), ami_secret="s3cret")]
    assert "pjsip_spillway.conf" in sandbox


def test_render_from_a_folder_on_a_real_pbx_needs_no_pjsip_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dialplan diff --from DIR` (files rendered with --with-secrets, then edited) with
    ``pbx.mode: host``: the folder has no pjsip_spillway.conf, and none is asked for."""
    for rendered in render_spillway(host_settings(), ami_secret="s3cret"):
        (tmp_path / rendered.name).write_text(rendered.text)
    target = tmp_path / "asterisk"
    target.mkdir()
    config = tmp_path / "host.yaml"
    config.write_text(
        'pbx:\n  mode: host\ncallbacks:\n  dial_string: "PJSIP/{e164}@my-trunk"\n'
        '  caller_id: "Shop <+4570201234>"\n'
    )
    monkeypatch.setenv("SPILLWAY_PBX__AMI_SECRET", "s3cret")
    done = CliRunner().invoke(
        app,
        [
            "--config",
            str(config),
            "dialplan",
            "diff",
            "--from",
            str(tmp_path),
            "--target",
            str(target),
        ],
    )
    assert done.exit_code == 0, done.output
    assert "extensions_spillway.conf" in done.output
    assert "pjsip.conf" not in done.output and "pjsip_spillway" not in done.output
