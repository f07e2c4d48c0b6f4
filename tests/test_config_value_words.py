"""A value pydantic or one of the settings' own checks refuses in the configuration is
said in the admin's language with a stable code (``[config.not_an_integer]``), naming
the key, the value and where it came from (spillway/config_values.py). A refusal the
packs do not word keeps its English, the whole line, with the code
``config.invalid_value``."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import spillway
from spillway import config_values
from spillway.config_file import INVALID_VALUE
from spillway.config_values import OWN_CHECKS, WORDED, choices, value_words, written
from spillway.console_text import load_console_text
from spillway.language_pack import available_languages
from spillway.settings import Settings
from spillway.wording import Wording, say
from tests.test_config_check_words import WITH_CODES as OWN_CHECK_CASES
from tests.test_config_errors_language import _failed

# (file, Danish, English): {file} is the configuration file.
CASES = {
    "bad-int": (
        b"queue:\n  agents: mange\n",
        "fejl i konfigurationen: queue.agents = 'mange': værdien skal være et helt tal "
        "(i {file} linje 2) [config.not_an_integer]",
        "config error: queue.agents = 'mange': expected a whole number (in {file} line 2) "
        "[config.not_an_integer]",
    ),
    "negative": (
        b"storage:\n  busy_timeout_ms: -5\n",
        "fejl i konfigurationen: storage.busy_timeout_ms = -5: værdien skal være mindst 0 "
        "(i {file} linje 2) [config.below_minimum]",
        "config error: storage.busy_timeout_ms = -5: expected at least 0 (in {file} line 2) "
        "[config.below_minimum]",
    ),
    "bad-literal": (
        b"speech:\n  asr_engine: google\n",
        "fejl i konfigurationen: speech.asr_engine = 'google': værdien skal være 'auto', "
        "'vosk', 'whisper' eller 'sherpa' (i {file} linje 2) [config.not_one_of]",
        "config error: speech.asr_engine = 'google': expected 'auto', 'vosk', 'whisper' or "
        "'sherpa' (in {file} line 2) [config.not_one_of]",
    ),
    "bad-date": (
        b"callbacks:\n  extra_holidays: [2026-12-24, juleaften]\n",
        "fejl i konfigurationen: callbacks.extra_holidays.1 = 'juleaften': værdien skal være "
        "en dato som 2026-12-24 (i {file} linje 2) [config.not_a_date]",
        "config error: callbacks.extra_holidays.1 = 'juleaften': expected a date such as "
        "2026-12-24 (in {file} line 2) [config.not_a_date]",
    ),
    "too-large": (
        b"nlu:\n  min_confidence: 1.5\n",
        "fejl i konfigurationen: nlu.min_confidence = 1.5: værdien må højst være 1 "
        "(i {file} linje 2) [config.above_maximum]",
        "config error: nlu.min_confidence = 1.5: expected at most 1 (in {file} line 2) "
        "[config.above_maximum]",
    ),
    "not-above": (
        b"sms:\n  timeout_s: 0\n",
        "fejl i konfigurationen: sms.timeout_s = 0: værdien skal være et tal større end 0 "
        "(i {file} linje 2) [config.not_greater_than]",
        "config error: sms.timeout_s = 0: expected a number greater than 0 (in {file} line 2) "
        "[config.not_greater_than]",
    ),
    "own-check-time-zone": (
        b"shop:\n  timezone: Mars/Olympus\n",
        "fejl i konfigurationen: shop.timezone = 'Mars/Olympus': værdien skal være navnet på en "
        "IANA-tidszone som Europe/Copenhagen (i {file} linje 2) [config.not_a_time_zone]",
        "config error: shop.timezone = 'Mars/Olympus': expected an IANA time zone name such as "
        "Europe/Copenhagen (in {file} line 2) [config.not_a_time_zone]",
    ),
    "own-check-with-a-value": (
        b"sms:\n  timeout_s: 10\n  claim_timeout_s: 10\n",
        "fejl i konfigurationen: sms.claim_timeout_s = 10: værdien skal være større end "
        "sms.timeout_s (10), ellers kan en besked, der stadig er ved at blive sendt, blive taget "
        "op igen (i {file} linje 3) [config.claim_too_short]",
        "config error: sms.claim_timeout_s = 10: expected more than sms.timeout_s (10), or a "
        "post still in flight could be taken up again (in {file} line 3) [config.claim_too_short]",
    ),
    "text-too-short": (
        b"callbacks:\n  season_region: ''\n",
        "fejl i konfigurationen: callbacks.season_region = '': værdien skal have mindst 1 tegn "
        "(i {file} linje 2) [config.text_too_short]",
        "config error: callbacks.season_region = '': expected at least 1 character "
        "(in {file} line 2) [config.text_too_short]",
    ),
}


CASES.update(OWN_CHECK_CASES)  # the checks worded since (tests/test_config_check_words.py)


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
@pytest.mark.parametrize("language", ["da", "en"])
def test_a_refused_value_names_its_key_in_the_admins_language_with_its_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, language: str
) -> None:
    yaml, danish, english = CASES[case]
    said, file = _failed(tmp_path, monkeypatch, yaml, SPILLWAY_SHOP__LANGUAGE=language)
    expected = danish if language == "da" else english
    assert said == expected.replace("{file}", str(file))


MAX_WAIT_FROM_ENV = (b"queue:\n  max_wait_s: 30\n", {"SPILLWAY_QUEUE__MAX_WAIT_S": "lang"})
# A check across sections (controller.worker against pbx.workers) names each key's source.
WORKERS_FROM_ENV = (
    b"controller:\n  worker: c\n",
    {"SPILLWAY_PBX__WORKERS": '[{"name": "a", "fastagi": "h:1"}]'},
)


@pytest.mark.parametrize(
    ("language", "given", "expected"),
    [
        (
            "da",
            MAX_WAIT_FROM_ENV,
            "fejl i konfigurationen: queue.max_wait_s = 'lang': værdien skal være et helt tal "
            "(fra $SPILLWAY_QUEUE__MAX_WAIT_S) [config.not_an_integer]",
        ),
        (
            "en",
            MAX_WAIT_FROM_ENV,
            "config error: queue.max_wait_s = 'lang': expected a whole number "
            "(from $SPILLWAY_QUEUE__MAX_WAIT_S) [config.not_an_integer]",
        ),
        (
            "da",
            WORKERS_FROM_ENV,
            "fejl i konfigurationen: controller.worker = 'c': værdien skal være et af navnene i "
            "pbx.workers (a) (i {file} linje 2; pbx.workers fra $SPILLWAY_PBX__WORKERS) "
            "[config.not_a_listed_worker]",
        ),
        (
            "en",
            WORKERS_FROM_ENV,
            "config error: controller.worker = 'c': expected one of the names in pbx.workers "
            "(a) (in {file} line 2; pbx.workers from $SPILLWAY_PBX__WORKERS) "
            "[config.not_a_listed_worker]",
        ),
    ],
)
def test_a_value_from_the_environment_names_its_variable(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    given: tuple[bytes, dict[str, str]],
    expected: str,
) -> None:
    yaml, env = given
    said, file = _failed(tmp_path, monkeypatch, yaml, SPILLWAY_WEB__LANGUAGE=language, **env)
    assert said == expected.replace("{file}", str(file))


def test_a_date_yaml_cannot_read_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PyYAML reads 2026-13-01 as a date and fails with a bare ValueError."""
    said, file = _failed(tmp_path, monkeypatch, b"callbacks:\n  extra_holidays: [2026-13-01]\n")
    assert said == (
        f"config error: {file} line 2: '2026-13-01' is not a date: expected a date such as "
        "2026-12-24 [config.yaml_not_a_date]"
    )


def test_a_refusal_the_packs_do_not_word_stays_english_whole_with_a_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check the packs do not word (here the ACL network's, taken off the worded list)
    is said in its English whole: a Danish admin reads the line in English rather than
    half in Danish, with the generic code."""
    monkeypatch.setattr(config_values, "OWN_CHECKS", OWN_CHECKS - {"acl_network"})
    said, file = _failed(
        tmp_path, monkeypatch, b"pbx:\n  ami_permit: [10.0.0.1/33]\n", SPILLWAY_WEB__LANGUAGE="da"
    )
    assert said == (
        "config error: pbx.ami_permit.0 = '10.0.0.1/33': expected an IPv4 network such as "
        f"127.0.0.1/255.255.255.255, 10.0.0.0/24 or 10.0.0.5 (in {file} line 2) "
        f"[{INVALID_VALUE}]"
    )


# The types the packs word; a change to the list is a change to what admins read.
WORDED_TYPES = {
    "int_parsing", "int_type", "int_from_float", "float_parsing", "float_type",
    "bool_parsing", "bool_type", "string_type", "greater_than", "greater_than_equal",
    "less_than", "less_than_equal", "literal_error", "enum", "string_too_short",
    "string_too_long", "string_pattern_mismatch", "date_parsing", "date_type",
    "date_from_datetime_parsing", "date_from_datetime_inexact", "path_type", "tuple_type",
    "list_type", "dict_type", "model_type",
}  # fmt: skip


# The settings' own checks whose words are English, said whole in English with
# [config.invalid_value]: none since the ACL network, the templates Python cannot read
# and the season calendar were worded.
ENGLISH_CHECKS: set[str] = set()


def test_the_worded_types_are_listed_and_every_pack_words_them() -> None:
    assert set(WORDED) == WORDED_TYPES
    for language in available_languages():
        strings = load_console_text(language).strings
        for name in set(WORDED.values()) | OWN_CHECKS:
            line = strings[f"errors.config.{name}"]
            assert "{key}" in line and "{value}" in line and "{source}" in line, (language, name)


def _leaves(model: type[BaseModel], prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, spec in model.model_fields.items():
        kind = spec.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            found += _leaves(kind, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def _nested(path: tuple[str, ...], value: object) -> dict[str, Any]:
    data: dict[str, Any] = {path[-1]: value}
    for part in reversed(path[:-1]):
        data = {part: data}
    return data


def test_every_pydantic_refusal_the_settings_raise_is_worded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each field given values of the wrong kind: every refusal that is pydantic's own
    (not one of the settings' checks, which raise types of their own) has words."""
    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(tmp_path / "none.env"))
    bad = ["zz", -5, 10**9, 0.5, "", [], {"a": 1}, ["x"], True, "x" * 100]
    pydantic_own: set[str] = set()
    for path in _leaves(Settings, ()):
        for value in bad:
            try:
                Settings(_env_file=None, **_nested(path, value))
            except ValidationError as exc:
                # A pydantic error's message comes from pydantic-core's own templates.
                pydantic_own |= {e["type"] for e in exc.errors(include_url=True) if "url" in e}
    assert {"int_parsing", "greater_than_equal", "literal_error"} <= pydantic_own
    assert pydantic_own <= WORDED_TYPES, pydantic_own - WORDED_TYPES


def _own_check_types() -> set[str]:
    """The error types the settings' own checks raise (PydanticCustomError's first argument)."""
    found: set[str] = set()
    for source in Path(spillway.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "PydanticCustomError"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(str(node.args[0].value))
    return found


def test_every_own_check_is_worded_or_listed_as_english() -> None:
    raised = _own_check_types()
    assert {"not_a_time_zone", "acl_network"} <= raised
    assert raised == OWN_CHECKS | ENGLISH_CHECKS
    assert not OWN_CHECKS & ENGLISH_CHECKS


def test_the_words_take_the_bound_and_the_allowed_values() -> None:
    english, danish = load_console_text("en"), load_console_text("da")
    assert value_words({"type": "greater_than_equal", "ctx": {"ge": 0}}) == (
        "below_minimum",
        {"bound": "0"},
    )
    assert value_words({"type": "greater_than", "ctx": {"gt": 0.0}}) == (
        "not_greater_than",
        {"bound": "0"},
    )
    assert written(0.5) == "0.5" and written(65535) == "65535"
    assert say(choices("'a', 'b' or 'c'"), danish) == "'a', 'b' eller 'c'"
    assert say(choices("8000 or 16000"), english) == "8000 or 16000"
    assert choices("'only'") == "'only'"
    name, values = value_words({"type": "string_too_long", "ctx": {"max_length": 1}}) or ("", {})
    assert name == "text_too_long" and say(values["chars"], english) == "1 character"
    assert value_words({"type": "claim_too_short", "ctx": {"timeout": 5.0}}) == (
        "claim_too_short",
        {"timeout": "5"},
    )
    # A type the packs do not word, or one without the ctx its words need, is not worded.
    assert value_words({"type": "a_library_check", "ctx": {"problem": "x"}}) is None
    # A Wording in a check's ctx is kept, to be said in the admin's language.
    problem = Wording("season_calendar.problem.missing")
    assert value_words({"type": "seasons_file", "ctx": {"problem": problem}}) == (
        "seasons_file",
        {"problem": problem},
    )
    assert say(problem, danish) == "mangler"
    assert value_words({"type": "less_than", "ctx": {}}) is None
