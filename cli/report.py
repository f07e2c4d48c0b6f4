"""Rich rendering of doctor results, shared by `spillway doctor` and the demo."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cli.doctor import Check


def print_checks(console: Console, checks: list[Check]) -> bool:
    """Print the table; return whether every check passed."""
    table = Table(title="spillway doctor")
    table.add_column("check")
    table.add_column("", justify="center")
    # Folded, not cut: a path or a command must survive a narrow terminal whole.
    table.add_column("found", overflow="fold")
    table.add_column("what to run", overflow="fold")
    for check in checks:
        mark = (
            "[red]FAIL[/]"
            if not check.ok
            else "[yellow]WARN[/]"
            if check.warning
            else "[green]OK[/]"
        )
        table.add_row(
            check.name,
            mark,
            Text(check.detail),  # found text, not markup: a "[" in it is shown as is
            Text(check.fix if not check.ok or check.warning else ""),
        )
    console.print(table)
    fixes = [c for c in checks if (not c.ok or c.warning) and c.fix]
    if fixes:
        # Each on one unbroken line, to copy from any terminal width.
        console.print("what to run:")
        for check in fixes:
            console.print(f"  {check.fix}", markup=False, soft_wrap=True, highlight=False)
    ok = all(c.ok for c in checks)
    console.print("[green]all checks passed[/]" if ok else "[red]some checks failed[/]")
    return ok
