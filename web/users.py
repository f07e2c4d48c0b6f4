"""The console's users: names, roles and argon2 password hashes from the secrets file.

Each user is one secrets-file line, ``SPILLWAY_WEB__USERS__<name>=<role>:<hash>``
(read into ``settings.web.users``); `spillway web user add` writes it. Roles
are ordered: a ``viewer`` sees everything, a ``supervisor`` may also act on
callbacks (cancel one), an ``admin`` may also do the data-protection actions.
Hashing and checking are argon2-cffi's (argon2id, its default parameters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from spillway.settings import WEB_USER_NAME, WebSettings

_HASHER = PasswordHasher()
# Checked when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password anybody has")


class Role(IntEnum):
    """What a user may do; a higher role may do everything a lower one may."""

    VIEWER = 1
    SUPERVISOR = 2
    ADMIN = 3

    @classmethod
    def named(cls, name: str) -> Role:
        return cls[name.upper()]

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role


def secret_name(user: str) -> str:
    """The secrets-file key of a user's line."""
    return f"SPILLWAY_WEB__USERS__{user}"


def valid_name(name: str) -> bool:
    return re.match(WEB_USER_NAME, name) is not None


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def entry(role: Role, password: str) -> str:
    """The secrets-file value of a user: ``role:argon2-hash``."""
    return f"{role.label}:{hash_password(password)}"


class UserBook:
    """The users as read once at start-up; checks a name and password."""

    def __init__(self, users: dict[str, str]) -> None:
        self._users: dict[str, tuple[Role, str]] = {}
        for name, value in users.items():
            role, _, password_hash = value.partition(":")
            self._users[name] = (Role.named(role), password_hash)

    @classmethod
    def from_settings(cls, web: WebSettings) -> UserBook:
        return cls(web.users)

    def __len__(self) -> int:
        return len(self._users)

    def get(self, name: str) -> User | None:
        found = self._users.get(name)
        return User(name, found[0]) if found else None

    def check(self, name: str, password: str) -> User | None:
        """The user when ``password`` is theirs, else None (same cost either way)."""
        found = self._users.get(name)
        try:
            _HASHER.verify(found[1] if found else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return User(name, found[0]) if found else None
