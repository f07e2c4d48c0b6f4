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
from collections.abc import Callable
from typing import Any

from typer.core import TyperArgument, TyperGroup, TyperOption

_typed = TyperOption.display_type_rich
_group_help = TyperGroup.format_help
_typer_summary: Callable[..., Any] | None = None  # Typer's own, once its Rich help is loaded
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
    assert _typer_summary is not None  # set before Typer is pointed here
    return _typer_summary(help_text=first, markup_mode=markup_mode)


def _group_help_joined(self: TyperGroup, ctx: Any, formatter: Any) -> None:
    # Typer's Rich help module is imported only when a group's help is printed: at
    # startup it would cost every command tens of milliseconds.
    global _typer_summary
    from typer import rich_utils

    if rich_utils._make_command_help is not _summary_on_its_lines:
        _typer_summary = rich_utils._make_command_help
        rich_utils._make_command_help = _summary_on_its_lines
    _group_help(self, ctx, formatter)


def summaries_joined() -> None:
    """Make a group's list of commands show each summary as running text (idempotent)."""
    TyperGroup.format_help = _group_help_joined  # type: ignore[method-assign]
