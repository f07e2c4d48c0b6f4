"""A bot call that breaks off (the bot dies mid-call, its worker is killed, the media
connection breaks): the caller is told before the hold music that the assistant is
gone and that they keep their place, in English and Danish, whether or not the
controller can still be asked; without the rendered file, Asterisk's own apology.

Pure: the route decision, the controller's answer to the dialplan, the rendered
after-bot step, the prompt's words and `spillway doctor`'s sound check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agi.overflow import BOT_LOST, route_after_bot
from cli.doctor import check_sounds
from cli.pbx_sounds import expected_sounds
from dialplan.sounds import NO_WORDS, SOUND_KEYS, sound_dirs, write_sounds
from spillway.call import BOT_END_ROUTES, BotOutcome, CallOutcome, Route
from spillway.language_pack import load_pack
from tests.conftest import host_settings, make_settings
from tests.test_pbx_sounds import extensions
from tests.test_workers import _controller, _session

LANGUAGES = ("en", "da")

# -- the decision (pure) ------------------------------------------------------------


def test_a_bot_that_left_no_outcome_is_told_lost_before_the_queue() -> None:
    for status in ("HANGUP", "FAILED", ""):
        decision = route_after_bot(None, status)
        assert decision.route is Route.WAIT
        assert decision.say == (BOT_LOST,)


def test_a_bot_that_failed_mid_call_keeps_its_route_and_is_told_lost() -> None:
    # The media leg broke (or the bot raised): the bot hands over with what it
    # learned, but said nothing; the caller hears why the assistant went quiet.
    failed = route_after_bot(Route.HANDOFF, "SUCCESS", failed=True)
    assert (failed.route, failed.say) == (Route.HANDOFF, (BOT_LOST,))
    # A route the bot chose: it said its own goodbye or hand-over, nothing is added.
    for route in BOT_END_ROUTES:
        assert route_after_bot(route, "SUCCESS").say == (), route


# -- the controller tells the dialplan ------------------------------------------------


async def test_the_controller_names_the_lost_prompt_only_for_a_broken_bot_call() -> None:
    controller, _ = _controller(max_bot_calls=1)
    lost = _session("l1", "after-bot", "HANGUP")
    await controller.after_bot(lost)
    assert (lost.set["SPILLWAY_ROUTE"], lost.set["SPILLWAY_SAY"]) == ("wait", BOT_LOST)

    broken = _session("l2", "inbound", "0", "3")
    await controller.inbound(broken)
    controller.calls["l2"].outcome = BotOutcome(
        Route.HANDOFF, reason="media reset", outcome=CallOutcome.FAILED
    )
    after = _session("l2", "after-bot", "SUCCESS")
    await controller.after_bot(after)
    assert (after.set["SPILLWAY_ROUTE"], after.set["SPILLWAY_SAY"]) == ("handoff", BOT_LOST)

    chosen = _session("l3", "inbound", "0", "3")
    await controller.inbound(chosen)
    controller.calls["l3"].outcome = BotOutcome(Route.HANDOFF, reason="the caller asked")
    after = _session("l3", "after-bot", "SUCCESS")
    await controller.after_bot(after)
    # Always set: an earlier default (the dialplan's bot_lost) must not stand.
    assert (after.set["SPILLWAY_ROUTE"], after.set["SPILLWAY_SAY"]) == ("handoff", "")


# -- the rendered dialplan ------------------------------------------------------------


def _after_bot_step(language: str) -> list[str]:
    text = extensions(make_settings(shop={"language": language}))
    step = text[text.index(" same => n(after),") : text.index(" same => n(no-media),")]
    return [line.strip() for line in step.splitlines() if line.startswith(" same")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_after_bot_step_tells_a_lost_caller_even_without_the_controller(
    language: str,
) -> None:
    lines = _after_bot_step(language)
    agi = next(i for i, line in enumerate(lines) if "/after-bot," in line)
    # Before the question: the answer when there is none (a controller that died with
    # its bot, or one that failed before it said anything).
    assert "same => n,Set(SPILLWAY_SAY=bot_lost)" in lines[:agi]
    assert "same => n(after),Set(SPILLWAY_ROUTE=wait)" in lines[:agi]
    # Not asked: whatever a dying controller set is replaced by the lost bot's words.
    assert lines[agi + 1] == 'same => n,GotoIf($["${AGISTATUS}" = "SUCCESS"]?told)'
    assert lines[agi + 2 : agi + 4] == [
        "same => n,Set(SPILLWAY_ROUTE=wait)",
        "same => n,Set(SPILLWAY_SAY=bot_lost)",
    ]
    # Told (when there is anything to tell) before the route: never straight to music.
    said = next(i for i, line in enumerate(lines) if "spillway-say,s,1(${SPILLWAY_SAY}," in line)
    route = lines.index("same => n(next),Goto(${SPILLWAY_ROUTE},1)")
    assert agi < said < route
    assert lines[said - 1] == 'same => n(told),GotoIf($["${SPILLWAY_SAY}" = ""]?next)'


@pytest.mark.parametrize(
    ("language", "fallback"), [("en", "sorry&queue-thankyou"), ("da", NO_WORDS)]
)
def test_without_the_rendered_file_the_lost_caller_hears_only_what_is_true(
    language: str, fallback: str
) -> None:
    # Asterisk's own "I'm sorry. Thank you for your patience." (true: the caller is
    # waiting for a colleague); in Danish no English words, a tone.
    [line] = [line for line in _after_bot_step(language) if "spillway-say" in line]
    assert line.endswith(f"(${{SPILLWAY_SAY}},{fallback}))"), line


# What the lost bot's words say, in each pack: what happened, and what comes next.
LOST_WORDS = {
    "en": ("lost the connection to our automated assistant", "keep your place in the queue"),
    "da": ("mistede forbindelsen til vores automatiske assistent", "beholder din plads i køen"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_lost_prompt_says_what_happened_and_what_comes_next(language: str) -> None:
    lost, keep = LOST_WORDS[language]
    assert BOT_LOST in SOUND_KEYS  # rendered into a sound file, played by Asterisk
    said = load_pack(language).say(BOT_LOST, shop="Shop")
    assert lost in said and keep in said
    assert said.startswith({"en": "Sorry,", "da": "Beklager,"}[language])


def test_the_doctor_misses_the_lost_prompt_when_it_is_not_rendered(tmp_path: Path) -> None:
    settings = host_settings(
        pbx={"sounds_dir": str(tmp_path)}, paths={"cache_dir": str(tmp_path / "cache")}
    )
    texts, voice = expected_sounds(settings)
    assert BOT_LOST in texts
    folder = sound_dirs(settings).local
    write_sounds(
        folder, {k: (t, b"\x00\x00" * 80) for k, t in texts.items() if k != BOT_LOST}, voice
    )
    check = check_sounds(settings)
    assert not check.ok and BOT_LOST in check.detail
