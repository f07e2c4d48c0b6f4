"""Every broken configuration an admin can make is one line naming the key and its source,
exit code 2, never a traceback (the CLI run as a user runs it)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from spillway.config_file import load_settings
from spillway.errors import ConfigError
from spillway.secrets import mask_url_credentials
from tests.test_settings import _spillway

OK_YAML = b"pbx:\n  ami_port: 5038\n"


def _run(
    tmp_path: Path,
    *,
    yaml: bytes = OK_YAML,
    secrets: bytes | None = None,
    secrets_mode: int = 0o600,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = ("config", "check"),
) -> tuple[int, list[str], str]:
    config = tmp_path / "spillway.yaml"
    config.write_bytes(yaml)
    secrets_file = tmp_path / "secrets.env"
    if secrets is not None:
        secrets_file.write_bytes(secrets)
        secrets_file.chmod(secrets_mode)
    result = _spillway(
        "--config", str(config), *args,
        env={"SPILLWAY_SECRETS_FILE": str(secrets_file), **(env or {})},
    )  # fmt: skip
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return result.returncode, lines, result.stdout


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({"yaml": b"shop:\n  name: caf\xe9\n"}, "spillway.yaml line 2: not UTF-8 text (byte 0xe9)"),
        ({"secrets": b"SPILLWAY_PBX__AMI_SECRET=\xff\n"}, "secrets.env line 1: not UTF-8 text"),
        ({"env": {"SPILLWAY_PBX": "{not json"}}, "SPILLWAY_PBX is not valid JSON"),
        (
            {"yaml": b"shop:\n  timezone: Mars/Olympus\n"},
            "shop.timezone = 'Mars/Olympus': expected an IANA time zone name",
        ),
        (
            {"env": {"SPILLWAY_QUEUE__AGENTS": "many"}},
            "queue.agents = 'many': expected a whole number (from $SPILLWAY_QUEUE__AGENTS)",
        ),
        (
            {"secrets": b"SPILLWAY_PBX__AMI_PORTX=1\n"},
            "pbx.ami_portx: unknown key (in the secrets file",
        ),
        (
            {"secrets": b"SPILLWAY_PBX__AMI_SECRET=x\n", "secrets_mode": 0o666},
            "can be written by others (mode 0666): expected mode 0600",
        ),
        (
            {"yaml": b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a]\n"},
            "line 2: invalid YAML: aliases (*name) are not allowed here",
        ),
        (
            {
                "yaml": b"shop:\n  name: Hyggebutikken\n  language: da\nqueue:\n  agents: 3\n"
                b"shop:\n  language: da\n"
            },
            "line 6: invalid YAML: 'shop' is given twice (first on line 1)",
        ),
        (
            {"yaml": b"shop:\n  name: Hyggebutikken\n  name: Other\n"},
            "line 3: invalid YAML: 'name' is given twice (first on line 2)",
        ),
        (
            {"yaml": b"callbacks:\n  holidays: XX\n"},
            "callbacks.holidays = 'XX': expected a country code of the holidays package",
        ),
        (
            {"yaml": b"callbacks:\n  sunday: lukket\n"},
            "callbacks.sunday = 'lukket': expected [start, end) hours such as [8, 20], "
            "or null for no calls that day",
        ),
        (
            {"yaml": b"shop:\n  country: Danmark\n"},
            "shop.country = 'Danmark': expected a two-letter ISO country code in capitals, "
            "such as DK (in",
        ),
        (
            {"yaml": b"callbacks:\n  allowed_countries: [DK, Sverige]\n"},
            "callbacks.allowed_countries.1 = 'Sverige': expected two-letter ISO country codes",
        ),
        (
            {"yaml": b"callbacks:\n  policy: smart\n"},
            "callbacks.policy = 'smart': expected 'predicted', 'conventional' (also called "
            "'traditional') or 'shadow'",
        ),
    ],
    ids=[
        "latin1-yaml",
        "latin1-secrets",
        "env-not-json",
        "bad-timezone",
        "bad-env-value",
        "unknown-secrets-key",
        "world-writable-secrets",
        "yaml-aliases",
        "duplicate-section",
        "duplicate-key",
        "unknown-holiday-country",
        "hours-not-a-pair",
        "country-not-a-code",
        "dialled-country-not-a-code",
        "unknown-policy",
    ],
)
def test_one_line_and_exit_2(tmp_path: Path, case: dict[str, object], expected: str) -> None:
    started = time.monotonic()
    code, lines, stdout = _run(tmp_path, **case)  # type: ignore[arg-type]
    assert code == 2, lines
    assert len(lines) == 1 and expected in lines[0], lines
    assert "Traceback" not in "\n".join(lines) and stdout == ""
    assert time.monotonic() - started < 30


def test_a_readable_secrets_file_is_a_warning_not_an_error(tmp_path: Path) -> None:
    code, lines, stdout = _run(
        tmp_path, secrets=b"SPILLWAY_PBX__AMI_SECRET=x\n", secrets_mode=0o644
    )
    assert code == 0 and "configuration OK" in stdout
    assert any("can be read by others (mode 0644)" in line for line in lines), lines


def test_config_show_masks_credentials_in_urls(tmp_path: Path) -> None:
    code, lines, stdout = _run(
        tmp_path,
        env={"SPILLWAY_SMS__GATEWAY_URL": "https://shop:hunter2@sms.example/send"},
        args=("config", "show"),
    )
    assert code == 0, lines
    assert "hunter2" not in stdout and "https://***@sms.example/send" in stdout


def test_mask_url_credentials() -> None:
    assert mask_url_credentials("gateway https://u:p@h:8/x, and http://h/y") == (
        "gateway https://***@h:8/x, and http://h/y"
    )


def test_a_busy_fastagi_port_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, lines, _ = _run(
            tmp_path,
            env={
                "SPILLWAY_CONTROLLER__FASTAGI_PORT": str(port),
                "SPILLWAY_SPEECH__PIPER_VOICE": "en_US-nobody-medium",
                "SPILLWAY_STORAGE__SQLITE_PATH": str(tmp_path / "s.db"),
            },
            args=("serve",),
        )
    assert code != 0
    assert f"cannot listen for FastAGI on 127.0.0.1:{port}" in lines[-1], lines
    assert "Traceback" not in "\n".join(lines)


SANDBOX_DIAL = "Local/{digits}@spillway-sim-customer"


@pytest.mark.parametrize(
    ("yaml", "env", "sources"),
    [
        # The admin's file says sandbox; host mode came from the environment.
        (b"pbx:\n  mode: sandbox\n", {"SPILLWAY_PBX__MODE": "host"},
         "(the built-in default; pbx.mode from $SPILLWAY_PBX__MODE)"),
        (b"callbacks:\n  dial_string: '" + SANDBOX_DIAL.encode() + b"'\n",
         {"SPILLWAY_PBX__MODE": "host"}, "(in {file} line 2; pbx.mode from $SPILLWAY_PBX__MODE)"),
        (b"pbx:\n  mode: host\ncallbacks:\n  dial_string: PJSIP/{e164}@trunk\n",
         {"SPILLWAY_CALLBACKS__DIAL_STRING": SANDBOX_DIAL},
         "(from $SPILLWAY_CALLBACKS__DIAL_STRING; pbx.mode in {file} line 2)"),
        (b"pbx:\n  mode: host\n", {}, "(the built-in default; pbx.mode in {file} line 2)"),
        # A whole section in the environment carries the key too.
        (b"pbx:\n  mode: sandbox\n", {"SPILLWAY_PBX": '{"mode": "host"}'},
         "(the built-in default; pbx.mode from $SPILLWAY_PBX)"),
    ],
    ids=["mode-from-env", "dial-in-file-mode-from-env", "dial-from-env", "default-dial", "section"],
)  # fmt: skip
def test_a_host_mode_error_names_where_each_value_came_from(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    yaml: bytes,
    env: dict[str, str],
    sources: str,
) -> None:
    """The host-mode check reads two keys; the line names the true source of each: the
    environment variable that set it, the file that did, or the built-in default (the
    new admin was told "(in spillway.yaml)" for a mode their environment had set)."""
    config = tmp_path / "spillway.yaml"
    config.write_bytes(yaml)
    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(tmp_path / "none.env"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        load_settings(config, use_default_path=False)
    line = str(refused.value)
    assert line.startswith(f"config error: callbacks.dial_string = {SANDBOX_DIAL!r}")
    assert line.endswith(" " + sources.format(file=config)), line


def test_the_cli_names_the_variable_not_the_file(tmp_path: Path) -> None:
    code, lines, _ = _run(tmp_path, env={"SPILLWAY_PBX__MODE": "host"})
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].endswith("pbx.mode from $SPILLWAY_PBX__MODE) [config.host_dial_string]"), lines
    assert "spillway.yaml" not in lines[0]


def test_a_list_in_the_environment_that_is_not_json_names_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pydantic-settings reads a list from the environment as JSON and names only the
    section when it fails; the line names the variable and its key."""
    config = tmp_path / "spillway.yaml"
    config.write_bytes(OK_YAML)
    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(tmp_path / "none.env"))
    monkeypatch.setenv("SPILLWAY_PBX__WORKERS", "a:10.0.0.7:4573")
    with pytest.raises(ConfigError) as refused:
        load_settings(config, use_default_path=False)
    assert str(refused.value).startswith(
        "config error: pbx.workers from $SPILLWAY_PBX__WORKERS is not valid JSON"
    )
    monkeypatch.delenv("SPILLWAY_PBX__WORKERS")
    # One network needs no JSON (a single string is a list of one); a list does.
    monkeypatch.setenv("SPILLWAY_PBX__AMI_PERMIT", "10.0.0.0/24")
    assert load_settings(config, use_default_path=False).pbx.ami_permit == (
        "10.0.0.0/255.255.255.0",
    )
    monkeypatch.setenv("SPILLWAY_PBX__AMI_PERMIT", '["10.0.0.0/24", "127.0.0.1"]')
    assert load_settings(config, use_default_path=False).pbx.ami_permit == (
        "10.0.0.0/255.255.255.0",
        "127.0.0.1/255.255.255.255",
    )


def test_a_lower_case_holiday_country_is_the_country(tmp_path: Path) -> None:
    config = tmp_path / "spillway.yaml"
    config.write_bytes(b"callbacks:\n  holidays: dk\n  weekdays: [9, 17]\n")
    settings = load_settings(config)
    assert settings.callbacks.holidays == "DK"
    assert settings.callbacks.weekdays == (9.0, 17.0)
