"""The admin's console lines that stayed English in a Danish run (the Danish caller
audit of December 2026, group 12): a chat script that goes on after the call ended, a
configuration file that cannot be read, and a secrets file others can read or write.
Each is said in the pack's words (``console.yaml``), in the admin's language; ``str()``
stays English (logs, tests).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from spillway.config_file import load_settings
from spillway.console_text import load_console_text
from spillway.errors import ConfigError, InputError
from spillway.secrets import check_secrets_file
from tests.test_chat_script import app
from tests.test_chat_script import seeded_env as seeded_env  # the fixture
from tests.test_config_errors import _run

DANISH = load_console_text("da")
ENGLISH = load_console_text("en")


def test_a_danish_chat_script_past_the_calls_end_is_named_in_danish(
    tmp_path: Path, seeded_env: dict[str, str]
) -> None:
    path = tmp_path / "sent.txt"
    # A first-turn goodbye is asked about once; the second ends the call.
    path.write_text("farvel\nfarvel\nhallo?\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["chat", "--script", str(path), "--nlu", "fallback", "--language", "da"],
        env={**seeded_env, "SPILLWAY_SHOP__LANGUAGE": "da"},
    )
    assert isinstance(result.exception, InputError), result.output
    assert result.exception.said(DANISH) == (
        f"{path} linje 3: opkaldet sluttede allerede på linje 2"
    )
    assert "line 3: the call already ended at line 2" in str(result.exception)


@pytest.mark.parametrize(("mode", "readable"), [(0o644, True), (0o640, True), (0o600, False)])
def test_a_readable_secrets_file_is_warned_of_in_the_admin_s_words(
    tmp_path: Path, mode: int, readable: bool
) -> None:
    secrets = tmp_path / "secrets"
    secrets.write_text("", encoding="utf-8")
    secrets.chmod(mode)
    warning = check_secrets_file(secrets)
    if not readable:
        assert warning is None
        return
    assert warning is not None
    assert warning.said(DANISH) == (
        f"andre kan læse filen med hemmeligheder, {secrets} (tilstand {mode:04o}); "
        f"kør `chmod 600 {secrets}`"
    )
    assert str(warning).startswith(f"the secrets file {secrets} can be read by others")


def test_a_danish_admin_is_warned_in_danish_by_config_check(tmp_path: Path) -> None:
    code, lines, _ = _run(
        tmp_path, secrets=b"", secrets_mode=0o644, env={"SPILLWAY_SHOP__LANGUAGE": "da"}
    )
    assert code == 0
    assert any("andre kan læse filen med hemmeligheder" in line for line in lines), lines
    assert not any("can be read by others" in line for line in lines), lines


def test_a_secrets_file_others_can_write_is_refused_in_the_pack_s_words(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.write_text("", encoding="utf-8")
    secrets.chmod(0o666)
    with pytest.raises(ConfigError) as refused:
        check_secrets_file(secrets)
    assert refused.value.code == "config.secrets_writable"
    assert refused.value.said(DANISH) == (
        f"fejl i konfigurationen: andre kan skrive i filen med hemmeligheder, {secrets} "
        f"(tilstand 0666): den skal have tilstand 0600 (chmod 600 {secrets})"
    )
    assert "can be written by others (mode 0666)" in str(refused.value)


def test_a_configuration_that_is_a_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(tmp_path)
    assert refused.value.code == "config.cannot_read_folder"
    assert refused.value.said(DANISH).endswith("det er en mappe, ikke en fil")
    assert refused.value.said(ENGLISH).endswith("it is a folder, not a file")


def test_a_configuration_the_admin_may_not_read_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "spillway.yaml"
    config.write_text("shop:\n  language: da\n", encoding="utf-8")

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    # (The tests may run as root, whom a file mode does not stop.)
    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    assert refused.value.code == "config.cannot_read_denied"
    assert refused.value.said(DANISH) == (
        f"fejl i konfigurationen: kan ikke læse {config}: der er ikke adgang til at læse den"
    )
    assert "Permission denied" not in refused.value.said(DANISH)
