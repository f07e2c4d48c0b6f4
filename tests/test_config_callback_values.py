"""What the callback settings accept besides refusing (the refusals' words, per language:
tests/test_config_check_words.py): a caller ID in the forms Asterisk takes, the sandbox's
own in the sandbox only; calling hours as numbers, a clock time never read as minutes
without a word; each industry the settings accept changing the contact model's shape."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scheduler.timing.contact_model import cold_start_prior
from spillway.callback_settings import SEGMENT_INDUSTRIES
from spillway.caller_id import SANDBOX_CALLER_ID, caller_id_number, caller_id_problem
from spillway.config_file import load_settings
from spillway.errors import ConfigError


@pytest.mark.parametrize(
    ("caller_id", "number"),
    [
        ('"Salg" <+4532123456>', "+4532123456"),
        ("Salg <32 12 34 56>", "32 12 34 56"),
        ("32123456", "32123456"),
        ("4532123456", "4532123456"),  # international without its +, as trunks often want
    ],
)
def test_a_caller_id_with_a_valid_number_passes_in_either_mode(caller_id: str, number: str) -> None:
    assert caller_id_number(caller_id) == number
    for host in (False, True):
        assert caller_id_problem(caller_id, "DK", host=host) is None


@pytest.mark.parametrize("caller_id", ["Salg <70 20 12 3x>", "Salg <>", "Salg <1234>", "salg"])
def test_a_caller_id_without_a_valid_number_is_refused_in_either_mode(caller_id: str) -> None:
    for host in (False, True):
        problem = caller_id_problem(caller_id, "DK", host=host)
        assert problem is not None and problem.type == "caller_id_number"
        assert (problem.context or {})["key"] == "callbacks.caller_id"


def test_the_sandbox_caller_id_is_the_sandboxs_only() -> None:
    assert caller_id_problem(SANDBOX_CALLER_ID, "DK", host=False) is None
    problem = caller_id_problem(SANDBOX_CALLER_ID, "DK", host=True)
    assert problem is not None and problem.type == "host_caller_id"


def test_the_example_number_is_the_shops_countrys(tmp_path: Path) -> None:
    config = tmp_path / "se.yaml"
    config.write_text("shop:\n  country: SE\ncallbacks:\n  caller_id: 'Butik <12>'\n")
    with pytest.raises(ConfigError) as refused:
        load_settings(config, use_default_path=False)
    assert "<+46" in str(refused.value)


def test_clock_times_are_refused_as_such_and_plain_hours_pass(tmp_path: Path) -> None:
    config = tmp_path / "hours.yaml"
    config.write_text("callbacks:\n  saturday:\n    - 9:30\n    - 13\n")
    with pytest.raises(ConfigError) as refused:
        load_settings(config, use_default_path=False)
    said = str(refused.value)
    assert "callbacks.saturday = [9:30, 13]" in said and "[9.5, 13]" in said
    # 9:30 is never shown as base 60 (the file's path may hold 570: pytest-570/...).
    assert "570" not in said.replace(str(config), "")
    config.write_text("callbacks:\n  saturday: [9.5, 13]\n  weekdays: [8, 16]\n")
    settings = load_settings(config, use_default_path=False)
    assert settings.callbacks.saturday == (9.5, 13.0)
    assert settings.callbacks.weekdays == (8.0, 16.0)


def test_every_accepted_industry_has_a_shape_of_its_own(tmp_path: Path) -> None:
    ordinary = cold_start_prior(None)
    shapes = [cold_start_prior(industry) for industry in SEGMENT_INDUSTRIES]
    for shape in shapes:
        assert not np.allclose(shape, ordinary)
    assert not np.allclose(shapes[0], shapes[1])
    config = tmp_path / "industry.yaml"
    config.write_text("callbacks:\n  segment_industry: {b2b: it, shop: consumer}\n")
    settings = load_settings(config, use_default_path=False)
    assert settings.callbacks.segment_industry == {"b2b": "it", "shop": "consumer"}
