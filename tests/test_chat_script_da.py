"""`spillway chat --language da --script FILE --json`: Danish scripted conversations.

Flows written as Danish callers speak (tests/scripts_da), replayed through
the Danish pack's fallback classifier against a database seeded with `spillway demo
seed` (which loads the Danish product and order-line names). Each must reach the
same actions and outcome as its English counterpart in tests/test_chat_script.py:
the language changes the words, never the flow.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.test_chat_script import CALLER, app
from tests.test_chat_script import seeded_env as seeded_env  # the fixture

SCRIPTS = Path(__file__).parent / "scripts_da"

# script -> (caller id, outcome, actions turn by turn, SMS count)
EXPECTED: dict[str, tuple[str | None, str, list[str], int]] = {
    "ordrestatus_nummer": (
        CALLER, "resolved", ["offer_order", "order_status", "tracking_sms_sent", "goodbye"], 1
    ),
    "ordrestatus_dtmf": (
        None,
        "resolved",
        ["ask_order_number", "confirm_order_number", "order_status_general", "goodbye"],
        0,
    ),
    "ordrestatus_talt": (
        None,
        "resolved",
        ["confirm_order_number", "ask_order_number", "confirm_order_number",
         "order_status_general", "goodbye"],
        0,
    ),
    "ordre_ukendt": (
        None,
        "handoff",
        ["confirm_order_number", "order_not_found"] * 2
        + ["confirm_order_number", "transfer_order_not_found"],
        0,
    ),
    "lager": (None, "resolved", ["stock", "ask_topic", "stock", "goodbye"], 0),
    "retur_inden_for": (
        CALLER, "resolved", ["offer_order", "return_eligible", "return_label_sent", "goodbye"], 1
    ),
    "klage": (CALLER, "handoff", ["confirm_complaint", "complaint_case"], 1),
    "menneske": (None, "handoff", ["transfer"], 0),
    "aabningstider": (None, "resolved", ["opening_hours", "goodbye"], 0),
    "tilbageopkald": (
        None, "callback", ["ask_phone", "callback_confirm", "callback_check_when",
                           "callback_recorded"], 0
    ),
    "tilbageopkald_tid": (CALLER, "callback", ["confirm_callback", "callback_recorded"], 0),
    "stille": (None, "handoff", ["reprompt", "reprompt", "transfer_no_input"], 0),
    "bande": (None, "handoff", ["ask_order_number", "transfer_upset"], 0),
    "emneskift": (
        None,
        "resolved",
        ["ask_order_number", "ask_order_number", "confirm_order_number",
         "return_eligible_no_sms", "anything_else", "goodbye"],
        0,
    ),
    # Farvellet siger, at tilbagekaldet står ved magt, ikke det almindelige farvel.
    "emneskift_lager": (
        None, "callback", ["ask_phone", "callback_confirm", "stock", "callback_recorded"], 0
    ),
    "emneskift_farvel": (
        None,
        "callback",
        ["ask_phone", "callback_confirm", "ask_order_number", "confirm_order_number",
         "order_status_general", "callback_recorded"],
        0,
    ),
    # "Det ved jeg ikke rigtig": intet ønske om tid, aldrig "tast dit nummer".
    "tilbageopkald_ved_ikke": (
        None, "callback", ["ask_phone", "callback_confirm", "repeat", "callback_recorded"], 0
    ),
    "emneskift_menneske": (None, "handoff", ["ask_phone", "callback_confirm", "transfer"], 0),
    "telefon_talt": (
        None,
        "callback",
        ["ask_phone", "confirm_spoken_phone", "callback_confirm", "callback_recorded"],
        0,
    ),
    "telefon_utydelig": (
        None, "callback", ["ask_phone", "phone_type_it", "callback_confirm", "callback_check_when",
               "callback_recorded"], 0
    ),
    "uden_for_emne": (None, "handoff", ["out_of_scope", "transfer_out_of_scope"], 0),
    # A yes that says again what it agrees to acts; a yes with a correction or a no never.
    "tilbageopkald_ja_mit_nummer": (
        CALLER, "callback", ["confirm_callback", "callback_confirm", "callback_recorded"], 0
    ),
    "tilbageopkald_ja_men": (
        CALLER, "hangup", ["confirm_callback", "yes_unsure", "declined_callback"], 0
    ),
    "ordrestatus_ja_send_det": (
        CALLER, "resolved",
        ["confirm_order_number", "order_status", "tracking_sms_sent", "goodbye"], 1
    ),
}  # fmt: skip


def _run(env: dict[str, str], path: Path, caller_id: str | None) -> list[dict[str, Any]]:
    args = ["chat", "--script", str(path), "--json", "--nlu", "fallback", "--language", "da"]
    if caller_id:
        args += ["--caller-id", caller_id]
    result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


def test_every_danish_script_has_an_expectation() -> None:
    assert sorted(p.stem for p in SCRIPTS.glob("*.txt")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_danish_scripted_conversation(name: str, seeded_env: dict[str, str]) -> None:
    caller_id, outcome, actions, sms = EXPECTED[name]
    *turns, last = _run(seeded_env, SCRIPTS / f"{name}.txt", caller_id)
    assert ([t["action"] for t in turns], last["outcome"], len(last["sms"])) == (
        actions,
        outcome,
        sms,
    )
    spoken = " ".join(t["bot"] for t in turns)
    # Danish words, not English ones: the pack answered.
    assert not {"Thank you", "Goodbye", "order number", "Is that right"} & set(spoken.split(". "))
    assert any(word in spoken for word in ("Tak", "Farvel", "ordre", "kollega", "Hej"))


@pytest.mark.parametrize(
    ("language", "you", "bot", "outcome"),
    [("en", "you:", "bot:", "outcome:"), ("da", "kunde:", "bot:", "udfald:")],
)
def test_the_transcript_names_who_speaks_in_the_admin_s_language(
    language: str, you: str, bot: str, outcome: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Danish admin read "you:" / "bot:" / "outcome:" under Danish turns: the labels
    are the pack's, in the admin's language (the caller's turns are typed by the admin)."""
    from cli.commands.chat import show_transcript
    from spillway.console_text import load_console_text

    records = [{"caller": "hvor er min pakke", "bot": "Hvad er dit ordrenummer?"}]
    show_transcript(
        [*records, {"outcome": "hangup"}], as_json=False, words=load_console_text(language)
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{you} hvor er min pakke"
    assert lines[1] == f"{bot} Hvad er dit ordrenummer?"
    assert lines[2].startswith(f"{outcome} ") and '"hangup"' in lines[2]
