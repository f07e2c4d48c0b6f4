"""Over the real sandbox: `spillway call --menu` reaches the DTMF menu, presses the script's
keys once each question has been heard, and shows the path; what the call creates goes
to the throw-away copy of the database, never the live one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from cli.menu_call import MenuCall, menu_report, run_menu_call
from cli.menu_path import MenuEnd, StepKind, callback_id
from spillway.console_text import load_console_text
from spillway.storage import SqliteStore
from tests.conftest import PbxHandle

pytestmark = [pytest.mark.asterisk, pytest.mark.speech]
pytest.importorskip("piper")

CALLER = "4533334444"


def _live(tmp_path: Path) -> Path:
    db = tmp_path / "live.db"
    store = SqliteStore(db)
    store.migrate()
    store.close()
    return db


def _requests(db: Path) -> int:
    store = SqliteStore(db)
    try:
        return int(store.query("SELECT count(*) AS n FROM callback_requests")[0]["n"])
    finally:
        store.close()


@dataclass
class Placed:
    call: MenuCall
    report: list[str]  # what the admin reads (English)
    said: list[str]  # what the command said before the call
    live_db: Path


def _menu_call(pbx: PbxHandle, tmp_path: Path, script: str) -> Placed:
    """`spillway call --menu`'s path with ``script``, over an empty "live" database."""
    live_db = _live(tmp_path)
    storage = pbx.settings.storage.model_copy(update={"sqlite_path": live_db})
    settings = pbx.settings.model_copy(update={"storage": storage})
    said: list[str] = []
    text = load_console_text("en")
    call = run_menu_call(
        settings, script, "menu.txt", CALLER, dial=None, live=False, text=text, say=said.append
    )
    report = menu_report(call, text, CALLER, live=False)
    print("\n".join(said + report))
    return Placed(call, report, said, live_db)


def _asked(call: MenuCall) -> list[str]:
    return [s.detail for s in call.steps if s.kind is StepKind.PROMPT and s.asks]


def _played(call: MenuCall) -> list[str]:
    return [s.detail for s in call.steps if s.kind is StepKind.PROMPT and not s.asks]


def test_key_3_records_a_callback_in_the_scratch_database_and_shows_the_path(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    placed = _menu_call(pbx, tmp_path, "<dtmf 3>\n")
    call, report, text = placed.call, placed.report, load_console_text("en")
    kinds = [s.kind for s in call.steps]
    assert call.end is MenuEnd.CALLBACK, report
    # The caller waited in the queue, then the menu (not the bot) made the offer.
    assert kinds.index(StepKind.QUEUE) < kinds.index(StepKind.OFFER)
    assert next(s for s in call.steps if s.kind is StepKind.OFFER).detail == "menu"
    # The bot takes no calls: the menu does not offer key 1; the key came after the question.
    first_question = next(s for s in call.steps if s.asks)
    assert first_question.detail == "menu_offer_no_bot"
    [key] = [s for s in call.steps if s.kind is StepKind.KEY]
    assert key.detail == "3" and key.at_s > first_question.at_s
    # Asked whether a plain callback is wanted (no key: the timing as anyone's), then told when.
    assert _asked(call)[1:] == ["menu_callback_timing"]
    assert any(p.startswith("menu_callback_") for p in _played(call))
    # The request is the call's, in the copy; the live database has none.
    assert call.request is not None and call.request["id"] == callback_id(call.steps)
    assert call.request["status"] == "pending"
    assert _requests(placed.live_db) == 0
    assert any("throw-away copy" in line for line in placed.said)
    # The admin reads each of these steps, with the prompt's words and the request.
    assert any(line.endswith(text("cli.menu_call.offer", detail="menu")) for line in report)
    assert any(line.endswith(text("cli.menu_call.key", detail="3")) for line in report)
    assert any(call.words["menu_offer_no_bot"] in line for line in report)
    assert text("cli.menu_call.in_scratch") in report[-1]
    assert f" {call.request['id']}: " in report[-1]
    # The call's sound: what the caller heard, several seconds of it.
    assert len(call.wav) > 8000 * 2 * 2 * 5


def test_no_key_keeps_the_callers_place_in_the_queue(pbx: PbxHandle, tmp_path: Path) -> None:
    placed = _menu_call(pbx, tmp_path, "<silence>\n")
    call, report, text = placed.call, placed.report, load_console_text("en")
    assert call.end is MenuEnd.QUEUE, report
    assert call.request is None and _requests(placed.live_db) == 0
    kinds = [s.kind for s in call.steps]
    assert StepKind.NO_KEY in kinds and StepKind.KEY not in kinds
    # No key: "I didn't hear a key", the menu once more, then "you keep your place".
    assert _asked(call) == ["menu_offer_no_bot", "menu_offer_no_bot"]
    assert _played(call) == ["menu_no_input", "menu_keep_place"]
    assert kinds[-1] is StepKind.REQUEUE
    assert report[-1] == text("cli.menu_call.outcome_queue")
