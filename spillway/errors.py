"""Spillway's error hierarchy.

Every error a user can see carries a stable ``code`` (for logs, tests and
support) and a message that says what to do. Lower layers wrap foreign
exceptions with ``raise SpillwayError(...) from exc``; the CLI turns them into
one clear line and an exit code. Cancellation is never caught here.

An error raised with :meth:`SpillwayError.worded` has a code of its own under its
class's (``input.not_a_phone``) and its words in the language packs, keyed by that
code: ``errors.<code>`` in ``console.yaml``, and its hint ``hints.<code>`` when the
English pack has one. ``str()`` is the English (logs, tests); :meth:`SpillwayError.said`
the words of the admin's pack, said where the admin's language is known (the CLI).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from spillway.wording import Wording

if TYPE_CHECKING:
    from spillway.console_text import ConsoleText


class SpillwayError(Exception):
    """Base of every error Spillway raises on purpose."""

    code = "spillway"
    exit_code = 1

    def __init__(
        self,
        message: str | Wording,
        *,
        hint: str | Wording | None = None,
        code: str | None = None,
    ) -> None:
        english = str(message)
        super().__init__(english)
        self.message = english
        self.hint = None if hint is None else str(hint)
        self.wording = message if isinstance(message, Wording) else None
        self.hint_wording = hint if isinstance(hint, Wording) else None
        if code is not None:
            self.code = code  # this error's own code, under its class's

    @classmethod
    def worded(cls, name: str, /, **values: object) -> Self:
        """The error ``<class code>.<name>``, in the words the packs give that code."""
        # Imported here: console_text imports this module.
        from spillway.console_text import load_console_text
        from spillway.language_pack import DEFAULT_LANGUAGE

        code = f"{cls.code}.{name}"
        hinted = f"hints.{code}" in load_console_text(DEFAULT_LANGUAGE).strings
        hint = Wording(f"hints.{code}", values) if hinted else None
        return cls(Wording(f"errors.{code}", values), hint=hint, code=code)

    def message_said(self, text: ConsoleText) -> str:
        """The message alone in ``text``'s language (as raised, when not worded): for a
        report that says its own fix (`spillway doctor`)."""
        return self.wording.said(text) if self.wording else self.message

    def said(self, text: ConsoleText) -> str:
        """The message and its hint in ``text``'s language (as raised, when not worded)."""
        message = self.message_said(text)
        hint = self.hint_wording.said(text) if self.hint_wording else self.hint
        return f"{message} ({hint})" if hint else message

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(SpillwayError):
    """The configuration is invalid; nothing is started."""

    code = "config"
    exit_code = 2
    # The language of the admin who wrote the configuration, as far as it could be read
    # (spillway.config_language): the settings that would say it are what failed.
    admin_language: str | None = None
    # The configuration's other refused values, said after this one: all of a file's
    # problems in one run (spillway.config_file).
    more: tuple[ConfigError, ...] = ()


class StorageError(SpillwayError):
    """The database could not be opened, migrated or written."""

    code = "storage"


class PbxError(SpillwayError):
    """Asterisk (the sandbox or a real one) misbehaved or is unreachable."""

    code = "pbx"


class AmiError(PbxError):
    """The Asterisk Manager Interface answered with an error or not at all."""

    code = "ami"


class ProtocolError(SpillwayError):
    """A peer sent bytes that break a wire protocol; that connection is closed."""

    code = "protocol"


class ModelError(SpillwayError):
    """A speech or NLU model is missing, corrupt or failed to load."""

    code = "model"


class NluError(SpillwayError):
    """The intent classifier (Rasa or the fallback) failed."""

    code = "nlu"


class BackendError(SpillwayError):
    """A shop back-end (orders, stock, cases, SMS) failed."""

    code = "backend"


class InputError(SpillwayError):
    """User input (a CSV row, a script line, a CLI argument) is malformed."""

    code = "input"
    exit_code = 2


class AgiError(PbxError):
    """An AGI command failed (Asterisk answered 510, 520, ...)."""

    code = "agi"


class AgiHangup(AgiError):
    """The channel hung up while an AGI script was talking to it (511 or HANGUP)."""

    code = "agi_hangup"


class AmiAuthError(AmiError):
    """AMI refused our login: wrong user, secret or source address."""

    code = "ami_auth"
