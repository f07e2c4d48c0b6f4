"""`spillway chat --script FILE --json`: every scripted flow in tests/scripts, replayed
through the real NLU engine (fallback classifier, so that results do not depend on
a Rasa service being up) against a database seeded with `spillway demo seed`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from bot.nlu.data import load_nlu_data, project_dir
from bot.nlu.fallback import MAX_INPUT_CHARS, TrainingPlan
from bot.nlu.fallback_cache import cache_key, cache_path
from cli.commands import chat, demo_seed
from spillway.console_text import load_console_text
from spillway.errors import InputError
from spillway.language_pack import load_pack

SCRIPTS = Path(__file__).parent / "scripts"
CALLER = "+4520123456"
SMS_GATEWAY = "http://127.0.0.1:9/sms"

app = typer.Typer()
app.command("chat")(chat.chat)
app.command("seed")(demo_seed.seed)

# script -> (caller id, outcome, actions turn by turn, texts the SMS must contain)
EXPECTED: dict[str, tuple[str | None, str, list[str], list[str]]] = {
    "order_status_caller_id": (
        CALLER,
        "resolved",
        ["offer_order", "order_status", "tracking_sms_sent", "goodbye"],
        ["Tracking number: 00340434161094042"],
    ),
    "order_status_dtmf": (
        None,
        "resolved",
        # An unknown number: the general state only (bot/dialogue/disclosure.py).
        ["ask_order_number", "confirm_order_number", "order_status_general", "goodbye"],
        [],
    ),
    "order_status_spoken": (
        None,
        "resolved",
        ["confirm_order_number", "ask_order_number", "confirm_order_number",
         "order_status_general", "goodbye"],
        [],
    ),
    "order_unknown": (
        None,
        "handoff",
        ["confirm_order_number", "order_not_found"] * 2
        + ["confirm_order_number", "transfer_order_not_found"],
        [],
    ),
    "stock": (None, "resolved", ["stock", "ask_topic", "stock", "goodbye"], []),
    "stock_unknown_product": (None, "resolved", ["ask_product", "stock", "goodbye"], []),
    "stock_not_sold": (
        None, "resolved", ["product_not_found", "product_not_found", "stock", "goodbye"], []
    ),
    "return_eligible": (
        CALLER,
        "resolved",
        ["offer_order", "return_eligible", "return_label_sent", "goodbye"],
        ["return label for order 10046"],
    ),
    "return_outside_window": (
        None,
        "handoff",
        ["ask_order_number", "confirm_order_number", "return_ineligible", "transfer"],
        [],
    ),
    "complaint": (
        CALLER, "handoff", ["confirm_complaint", "complaint_case"], ["upload photos for case"]
    ),
    "human_agent": (None, "handoff", ["transfer"], []),
    "opening_hours": (None, "resolved", ["opening_hours", "goodbye"], []),
    "callback": (None, "callback", ["ask_phone", "callback_confirm", "callback_recorded"], []),
    "silent_caller": (None, "handoff", ["reprompt", "reprompt", "transfer_no_input"], []),
    "bad_input": (
        None,
        "handoff",
        ["reprompt", "reprompt", "stock", "confirm_complaint", "complaint_case"],
        [],
    ),
    # Asked for the order number, a return instead: the return flow, not the question again.
    "topic_change": (
        None,
        "resolved",
        # Not the number on the order: no return label by SMS, a colleague offered.
        ["ask_order_number", "ask_order_number", "confirm_order_number",
         "return_eligible_no_sms", "anything_else", "goodbye"],
        [],
    ),
    "topic_change_agent": (
        None, "handoff", ["ask_phone", "callback_confirm", "transfer"], []
    ),
    # Asked when, a stock question instead, then no more: the goodbye says the callback
    # booked stands, not the plain goodbye.
    "topic_change_stock": (
        None, "callback", ["ask_phone", "callback_confirm", "stock", "callback_recorded"], []
    ),
    # "I don't really know" when asked when: no preference, never "type your number".
    "callback_not_sure": (
        None, "callback", ["ask_phone", "callback_confirm", "repeat", "callback_recorded"], []
    ),
    # A number said where it was to be typed: read back, used after the yes.
    "phone_spoken": (
        None,
        "callback",
        ["ask_phone", "confirm_spoken_phone", "callback_confirm", "callback_recorded"],
        [],
    ),
    "phone_spoken_unclear": (
        None,
        "callback",
        ["ask_phone", "phone_type_it", "callback_confirm", "callback_recorded"],
        [],
    ),
    # A question the bot cannot help with: what it can do, then a colleague.
    "out_of_scope": (None, "handoff", ["out_of_scope", "transfer_out_of_scope"], []),
    "out_of_scope_then_topic": (
        None, "resolved", ["out_of_scope", "opening_hours", "goodbye"], []
    ),
    # A yes that says again what it agrees to acts; a yes with a correction or a no never.
    "callback_yes_my_number": (
        CALLER, "callback", ["confirm_callback", "callback_confirm", "callback_recorded"], []
    ),
    "callback_yes_but": (
        CALLER, "hangup", ["confirm_callback", "yes_unsure", "declined_callback"], []
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def seeded_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("chat")
    db = folder / "shop.db"
    # Calls allowed every day, all day: a time the scripts name ("this afternoon",
    # "i morgen formiddag") is checked against the calling rules, and the scripts run
    # on the real clock, so on a Sunday or the day before a holiday they would differ.
    config = yaml.safe_load(Path(os.environ["SPILLWAY_CONFIG"]).read_text(encoding="utf-8"))
    config.setdefault("callbacks", {}).update(
        {day: [0, 24] for day in ("weekdays", "saturday", "sunday")},
        holidays=None,
        extra_holidays=[],
    )
    # A gateway (never reached: chat only queues): with none the bot offers no text
    # message, and the flows that send one are replayed without it in test_chat_no_sms.py.
    config.setdefault("sms", {})["gateway_url"] = SMS_GATEWAY
    (folder / "spillway.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(db),
        "SPILLWAY_CONFIG": str(folder / "spillway.yaml"),
    }
    runner = CliRunner()
    for _ in range(2):  # seeding twice must not duplicate anything
        result = runner.invoke(app, ["seed"], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return env


def run_script(env: dict[str, str], path: Path, caller_id: str | None) -> list[dict[str, Any]]:
    args = ["chat", "--script", str(path), "--json", "--nlu", "fallback"]
    if caller_id:
        args += ["--caller-id", caller_id]
    result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(p.stem for p in SCRIPTS.glob("*.txt")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scripted_conversation(name: str, seeded_env: dict[str, str]) -> None:
    caller_id, outcome, actions, sms_texts = EXPECTED[name]
    records = run_script(seeded_env, SCRIPTS / f"{name}.txt", caller_id)
    *turns, last = records
    assert [t["action"] for t in turns] == actions
    for turn in turns:
        assert set(turn) == {"caller", "intent", "confidence", "engine", "action", "bot"}
        assert turn["bot"]
        if turn["caller"].startswith("<"):
            assert turn["intent"] is None
        else:
            assert turn["engine"] == "fallback" and 0.0 <= turn["confidence"] <= 1.0
    assert last["outcome"] == outcome
    assert len(last["sms"]) == len(sms_texts)
    for sms, text in zip(last["sms"], sms_texts, strict=True):
        assert text in sms["body"] and sms["to"] == CALLER
    if name in ("complaint", "bad_input"):
        # The caller hears the case as the pack says it ("case number 1"), never the id's
        # letters; the text message carries the id itself ("CASE-1").
        assert last["case_id"] and last["case_id"].startswith("CASE-")
        number = last["case_id"].removeprefix("CASE-")
        assert f"case number {number}" in turns[-1]["bot"] and "CASE" not in turns[-1]["bot"]
        assert all(last["case_id"] in sms["body"] for sms in last["sms"])
    else:
        assert last["case_id"] is None


def test_a_caller_who_hangs_up_mid_question_hung_up(
    tmp_path: Path, seeded_env: dict[str, str]
) -> None:
    # Answered once, then gone in the middle of the second question: the call
    # did not resolve what they were asking (it counted as resolved before).
    path = tmp_path / "gone.txt"
    path.write_text("what are your opening hours\nwhere is my package\n")
    *turns, last = run_script(seeded_env, path, CALLER)
    assert [t["action"] for t in turns] == ["opening_hours", "offer_order"]
    assert last["outcome"] == "hangup"


def test_order_status_speaks_carrier_tracking_and_delivery(seeded_env: dict[str, str]) -> None:
    records = run_script(seeded_env, SCRIPTS / "order_status_caller_id.txt", CALLER)
    status = records[1]["bot"]
    assert "GLS" in status and "tomorrow" in status
    # The 17-digit tracking number is not read out whole: it went by SMS after the yes.
    assert "00340434161094042" not in status and "text message" in status
    assert "00340434161094042" in records[-1]["sms"][0]["body"]


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("hello\n# fine\n<dtmf 12x>\n", "line 3: <dtmf 12x>"),
        ("<silence now>\n", "line 1: <silence> takes no argument"),
        ("\n\n<shout hello>\n", "line 3: unknown tag <shout>"),
        ("<dtmf 1\n", "line 1: malformed tag"),
    ],
)
def test_bad_script_line_names_its_line(
    script: str, message: str, tmp_path: Path, seeded_env: dict[str, str]
) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(script)
    result = CliRunner().invoke(app, ["chat", "--script", str(path), "--json"], env=seeded_env)
    assert isinstance(result.exception, InputError)
    assert result.exception.exit_code == 2
    assert message in str(result.exception) and str(path) in str(result.exception)


def test_turns_after_the_call_ended_are_an_error(
    tmp_path: Path, seeded_env: dict[str, str]
) -> None:
    path = tmp_path / "late.txt"
    # A first-turn goodbye is asked about once (bot.dialogue.first_turn); the second ends.
    path.write_text("bye\nbye\nhello?\n")
    result = CliRunner().invoke(
        app, ["chat", "--script", str(path), "--nlu", "fallback"], env=seeded_env
    )
    assert isinstance(result.exception, InputError)
    assert result.exception.exit_code == 2
    assert "line 3: the call already ended at line 2" in str(result.exception)
    # The call up to its end is shown first: the author sees why it ended.
    assert "you: bye" in result.stdout and "outcome:" in result.stdout
    result = CliRunner().invoke(
        app, ["chat", "--script", str(path), "--nlu", "fallback", "--json"], env=seeded_env
    )
    assert isinstance(result.exception, InputError) and result.exception.exit_code == 2
    *turns, last = json.loads(result.stdout)
    assert [t["caller"] for t in turns] == ["bye", "bye"]
    assert [t["action"] for t in turns] == ["goodbye_first_turn", "goodbye"]
    assert last["outcome"] == "hangup"  # as without the extra line


def test_control_characters_in_chat_input_are_not_sent_to_the_terminal() -> None:
    from cli.commands.chat import shown

    assert shown("hi \x1b[2J\x1b]0;pwned\x07 there\r") == "hi \\x1b[2J\\x1b]0;pwned\\x07 there\\x0d"
    assert "\x1b" not in shown("\x1b[31mred")


@pytest.mark.parametrize(
    ("language", "lines"),
    [
        ("en", ["can you call me back later", "hmm", "mm"]),
        ("en", ["can you call me back later", "at 14", "hmm", "mm"]),
        ("da", ["kan I ringe mig op senere", "øh", "hmm"]),
        ("da", ["kan I ringe mig op senere", "klokken 14", "øh", "hmm"]),
    ],
)
def test_a_filler_to_when_suits_you_is_never_a_yes(
    language: str, lines: list[str], tmp_path: Path, seeded_env: dict[str, str]
) -> None:
    # The pack's own fallback classifier read "hmm" (0.54) and "mm" (0.87) as yes, and
    # the callback was settled and the call ended. Each filler is asked again, once,
    # with what to say; the second leaves the request without a time, and says so.
    first, *answers = lines
    path = tmp_path / "fillers.txt"
    path.write_text("\n".join([first, "<dtmf 20123456#>", *answers]) + "\n")
    args = ["chat", "--script", str(path), "--json", "--nlu", "fallback", "--language", language]
    result = CliRunner().invoke(app, args, env=seeded_env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    *turns, last = json.loads(result.stdout)
    fillers = turns[-2:]
    assert fillers[0]["action"] in ("callback_when_unclear", "callback_check_unclear")
    assert fillers[1]["action"] == "callback_recorded"
    kept = load_pack(language).prompts["callback_when_kept"].text
    assert fillers[1]["bot"].startswith(kept)  # "I still didn't catch a time ..."
    assert last["outcome"] == "callback"


def chat_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path, admin: str = "da"
) -> str:
    """`chat --script` of a Danish shop, for an ``admin`` reading that language, with the
    classifier cache at ``cache`` (the replay stubbed)."""

    async def replayed(*_args: object, **_kwargs: object) -> list[dict[str, Any]]:
        return [{"outcome": "resolved"}]

    monkeypatch.setattr(chat, "run_script", replayed)
    path = tmp_path / "hello.txt"
    path.write_text("hej\n")
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(tmp_path / "s.db"),
        "SPILLWAY_SHOP__LANGUAGE": "da",
        "SPILLWAY_WEB__LANGUAGE": admin,
        "SPILLWAY_PATHS__CACHE_DIR": str(cache),
    }
    result = CliRunner().invoke(app, ["chat", "--script", str(path), "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"outcome": "resolved"}]  # stdout stays the JSON
    return result.stderr


def training_note(admin: str) -> str:
    """What chat says before it trains the Danish bot's classifier, in ``admin``'s words."""
    text = load_console_text(admin)
    return text("cli.chat.training", language=text.language_name("da"))


@pytest.mark.parametrize("admin", ["en", "da"])
def test_chat_says_the_bot_is_being_prepared_rather_than_sitting_silent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, admin: str
) -> None:
    """Training the fallback takes tens of seconds: an admin must not think it hung, and
    is told so in their own language."""
    said = chat_stderr(tmp_path, monkeypatch, tmp_path / "empty-cache", admin)
    assert training_note(admin) in said
    # The bot's language by its name, as a person says it, not its code.
    assert {"en": "model for Danish first", "da": "til dansk"}[admin] in said
    assert "(da)" not in said and "til da " not in said
    if admin == "da":
        assert training_note("en") not in said
        assert "træner" in said  # the Danish note, not an English one left in place


def test_chat_says_nothing_of_training_when_the_classifier_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    data = load_nlu_data(project_dir("da"))
    plan = TrainingPlan.of(data, seed=42, max_chars=MAX_INPUT_CHARS, language="da")
    key = cache_key(plan)
    # Only the file's presence under the key is asked before the start; its content
    # is checked when it is loaded (tests/test_fallback_cache.py).
    cache_path(cache, "da", key).parent.mkdir(parents=True)
    cache_path(cache, "da", key).write_bytes(b"")
    said = chat_stderr(tmp_path, monkeypatch, cache)
    assert training_note("da") not in said and training_note("en") not in said


def test_a_number_said_aloud_is_read_back_before_it_is_used(seeded_env: dict[str, str]) -> None:
    ask, heard, yes, *_ = run_script(seeded_env, SCRIPTS / "phone_spoken.txt", None)
    assert "type" in ask["bot"]
    # "two zero one two ...": read back in pairs, with the keypad as the way to correct it.
    assert "20 12 34 56" in heard["bot"] and "keypad" in heard["bot"]
    assert heard["action"] == "confirm_spoken_phone" and "20 12 34 56" in yes["bot"]


def test_an_out_of_scope_question_hears_what_the_bot_can_do(seeded_env: dict[str, str]) -> None:
    first, second, _ = run_script(seeded_env, SCRIPTS / "out_of_scope.txt", None)
    assert "can't help with that" in first["bot"]
    assert all(word in first["bot"] for word in ("order", "stock", "return", "press 0"))
    assert second["action"] == "transfer_out_of_scope" and "colleague" in second["bot"]
