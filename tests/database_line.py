"""The line an admin command prints on stderr to name its database (cli.database_use),
left out where a test compares the rest of what the command said."""

from __future__ import annotations

from spillway.console_text import load_console_text


def without_database_line(text: str) -> str:
    """``text`` without the lines naming the database used or created, in any pack."""
    starts = tuple(
        load_console_text(language)(key, database="").strip()
        for language in ("en", "da")
        for key in ("cli.database.using", "cli.database.created")
    )
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith(starts))
