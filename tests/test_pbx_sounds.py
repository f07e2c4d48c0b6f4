"""The prompts Asterisk plays itself, and what a callback tells the customer and the agent.

Pure pieces, no sandbox: the catalogue has every prompt the dialplan plays,
the dialplan plays only those (and nothing Asterisk's catalogue calls
"telemarketers"), the files are rendered once per wording, and a callback's
dial order carries its topic and the agent's hand-over. What the caller and
the customer really hear is tested over the sandbox in
tests/test_callers_hear.py.
"""

from __future__ import annotations

import json
import re
import wave
from pathlib import Path

import pytest

from agi.overflow import menu_offers_bot
from bot.dialogue.prompts import PROMPTS, say
from dialplan.render import render_spillway
from dialplan.sounds import (
    CALLBACK_TOPICS,
    SOUND_KEYS,
    callback_topic,
    sound_dirs,
    stale_keys,
    write_sounds,
)
from scheduler.callback_context import callback_brief
from scheduler.originate import DialOrder, originate_action
from scheduler.spool import parse_spool_file, with_earlier_context
from spillway.call import HandoffContext
from spillway.console_text import load_console_text
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.conftest import host_settings, make_settings


def extensions(settings: Settings) -> str:
    [text] = [
        f.text
        for f in render_spillway(settings, ami_secret=None)
        if f.name == "extensions_spillway.conf"
    ]
    return text


def test_every_prompt_the_dialplan_plays_is_a_fixed_catalogue_prompt() -> None:
    for key in SOUND_KEYS:
        assert PROMPTS[key].fixed, key  # no caller data: it is rendered ahead of time
        assert "{" not in say(key, shop="Shop"), key  # the shop's name at most
    assert "press 1" in say("menu_offer").lower()
    no_bot = say("menu_offer_no_bot").lower()
    assert "press 1" not in no_bot and "press 2" in no_bot and "press 3" in no_bot
    assert "Nordic Shoes" in say("callback_intro_order", shop="Nordic Shoes")


def test_the_dialplan_plays_only_rendered_prompts_and_no_telemarketers() -> None:
    settings = make_settings()
    text = extensions(settings)
    assert "tt-allbusy" not in text  # "... assisting other telemarketers"
    folder = re.escape(sound_dirs(settings).pbx)
    played = set(re.findall(folder + r"/(\w+)", text))
    played |= set(re.findall(r"Gosub\(spillway-say,s,1\((\w+)", text))
    played.discard("")
    expanded = set()
    for name in played:
        if name.startswith("menu_offer"):
            expanded |= {"menu_offer", "menu_offer_no_bot"}
        elif name in ("callback_intro", "agent_whisper"):  # + the topic's suffix
            expanded |= {name} | {f"{name}_{t}" for t in CALLBACK_TOPICS.values()}
        else:
            expanded.add(name)
    assert expanded <= set(SOUND_KEYS), expanded - set(SOUND_KEYS)
    assert {"menu_no_input", "menu_keep_place", "callback_no_agent"} <= expanded


def test_the_agent_whisper_is_off_unless_asked() -> None:
    assert make_settings().callbacks.agent_whisper is False
    assert ",,spillway-agent-whisper)" not in extensions(make_settings())
    on = extensions(make_settings(callbacks={"agent_whisper": True}))
    assert on.count(",,spillway-agent-whisper)") == 2  # customer first and agent first


def test_sounds_go_to_the_sandbox_instance_or_the_pbx_sounds_folder() -> None:
    sandbox = sound_dirs(make_settings(pbx={"sandbox_instance": "x1"}))
    assert sandbox.pbx == "/spillway/x1/sounds/spillway/en"
    assert str(sandbox.local).endswith("/pbx/root/spillway/x1/sounds/spillway/en")
    host = sound_dirs(host_settings(pbx={"sounds_dir": "/srv/sounds"}))
    assert (str(host.local), host.pbx) == ("/srv/sounds/spillway/en", "/srv/sounds/spillway/en")


def test_sounds_are_written_once_per_wording_and_voice(tmp_path: Path) -> None:
    texts = {"menu_offer": "Press 2.", "menu_no_input": "Sorry."}
    assert stale_keys(tmp_path, texts, "joe") == ["menu_offer", "menu_no_input"]
    pcm = b"\x01\x00" * 800
    write_sounds(tmp_path, {k: (t, pcm) for k, t in texts.items()}, "joe")
    assert stale_keys(tmp_path, texts, "joe") == []
    with wave.open(str(tmp_path / "menu_offer.wav")) as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (8000, 2, 1)
        assert w.readframes(w.getnframes()) == pcm
    # New words, another voice, or a file gone: rendered again.
    assert stale_keys(tmp_path, {**texts, "menu_offer": "Press 3."}, "joe") == ["menu_offer"]
    assert stale_keys(tmp_path, texts, "amy") == ["menu_offer", "menu_no_input"]
    (tmp_path / "menu_no_input.wav").unlink()
    assert stale_keys(tmp_path, texts, "joe") == ["menu_no_input"]


@pytest.mark.parametrize(
    ("reason", "context", "topic"),
    [
        ("callback_request", {"topic": "order_status", "intents": ["order_status"]}, "order"),
        ("return_item", {"intent": "return_item"}, "return"),  # the controller's menu route
        ("queue overflow", {"channel": "PJSIP/x"}, ""),
        ("callback_request", {"intents": ["complaint", "callback_request"]}, "complaint"),
        ("api", {"topic": 7}, ""),
    ],
)
def test_the_callback_topic_comes_from_what_the_call_was_about(
    reason: str, context: dict[str, object], topic: str
) -> None:
    assert callback_topic(reason, context) == topic


# What the bot stores with a callback request after "where is my order ... call me back".
ORDER_CONTEXT = {
    "intents": ["order_status", "callback_request"],
    "topic": "order_status",
    "order_number": "10043",
    "case_id": None,
    "last_caller_text": "where is my order",
}


def test_a_callback_carries_what_a_bot_hand_over_carries() -> None:
    context = {**ORDER_CONTEXT, "last_caller_text": "where is, my order"}
    brief = callback_brief(12, "callback_request", json.dumps(context))
    assert brief.topic == "order"
    assert brief.handoff.intent == "order_status"
    assert brief.handoff.case_id == "10043"
    # In the dialler's language (English unless told; Danish: tests/test_agent_summary.py).
    assert brief.handoff.summary == (
        "Callback request 12. Reason: callback request. Order 10043. "
        "Caller said: where is, my order"
    )
    order = DialOrder(
        "cb-1", 12, "+4520123456", "PJSIP/{e164}@trunk", "Shop <1>", 30, 60,
        topic=brief.topic, handoff=brief.handoff,
    )  # fmt: skip
    variables = dict(v.split("=", 1) for v in originate_action(order)["Variable"])
    assert variables["__SPILLWAY_INTENT"] == "order_status"
    assert variables["__SPILLWAY_CASE_ID"] == "10043"
    # Cleaned as a hand-over's are: a comma would split a dialplan argument.
    assert "," not in variables["__SPILLWAY_SUMMARY"]
    assert "Order 10043" in variables["__SPILLWAY_SUMMARY"]
    assert variables["__SPILLWAY_CALLER"] == "+4520123456"
    assert variables["__SPILLWAY_CALL_ID"] == "cb-1"
    assert variables["__SPILLWAY_CB_TOPIC"] == "order"
    assert "SPILLWAY_PRIO" not in variables  # the callback's priority is SPILLWAY_CB_PRIO
    # A request with nothing known still says which request it is.
    plain = callback_brief(3, "", None)
    assert plain.topic == "" and plain.handoff == HandoffContext(summary="Callback request 3")


def test_the_menu_offers_the_bot_only_when_choosing_it_reaches_the_bot() -> None:
    assert menu_offers_bot(bot_ready=True)
    assert not menu_offers_bot(bot_ready=False)
    assert not menu_offers_bot(bot_ready=True, bot_full=True)


def test_a_request_made_on_a_callback_keeps_what_the_first_was_about(
    store: SqliteStore,
) -> None:
    from scheduler import intake
    from scheduler.intake import NewRequest
    from scheduler.requests import RequestSource

    with store.transaction() as tx:
        first = intake.record(
            tx,
            NewRequest(
                "+4520123456",
                RequestSource.BOT,
                "callback_request",
                context={"topic": "order_status", "order_number": "10043", "state": "x"},
            ),
            region="DK",
            now=1000.0,
        ).id
    body = {
        "version": 1,
        "phone": "+4520123456",
        "call_id": "cb-9",
        "channel": "Local/s@x",
        "requested_at": 1000.0,
        "reason": "no agent was free for the callback",
        "after_request": first,
    }
    request, _ = parse_spool_file(json.dumps(body).encode(), now=2000.0)
    assert request.reason == "no agent was free for the callback"
    with store.transaction() as tx:
        carried = with_earlier_context(tx, request)
    assert carried.context == {
        "topic": "order_status",
        "order_number": "10043",
        "channel": "Local/s@x",
        "after_request": first,
    }
    # A menu's spool file (no reason) keeps the menu's reason.
    del body["reason"], body["after_request"]
    plain, _ = parse_spool_file(json.dumps(body).encode(), now=2000.0)
    assert plain.reason == "DTMF menu while the controller was down"
    assert "after_request" not in plain.context


def test_an_answered_customer_hearing_the_announcement_still_holds_the_attempt() -> None:
    from scheduler.outcomes import AttemptOutcome, outcome_of, outcome_when_gone

    # Under way: the dialer keeps counting it against the free agents (the
    # agent is not rung until the customer joins the queue).
    assert outcome_of("INTRO") is None
    assert outcome_of("ANSWER") is AttemptOutcome.ANSWERED
    # Asterisk went away mid-announcement: the customer was reached all the same.
    assert outcome_when_gone("INTRO") is AttemptOutcome.ANSWERED
    assert outcome_when_gone("dialling") is AttemptOutcome.LOST
    assert outcome_when_gone(None) is AttemptOutcome.LOST


async def test_a_sounds_folder_that_cannot_be_written_is_one_line_not_a_traceback(
    tmp_path: Path,
) -> None:
    pytest.importorskip("piper")
    from cli.pbx_sounds import describe, render_sounds

    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    settings = make_settings(paths={"cache_dir": str(Path.home() / ".cache" / "spillway")})
    result = await render_sounds(settings, blocked / "spillway" / "en")
    assert result.written == [] and result.missing is not None
    said = describe(result, load_console_text("en"))
    assert "cannot write there" in said and "Asterisk's own sounds" in said
