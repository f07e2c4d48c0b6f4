"""Over the real sandbox: a caller who waits past max_wait is offered the bot,
and their choice (keep waiting, call me back) is carried out.

The first two need no media transport: with no bot ready the offer is the
dialplan's DTMF menu and the decisions come from our FastAGI controller. The
DTMF-only MenuBot leaves the offer to that menu too, or, when asked to make
it, takes the same 1/2/3 over either transport. The speech bot's spoken offer
is tested in tests/test_offer_speech.py.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path

import pytest

from agi.menu_bot import MenuBot
from agi.menu_promise import spoken
from dialplan.callback_promise import (
    PROMISE_END,
    PROMISE_LIKELY,
    PROMISE_START,
    PROMISE_TODAY,
    PROMISE_TOMORROW,
    RECORDED_AGAIN,
    hour_file,
    weekday_file,
)
from dialplan.sounds import sound_dirs
from dialplan.spool import callback_spool
from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from scheduler.rule_facts import promise_times
from scheduler.rules import rules_from_settings
from scheduler.spool import import_spool
from scheduler.stored_promise import Promise
from spillway.call import RETURN_PRIORITY
from spillway.request_problem import in_english
from tests.call_harness import routing_harness, silent_prompts, wait_event
from tests.conftest import PbxHandle

pytestmark = [pytest.mark.asterisk, pytest.mark.asyncio(loop_scope="session")]


async def test_wait_choice_returns_caller_ahead_of_later_callers(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    async with routing_harness(
        pbx, tmp_path / "calls.db", agents=0, max_wait_s=2, bot_ready=False
    ) as h:
        with pbx.ami.subscribe("UserEvent", "QueueCallerJoin") as events:
            first = await h.call("4511111111")
            await wait_event(events, 5, Event="QueueCallerJoin", Uniqueid=first.call_id)
            # Far enough behind that the first is offered and back before
            # the second's own max_wait runs out.
            await asyncio.sleep(1.0)
            second = await h.call("4522222222")
            await wait_event(events, 5, Event="QueueCallerJoin", Uniqueid=second.call_id)
            # The first caller passes max_wait first and hears the offer.
            offer = await wait_event(events, 5, UserEvent="SpillwayOffer")
            assert offer["CallId"] == first.call_id
            await h.press(first, "2")
            requeue = await wait_event(events, 5, UserEvent="SpillwayRequeue")
            assert requeue["CallId"] == first.call_id
            assert requeue["QueuePriority"] == str(RETURN_PRIORITY)
            rejoin = await wait_event(events, 5, Event="QueueCallerJoin", Uniqueid=first.call_id)
            # Back in front of the caller who arrived after them.
            assert rejoin["Position"] == "1"
            assert rejoin["Count"] == "2"
            entries = await h.queue_entries()
        by_id = {e["Uniqueid"]: e for e in entries}
        assert by_id[first.call_id]["Position"] == "1"
        assert by_id[first.call_id].get("Priority", str(RETURN_PRIORITY)) == str(RETURN_PRIORITY)

        routes = h.rows(
            "SELECT data FROM call_events WHERE call_id = ? AND kind = 'route' ORDER BY id",
            (first.call_id,),
        )
        chosen = [json.loads(r["data"])["route"] for r in routes]
        assert chosen[0] == "queue"
        # The offer, then the caller's "keep waiting". (Back in the queue, the
        # max_wait_s = 2 timer runs again, so on a slow machine a second offer
        # may already be logged by the time these rows are read.)
        assert chosen[chosen.index("offer") + 1] == "wait", chosen
        calls = h.rows("SELECT caller, transport FROM calls WHERE call_id = ?", (first.call_id,))
        assert calls == [{"caller": "4511111111", "transport": pbx.settings.controller.transport}]


async def test_callback_choice_records_a_callback_request(pbx: PbxHandle, tmp_path: Path) -> None:
    async with routing_harness(
        pbx, tmp_path / "calls.db", agents=0, max_wait_s=1, bot_ready=False
    ) as h:
        with pbx.ami.subscribe("UserEvent", "Hangup") as events:
            call = await h.call("4533333333")
            await wait_event(events, 5, UserEvent="SpillwayOffer", CallId=call.call_id)
            await h.press(call, "3")
            # First the sentence on the callback's timing, when its sound is installed
            # (about 8 s, then 3 s for the plain-callback key): then the request.
            done = await wait_event(events, 20, UserEvent="SpillwayCallback")
            assert done["CallId"] == call.call_id
            # The caller hears the goodbye and the call ends by itself.
            await wait_event(events, 20, Event="Hangup", Uniqueid=call.call_id)
        rows = h.rows("SELECT * FROM callback_requests")
        assert len(rows) == 1
        assert rows[0]["phone"] == "+4533333333"  # normalised to E.164 at intake
        assert rows[0]["call_id"] == call.call_id
        assert rows[0]["status"] == "pending"
        assert str(rows[0]["id"]) == done["CallbackId"]
        call_row = h.rows("SELECT outcome, ended_at FROM calls WHERE call_id = ?", (call.call_id,))
        assert call_row[0]["outcome"] == "callback"


async def test_key_3_tells_the_caller_the_promise_the_request_carries(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    # The promise's pieces installed (a tenth of a second of silence each, where the
    # sandbox has none rendered): the dialplan plays the ones the controller named.
    names = [PROMISE_START, PROMISE_END, PROMISE_TODAY, PROMISE_TOMORROW, PROMISE_LIKELY]
    names += [hour_file(h) for h in range(1, 24)] + [weekday_file(d) for d in range(7)]
    with silent_prompts(pbx, *names):
        async with routing_harness(
            pbx, tmp_path / "calls.db", agents=0, max_wait_s=1, bot_ready=False
        ) as h:
            with pbx.ami.subscribe("UserEvent", "Hangup", "Newexten") as events:
                call = await h.call("4533333355")
                await wait_event(events, 10, UserEvent="SpillwayOffer", CallId=call.call_id)
                await h.press(call, "3")
                await wait_event(events, 20, UserEvent="SpillwayCallback", CallId=call.call_id)
                # The thank-you: the first Playback after the request is recorded.
                told = await wait_event(events, 10, Application="Playback", Uniqueid=call.call_id)
                await wait_event(events, 20, Event="Hangup", Uniqueid=call.call_id)
            [row] = h.rows("SELECT * FROM callback_requests")
        rules = rules_from_settings(pbx.settings)
        due, _ = promise_times(rules, row, default_timezone="Europe/Copenhagen")
        # Timed by prediction (the default): "when you're most likely to be free" and the day.
        assert row["timing"] == "predicted"
        said = spoken(Promise(due, row["timezone"], likely=True), rules, now=row["created_at"])
        snd = sound_dirs(pbx.settings).pbx
        if said is None:  # a deadline no piece can say (past midnight): the fixed thank-you
            assert told["Context"] == "spillway-say" and "menu_callback_recorded" in told["AppData"]
        else:
            pieces = (PROMISE_START, said.hour_file, said.day_file, PROMISE_END)
            assert told["AppData"] == "&".join(f"{snd}/{p}" for p in pieces)


async def test_key_3_joining_a_request_already_tried_says_no_time(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    # The customer missed a callback and rings again: key 3 joins the open request, whose
    # next call is a retry the policy may plan days ahead. No first-call day binds it, so
    # the thank-you names no time (its file installed: a tenth of a second of silence
    # where the sandbox has none rendered).
    with silent_prompts(pbx, RECORDED_AGAIN):
        await _key_3_joins_a_tried_request(pbx, tmp_path)


async def _key_3_joins_a_tried_request(pbx: PbxHandle, tmp_path: Path) -> None:
    async with routing_harness(
        pbx, tmp_path / "calls.db", agents=0, max_wait_s=1, bot_ready=False
    ) as h:
        with h.store.transaction() as tx:
            first = intake.record(
                tx, NewRequest("+4533333377", RequestSource.API, "t"), region="DK", now=time.time()
            ).id
        h.store.execute("UPDATE callback_requests SET attempts = 1 WHERE id = ?", (first,))
        with pbx.ami.subscribe("UserEvent", "Hangup", "Newexten") as events:
            call = await h.call("4533333377")
            await wait_event(events, 10, UserEvent="SpillwayOffer", CallId=call.call_id)
            await h.press(call, "3")
            done = await wait_event(events, 20, UserEvent="SpillwayCallback", CallId=call.call_id)
            told = await wait_event(events, 10, Application="Playback", Uniqueid=call.call_id)
            await wait_event(events, 20, Event="Hangup", Uniqueid=call.call_id)
        assert done["CallbackId"] == str(first)  # joined, not a second request
        assert len(h.rows("SELECT id FROM callback_requests")) == 1
    assert told["Context"] == "spillway-say" and RECORDED_AGAIN in told["AppData"], told


async def test_a_dtmf_only_bot_leaves_the_offer_to_the_dialplan_menu(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    # A bot that cannot speak the offer (the tone-only MenuBot; `spillway serve`
    # without speech models runs no bot at all): the media is up, but the offer is
    # the dialplan's Read() menu with spoken prompts.
    async with routing_harness(
        pbx, tmp_path / "calls.db", bot=MenuBot(), agents=0, overflow_min_waiting=100, max_wait_s=1
    ) as h:
        with pbx.ami.subscribe("UserEvent") as events:
            call = await h.call("4544444444")
            offer = await wait_event(events, 5, UserEvent="SpillwayOffer", CallId=call.call_id)
            assert offer["By"] == "menu"
            await h.press(call, "2")
            requeue = await wait_event(events, 5, UserEvent="SpillwayRequeue")
        assert requeue["CallId"] == call.call_id
        assert requeue["QueuePriority"] == str(RETURN_PRIORITY)
        assert h.controller.bot_started == []  # the bot never took the call


@pytest.mark.parametrize("transport", ["websocket", "audiosocket"])
async def test_menu_bot_in_offer_mode_takes_the_same_choice(
    pbx: PbxHandle, tmp_path: Path, transport: str
) -> None:
    async with routing_harness(
        pbx,
        tmp_path / "calls.db",
        bot=MenuBot(speaks_offer=True),
        transport=transport,
        agents=0,
        overflow_min_waiting=100,
        max_wait_s=1,
    ) as h:
        with pbx.ami.subscribe("UserEvent", "Newexten") as events:
            call = await h.call("4555555555")
            offer = await wait_event(events, 5, UserEvent="SpillwayOffer", CallId=call.call_id)
            assert offer["By"] == "bot"
            await wait_event(events, 5, UserEvent="SpillwayBot", CallId=call.call_id)
            # The bot's media session is up (keys reach it).
            await h.bot_started(call.call_id)
            await h.press(call, "3")
            done = await wait_event(events, 10, UserEvent="SpillwayCallback", CallId=call.call_id)
            # The thank-you that says when (the menu's: the bot could not say it), not
            # only the goodbye (call_goodbye, or Asterisk's vm-goodbye alone).
            told = await wait_event(events, 10, Application="Playback", Uniqueid=call.call_id)
        assert "call_goodbye" not in told["AppData"] and told["AppData"] != "vm-goodbye"
        assert any(
            name in told["AppData"]
            for name in ("menu_callback_recorded", "menu_callback_promise_start", "auth-thankyou")
        ), told
        [row] = h.rows("SELECT * FROM callback_requests")
        assert (row["phone"], row["source"], str(row["id"])) == (
            "+4555555555",
            "bot",
            done["CallbackId"],
        )
        [started] = h.controller.bot_started
        assert started.call_id == call.call_id and started.offer
        turns = h.rows(
            "SELECT speaker, text FROM transcript_turns WHERE call_id = ? ORDER BY id",
            (call.call_id,),
        )
        assert turns == [
            {"speaker": "bot", "text": "offer: 1 bot, 2 wait, 3 callback"},
            {"speaker": "caller", "text": "DTMF 3"},
        ]


async def test_callback_from_a_premium_rate_number_keeps_the_caller_in_the_queue(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    async with routing_harness(
        pbx, tmp_path / "calls.db", agents=0, max_wait_s=1, bot_ready=False
    ) as h:
        with pbx.ami.subscribe("UserEvent") as events:
            call = await h.call("4590123456")  # a Danish premium-rate number
            await wait_event(events, 5, UserEvent="SpillwayOffer", CallId=call.call_id)
            await h.press(call, "3")
            # The caller first hears why no call will come (callback_not_taken).
            requeue = await wait_event(events, 30, UserEvent="SpillwayRequeue")
        assert requeue["CallId"] == call.call_id
        [row] = h.rows("SELECT phone, status, last_error FROM callback_requests")
        assert (row["phone"], row["status"]) == ("+4590123456", "invalid_number")
        assert "premium-rate" in (in_english(row["last_error"]) or "")


async def test_with_the_controller_down_a_menu_callback_still_reaches_the_scheduler(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    # `spillway serve` is stopped: every FastAGI request fails, the offer is the
    # dialplan's own menu, and "3" runs the classic AGI spool script in Asterisk.
    spool = callback_spool(pbx.settings).local
    shutil.rmtree(spool / "new", ignore_errors=True)
    # The fixed thank-you installed (silence, where the sandbox has none rendered).
    with silent_prompts(pbx, "menu_callback_recorded") as [thanks]:
        async with routing_harness(
            pbx, tmp_path / "calls.db", agents=0, max_wait_s=1, bot_ready=False
        ) as h:
            await h.server.close()
            with pbx.ami.subscribe("UserEvent", "Hangup", "Newexten") as events:
                call = await h.call("4533333399")
                await wait_event(events, 10, UserEvent="SpillwayOffer", CallId=call.call_id)
                await h.press(call, "3")
                # After the timing step (its sentence, then a few seconds for key 9) when
                # the prompts are rendered into this sandbox, as another test may have done.
                done = await wait_event(events, 30, UserEvent="SpillwayCallback")
                assert done["CallId"] == call.call_id
                assert done["CallbackId"] == f"spool:{call.call_id}"
                # No promise from a controller: the fixed thank-you (true of every menu request).
                told = await wait_event(events, 10, Application="Playback", Uniqueid=call.call_id)
                assert told["AppData"] == thanks
                await wait_event(events, 20, Event="Hangup", Uniqueid=call.call_id)
            assert h.rows("SELECT * FROM callback_requests") == []  # the controller saw nothing
            report = import_spool(
                h.store, spool, region="DK", default_timezone="Europe/Copenhagen", now=time.time()
            )
            assert report.bad == []
            [row] = h.rows("SELECT phone, source, call_id, status FROM callback_requests")
            assert row == {
                "phone": "+4533333399",
                "source": "spool",
                "call_id": call.call_id,
                "status": "pending",
            }
            assert list((spool / "new").iterdir()) == []


async def test_a_key_the_menu_does_not_offer_is_told_and_the_menu_repeats_once(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    # The sandbox shop speaks English: what the caller is told is our rendered prompt
    # when an earlier test rendered the prompts, else spillway-say's fallback
    # (Asterisk's "invalid option"); either says the key is not on offer.
    async with routing_harness(
        pbx, tmp_path / "calls.db", agents=0, max_wait_s=1, bot_ready=False
    ) as h:
        with pbx.ami.subscribe("UserEvent", "Newexten") as events:
            call = await h.call("4533333344")
            await wait_event(events, 10, UserEvent="SpillwayOffer", CallId=call.call_id)
            await wait_event(events, 5, Application="Read", Uniqueid=call.call_id)
            await h.press(call, "4")
            told = await wait_event(
                events, 10, Context="spillway-say", Application="Playback", Uniqueid=call.call_id
            )
            played = told["AppData"]
            assert played.endswith("/menu_key_not_offered") or "pm-invalid-option" in played
            # The same menu again (not a new offer), then a second key not on offer.
            await wait_event(events, 10, Extension="menu-again", Uniqueid=call.call_id)
            await wait_event(events, 10, Application="Read", Uniqueid=call.call_id)
            await h.press(call, "4")
            requeue = await wait_event(events, 15, UserEvent="SpillwayRequeue")
        assert requeue["CallId"] == call.call_id
        routes = h.rows(
            "SELECT data FROM call_events WHERE call_id = ? AND kind = 'route' ORDER BY id",
            (call.call_id,),
        )
        chosen = [json.loads(r["data"])["route"] for r in routes]
        start = chosen.index("offer")
        assert chosen[start : start + 3] == ["offer", "menu-again", "wait"], chosen
