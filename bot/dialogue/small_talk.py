"""Turns that are only talk around the call: "hold on", "are you there?", a greeting,
a filler: told apart (pure, :func:`small_talk`) and answered (:class:`SmallTalkSteps`).

The Danish caller audit of December 2026 heard "vent lige lidt" and "et øjeblik,
jeg leder" answered with "Beklager, det forstod jeg ikke" twice, then a hand-over:
the pack's ``hold_on`` phrases only kept such words from being taken for an
out-of-scope question, and the step's reprompt then counted them as failures.
"Hallo? er der nogen?", "goddag goddag" and "ja hej, det er Birthe her" fared the
same, and three fillers ("øhm", "altså", "jeg ringer bare lige for at høre") used
up all of a caller's tries.

:func:`small_talk` reads a whole turn made only of such pieces (the pack's
``grammar.yaml``: ``hold_requests``, ``presence_checks``, ``greetings``,
``introductions`` (with ``{name}``: one word), ``fillers``, ``hesitations``, and the
``small_talk_glue`` words between them, never alone). An introduction must say it is
one ("det er Birthe her", "jeg hedder Birthe"): a bare "det er ..." is an answer.
Anything else in the turn (a number, a product, a question) is not small talk: the
step answers it as before.
"""

from __future__ import annotations

import functools
import re
from enum import StrEnum

from bot.dialogue.config import State
from bot.dialogue.inputs import CallerInput, TextTurn
from bot.dialogue.pack_phrases import phrase_choice, said_words
from bot.dialogue.prompts import say
from bot.dialogue.steps import DialogueSteps
from bot.nlu.intents import Intent
from bot.types import ParsedIntent, Reply

__all__ = ["SmallTalkSteps", "Talk", "small_talk"]


class Talk(StrEnum):
    """What a turn of small talk asks of the bot."""

    HOLD = "hold"  # wait: "Of course, I'll wait"
    HERE = "here"  # "are you there?", a greeting: "Yes, I'm here" and the question
    FILLER = "filler"  # a filler: the question again, gently


# The keys of each kind, tried in this order (a hold with a greeting is a hold).
_KINDS = (
    (Talk.HOLD, ("hold_requests",)),
    (Talk.HERE, ("presence_checks", "greetings")),
    (Talk.FILLER, ("fillers", "hesitations")),
)
# The name in an introduction: one word of letters.
_NAME = r"[^\W\d_]+"


@functools.cache
def _pieces(language: str) -> dict[Talk | None, str]:
    """Each kind's phrases as one choice; None: the glue, introductions with a name."""
    pieces: dict[Talk | None, str] = {
        kind: "|".join(phrase_choice(language, key) for key in keys) for kind, keys in _KINDS
    }
    pieces[None] = f"{_introductions(language)}|{phrase_choice(language, 'small_talk_glue')}"
    return pieces


@functools.cache
def _introductions(language: str) -> str:
    """The pack's introductions as one choice, ``{name}`` standing for a word."""
    escaped = phrase_choice(language, "introductions", _keep_name)
    return escaped.replace(re.escape("{name}"), _NAME)


def _keep_name(phrase: str) -> str:
    return said_words(phrase.replace("{name}", "NAMEHOLDER")).replace("nameholder", "{name}")


@functools.cache
def _whole(language: str) -> re.Pattern[str]:
    """A turn made of small-talk pieces only, in any order."""
    choice = "|".join(f"(?:{p})" for p in _pieces(language).values())
    return re.compile(rf"(?:(?:{choice})(?: |$))+")


def _has(language: str, kind: Talk, said: str) -> bool:
    return re.search(rf"(?:^| )(?:{_pieces(language)[kind]})(?: |$)", said) is not None


def small_talk(text: str, language: str) -> Talk | None:
    """The kind of small talk ``text`` is, when it is nothing else; None otherwise."""
    said = said_words(text)
    if not said or _whole(language).fullmatch(said) is None:
        return None
    kind = next((kind for kind, _ in _KINDS if _has(language, kind, said)), None)
    if kind is None and re.search(rf"(?:^| )(?:{_introductions(language)})", said):
        return Talk.HERE  # "det er Birthe her": a caller saying who they are
    return kind


class SmallTalkSteps(DialogueSteps):
    """The dialogue's answer to small talk (a mixin of :class:`bot.dialogue.machine.Dialogue`)."""

    # Fillers heard in this call: every second one counts as a misunderstanding, so a
    # caller who hesitates still reaches a colleague, only not after three words.
    _fillers: int = 0

    def _small_talk(
        self, event: CallerInput, intent: ParsedIntent | None, *, holds_only: bool = False
    ) -> Reply | None:
        """The reply to a turn of small talk; None: the turn is something else. A number
        or a product heard is never small talk, nor a goodbye ("hej hej") but a hold.

        ``holds_only``: a hold before anything else reads the turn (at any step, and
        before a goodbye: "hang on" is read as one); the rest only where the step found
        no answer in the turn (a yes/no step asks its own "was that a yes?" first)."""
        if not isinstance(event, TextTurn) or intent is None or intent.entities:
            return None
        kind = small_talk(event.text, self.config.language)
        if kind is None or (holds_only and kind is not Talk.HOLD):
            return None
        if kind is not Talk.HOLD and intent.name == Intent.GOODBYE:
            return None  # "hej hej" is a goodbye
        if kind is Talk.HOLD:
            # Nothing to ask: the caller is looking; the next words answer the step.
            text = say("small_talk_hold")
            return Reply(text, "small_talk_hold", cached_prefix=text)
        if kind is Talk.FILLER:
            self._fillers += 1
            if self._fillers % 2 == 0:
                return self._reprompt()
        # Before any question of a flow the menu, with examples of what to say.
        menu = self.state is State.MAIN and not self._served
        question = say("small_talk_menu") if menu else self._question()
        return Reply(say(f"small_talk_{kind}", question=question), f"small_talk_{kind}")
