"""`spillway call --menu` without a PBX: the script's answers, the menu's steps read from
Asterisk's events, when the walk ends, the admin's words, and what the command refuses."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import menu_path
from cli.main import app
from cli.menu_path import MenuEnd, MenuStep, StepKind
from cli.spoken_call import parse_call_script
from dialplan.sandbox import free_port
from spillway.console_text import load_console_text
from spillway.errors import InputError

CALL = "menu1-in"
SND = "/var/lib/asterisk/sounds/spillway/en"


def _answers(script: str) -> list[str]:
    return menu_path.menu_answers(parse_call_script(script, "menu.txt"), "menu.txt")


def test_each_line_answers_one_question_with_a_key_or_none() -> None:
    assert _answers("# the caller\n<silence>\n<dtmf 3>\n<dtmf 9>\n") == ["", "3", "9"]


@pytest.mark.parametrize(
    ("script", "code", "line"),
    [
        ("<dtmf 3>\ncall me back please\n", "input.menu_keys_only", 2),
        ("<barge> hello\n", "input.menu_keys_only", 1),
        ("<dtmf 39>\n", "input.menu_one_key", 1),
    ],
)
def test_a_menu_script_is_one_key_a_line(script: str, code: str, line: int) -> None:
    with pytest.raises(InputError) as raised:
        _answers(script)
    assert raised.value.code == code
    assert f"menu.txt line {line}" in str(raised.value)


def test_the_files_a_question_or_a_playback_plays_by_name() -> None:
    assert menu_path.prompt_files("Read", f"SPILLWAY_CHOICE,{SND}/menu_offer_no_bot,1,,1,5") == [
        "menu_offer_no_bot"
    ]
    played = f"{SND}/menu_callback_promise_start&{SND}/hour_14&{SND}/menu_callback_promise_end"
    assert menu_path.prompt_files("Playback", played) == [
        "menu_callback_promise_start",
        "hour_14",
        "menu_callback_promise_end",
    ]


def test_the_calls_events_become_steps_and_other_calls_are_left_out() -> None:
    read = {
        "Event": "Newexten",
        "Uniqueid": CALL,
        "Application": "Read",
        "AppData": f"SPILLWAY_CHOICE,{SND}/menu_offer_no_bot,1,,1,5",
    }
    assert menu_path.step_of(read, CALL, 2.5) == MenuStep(
        2.5, StepKind.PROMPT, "menu_offer_no_bot", asks=True
    )
    assert menu_path.step_of({**read, "Uniqueid": "other-in"}, CALL, 2.5) is None
    played = {**read, "Application": "Playback", "AppData": f"{SND}/menu_keep_place"}
    assert menu_path.step_of(played, CALL, 9.0) == MenuStep(9.0, StepKind.PROMPT, "menu_keep_place")
    assert menu_path.step_of({**read, "Application": "Set", "AppData": "X=1"}, CALL, 1.0) is None
    offer = {"Event": "UserEvent", "UserEvent": "SpillwayOffer", "CallId": CALL, "By": "menu"}
    assert menu_path.step_of(offer, CALL, 2.0) == MenuStep(2.0, StepKind.OFFER, "menu")
    assert menu_path.step_of({**offer, "CallId": "other-in"}, CALL, 2.0) is None
    done = {"Event": "UserEvent", "UserEvent": "SpillwayCallback", "CallId": CALL}
    assert menu_path.step_of({**done, "CallbackId": "7"}, CALL, 12.0) == MenuStep(
        12.0, StepKind.CALLBACK, "7"
    )
    requeue = {"Event": "UserEvent", "UserEvent": "SpillwayRequeue", "CallId": CALL}
    assert menu_path.step_of({**requeue, "QueuePriority": "10"}, CALL, 30.0) == MenuStep(
        30.0, StepKind.REQUEUE, "10"
    )
    hangup = {"Event": "Hangup", "Uniqueid": CALL}
    assert menu_path.step_of(hangup, CALL, 20.0) == MenuStep(20.0, StepKind.HANGUP)


def test_the_walk_ends_in_the_queue_at_once_and_after_a_callback_with_the_call() -> None:
    offer = MenuStep(2.0, StepKind.OFFER, "menu")
    recorded = MenuStep(12.0, StepKind.CALLBACK, "7")
    hangup = MenuStep(20.0, StepKind.HANGUP)
    assert menu_path.menu_end([offer]) is None
    # The promise is still being said: the call goes on.
    assert menu_path.menu_end([offer, recorded]) is None
    assert menu_path.menu_end([offer, recorded, hangup]) is MenuEnd.CALLBACK
    assert menu_path.menu_end([offer, MenuStep(30.0, StepKind.REQUEUE, "10")]) is MenuEnd.QUEUE
    assert menu_path.menu_end([offer, hangup]) is MenuEnd.HANGUP
    assert menu_path.callback_id([offer, recorded, hangup]) == 7
    assert menu_path.callback_id([offer, hangup]) is None


@pytest.mark.parametrize("code", ["en", "da"])
def test_the_admin_reads_each_step_and_what_the_prompt_says(code: str) -> None:
    text = load_console_text(code)
    words = {"menu_offer_no_bot": "Press 2 to keep your place, or 3 to be called back."}
    steps = [
        MenuStep(2.04, StepKind.OFFER, "menu"),
        MenuStep(2.1, StepKind.PROMPT, "menu_offer_no_bot", asks=True),
        MenuStep(9.5, StepKind.KEY, "3"),
        MenuStep(9.6, StepKind.PROMPT, "queue-periodic-announce", asks=True),
    ]
    lines = menu_path.menu_lines(steps, text, words)
    assert lines[0] == text(
        "cli.menu_call.step",
        at=text.number(2.0, 1),
        what=text("cli.menu_call.offer", detail="menu"),
    )
    asked = text("cli.menu_call.asks", files="menu_offer_no_bot", words=words["menu_offer_no_bot"])
    assert lines[1].endswith(asked)
    assert lines[2].endswith(text("cli.menu_call.key", detail="3"))
    # A file with no words of ours is Asterisk's own sound, and said so.
    assert lines[3].endswith(text("cli.menu_call.asks_stock", files="queue-periodic-announce"))
    assert len(set(lines)) == len(lines)


@pytest.mark.parametrize("code", ["en", "da"])
def test_the_outcome_names_the_request_in_the_admins_words_and_its_database(code: str) -> None:
    text = load_console_text(code)
    request = {"id": 7, "status": "pending", "timing": "predicted"}
    scratch = menu_path.outcome_line(MenuEnd.CALLBACK, request, text, live=False, waited_s=120)
    assert text("status.pending") in scratch and text("policy.predicted") in scratch
    assert text("cli.menu_call.in_scratch") in scratch and "7" in scratch
    live = menu_path.outcome_line(MenuEnd.CALLBACK, request, text, live=True, waited_s=120)
    assert text("cli.menu_call.in_live") in live
    kept = menu_path.outcome_line(MenuEnd.QUEUE, None, text, live=False, waited_s=120)
    assert kept == text("cli.menu_call.outcome_queue")
    unfinished = menu_path.outcome_line(None, None, text, live=False, waited_s=120)
    assert unfinished == text("cli.menu_call.unfinished", seconds="120")


def _menu(tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> BaseException | None:
    script = tmp_path / "menu.txt"
    script.write_text("<dtmf 3>\n")
    result = CliRunner().invoke(
        app,
        ["call", "--menu", "--script", str(script), *extra],
        env={"SPILLWAY_STORAGE__SQLITE_PATH": str(tmp_path / "live.db"), **(env or {})},
    )
    return result.exception


def test_the_menu_call_refuses_a_running_serve_even_with_live(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()
        env = {"SPILLWAY_CONTROLLER__FASTAGI_PORT": str(port)}
        raised = _menu(tmp_path, "--live", env=env)
    assert isinstance(raised, InputError)
    assert raised.code == "input.menu_serve_running"
    assert str(port) in str(raised)


def test_the_menu_call_refuses_dial(tmp_path: Path) -> None:
    raised = _menu(tmp_path, "--dial", "PJSIP/600")
    assert isinstance(raised, InputError)
    assert raised.code == "input.menu_with_dial"
    assert not (tmp_path / "live.db").exists()  # refused before any database was opened
