"""The cache folder follows the configuration: with ``paths.cache_dir`` set, `spillway
models fetch/list/path` and the doctor's voice check all use ``<cache_dir>/models``, the
folder the services load from, and `nlu install` Rasa's venv beside it, whatever
$SPILLWAY_CACHE root's shell has (or lacks). Without it, $SPILLWAY_CACHE still decides.
The model comes from a mirror on loopback."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.doctor import check_voices
from cli.main import app
from models.fetch import MANIFEST
from models.registry import ModelSpec, get_spec
from spillway.config_file import load_settings
from spillway.settings import Settings
from tests.model_server import serving

VOICE = "da_DK-talesyntese-medium"
UPSTREAM = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0"


def _mirrored_voice(base: str, files: dict[str, bytes]) -> ModelSpec:
    """The registry's Danish voice, its files served at ``base`` under the same paths."""
    spec = get_spec(VOICE)
    remotes = []
    for n, remote in enumerate(spec.files):
        path = remote.url.removeprefix(UPSTREAM)
        body = f"stand-in {n} for {remote.filename}".encode() * 100
        files[path] = body
        remotes.append(
            dataclasses.replace(
                remote,
                url=f"{base}{path}",
                md5=None,
                sha256=hashlib.sha256(body).hexdigest(),
                size_bytes=len(body),
            )
        )
    return dataclasses.replace(spec, files=tuple(remotes))


def test_the_config_cache_dir_holds_the_models_every_command_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pbx_cache, root_cache = tmp_path / "var-cache", tmp_path / "root-cache"
    config = tmp_path / "spillway.yaml"
    config.write_text(f"shop:\n  language: da\npaths:\n  cache_dir: {pbx_cache}\n")
    monkeypatch.setenv("SPILLWAY_CACHE", str(root_cache))  # root's shell, not the services'
    env = {"SPILLWAY_CONFIG": str(config), "COLUMNS": "250"}
    runner = CliRunner()
    with serving() as (base, served):
        spec = _mirrored_voice(base, served.files)
        monkeypatch.setattr("cli.commands.models.get_spec", lambda name: spec)
        fetched = runner.invoke(app, ["models", "fetch", VOICE], env=env)
    assert fetched.exit_code == 0, fetched.output
    folder = pbx_cache / "models" / VOICE
    assert (folder / MANIFEST).is_file()
    assert not root_cache.exists()  # neither the model nor its partial download went there

    listed = runner.invoke(app, ["models", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert str(pbx_cache / "models") in " ".join(listed.output.split())
    row = next(line for line in listed.output.splitlines() if VOICE in line)
    assert "fetched" in row
    located = runner.invoke(app, ["models", "path", VOICE], env=env)
    assert located.exit_code == 0, located.output
    assert Path(located.output.strip()) == folder

    # The doctor, with the same configuration, finds the Piper voice there.
    [voice] = [c for c in check_voices(load_settings(config)) if "(shop.language)" in c.name]
    assert voice.ok and not voice.warning
    assert f"Piper {VOICE}: {folder}" in voice.detail


def test_without_paths_in_the_config_spillway_cache_still_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPILLWAY_CACHE", str(tmp_path / "env-cache"))
    paths = Settings().paths
    assert paths.models_dir == tmp_path / "env-cache" / "models"
    assert paths.downloads_dir == tmp_path / "env-cache" / "downloads"


def test_nlu_install_looks_for_rasa_in_the_config_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "spillway.yaml"
    config.write_text(f"paths:\n  cache_dir: {tmp_path / 'var-cache'}\n")
    monkeypatch.setenv("SPILLWAY_CACHE", str(tmp_path / "root-cache"))
    # Already installed: nothing is downloaded, the command only says where it is.
    monkeypatch.setattr("bot.nlu.rasa_service.RasaInstall.is_installed", lambda self: True)
    done = CliRunner().invoke(app, ["--config", str(config), "nlu", "install"])
    assert done.exit_code == 0, done.output
    assert str(tmp_path / "var-cache" / "rasa-venv") in "".join(done.output.split())  # wrapped
