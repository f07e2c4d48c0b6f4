"""The DTMF menu's path as `spillway call --menu` shows it: pure decisions, no sockets.

The menu is the dialplan's, so what a caller met is read from Asterisk's own
events for the call: ``Newexten`` (each ``Read`` asks a key, each ``Playback``
says something: our prompts by file name), ``QueueCallerJoin``, the
``Spillway*`` UserEvents (the offer, the callback recorded, back in the
queue) and ``Hangup``. :func:`step_of` turns one event into a step,
:func:`menu_end` says when the walk is over, and :func:`menu_lines` words the
steps in the admin's language with what each prompt says in the shop's.
A script for the menu is keys only, one answer per question it asks
(:func:`menu_answers`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.dialogue.inputs import Dtmf, Silence
from cli.spoken_call import CallLine
from spillway.console_text import ConsoleText
from spillway.errors import InputError

# The dialplan applications that play to the caller: a Read waits for a key after it.
PLAYING = ("Playback", "Read")


class StepKind(StrEnum):
    """What happened; the value is the step's code in `--json`."""

    QUEUE = "queue"  # the caller joined the queue (QueueCallerJoin)
    OFFER = "offer"  # the offer was made (SpillwayOffer; detail: by whom)
    PROMPT = "prompt"  # a prompt played (detail: its files, "&" between)
    KEY = "key"  # the caller pressed a key (detail: the key)
    NO_KEY = "no_key"  # the caller let a question pass (a <silence> line)
    CALLBACK = "callback"  # a callback request recorded (detail: its id)
    REQUEUE = "requeue"  # back in the queue, keeping their place (detail: the priority)
    HANGUP = "hangup"  # the call ended


@dataclass(frozen=True, slots=True)
class MenuStep:
    at_s: float  # seconds since the call was answered
    kind: StepKind
    detail: str = ""
    asks: bool = False  # a prompt that waits for a key (Read)


class MenuEnd(StrEnum):
    """How the menu call ended; the value is its code in `--json`."""

    CALLBACK = "callback"  # a request recorded, the promise said, the call ended
    QUEUE = "queue"  # the caller keeps their place in the queue
    HANGUP = "hangup"  # the call ended without either


def menu_answers(lines: Sequence[CallLine], source: str) -> list[str]:
    """The caller's answer to each question the menu asks, in order: a key, or "" for
    none (``<silence>``). The menu hears keys only, one per question."""
    answers = []
    for line in lines:
        event = line.line.event
        if isinstance(event, Silence):
            answers.append("")
        elif not isinstance(event, Dtmf):
            raise InputError.worded("menu_keys_only", source=source, line=line.line.line_no)
        elif len(event.digits) != 1:
            raise InputError.worded(
                "menu_one_key", source=source, line=line.line.line_no, keys=event.digits
            )
        else:
            answers.append(event.digits)
    return answers


def prompt_files(application: str, data: str) -> list[str]:
    """The sound files a Read or Playback plays, by name (no folder)."""
    # Read(variable,files,digits,...); Playback(files[,options]); "&" joins files.
    field = data.split(",")[1 if application == "Read" else 0]
    return [part.rsplit("/", 1)[-1] for part in field.split("&") if part]


def step_of(event: Mapping[str, str], call_id: str, at_s: float) -> MenuStep | None:
    """What one AMI event says about call ``call_id`` (None: another call's, or nothing
    an admin needs)."""
    name = event.get("Event", "")
    if name == "UserEvent":
        if event.get("CallId") != call_id:
            return None
        user = event.get("UserEvent", "")
        if user == "SpillwayOffer":
            return MenuStep(at_s, StepKind.OFFER, event.get("By", ""))
        if user == "SpillwayCallback":
            return MenuStep(at_s, StepKind.CALLBACK, event.get("CallbackId", ""))
        if user == "SpillwayRequeue":
            return MenuStep(at_s, StepKind.REQUEUE, event.get("QueuePriority", ""))
        return None
    if event.get("Uniqueid") != call_id:
        return None
    if name == "Newexten" and event.get("Application") in PLAYING:
        application = event["Application"]
        files = prompt_files(application, event.get("AppData", ""))
        if not files:
            return None
        return MenuStep(at_s, StepKind.PROMPT, "&".join(files), asks=application == "Read")
    if name == "QueueCallerJoin":
        return MenuStep(at_s, StepKind.QUEUE, event.get("Queue", ""))
    if name == "Hangup":
        return MenuStep(at_s, StepKind.HANGUP)
    return None


def menu_end(steps: Sequence[MenuStep]) -> MenuEnd | None:
    """How the call has ended so far (None: the menu is still going). Back in the
    queue ends the walk at once (the caller would wait there for a person); a
    callback ends when the call does, after the promise."""
    kinds = {step.kind for step in steps}
    if StepKind.REQUEUE in kinds:
        return MenuEnd.QUEUE
    if StepKind.HANGUP in kinds:
        return MenuEnd.CALLBACK if StepKind.CALLBACK in kinds else MenuEnd.HANGUP
    return None


def callback_id(steps: Sequence[MenuStep]) -> int | None:
    """The callback request the call recorded, if any."""
    for step in steps:
        if step.kind is StepKind.CALLBACK and step.detail.isdigit():
            return int(step.detail)
    return None


def _said(step: MenuStep, text: ConsoleText, words: Mapping[str, str]) -> str:
    kind = step.kind
    if kind is StepKind.PROMPT:
        files = step.detail.split("&")
        heard = " ".join(words[f] for f in files if f in words)
        names = " + ".join(files)
        key = "asks" if step.asks else "plays"
        if not heard:  # Asterisk's own sound (ours are not rendered, or a stock fallback)
            return text(f"cli.menu_call.{key}_stock", files=names)
        return text(f"cli.menu_call.{key}", files=names, words=heard)
    if kind is StepKind.OFFER:
        key = "offer" if step.detail == "menu" else "offer_other"
        return text(f"cli.menu_call.{key}", detail=step.detail)
    if kind in (StepKind.KEY, StepKind.QUEUE):
        return text(f"cli.menu_call.{kind.value}", detail=step.detail)
    if kind is StepKind.CALLBACK:
        return text("cli.menu_call.callback", id=step.detail)
    if kind is StepKind.REQUEUE:
        return text("cli.menu_call.requeue", priority=step.detail)
    return text(f"cli.menu_call.{kind.value}")


def menu_lines(steps: Sequence[MenuStep], text: ConsoleText, words: Mapping[str, str]) -> list[str]:
    """One line per step in the admin's language: when, and what happened; a prompt
    with what it says (``words``: each sound file's text, in the shop's language)."""
    return [
        text("cli.menu_call.step", at=text.number(s.at_s, 1), what=_said(s, text, words))
        for s in steps
    ]


def outcome_line(
    end: MenuEnd | None,
    request: Mapping[str, object] | None,
    text: ConsoleText,
    *,
    live: bool,
    waited_s: float,
) -> str:
    """The call's result in one line: the request it recorded (its status and timing in
    the admin's words, and which database holds it), or the queue."""
    if request is not None:
        where = text("cli.menu_call.in_live" if live else "cli.menu_call.in_scratch")
        status, timing = str(request["status"]), str(request["timing"])
        return text(
            "cli.menu_call.outcome_callback",
            id=request["id"],
            status=text.strings.get(f"status.{status}", status),
            timing=text.strings.get(f"policy.{timing}", timing),
            where=where,
        )
    if end is None:
        return text("cli.menu_call.unfinished", seconds=text.number(waited_s))
    return text(f"cli.menu_call.outcome_{end.value}")
