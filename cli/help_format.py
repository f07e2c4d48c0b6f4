"""How `--help` shows flags and the list of commands, in one place for every command.

Typer 0.29's Rich help prints a type for every option, flags included, so every
``--json``, ``--force`` and ``--backup/--no-backup`` (and ``--help`` itself) read
``<bool>``, as if they wanted a value. Typer's own plain help already leaves the
type out for flags and counters (``TyperOption.get_help_record``); this applies
the same rule to the Rich help.

In the Rich markup mode Typer also keeps a docstring's line breaks in a group's list
of commands ("a database with" / "data is backed up first"), where its other modes
join them; the list here joins them too.
"""

from __future__ import annotations

import inspect
from typing import Any

from typer import rich_utils
from typer.core import TyperArgument, TyperOption

_typed = TyperOption.display_type_rich
_command_help = rich_utils._make_command_help
_typed_argument = TyperArgument.display_type_rich


def _flag_has_no_type(self: TyperOption, ctx: Any) -> str | None:
    if self.is_flag or self.count:
        return None
    return _typed(self, ctx)


def _words_not_a_python_list(self: TyperArgument, ctx: Any) -> str | None:
    # An argument taking several values reads `<str>...`, not Python's `<list[str]>`.
    shown = _typed_argument(self, ctx)
    if shown is not None and shown.startswith("<list[") and shown.endswith("]>"):
        return f"<{shown.removeprefix('<list[').removesuffix(']>')}>..."
    return shown


def no_types_on_flags() -> None:
    """Make the Rich help leave flags without a type, and show an argument of several
    values as ``<str>...`` (idempotent)."""
    TyperOption.display_type_rich = _flag_has_no_type  # type: ignore[method-assign]
    TyperArgument.display_type_rich = _words_not_a_python_list  # type: ignore[method-assign,assignment]


def _summary_on_its_lines(*, help_text: str, markup_mode: Any) -> Any:
    # The first paragraph is the summary; a "\b" paragraph keeps its breaks, as in click.
    first = inspect.cleandoc(help_text).split("\n\n")[0]
    if not first.startswith("\b"):
        first = " ".join(first.split("\n"))
    return _command_help(help_text=first, markup_mode=markup_mode)


def summaries_joined() -> None:
    """Make a group's list of commands show each summary as running text (idempotent)."""
    rich_utils._make_command_help = _summary_on_its_lines
