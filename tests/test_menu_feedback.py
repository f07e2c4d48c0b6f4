"""The DTMF overflow menu after a key (new-admin walk-through): a key the menu does not
offer is told to the caller, who hears the menu once more, and a second one keeps their
place; key 3 ends with our own "we'll call you back" prompt; no key leads to Asterisk's
English stock sounds in a dialplan for another language."""

from __future__ import annotations

import re

import pytest

from agi.overflow import MENU_WRONG_KEYS_REPEATED, menu_offers_bot, route_menu_choice
from dialplan.sounds import NO_WORDS, SOUND_KEYS, sound_dirs, stock_fallback
from spillway.call import MENU_CHOICES, Route
from spillway.language_pack import load_pack
from tests.conftest import make_settings
from tests.test_pbx_sounds import extensions
from tests.test_workers import _controller, _session

NEW_PROMPTS = (
    "menu_key_not_offered",
    "menu_key_not_offered_again",
    "menu_callback_recorded",
    "call_goodbye",
)

# Asterisk's English stock sounds the Spillway dialplan may name as a fallback.
STOCK = (
    "auth-thankyou", "vm-goodbye", "queue-periodic-announce", "pm-invalid-option",
    "queue-thankyou", "hello", "pls-hold-while-try", "sorry", "vm-nobodyavail",
)  # fmt: skip


# -- the decision (pure) ------------------------------------------------------------


def test_a_second_key_not_offered_keeps_the_callers_place() -> None:
    first = route_menu_choice("4", bot_ready=True)
    assert first.route is Route.MENU_AGAIN and first.say == ("menu_key_not_offered",)
    second = route_menu_choice("4", bot_ready=True, wrong_keys=MENU_WRONG_KEYS_REPEATED)
    assert second.route is Route.WAIT
    assert second.say == ("menu_key_not_offered_again", "menu_keep_place")
    # A right key after a wrong one is taken as any other.
    assert route_menu_choice("3", bot_ready=True, wrong_keys=1).route is Route.CALLBACK


def test_key_1_is_judged_by_what_the_menu_said() -> None:
    # The menu without key 1: pressing it is a key not offered while no bot can take
    # the call; a bot freed since serves the caller who pressed it
    # (tests/test_workers_pbx.py: a freed worker takes key 1).
    assert route_menu_choice("1", bot_ready=True, bot_offered=False).route is Route.BOT
    assert route_menu_choice("1", bot_ready=False, bot_offered=False).route is Route.MENU_AGAIN
    full = route_menu_choice("1", bot_ready=True, bot_full=True, bot_offered=False)
    assert full.route is Route.MENU_AGAIN
    # Offered and still up: the bot.
    assert route_menu_choice("1", bot_ready=True, bot_offered=True).route is Route.BOT
    # Offered, but the bot went since: not the caller's mistake; they keep their place.
    gone = route_menu_choice("1", bot_ready=True, bot_full=True, bot_offered=True)
    assert gone.route is Route.WAIT and gone.say == ("menu_keep_place",)
    assert "call limit" in gone.reason
    # Not told by the dialplan: offered when the bot can take the call (as at the offer).
    assert menu_offers_bot(bot_ready=True) and not menu_offers_bot(bot_ready=False)


def test_whatever_the_caller_is_told_ends_with_what_happens_next() -> None:
    # Either the menu plays again (it names the keys), or "you keep your place ...".
    for digits in ("", "1", "2", "3", "4", "*", "9"):
        for wrong in (0, 1, 2):
            for ready, full, offered in [(True, False, True), (False, False, None),
                                         (True, True, True), (True, False, False)]:  # fmt: skip
                d = route_menu_choice(
                    digits, bot_ready=ready, bot_full=full, wrong_keys=wrong, bot_offered=offered
                )
                if d.route is Route.MENU_AGAIN:
                    assert d.say == ("menu_key_not_offered",), d
                elif d.say:
                    assert d.route is Route.WAIT and d.say[-1] == "menu_keep_place", d


def test_every_offered_key_says_nothing_first() -> None:
    for key, route in MENU_CHOICES.items():
        decision = route_menu_choice(key, bot_ready=True, bot_offered=True)
        assert (decision.route, decision.say) == (route, ())


@pytest.mark.parametrize("language", ["en", "da"])
def test_what_the_decision_says_is_a_rendered_prompt_in_every_pack(language: str) -> None:
    pack = load_pack(language)
    said = {
        key
        for digits in ("4", "1")
        for wrong in (0, 1)
        for key in route_menu_choice(digits, bot_ready=False, wrong_keys=wrong).say
    }
    assert said == {"menu_key_not_offered", "menu_key_not_offered_again", "menu_keep_place"}
    for key in said:
        assert key in SOUND_KEYS
        assert pack.say(key, shop="Shop")


# -- the controller tells the dialplan ------------------------------------------------


async def test_the_controller_passes_the_decision_and_its_words_to_the_dialplan() -> None:
    controller, _ = _controller(max_bot_calls=1)
    first = _session("w1", "choice", "4", "0", "no")
    await controller.choice(first)
    assert first.set["SPILLWAY_ROUTE"] == "menu-again"
    assert first.set["SPILLWAY_SAY"] == "menu_key_not_offered"
    second = _session("w1", "choice", "4", "1", "no")
    await controller.choice(second)
    assert second.set["SPILLWAY_ROUTE"] == "wait"
    assert second.set["SPILLWAY_SAY"] == "menu_key_not_offered_again&menu_keep_place"
    chosen = _session("w2", "choice", "2", "0", "no")
    await controller.choice(chosen)
    assert (chosen.set["SPILLWAY_ROUTE"], chosen.set["SPILLWAY_SAY"]) == ("wait", "")


# -- the rendered dialplan ------------------------------------------------------------


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


def _sounds_played(text: str) -> list[str]:
    """Every sound a Playback/Read/spillway-say line names (``a&b`` split)."""
    names: list[str] = []
    for line in text.splitlines():
        if line.lstrip().startswith(";"):
            continue
        for m in re.finditer(r"Playback\(([^$)][^)]*)\)", line):
            names += m.group(1).split("&")
        for m in re.finditer(r"Read\([A-Z_]+,([^,]*),", line):
            names.append(m.group(1))
        if "spillway-say,s,1(" in line:
            args = line.split("spillway-say,s,1(", 1)[1].rsplit("))", 1)[0]
            names += args.rsplit(",", 1)[1].split("&")  # the fallback: the last argument
    return names


def test_a_danish_dialplan_plays_no_english_stock_sound() -> None:
    settings = make_settings(shop={"language": "da"})
    text = extensions(settings)
    snd = sound_dirs(settings).pbx
    # The caller's contexts (not the sandbox's simulated customers and callers).
    callers = text.split("\n[spillway-agents]", 1)[0]
    played = _sounds_played(callers)
    assert len(played) > 10, played  # the patterns still match the template
    # Only our own prompts (in the shop's folder, or named by a variable: the
    # callback topic's) or a tone; never one of Asterisk's English sounds.
    foreign = [n for n in played if not (n.startswith((f"{snd}/", "${")) or n == NO_WORDS)]
    assert foreign == []
    # The same dialplan in English keeps Asterisk's words as the fallback (the test sees them).
    en_played = set(_sounds_played(extensions(make_settings(shop={"language": "en"}))))
    assert set(STOCK) <= en_played


def test_a_danish_key_3_ends_with_our_callback_prompt_not_english() -> None:
    text = extensions(make_settings(shop={"language": "da"}))
    step = _section(text, "exten => callback,1", "exten => callback-spool,1")
    recorded = step[step.index("(recorded)") :]
    assert "auth-thankyou" not in recorded and "vm-goodbye" not in recorded
    # Key 3 (SPILLWAY_CHOICE, kept through the callback step), or a bot that routed here
    # and the controller named its promise (the DTMF menu bot) -> the thank-you with when.
    assert re.search(
        r'"\$\{SPILLWAY_CHOICE\}" = "3" \| "\$\{SPILLWAY_PROMISE_SAY\}" != ""\]\?menu-recorded\)',
        recorded,
    )
    # The fixed thank-you when no promise was named (the spool) or its files are missing.
    # (or the "as you asked" or "again" one the controller named: only those names are
    # taken from it).
    said = '${IF($["${SPILLWAY_PROMISE_SAY}" = "menu_callback_recorded_asked"]'
    said += "?menu_callback_recorded_asked:"
    said += '${IF($["${SPILLWAY_PROMISE_SAY}" = "menu_callback_recorded_again"]'
    said += "?menu_callback_recorded_again:menu_callback_recorded)})}"
    assert f"(menu-fixed),Gosub(spillway-say,s,1({said},{NO_WORDS}))" in recorded
    done = _section(text, "exten => done,1", "exten => h,1")
    # After the bot, which said goodbye itself: no second goodbye, in no language.
    assert "Playback" not in done and "spillway-say" not in done and "Hangup()" in done


def test_key_3_says_the_promise_the_controller_named_only_when_its_files_are_there() -> None:
    settings = make_settings(shop={"language": "da"})
    snd = sound_dirs(settings).pbx
    step = _section(extensions(settings), "exten => callback,1", "exten => callback-spool,1")
    lines = [line.strip() for line in step.splitlines() if not line.lstrip().startswith(";")]
    # Cleared before each take: the spool path never plays a promise it did not make.
    take = lines.index("same => n(take),Set(SPILLWAY_PROMISE_HOUR=)")
    assert lines[take + 1] == "same => n,Set(SPILLWAY_PROMISE_DAY=)"
    assert lines[take + 2] == "same => n,Set(SPILLWAY_PROMISE_SAY=)"
    assert take < next(i for i, line in enumerate(lines) if "AGI(" in line)
    menu = next(i for i, line in enumerate(lines) if line.startswith("same => n(menu-recorded)"))
    # No promise named: the fixed thank-you.
    assert lines[menu].endswith(
        '"${SPILLWAY_PROMISE_HOUR}" = "" | "${SPILLWAY_PROMISE_DAY}" = ""]?menu-fixed)'
    )
    # Named: played only when all four files are installed, else the fixed thank-you.
    variables = ("${SPILLWAY_PROMISE_HOUR}", "${SPILLWAY_PROMISE_DAY}")
    files = (*variables, "menu_callback_promise_start", "menu_callback_promise_end")
    for name in files:
        assert f"0${{STAT(e,{snd}/{name}.wav)}}" in lines[menu + 1]
    assert lines[menu + 1].endswith("?menu-promise:menu-fixed)")
    assert lines[menu + 2] == (
        f"same => n(menu-promise),Playback({snd}/menu_callback_promise_start"
        f"&{snd}/${{SPILLWAY_PROMISE_HOUR}}&{snd}/${{SPILLWAY_PROMISE_DAY}}"
        f"&{snd}/menu_callback_promise_end)"
    )
    assert lines[menu + 3] == "same => n,Hangup()"


def test_a_wrong_key_is_told_and_the_menu_repeats() -> None:
    text = extensions(make_settings(shop={"language": "da"}))
    offer = _section(text, "exten => offer,1", "exten => bot,1")
    # The counts and the menu the dialplan offered go to the controller with the key.
    assert "(choice,${SPILLWAY_CHOICE},${SPILLWAY_WRONG_KEYS},${SPILLWAY_MENU_BOT})" in offer
    assert offer.index("Set(SPILLWAY_WRONG_KEYS=0)") < offer.index("(again),")
    assert "Gosub(spillway-say,s,1(${CUT(SPILLWAY_SAY,&,1)}," in offer
    assert "Gosub(spillway-say,s,1(${CUT(SPILLWAY_SAY,&,2)}," in offer
    again = offer[offer.index("exten => menu-again,1") :]
    assert "SPILLWAY_WRONG_KEYS=$[0${SPILLWAY_WRONG_KEYS} + 1]" in again
    assert "Goto(offer,again)" in again
    # spillway-ask passes all three arguments through to the worker.
    assert "AGI(${ARG1}/${ARG2},${ARG3},${ARG4},${ARG5})" in text


def test_stock_sounds_are_a_fallback_only_in_their_own_language() -> None:
    assert stock_fallback("en", "auth-thankyou&vm-goodbye") == "auth-thankyou&vm-goodbye"
    assert stock_fallback("da", "auth-thankyou&vm-goodbye") == NO_WORDS


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_new_prompts_are_rendered_and_tell_what_happens(language: str) -> None:
    pack = load_pack(language)
    for key in NEW_PROMPTS:
        assert key in SOUND_KEYS  # rendered into a sound file at `dialplan render`
        assert pack.say(key, shop="Shop")
    recorded = pack.say("menu_callback_recorded", shop="Shop").lower()
    # Who is called back, and on which number (the one the request is for: the caller ID).
    assert {"en": "the number you're calling from", "da": "det nummer, du ringer fra"}[
        language
    ] in recorded
