"""The assistant cannot be reached: the caller is told so, never left with hold music alone.

Two paths used to go to the queue without a word: a key pressed at the DTMF menu
when the controller could no longer be asked (a caller who pressed 1 for the
assistant heard nothing but music), and the bot step without a media id or
address (a controller older than the dialplan). Pure: the rendered dialplan is
walked step by step (its Set, GotoIf, Goto and spillway-say lines) from the
variables Asterisk would have, in English and Danish; and the new prompt's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from dialplan.sounds import NO_WORDS, SOUND_KEYS
from spillway.language_pack import load_pack
from tests.conftest import make_settings
from tests.test_pbx_sounds import extensions

LANGUAGES = ("en", "da")
UNAVAILABLE = "bot_unavailable"
KEEP_PLACE = "menu_keep_place"

_LINE = re.compile(r"^(?:exten => ([\w-]+),1|\s*same => n(?:\(([\w-]+)\))?),(\w+)\((.*)\)$")
_VAR = re.compile(r"\$\{(?:CUT\((\w+),&,(\d)\)|(\w+))\}")
_TEST = re.compile(r'^"([^"]*)" (!?=) "([^"]*)"$')


@dataclass
class Walk:
    """Where one walk through ``spillway-route`` went, and what the caller heard."""

    heard: list[str] = field(default_factory=list)
    to: str = ""  # the step it left for: "wait,1", "queue,1", "offer,menu", "media"


def _route_context(language: str) -> dict[str, list[tuple[str, str, str]]]:
    """spillway-route's extensions: (label, application, arguments) per priority."""
    text = extensions(make_settings(shop={"language": language}))
    body = text[text.index("[spillway-route]") : text.index("[spillway-ask]")]
    steps: dict[str, list[tuple[str, str, str]]] = {}
    exten = ""
    for line in body.splitlines():
        m = _LINE.match(line)
        if m is None:
            continue
        if m[1]:
            exten = m[1]
            steps[exten] = []
        steps[exten].append((m[2] or "", m[3], m[4]))
    return steps


def _value(text: str, env: dict[str, str]) -> str:
    """``text`` with its ``${VAR}`` and ``${CUT(VAR,&,n)}`` as Asterisk would expand them."""

    def one(m: re.Match[str]) -> str:
        if m[3]:
            return env.get(m[3], "")
        parts = env.get(m[1], "").split("&")
        return parts[int(m[2]) - 1] if int(m[2]) <= len(parts) else ""

    out = _VAR.sub(one, text)
    assert "${" not in out and "$[" not in out, f"an expression this walk does not know: {text}"
    return out


def _condition(expr: str, env: dict[str, str]) -> bool:
    """``$["${A}" = "x" & "${B}" != ""]``: the only tests these steps make."""
    inner = _value(expr.removeprefix("$[").removesuffix("]"), env)
    ors = []
    for alternative in inner.split(" | "):
        ands = []
        for test in alternative.split(" & "):
            m = _TEST.match(test.strip())
            assert m is not None, f"a test this walk does not know: {test!r}"
            ands.append((m[1] == m[3]) == (m[2] == "="))
        ors.append(all(ands))
    return any(ors)


def walk(language: str, exten: str, label: str, env: dict[str, str], ask: str) -> Walk:
    """From ``exten`` at ``label`` ("" = priority 1) until the call leaves this visit.

    ``ask``: SPILLWAY_ASKED after a spillway-ask Gosub ("" = no worker answered).
    """
    steps = _route_context(language)[exten]
    out = Walk()
    i = next(n for n, (name, _, _) in enumerate(steps) if name == label) if label else 0
    for _ in range(100):
        _, app, args = steps[i]
        i += 1
        target = ""
        if app == "Set":
            var, _, value = args.partition("=")
            env[var] = _value(value, env)
        elif app == "Gosub" and args.startswith("spillway-say,s,1("):
            out.heard.append(_value(args[17:].split(",")[0], env))
        elif app == "Gosub" and args.startswith("spillway-ask,s,1("):
            env["SPILLWAY_ASKED"] = ask
        elif app == "Playback":
            out.heard.append(args.rsplit("/", 1)[-1])
        elif app in ("Dial", "TryExec"):
            out.to = "media"
            return out
        elif app == "GotoIf":
            cond, _, then = args.rpartition("?")
            target = then.split(":")[0] if _condition(cond, env) else ""
        elif app == "Goto":
            target = _value(args, env)
        if target:
            if "," in target:
                out.to = target
                return out
            i = next(n for n, (name, _, _) in enumerate(steps) if name == target)
    raise AssertionError("the walk did not leave the step")


def _chosen(language: str, key: str, *, ask: str = "") -> Walk:
    """The menu's answer: ``key`` pressed, then the controller asked (``ask``)."""
    env = {"SPILLWAY_CHOICE": key, "SPILLWAY_MENU_BOT": "yes", "SPILLWAY_STAGE": "offer"}
    return walk(language, "offer", "chosen", env, ask)


# -- the DTMF menu, the controller gone after the key ---------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_key_1_without_the_controller_is_told_the_assistant_is_not_available(
    language: str,
) -> None:
    went = _chosen(language, "1")
    assert (went.heard, went.to) == ([UNAVAILABLE], "wait,1")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", ["2", "4", "#"])
def test_another_key_without_the_controller_is_told_they_keep_their_place(
    language: str, key: str
) -> None:
    went = _chosen(language, key)
    assert (went.heard, went.to) == ([KEEP_PLACE], "wait,1")


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_key_is_told_once_and_key_3_still_reaches_the_spool(language: str) -> None:
    # No key twice: the menu said "you keep your place" (noinput); not a second time.
    noinput = walk(language, "offer", "noinput", {"SPILLWAY_CHOICE": ""}, "")
    assert (noinput.heard, noinput.to) == ([KEEP_PLACE], "wait,1")
    spool = _chosen(language, "3")
    assert (spool.heard, spool.to) == ([], "callback-spool,1")


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_answering_controller_still_decides_what_is_said(language: str) -> None:
    # Its SPILLWAY_SAY and route, not the words for a controller that is gone.
    env = {"SPILLWAY_CHOICE": "1", "SPILLWAY_SAY": "", "SPILLWAY_ROUTE": "wait"}
    asked = walk(language, "offer", "go", env, "SUCCESS")
    assert (asked.heard, asked.to) == ([], "wait,1")
    full = walk(language, "offer", "chosen", {"SPILLWAY_CHOICE": "2"}, "SUCCESS")
    assert UNAVAILABLE not in full.heard and KEEP_PLACE not in full.heard


# -- the bot step without a media id or address ---------------------------------------

MEDIA = {
    "SPILLWAY_MEDIA_ID": "m-1",
    "SPILLWAY_MEDIA_WS": "spillway-media",
    "SPILLWAY_MEDIA_AS": "127.0.0.1:9092",
}


def _bot(language: str, stage: str, offer_by: str, missing: str, transport: str) -> Walk:
    env = {**MEDIA, missing: "", "SPILLWAY_TRANSPORT": transport}
    env |= {"SPILLWAY_STAGE": stage, "SPILLWAY_OFFER_BY": offer_by}
    return walk(language, "bot", "", env, "SUCCESS")


NO_MEDIA = [
    ("SPILLWAY_MEDIA_ID", "websocket"),
    ("SPILLWAY_MEDIA_ID", "audiosocket"),
    ("SPILLWAY_MEDIA_WS", "websocket"),
    ("SPILLWAY_MEDIA_AS", "audiosocket"),
]


# Where a caller with no media goes, by where they came from (SPILLWAY_STAGE, and who
# made the offer): what they hear, and the step they go to.
CAME_FROM = {
    # They waited, pressed 1: told, and back in the queue with priority (wait), not the
    # first-time queue whose overflow timer would start again.
    "pressed 1 at the menu": ("offer", "menu", [UNAVAILABLE], "wait,1"),
    # They asked for nothing: the first-time queue, as every caller sent there on arrival.
    "sent to the bot on arrival": ("", "", [], "queue,1"),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("missing", "transport"), NO_MEDIA)
@pytest.mark.parametrize("came_from", CAME_FROM)
def test_a_caller_with_no_media_is_told_what_is_true_and_queued_by_where_they_came_from(
    language: str, missing: str, transport: str, came_from: str
) -> None:
    stage, offer_by, heard, to = CAME_FROM[came_from]
    went = _bot(language, stage, offer_by, missing, transport)
    assert (went.heard, went.to) == (heard, to)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("missing", "transport"), NO_MEDIA)
def test_a_bot_offer_with_no_media_is_the_menu_without_the_bot(
    language: str, missing: str, transport: str
) -> None:
    # The bot was to make the offer; the caller has chosen nothing yet: the DTMF menu
    # makes it (its key 1 is not offered: SPILLWAY_MENU_BOT stays no), and a key 1
    # pressed there that comes back to this step is a menu choice, told.
    env = {**MEDIA, missing: "", "SPILLWAY_TRANSPORT": transport, "SPILLWAY_STAGE": "offer"}
    env |= {"SPILLWAY_OFFER_BY": "bot", "SPILLWAY_MENU_BOT": "no"}
    went = walk(language, "bot", "", env, "SUCCESS")
    assert (went.heard, went.to) == ([], "offer,menu")
    assert (env["SPILLWAY_STAGE"], env["SPILLWAY_OFFER_BY"]) == ("offer", "menu")
    again = walk(language, "bot", "", env, "SUCCESS")
    assert (again.heard, again.to) == ([UNAVAILABLE], "wait,1")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("transport", ["websocket", "audiosocket"])
def test_with_its_media_the_bot_step_reaches_the_bot(language: str, transport: str) -> None:
    env = {**MEDIA, "SPILLWAY_TRANSPORT": transport, "SPILLWAY_STAGE": "offer"}
    assert walk(language, "bot", "", env, "SUCCESS").to == "media"


# -- the words --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "fallback"), [("en", "sorry&queue-thankyou"), ("da", NO_WORDS)]
)
def test_without_the_rendered_file_asterisk_says_only_what_is_true(
    language: str, fallback: str
) -> None:
    # "I'm sorry. Thank you for your patience." in English; a tone, not English, in Danish.
    text = extensions(make_settings(shop={"language": language}))
    said = re.findall(rf"spillway-say,s,1\({UNAVAILABLE},([^)]*)\)", text)
    assert len(said) == 2 and set(said) == {fallback}, said


WORDS = {
    "en": ("assistant isn't available right now", "keep your place in the queue"),
    "da": ("assistent er ikke tilgængelig lige nu", "beholder din plads i køen"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_prompt_says_what_is_true_and_what_comes_next(language: str) -> None:
    assert UNAVAILABLE in SOUND_KEYS  # rendered into a sound file, played by Asterisk
    pack = load_pack(language)
    said = pack.say(UNAVAILABLE, shop="Shop")
    unavailable, keep = WORDS[language]
    assert unavailable in said and keep in said
    # Worded as the lost bot's words are: the same apology, the same promise.
    lost = pack.say("bot_lost", shop="Shop")
    assert said.split(" ")[0] == lost.split(" ")[0]
    assert said[said.index(keep) :] == lost[lost.index(keep) :]
