"""A dialogue turn taken on trust, and undone if the caller was not finished.

The voice bot prepares (and, for a complete short answer, starts) its reply at
the caller's first pause, on the speculative transcript
(:mod:`bot.turn_taking`). If the caller then goes on speaking, that turn never
happened: :meth:`Rewindable.rewind` puts the dialogue back exactly as it was
at :meth:`Rewindable.mark`.

Only state can be put back, not a text message or a case: between ``mark``
and ``commit`` the back-ends that act on a real person (cases, callbacks, SMS)
refuse with :class:`WouldAct` before they do anything, so a turn that would act
is rewound and taken again on the final transcript, at the endpoint. Reading
(orders, stock) is allowed: it changes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.backends import Backends


class WouldAct(Exception):
    """A tentative turn reached a side effect (case, callback, SMS): it must wait."""


class _Refuses:
    """Stands in for a back-end that acts: every call raises :class:`WouldAct`."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, method: str) -> Callable[..., Awaitable[Any]]:
        async def refused(*_args: Any, **_kwargs: Any) -> Any:
            raise WouldAct(f"{self._name}.{method}")

        return refused


@dataclass(frozen=True, slots=True)
class DialogueMark:
    """The dialogue's state at a point: its attributes, containers copied."""

    state: dict[str, Any]
    backends: Backends


def _copied(value: Any) -> Any:
    # Lists, dicts and sets are appended to in place; everything else is replaced.
    if isinstance(value, list | dict | set):
        return value.copy()
    return value


class Rewindable:
    """Mixed into :class:`bot.dialogue.machine.Dialogue`: mark, commit, rewind."""

    backends: Backends

    def mark(self) -> DialogueMark:
        """Remember the dialogue as it is, and refuse side effects until commit/rewind."""
        saved = DialogueMark({k: _copied(v) for k, v in vars(self).items()}, self.backends)
        self.backends = dataclasses.replace(
            self.backends,
            cases=_Refuses("cases"),  # type: ignore[arg-type]
            callbacks=_Refuses("callbacks"),  # type: ignore[arg-type]
            sms=_Refuses("sms"),  # type: ignore[arg-type]
        )
        return saved

    def commit(self, mark: DialogueMark) -> None:
        """The turn stands (the caller had finished): side effects are allowed again."""
        self.backends = mark.backends

    def rewind(self, mark: DialogueMark) -> None:
        """Undo everything since ``mark`` (the caller went on speaking)."""
        current = vars(self)
        for key in [k for k in current if k not in mark.state]:
            del current[key]
        for key, value in mark.state.items():
            current[key] = _copied(value)
        self.backends = mark.backends
