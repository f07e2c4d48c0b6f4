"""docs/OPERATIONS.md, "Install on a real PBX": the steps an admin pastes keep what is
already there, fetch the voice before the prompts are rendered with it, and the shop's
example configuration loads, with root's commands and the services on the same folders."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest

from spillway.config_file import load_settings
from spillway.services import CACHE_DIR, DATA_DIR

DOC = Path(__file__).parents[1] / "docs" / "OPERATIONS.md"


def _section() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text.split("## Install on a real PBX", 1)[1].split("\n## ", 1)[0]


def _block(language: str, after: str = "") -> str:
    section = _section().split(after, 1)[1] if after else _section()
    return section.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def test_no_step_copies_over_or_empties_a_file() -> None:
    """Step 2 is run again by an admin who lost their place: the secrets file then holds
    the GDPR hash key, which must never change, and the YAML the shop's edits."""
    steps = _block("sh")
    assert "/dev/null" not in steps
    assert "[ -e /etc/spillway/spillway.yaml ] || cp " in steps
    assert "touch /etc/spillway/secrets.env && chown spillway:spillway" in steps


SECRETS = ("SPILLWAY_PBX__AMI_SECRET", "SPILLWAY_PBX__AMI_ADMIN_SECRET", "SPILLWAY_WEB__API_TOKEN")


def test_the_secrets_step_run_twice_writes_each_secret_once(tmp_path: Path) -> None:
    """An admin who pastes step 2 again (or twice) got each secret appended a second
    time, the later line silently winning. The lines that write the secrets file, run
    as pasted, twice: each secret is there once, with the value it got the first time,
    and a line the admin already had is kept."""
    after_touch = _block("sh").split("touch /etc/spillway/secrets.env", 1)[1].splitlines()[1:]
    # Up to the first spillway command (`gdpr key`, which writes its own secret once).
    writing = "\n".join(
        itertools.takewhile(lambda line: "/venv/bin/spillway " not in line, after_touch)
    )
    assert ">> /etc/spillway/secrets.env" in writing
    secrets = tmp_path / "secrets.env"
    secrets.write_text("SPILLWAY_WEB__API_TOKEN=the-admins-own-token\n", encoding="utf-8")
    script = writing.replace("/etc/spillway/secrets.env", str(secrets))
    subprocess.run(["bash", "-euc", script], check=True)
    first = secrets.read_text(encoding="utf-8")
    subprocess.run(["bash", "-euc", script], check=True)
    assert secrets.read_text(encoding="utf-8") == first
    lines = first.splitlines()
    for name in SECRETS:
        assert len([line for line in lines if line.startswith(f"{name}=")]) == 1, first
    assert "SPILLWAY_WEB__API_TOKEN=the-admins-own-token" in lines


def test_the_voice_is_fetched_before_the_prompts_are_rendered() -> None:
    lines = _block("sh").splitlines()
    fetched = next(i for i, line in enumerate(lines) if "models fetch da_DK-talesyntese" in line)
    installed = next(i for i, line in enumerate(lines) if "spillway dialplan install" in line)
    assert fetched < installed


def test_roots_commands_use_the_services_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The configuration's paths alone put root's commands on the services' folders (the
    models too), whatever root's shell has in SPILLWAY_DATA and SPILLWAY_CACHE."""
    steps = " ".join(_block("sh").replace("\\\n", " ").split())
    assert "export SPILLWAY_CONFIG=/etc/spillway/spillway.yaml" in steps
    assert "SPILLWAY_CACHE=" not in steps and "SPILLWAY_DATA=" not in steps
    monkeypatch.setenv("SPILLWAY_DATA", str(tmp_path / "root-data"))
    monkeypatch.setenv("SPILLWAY_CACHE", str(tmp_path / "root-cache"))
    config = tmp_path / "spillway.yaml"
    config.write_text(_block("yaml", "What a shop changes"), encoding="utf-8")
    paths = load_settings(config).paths
    assert (paths.data_dir, paths.models_dir) == (DATA_DIR, CACHE_DIR / "models")


def test_the_shops_example_configuration_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every key the example writes exists and takes the value shown."""
    secrets = tmp_path / "secrets.env"
    secrets.write_text("SPILLWAY_PBX__AMI_SECRET=s3cret\n", encoding="utf-8")
    secrets.chmod(0o600)
    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(secrets))
    config = tmp_path / "spillway.yaml"
    config.write_text(_block("yaml", "What a shop changes"), encoding="utf-8")
    settings = load_settings(config)
    assert settings.pbx.mode == "host"
    assert settings.shop.opening_hours == "mandag til fredag fra ni til fem"
    assert settings.callbacks.weekdays == (9, 17)
    assert settings.callbacks.saturday is None
    assert "Hyggebutikken" in settings.callbacks.caller_id
    assert (settings.paths.data_dir, settings.paths.cache_dir) == (DATA_DIR, CACHE_DIR)
    assert settings.storage.sqlite_path == DATA_DIR / "spillway.db"
