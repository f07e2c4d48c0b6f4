"""The columns of a callback CSV and the names a header may give them, in every language.

The column names live in the language packs (``cli.csv.column.<column>`` in
console.yaml: the first name is the one shown, the others are accepted too), so
that a Danish spreadsheet's ``telefon;navn;årsag`` is read as ``phone, name,
reason``. Every pack's names are accepted in every shop: a file is written by
whoever exported it, not in the shop's language, and no name means one column in
one language and another in the next (:func:`column_names` refuses such a pack).
A header cell is compared in lower case, with spaces and hyphens read as
underscores (``Ikke før`` is ``ikke_før``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from spillway.console_text import ConsoleText, load_console_text
from spillway.errors import ConfigError
from spillway.language_pack import available_languages
from spillway.wording import Wording

COLUMNS = (
    "phone",
    "name",
    "reason",
    "timezone",
    "segment",
    "consent",
    "traditional",
    "timing",
    "not_before",
    "not_after",
    "idempotency_key",
)
REQUIRED = "phone"
_PACK_KEY = "cli.csv.column"


def header_key(cell: str) -> str:
    """A header cell as compared with the names (pure): ``" Ikke før "`` -> ``ikke_før``."""
    return "_".join(cell.strip().lower().replace("-", " ").split())


def names_in(text: ConsoleText) -> dict[str, tuple[str, ...]]:
    """Each column's names in ``text``'s pack, the one shown first (pure)."""
    return {
        column: tuple(
            header_key(name) for name in text(f"{_PACK_KEY}.{column}").split(",") if name.strip()
        )
        for column in COLUMNS
    }


def aliases(packs: Mapping[str, Mapping[str, tuple[str, ...]]]) -> dict[str, str]:
    """Every name of every pack (``{language: names_in(...)}``) to its column (pure); a
    ConfigError names a name that means two columns."""
    found: dict[str, str] = {column: column for column in COLUMNS}
    for language, names in sorted(packs.items()):
        for column, said in names.items():
            for name in said:
                if found.setdefault(name, column) != column:
                    raise ConfigError(
                        f"language pack {language!r}: {_PACK_KEY}.{column} names {name!r}, "
                        f"which is already the name of column {found[name]!r}"
                    )
    return found


@functools.cache
def column_names() -> Mapping[str, str]:
    """Every header name the import reads, in every installed language, to its column."""
    return aliases({code: names_in(load_console_text(code)) for code in available_languages()})


def phone_names() -> frozenset[str]:
    """The names a header may give the phone column (a delimiter is the one that makes one)."""
    return frozenset(name for name, column in column_names().items() if column == REQUIRED)


@dataclass(frozen=True, slots=True)
class ColumnList(Wording):
    """The columns' shown names in the language said in: ``telefon (skal være der), navn, …``."""

    key: str = _PACK_KEY

    def said(self, text: ConsoleText) -> str:
        shown = {column: names[0] for column, names in names_in(text).items()}
        first = text("cli.csv.column_required", name=shown[REQUIRED])
        return ", ".join([first, *(shown[c] for c in COLUMNS if c != REQUIRED)])
