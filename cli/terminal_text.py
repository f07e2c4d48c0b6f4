"""Text safe to print on the admin's terminal.

Stored values (a reason from a CSV row or the API, a name, a raw number that
could not be read) are data, not terminal commands or Rich markup: an escape
sequence in a reason cell must not blink, move the cursor or retitle the
window, and ``[/x]`` must not break the printing. Every CLI output of stored
or typed text goes through :func:`plain` (printed with ``markup=False``) or
:func:`shown` (inside Rich markup).
"""

from __future__ import annotations

import re

from rich.markup import escape

# C0 controls but tab and newline, DEL and the C1 controls (0x9b is a one-byte CSI).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: object) -> str:
    """``text`` with its control characters (escape sequences) shown as ``\\xNN``."""
    return _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def shown(text: object) -> str:
    """:func:`plain`, with Rich markup escaped too: for text inside a markup string."""
    return escape(plain(text))
