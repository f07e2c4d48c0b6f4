"""The script format of `spillway call`: the chat format plus ``<barge> words``."""

from __future__ import annotations

import pytest

from bot.dialogue.inputs import Dtmf, Silence, TextTurn
from cli.commands.call import start_delay_s, think_pauses
from cli.spoken_call import parse_call_script, render_lines
from spillway.errors import InputError


def test_barge_lines_keys_silence_and_comments() -> None:
    lines = parse_call_script(
        "# a comment\nwhere is my order\n\n<barge> stop, the other one\n<dtmf 10042#>\n<silence>\n"
    )
    assert [(c.line.line_no, c.text, c.barge) for c in lines] == [
        (2, "where is my order", False),
        (4, "stop, the other one", True),
        (5, "<dtmf 10042#>", False),
        (6, "<silence>", False),
    ]
    assert isinstance(lines[1].line.event, TextTurn)
    assert isinstance(lines[2].line.event, Dtmf) and isinstance(lines[3].line.event, Silence)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello\n<barge>\n", "line 2: <barge> needs words"),
        ("hello\n<dtmf 12x>\n", "line 2: <dtmf 12x>"),
        ("# only a comment\n", "no caller lines"),
    ],
)
def test_a_bad_line_is_named(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_call_script(text, "s.txt")


async def test_spoken_lines_are_rendered_once_before_the_calls() -> None:
    rendered: list[str] = []

    async def render(text: str) -> bytes:
        rendered.append(text)
        return text.encode()

    first = parse_call_script("where is my order\n<dtmf 12345#>\nyes", "a.txt")
    second = parse_call_script("yes\n<silence>\n<barge> stop", "b.txt")
    voice = await render_lines([first, second], render)
    # Each distinct spoken line once, keys and silence never.
    assert sorted(rendered) == ["stop", "where is my order", "yes"]
    assert await voice("yes") == b"yes"
    assert len(rendered) == 3  # served from what was rendered, not again
    assert await voice("something else") == b"something else"  # not in a script: rendered


def test_the_first_calls_start_spread_over_the_stagger() -> None:
    assert [start_delay_s(i, 4, 8.0) for i in range(6)] == [0.0, 2.0, 4.0, 6.0, 0.0, 0.0]
    assert start_delay_s(3, 4, 0.0) == 0.0  # together, as before


def test_callers_pause_a_varying_seeded_time_before_answering() -> None:
    assert think_pauses(0, 0.0) is None  # in step, as before
    first, again, other = think_pauses(0, 1.0), think_pauses(0, 1.0), think_pauses(1, 1.0)
    assert first is not None and again is not None and other is not None
    pauses = [first() for _ in range(50)]
    assert all(0.0 <= p <= 1.0 for p in pauses) and max(pauses) - min(pauses) > 0.5
    assert [again() for _ in range(50)] == pauses  # the same call pauses alike in every run
    assert [other() for _ in range(50)] != pauses  # two callers are not in step
