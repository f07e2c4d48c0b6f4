"""Rich rendering of doctor results, shared by `spillway doctor` and the demo."""

from __future__ import annotations

import re

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from cli.doctor import Check
from spillway.console_text import ConsoleText, load_console_text
from spillway.language_pack import DEFAULT_LANGUAGE


def print_checks(console: Console, checks: list[Check], text: ConsoleText | None = None) -> bool:
    """Print the table in ``text``'s language (the admin's; English when not given);
    return whether every check passed."""
    t = text or load_console_text(DEFAULT_LANGUAGE)
    table = Table(title="spillway doctor")
    table.add_column(t("cli.doctor.column_check"))
    table.add_column("", justify="center")
    # Folded, not cut: a path or a command must survive a narrow terminal whole.
    table.add_column(t("cli.doctor.column_found"), overflow="fold")
    table.add_column(t("cli.doctor.column_fix"), overflow="fold")
    for check in checks:
        mark = (
            f"[red]{escape(t('cli.doctor.fail'))}[/]"
            if not check.ok
            else f"[yellow]{escape(t('cli.doctor.warn'))}[/]"
            if check.warning
            else f"[green]{escape(t('cli.doctor.ok'))}[/]"
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
        console.print(t("cli.doctor.fixes"), markup=False)
        for fix in fix_lines([check.fix for check in fixes]):
            console.print(f"  {fix}", markup=False, soft_wrap=True, highlight=False)
    ok = all(c.ok for c in checks)
    console.print(summary_line(checks, t))
    return ok


def fix_lines(fixes: list[str]) -> list[str]:
    """The fixes to run, each once, in order (pure). A fix that opens with a command
    another fix is ("`spillway pbx sandbox up` creates one for the sandbox" beside
    "spillway pbx sandbox up") is that command: the list said the same command twice in
    other words. One that names a command on its way to another step ("set
    sms.gateway_url, then restart `spillway serve`") is kept whole."""
    bare = {fix for fix in fixes if "`" not in fix}
    said = []
    for fix in fixes:
        opens = re.match(r"`([^`]+)`", fix)
        said.append(opens.group(1) if opens and opens.group(1) in bare else fix)
    return list(dict.fromkeys(said))


def summary_line(checks: list[Check], t: ConsoleText) -> str:
    """The doctor's last line, as markup: failed, passed, or passed with this many warnings
    (still a pass, exit 0, but a bare "all passed" would hide the WARN rows above it)."""
    if not all(c.ok for c in checks):
        return f"[red]{escape(t('cli.doctor.some_failed'))}[/]"
    warned = sum(1 for c in checks if c.warning)
    if warned:
        return f"[yellow]{escape(t.count('cli.doctor.all_passed_warned', warned))}[/]"
    return f"[green]{escape(t('cli.doctor.all_passed'))}[/]"
