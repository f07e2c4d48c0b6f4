"""Rich rendering of doctor results, shared by `spillway doctor` and the demo."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cli.doctor import Check


def print_checks(console: Console, checks: list[Check]) -> bool:
    """Print the table; return whether every check passed."""
    table = Table(title="spillway doctor")
    table.add_column("check")
    table.add_column("", justify="center")
    table.add_column("found")
    table.add_column("what to run")
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
            check.detail,
            check.fix if not check.ok or check.warning else "",
        )
    console.print(table)
    ok = all(c.ok for c in checks)
    console.print("[green]all checks passed[/]" if ok else "[red]some checks failed[/]")
    return ok
