"""A message kept as words to say later: a ``console.yaml`` key and its values.

An error, a CSV file's refused row or a spool file's rejection is made where no one's
language is known (the library); the admin's language is known where it is shown (the
CLI, :func:`cli.admin_words.admin_words`). A :class:`Wording` keeps the pack's key
and the values, and is worded at display time: :meth:`Wording.said` in a pack, ``str()``
in English (logs, files set aside, the API). A value that is itself a Wording is said
in the same language; a counted one (``n``) takes the key's ``.one``/``.other`` form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spillway.console_text import ConsoleText


@dataclass(frozen=True, slots=True)
class Wording:
    """The pack's ``key``, filled in with ``values`` when said."""

    key: str  # "cli.csv.phone_empty"
    values: Mapping[str, object] = field(default_factory=dict)
    n: int | None = None  # a count: ``key.one`` when 1, else ``key.other``

    def said(self, text: ConsoleText) -> str:
        """The words in ``text``'s language (a ConfigError for a key the pack lacks)."""
        values = {k: say(v, text) for k, v in self.values.items()}
        if self.n is not None:
            return text.count(self.key, self.n, **values)
        return text(self.key, **values)

    def __str__(self) -> str:
        # Imported here: console_text imports the errors, which keep Wordings.
        from spillway.console_text import load_console_text
        from spillway.language_pack import DEFAULT_LANGUAGE

        return self.said(load_console_text(DEFAULT_LANGUAGE))


def worded(key: str, **values: object) -> Wording:
    """``Wording(key, values)``, written the way a message is."""
    return Wording(key, values)


def say(what: object, text: ConsoleText) -> str:
    """``what`` in ``text``'s language when it is a Wording, or an error raised with its
    words in the packs (its message alone, as ``str()`` has it); anything else as it is (a
    file name, a number, or a foreign library's message, which has no words in a pack)."""
    # Imported here: the errors keep Wordings.
    from spillway.errors import SpillwayError

    if isinstance(what, Wording):
        return what.said(text)
    if isinstance(what, SpillwayError):
        return what.message_said(text)
    return str(what)
