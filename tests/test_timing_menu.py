"""The DTMF menu's callback step (issue 22 item 6): it says the time is chosen to suit
the caller and that one key asks for a plain callback; the key reaches intake through
the controller and, with the controller down, through the spool."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import pytest

from agi.overflow import menu_asks_plain
from bot.dialogue.prompts import say
from dialplan.agi_scripts.callback_spool import request_from
from dialplan.sounds import SOUND_KEYS, sound_dirs, wav_bytes
from scheduler.spool import SpoolFileError, import_spool, parse_spool_file
from spillway.call import PLAIN_CALLBACK_KEY
from spillway.storage import SqliteStore
from tests.call_harness import routing_harness, wait_event
from tests.conftest import PbxHandle, make_settings
from tests.test_pbx_sounds import extensions


def test_the_callback_step_offers_the_plain_key_with_its_own_prompt() -> None:
    text = extensions(make_settings())
    assert "menu_callback_timing" in SOUND_KEYS
    assert f"press {PLAIN_CALLBACK_KEY}" in say("menu_callback_timing").lower()
    step = text[text.index("exten => callback,1") : text.index("exten => done,1")]
    # Asked only after the menu's key 3, only with the prompt installed, before intake.
    assert step.index("menu_callback_timing") < step.index("/callback)")
    assert re.search(r'GotoIf\(\$\["\$\{SPILLWAY_CHOICE\}" != "3"\]\?take\)', step)
    assert f'"${{SPILLWAY_TIMING_KEY}}" = "{PLAIN_CALLBACK_KEY}"]?conventional:' in step
    # The controller down: the menu's 3 still goes through the same step to the spool.
    assert "?callback-spool,1)" in text
    assert "exten => callback-spool,1" in step and "Goto(callback,ask)" in step


@pytest.mark.parametrize(
    ("callbacks", "offered"),
    [
        ({"policy": "traditional"}, False),
        ({"policy": "shadow"}, False),
        ({"policy": "traditional", "pilot": {"share_predicted": 0.5}}, True),
        # A pilot on another team's queue times none of this queue's requests.
        ({"policy": "traditional", "pilot": {"share_predicted": 0.5, "queues": ["b2b"]}}, False),
        (
            {
                "policy": "traditional",
                "pilot": {"share_predicted": 0.5, "queues": ["spillway-support"]},
            },
            True,
        ),
        ({"policy": "predicted"}, True),
    ],
)
def test_the_menu_offers_a_plain_callback_only_where_requests_are_timed(
    callbacks: dict[str, object], offered: bool
) -> None:
    """With every request a plain callback, "we'll call you back at the time you're most
    likely to be free" would be false, and then "by three o'clock" contradicted it."""
    text = extensions(make_settings(callbacks=callbacks))
    step = text[text.index("exten => callback,1") : text.index("exten => done,1")]
    assert ("menu_callback_timing" in step) is offered


def test_the_controller_reads_only_the_menus_own_word() -> None:
    assert menu_asks_plain("conventional") is True
    assert menu_asks_plain("") is False and menu_asks_plain(None) is False
    assert menu_asks_plain("predicted; DROP TABLE") is False


def test_the_spool_carries_the_plain_key_to_intake(tmp_path: Path, store: SqliteStore) -> None:
    env = {"agi_channel": "Local/s@x", "agi_uniqueid": "17.1"}
    plain = request_from(env, "4533333301", "17.1", timing="conventional")
    other = request_from(env, "4533333302", "17.2", timing="")
    assert "timing" not in other
    request, _ = parse_spool_file(json.dumps(plain).encode(), now=time.time())
    assert request.traditional is True
    with pytest.raises(SpoolFileError, match="timing"):
        parse_spool_file(json.dumps({**plain, "timing": "soon"}).encode(), now=time.time())
    new = tmp_path / "new"
    new.mkdir()
    for body in (plain, other):
        (new / f"{body['call_id']}.json").write_text(json.dumps(body))
    report = import_spool(store, tmp_path, region="DK", default_timezone="UTC", now=time.time())
    assert report.bad == [] and len(report.imported) == 2
    rows = store.query("SELECT phone, timing, timing_reason FROM callback_requests ORDER BY id")
    assert [(r["phone"], r["timing"], r["timing_reason"]) for r in rows] == [
        ("+4533333301", "conventional", "customer"),
        ("+4533333302", "predicted", "policy"),
    ]


@pytest.mark.asterisk
@pytest.mark.asyncio(loop_scope="session")
async def test_over_asterisk_key_3_then_the_plain_key_is_a_plain_callback(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    prompt = sound_dirs(pbx.settings).local / "menu_callback_timing.wav"
    prompt.parent.mkdir(parents=True, exist_ok=True)
    prompt.write_bytes(wav_bytes(b"\0\0" * 8000))  # one second of silence
    try:
        async with routing_harness(
            pbx, tmp_path / "calls.db", agents=0, max_wait_s=1, bot_ready=False
        ) as h:
            with pbx.ami.subscribe("UserEvent", "Hangup") as events:
                call = await h.call("4533333377")
                await wait_event(events, 10, UserEvent="SpillwayOffer", CallId=call.call_id)
                await h.press(call, "3")
                await asyncio.sleep(1.5)  # the step's prompt is playing, or its wait
                await h.press(call, PLAIN_CALLBACK_KEY)
                await wait_event(events, 10, UserEvent="SpillwayCallback", CallId=call.call_id)
                await wait_event(events, 20, Event="Hangup", Uniqueid=call.call_id)
            [row] = h.rows("SELECT source, timing, timing_reason FROM callback_requests")
            assert row == {"source": "menu", "timing": "conventional", "timing_reason": "customer"}
    finally:
        prompt.unlink(missing_ok=True)  # the other menu tests expect no such step
