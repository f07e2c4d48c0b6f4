"""The doctor's table on a narrow terminal: nothing it tells you to run is cut off; and
the secret an erasure needs is asked for before the first erasure request."""

from __future__ import annotations

import asyncio
import io

import pytest
from rich.console import Console

from cli.doctor import Check, check_gdpr_key
from cli.report import print_checks
from spillway.console_text import load_console_text
from spillway.settings import Settings

FIX = "spillway models fetch da_DK-talesyntese-medium --from-url http://mirror.example/models"


def test_a_fix_survives_an_80_column_terminal_whole() -> None:
    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None)
    checks = [
        Check("voice", False, "the Danish voice [da_DK-talesyntese-medium] is missing", FIX),
        Check("storage", True, "ok"),
    ]
    assert not print_checks(console, checks)
    text = out.getvalue()
    assert "…" not in text  # no cell cut with an ellipsis
    assert f"  {FIX}" in text.splitlines()  # and once on a line of its own, to copy
    assert "[da_DK-talesyntese-medium]" in "".join(text.split())  # brackets shown, not markup


def test_the_doctor_warns_while_the_gdpr_hash_key_is_missing() -> None:
    missing = check_gdpr_key(Settings(gdpr={"hash_key": ""}))
    assert missing.ok and missing.warning and missing.fix == "spillway gdpr key"
    assert "`spillway gdpr forget`" in missing.detail
    present = check_gdpr_key(Settings(gdpr={"hash_key": "k" * 32}))
    assert present.ok and not present.warning and present.fix == ""


@pytest.mark.parametrize(
    ("language", "two_warned", "one_warned", "bare"),
    [
        (
            "da",
            "alle kontroller bestået, 2 med en advarsel",
            "alle kontroller bestået, 1 med en advarsel",
            "alle kontroller bestået",
        ),
        (
            "en",
            "all checks passed, 2 with a warning",
            "all checks passed, 1 with a warning",
            "all checks passed",
        ),
    ],
)
def test_a_pass_with_warnings_says_how_many_warned_and_still_passes(
    language: str, two_warned: str, one_warned: str, bare: str
) -> None:
    text = load_console_text(language)

    def last_line(checks: list[Check]) -> tuple[bool, str]:
        out = io.StringIO()
        passed = print_checks(Console(file=out, width=200, color_system=None), checks, text)
        return passed, out.getvalue().rstrip("\n").splitlines()[-1]

    ok = Check("storage", True, "ok")
    warned = Check("gdpr", True, "no key yet", "spillway gdpr key", warning=True)
    assert last_line([ok, warned, warned]) == (True, two_warned)  # exit 0 all the same
    assert last_line([warned, ok]) == (True, one_warned)
    assert last_line([ok, ok]) == (True, bare)
    # A failure is said as one, warnings or not.
    failed, said = last_line([warned, Check("pbx", False, "down", "spillway pbx sandbox up")])
    assert not failed and said == text("cli.doctor.some_failed")


@pytest.mark.parametrize(
    ("language", "hint"),
    [
        ("da", "`spillway pbx sandbox up` opretter den til sandkassen"),
        ("en", "`spillway pbx sandbox up` creates one for the sandbox"),
    ],
)
def test_the_test_calls_missing_secret_fix_is_said_in_the_admins_language(
    language: str, hint: str
) -> None:
    """`doctor --call` without an AMI secret: the same worded fix as the AMI row's."""
    from cli.doctor import check_call

    settings = Settings(pbx={"ami_secret": ""}, shop={"language": language})
    check = asyncio.run(check_call(settings))
    assert not check.ok and check.fix == hint
    assert check.detail == load_console_text(language)("cli.doctor.no_ami_secret")
