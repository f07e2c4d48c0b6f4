"""A Danish admin reads the configuration errors Spillway words itself in Danish, with
a stable code (``[config.unknown_key]``); an English admin reads exactly the line of
before, plus the code. The language is read from what could be read of the broken
configuration (spillway/config_language.py); an error carrying English (a check of the
settings' own, PyYAML's syntax error) stays English whole, so no line is half Danish.
pydantic's common refusals of a value are worded: tests/test_config_value_words.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.admin_words import error_line
from cli.context import last_settings
from cli.main import app
from spillway.config_language import admin_language
from spillway.errors import ConfigError


def _failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yaml: bytes, **env: str
) -> tuple[str, Path]:
    """The line `spillway --config FILE callbacks list` prints (as cli.main.main prints
    it) with ``yaml`` in the file and ``env`` set, and the file."""
    config = tmp_path / "bad.yaml"
    config.write_bytes(yaml)
    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(tmp_path / "none.env"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    done = CliRunner().invoke(app, ["--config", str(config), "callbacks", "list"])
    assert isinstance(done.exception, ConfigError), done.output
    assert done.exception.exit_code == 2
    return error_line(done.exception, last_settings()), config


def _filled(line: str, file: Path, secrets: Path) -> str:
    return line.replace("{file}", str(file)).replace("{secrets}", str(secrets))


DA = {"SPILLWAY_SHOP__LANGUAGE": "da"}
UNKNOWN = b"queue:\n  agnets: 3\n"


@pytest.mark.parametrize(
    ("yaml", "env", "danish", "english"),
    [
        (
            UNKNOWN,
            {},
            "fejl i konfigurationen: queue.agnets: ukendt nøgle (i {file} linje 2) "
            "[config.unknown_key]",
            "config error: queue.agnets: unknown key (in {file} line 2) [config.unknown_key]",
        ),
        (
            b"pbx:\n  workers:\n    - fastagi: 10.0.0.7:4573\n",
            {},
            "fejl i konfigurationen: pbx.workers.0.name mangler (i {file} linje 3) "
            "[config.missing_key]",
            "config error: pbx.workers.0.name: missing (in {file} line 3) [config.missing_key]",
        ),
        (
            b"shop:\n  name: caf\xe9\n",
            {},
            "fejl i konfigurationen: {file} linje 2: ikke UTF-8-tekst (byten 0xe9): filen skal "
            "være UTF-8 (iconv -f latin1 -t utf-8 {file}) [config.not_utf8]",
            "config error: {file} line 2: not UTF-8 text (byte 0xe9): expected a UTF-8 file "
            "(iconv -f latin1 -t utf-8 {file}) [config.not_utf8]",
        ),
        (
            b"pbx:\n  ami_secret: hunter2\n",
            {},
            "fejl i konfigurationen: pbx.ami_secret må ikke stå i {file}: den skal komme fra "
            "SPILLWAY_PBX__AMI_SECRET eller filen med hemmeligheder, {secrets} "
            "[config.secret_in_file]",
            "config error: pbx.ami_secret must not be in {file}: expected it from "
            "SPILLWAY_PBX__AMI_SECRET or the secrets file {secrets} [config.secret_in_file]",
        ),
        (
            b"queue:\n  agents: 3\n",
            {"SPILLWAY_PBX__WORKERS": "a:10.0.0.7:4573"},
            "fejl i konfigurationen: pbx.workers fra $SPILLWAY_PBX__WORKERS er ikke gyldig "
            "JSON: den skal være en liste eller et objekt i JSON med det indhold, som YAML i "
            """filen ville give (fx '["a", "b"]') [config.env_not_json]""",
            "config error: pbx.workers from $SPILLWAY_PBX__WORKERS is not valid JSON: expected "
            "a list or mapping in JSON, as the file's YAML would give it "
            """(e.g. '["a", "b"]') [config.env_not_json]""",
        ),
        (
            b"queue:\n  agents: 3\n",
            {"SPILLWAY_PBX": "{not json"},
            "fejl i konfigurationen: SPILLWAY_PBX er ikke gyldig JSON: den skal være et objekt "
            'som {"ami_port": 5038}, ellers brug SPILLWAY_PBX__<NØGLE>=værdi for hver nøgle '
            "[config.section_not_json]",
            "config error: SPILLWAY_PBX is not valid JSON: expected an object such as "
            '{"ami_port": 5038}, or SPILLWAY_PBX__<KEY>=value per key [config.section_not_json]',
        ),
        (
            b"queue:\n  agents: 3\n  agents: 4\n",
            {},
            "fejl i konfigurationen: {file} linje 3: ugyldig YAML: 'agents' står to gange "
            "(første gang på linje 2): den anden ville uden varsel erstatte den første; flet "
            "dem sammen til én [config.yaml_twice]",
            "config error: {file} line 3: invalid YAML: 'agents' is given twice (first on "
            "line 2): the second would silently replace the first; keep one and merge them "
            "[config.yaml_twice]",
        ),
        (
            b"a: &a [x, x]\nb: [*a, *a]\n",
            {},
            "fejl i konfigurationen: {file} linje 2: ugyldig YAML: aliaser (*navn) er ikke "
            "tilladt her [config.yaml_alias]",
            "config error: {file} line 2: invalid YAML: aliases (*name) are not allowed here "
            "[config.yaml_alias]",
        ),
        (
            b"- shop\n- pbx\n",
            {},
            "fejl i konfigurationen: {file}: filens øverste niveau skal bestå af sektioner "
            "(shop:, pbx: …) [config.not_a_mapping]",
            "config error: {file}: expected a mapping of sections at the top "
            "[config.not_a_mapping]",
        ),
    ],
    ids=[
        "unknown-key",
        "missing-key",
        "not-utf8",
        "secret-in-file",
        "env-not-json",
        "section-not-json",
        "yaml-twice",
        "yaml-alias",
        "not-a-mapping",
    ],
)
def test_a_worded_config_error_is_in_the_admins_language_with_its_code(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    yaml: bytes,
    env: dict[str, str],
    danish: str,
    english: str,
) -> None:
    secrets = tmp_path / "none.env"
    # The web console's language is the admin's: it says Danish even where the file
    # could not be read.
    said, file = _failed(tmp_path, monkeypatch, yaml, **env, SPILLWAY_WEB__LANGUAGE="da")
    assert said == _filled(danish, file, secrets)
    monkeypatch.delenv("SPILLWAY_WEB__LANGUAGE")
    said, file = _failed(tmp_path, monkeypatch, yaml, **env)
    assert said == _filled(english, file, secrets)


def test_the_shops_language_in_the_environment_or_the_file_is_the_admins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    danish = "fejl i konfigurationen: queue.agnets: ukendt nøgle"
    said, _ = _failed(tmp_path, monkeypatch, UNKNOWN, **DA)
    assert said.startswith(danish), said
    monkeypatch.delenv("SPILLWAY_SHOP__LANGUAGE")
    said, _ = _failed(tmp_path, monkeypatch, b"shop:\n  language: da\n" + UNKNOWN)
    assert said.startswith(danish), said
    # The console's language in the file comes before the shop's in the environment.
    said, _ = _failed(tmp_path, monkeypatch, b"web:\n  language: en\n" + UNKNOWN, **DA)
    assert said.startswith("config error: queue.agnets: unknown key"), said


def test_a_file_that_did_not_parse_cannot_say_the_admin_is_danish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shop's language in the environment is not enough: the file might have said
    web.language: en, which comes first."""
    said, file = _failed(tmp_path, monkeypatch, b"a: 1\na: 2\n", **DA)
    assert said.startswith(f"config error: {file} line 2: invalid YAML: 'a' is given twice")
    assert said.endswith(" [config.yaml_twice]")


@pytest.mark.parametrize(
    ("yaml", "expected", "end"),
    [
        # (An own check with English words, the ACL network's until it was worded:
        # tests/test_config_value_words.py takes one off the worded list to show it.)
        (b"shop:\n  language: da\nqueue: [\n", "invalid YAML: ", "found '<stream end>'"),
    ],
    ids=["pyyaml-syntax"],
)
def test_an_error_with_english_words_stays_english_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yaml: bytes, expected: str, end: str
) -> None:
    said, _ = _failed(tmp_path, monkeypatch, yaml, SPILLWAY_WEB__LANGUAGE="da")
    assert said.startswith("config error: ") and expected in said, said
    assert said.endswith(end) and said.count("[config.") == end.count("[config.")
    assert "konfiguration" not in said


@pytest.mark.parametrize(
    ("data", "environ", "failing", "expected"),
    [
        ({}, {}, "queue.agnets", None),
        ({"shop": {"language": "da"}}, {}, "queue.agnets", "da"),
        ({"web": {"language": "da"}, "shop": {"language": "en"}}, {}, "queue.x", "da"),
        ({"web": {"language": None}, "shop": {"language": "da"}}, {}, "queue.x", "da"),
        ({"web": {"language": "en"}}, {"SPILLWAY_SHOP__LANGUAGE": "da"}, "queue.x", "en"),
        ({"shop": {"language": "en"}}, {"SPILLWAY_SHOP__LANGUAGE": "da"}, "queue.x", "da"),
        ({"web": {"language": "en"}}, {"spillway_web__language": "da"}, "queue.x", "da"),
        (None, {"SPILLWAY_WEB__LANGUAGE": "da"}, "", "da"),
        (None, {"SPILLWAY_SHOP__LANGUAGE": "da"}, "", None),
        ({"shop": {"language": "da"}}, {}, "shop.language", None),
        ({"shop": {"language": "da"}}, {}, "web.language", None),
        ({"shop": {"language": "xx"}}, {}, "queue.x", None),
        ({"shop": "da"}, {}, "queue.x", None),
    ],
)
def test_the_admins_language_of_a_broken_configuration(
    data: dict[str, object] | None,
    environ: dict[str, str],
    failing: str,
    expected: str | None,
) -> None:
    assert admin_language(data, environ, failing) == expected
