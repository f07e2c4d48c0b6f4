"""Spillway's error hierarchy.

Every error a user can see carries a stable ``code`` (for logs, tests and
support) and a message that says what to do. Lower layers wrap foreign
exceptions with ``raise SpillwayError(...) from exc``; the CLI turns them into
one clear line and an exit code. Cancellation is never caught here.
"""

from __future__ import annotations


class SpillwayError(Exception):
    """Base of every error Spillway raises on purpose."""

    code = "spillway"
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(SpillwayError):
    """The configuration is invalid; nothing is started."""

    code = "config"
    exit_code = 2


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
