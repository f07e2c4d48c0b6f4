"""An admin command's "are you sure?" in the admin's language.

typer's own confirmation asks ``[y/N]`` and takes only y/yes/n/no, refusing a Danish
admin's "j" with English words. Here the question ends with the pack's suffix
(``[j/N]:`` in Danish) and takes the pack's own yes and no (``cli.confirm.yes_words``:
"j, ja"), and English y/yes/n/no always, since admins type them out of habit. An empty
answer, the end of the input or Ctrl-C is a no: the command then says in its own words
that nothing was done.
"""

from __future__ import annotations

import typer

from spillway.console_text import ConsoleText, load_console_text
from spillway.language_pack import DEFAULT_LANGUAGE


def _words(text: ConsoleText, key: str) -> frozenset[str]:
    """The answers ``key`` lists ("j, ja"), in ``text``'s language and in English."""
    listed = f"{text(key)},{load_console_text(DEFAULT_LANGUAGE)(key)}"
    return frozenset(w.strip().casefold() for w in listed.split(",") if w.strip())


def read_answer(text: ConsoleText, answer: str) -> bool | None:
    """The admin's ``answer``: True (yes), False (no, or nothing typed: the default) or
    None (neither, so the question is asked again)."""
    said = answer.strip().casefold()
    if said in _words(text, "cli.confirm.yes_words"):
        return True
    if not said or said in _words(text, "cli.confirm.no_words"):
        return False
    return None


def confirmed(text: ConsoleText, question: str) -> bool:
    """Whether the admin answers yes to ``question`` (asked until the answer is a yes or
    a no in ``text``'s language or English)."""
    while True:
        try:
            answer = typer.prompt(
                text("cli.confirm.ask", question=question),
                default="",
                show_default=False,
                prompt_suffix=" ",
            )
        except typer.Abort:  # end of input or Ctrl-C: nothing is done
            typer.echo("")
            return False
        decided = read_answer(text, answer)
        if decided is not None:
            return decided
        typer.echo(text("cli.confirm.again"), err=True)
