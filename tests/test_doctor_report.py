"""The doctor's table on a narrow terminal: nothing it tells you to run is cut off; and
the secret an erasure needs is asked for before the first erasure request."""

from __future__ import annotations

import io

from rich.console import Console

from cli.doctor import Check, check_gdpr_key
from cli.report import print_checks
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
