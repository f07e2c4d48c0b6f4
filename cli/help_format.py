"""How `--help` shows flags: a flag takes no value, so no type is printed beside it.

Typer 0.29's Rich help prints a type for every option, flags included, so every
``--json``, ``--force`` and ``--backup/--no-backup`` (and ``--help`` itself) read
``<bool>``, as if they wanted a value. Typer's own plain help already leaves the
type out for flags and counters (``TyperOption.get_help_record``); this applies
the same rule to the Rich help, in one place, for every command.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperOption

_typed = TyperOption.display_type_rich
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
