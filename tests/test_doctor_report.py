"""The doctor's table on a narrow terminal: nothing it tells you to run is cut off."""

from __future__ import annotations

import io

from rich.console import Console

from cli.doctor import Check
from cli.report import print_checks

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
