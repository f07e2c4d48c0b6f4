"""An admin's answer to "are you sure?" in their language (cli/admin_confirm.py): the
pack's yes and no (j/ja, n/nej in Danish) and English y/yes/n/no always; nothing typed is
no; anything else is asked again, in the admin's words."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from cli.admin_confirm import confirmed, read_answer
from spillway.console_text import load_console_text

ENGLISH = {"y": True, "Yes": True, " n ": False, "NO": False, "": False}
ANSWERS = {
    "en": {**ENGLISH, "j": None, "ja": None, "nej": None, "yep": None},
    "da": {**ENGLISH, "j": True, "JA": True, "nej": False, "Nej ": False, "jo": None},
}


@pytest.mark.parametrize("language", ["en", "da"])
def test_each_answer_is_read_in_the_admins_language_and_english(language: str) -> None:
    text = load_console_text(language)
    read = {answer: read_answer(text, answer) for answer in ANSWERS[language]}
    assert read == ANSWERS[language]


@pytest.mark.parametrize(
    ("language", "typed", "shown"),
    [
        ("en", "?\nyes\n", ["Go on? [y/N]: ", "Please answer y or n."]),
        ("da", "?\nja\n", ["Go on? [j/N]: ", "Svar j eller n."]),
    ],
)
def test_the_question_is_asked_until_a_yes_or_no_without_a_terminal(
    language: str, typed: str, shown: list[str]
) -> None:
    text = load_console_text(language)
    app = typer.Typer()

    @app.command()
    def ask() -> None:
        typer.echo("yes" if confirmed(text, "Go on?") else "no")

    done = CliRunner().invoke(app, [], input=typed)
    assert done.exit_code == 0 and done.output.endswith("yes\n"), done.output
    assert all(words in done.output for words in shown) and done.output.count("[") == 2
    ended = CliRunner().invoke(app, [], input="")  # the end of the input: a no, not an abort
    assert ended.exit_code == 0 and ended.output.endswith("no\n"), ended.output
