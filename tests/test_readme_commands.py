"""The README's Quick start is exactly two commands, and every `spillway` command its
"After the demo" section tells a new admin to run exists, with the options it names
(each is run with --help appended: an unknown command or option fails)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

README = Path(__file__).parents[1] / "README.md"
SEPARATORS = {"&&", "|", ";", ">"}


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _sh_lines(title: str) -> list[str]:
    """The lines of the section's first ``sh`` block, without comments or blanks."""
    block = _section(title).split("```sh\n", 1)[1].split("\n```", 1)[0]
    lines = [shlex.split(line, comments=True) for line in block.splitlines()]
    return [shlex.join(words) for words in lines if words]


def _spillway_commands(line: str) -> list[list[str]]:
    """Each `spillway ...` in a shell line (``a && spillway b | c``), as its arguments."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars="&|;>")
    lexer.whitespace_split = True
    found: list[list[str]] = []
    current: list[str] | None = None
    for word in lexer:
        if word in SEPARATORS:
            current = None
        elif current is None and word == "spillway":
            current = []
            found.append(current)
        elif current is not None:
            current.append(word)
    return found


def test_the_quick_start_is_exactly_two_commands() -> None:
    assert _sh_lines("Quick start") == ["./dev demo", "./dev test"]


NEXT = [args for line in _sh_lines("After the demo") for args in _spillway_commands(line)]


def test_after_the_demo_names_the_first_commands_in_order() -> None:
    firsts = [" ".join(args[:2]) if args[0] in {"config", "pbx"} else args[0] for args in NEXT]
    assert firsts[:4] == ["doctor", "config check", "pbx sandbox", "call"]
    assert (README.parent / NEXT[3][NEXT[3].index("--script") + 1]).is_file()  # in the checkout
    assert "--menu" in NEXT[4] and NEXT[5][:2] == ["callbacks", "import"]
    assert NEXT[-1] == ["web", "serve"]


@pytest.mark.parametrize("args", NEXT, ids=[" ".join(a) for a in NEXT])
def test_each_command_after_the_demo_exists(args: list[str]) -> None:
    done = CliRunner().invoke(app, [*args, "--help"])
    assert done.exit_code == 0, done.output
    assert "Usage:" in done.output


CONSOLE_LINE = next(line for line in _sh_lines("After the demo") if "web serve" in line)


def test_the_console_step_runs_as_written_on_a_fresh_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The step that opens the console failed on a fresh machine: `web serve` refused to
    start without web.api_token, which no earlier step made. Each command of the README's
    line runs in turn against an empty secrets file (the password on standard input, as
    the `printf` gives it); `web serve` gets as far as serving, which here returns at once."""
    import uvicorn

    served: list[object] = []

    async def serve(self: uvicorn.Server, sockets: object = None) -> None:
        served.append(self.config.app)

    monkeypatch.setattr(uvicorn.Server, "serve", serve)
    config = tmp_path / "spillway.yaml"
    config.write_text(f"storage:\n  sqlite_path: {tmp_path / 'spillway.db'}\n")
    env: dict[str, str | None] = {
        "SPILLWAY_CONFIG": str(config),
        "SPILLWAY_SECRETS_FILE": str(tmp_path / "secrets.env"),
        "SPILLWAY_WEB__API_TOKEN": None,
        "SPILLWAY_WEB__SESSION_SECRET": None,
    }
    commands = _spillway_commands(CONSOLE_LINE)
    assert commands[-1] == ["web", "serve"] and ["web", "token"] in commands
    for args in commands:
        stdin = "a-long-enough-password\n" if "--password-stdin" in args else None
        done = CliRunner().invoke(app, args, input=stdin, env=env)
        assert done.exit_code == 0, (args, done.output, done.exception)
    assert len(served) == 1  # the console's app, built and handed to uvicorn
    secrets = (tmp_path / "secrets.env").read_text(encoding="utf-8")
    assert "SPILLWAY_WEB__USERS__me=admin:" in secrets
    assert "SPILLWAY_WEB__API_TOKEN=" in secrets
