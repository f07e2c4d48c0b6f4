"""`spillway chat`: talk to the bot's dialogue in a terminal, or replay a script.

The same :class:`bot.dialogue.machine.Dialogue` as on a call, with the same NLU
engine (Rasa when it answers, the fallback otherwise) and the configured
store's shop data, only typed instead of spoken. A script has one caller turn
per line: plain text, ``<silence>`` for no input, ``<dtmf 1234#>`` for keys;
lines starting with ``#`` are comments, blank lines are skipped.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from bot import assembly
from bot.assembly import DialogueFactory
from bot.dialogue.inputs import CallerInput, Dtmf, Silence, TextTurn
from bot.dialogue.result import DialogueTurn, result_summary
from bot.nlu.data import load_nlu_data, project_dir
from bot.nlu.engine import NluEngine
from bot.nlu.fallback_cache import is_cached
from cli.admin_words import admin_words
from cli.context import app_context
from cli.language import LanguageOption, with_language
from cli.scratch import LiveOption, scratch_settings
from cli.terminal_text import shown
from spillway.console_text import ConsoleText
from spillway.errors import InputError
from spillway.settings import Settings
from spillway.storage import AsyncStore, open_store
from spillway.wording import Wording

console = Console()

_TAG_RE = re.compile(r"^<(?P<tag>[a-z]+)(?:\s+(?P<arg>[^>]*))?>$")
_DTMF_RE = re.compile(r"^[0-9*#A-D]+$")


class NluChoice(StrEnum):
    auto = "auto"
    fallback = "fallback"


@dataclass(frozen=True, slots=True)
class ScriptLine:
    line_no: int
    raw: str
    event: CallerInput


class ScriptOverrun(InputError):
    """The script goes on after the call ended; ``records``: the call up to its end,
    outcome last, shown before the error (the author sees why it ended)."""

    def __init__(self, message: Wording, records: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.records = records


def parse_caller_line(raw: str) -> CallerInput:
    """One caller turn: text, ``<silence>`` or ``<dtmf KEYS>``; ValueError when malformed."""
    text = raw.strip()
    if not text.startswith("<"):
        return TextTurn(text)
    match = _TAG_RE.match(text)
    if match is None:
        raise ValueError(f"malformed tag {text[:40]!r}: expected <silence> or <dtmf KEYS>")
    tag, arg = match["tag"], (match["arg"] or "").replace(" ", "")
    if tag == "silence":
        if arg:
            raise ValueError("<silence> takes no argument")
        return Silence()
    if tag == "dtmf":
        if not _DTMF_RE.match(arg):
            raise ValueError(f"<dtmf {arg}>: keys must be 0-9, *, # or A-D")
        return Dtmf(arg)
    raise ValueError(f"unknown tag <{tag}>: expected <silence> or <dtmf KEYS>")


def parse_script(text: str, source: str = "script") -> list[ScriptLine]:
    """Caller turns of a script; an InputError names the first bad line."""
    lines: list[ScriptLine] = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            lines.append(ScriptLine(line_no, stripped, parse_caller_line(stripped)))
        except ValueError as exc:
            raise InputError(f"{source} line {line_no}: {exc}") from exc
    return lines


def fallback_cached(settings: Settings) -> bool:
    """Whether the fallback for ``shop.language`` is in the cache (no training at start)."""
    language = settings.shop.language
    data = load_nlu_data(project_dir(language))
    return is_cached(data, settings.paths.cache_dir, language=language)


def build_nlu(settings: Settings, choice: NluChoice) -> NluEngine:
    """The production NLU engine (fallback trained now; Rasa unless told otherwise)."""
    return assembly.build_nlu(settings, use_rasa=choice is NluChoice.auto)


def turn_record(raw: str, turn: DialogueTurn) -> dict[str, Any]:
    intent = turn.intent
    return {
        "caller": raw,
        "intent": intent.name if intent else None,
        "confidence": round(intent.confidence, 3) if intent else None,
        "engine": intent.engine if intent else None,
        "action": turn.reply.action,
        "bot": turn.reply.text,
    }


async def run_script(
    settings: Settings,
    lines: list[ScriptLine],
    *,
    caller_id: str | None,
    nlu_choice: NluChoice,
    source: str,
) -> list[dict[str, Any]]:
    """Replay ``lines`` through a fresh dialogue; the JSON records, outcome last."""
    nlu = build_nlu(settings, nlu_choice)
    db = AsyncStore(open_store(settings.storage))
    dialogues = DialogueFactory.from_settings(settings, nlu, db)
    try:
        dialogue = dialogues(caller_id=caller_id, call_id=f"chat-{uuid.uuid4().hex[:12]}")
        await dialogue.start()
        records: list[dict[str, Any]] = []
        ended_at = 0
        for line in lines:
            if dialogue.ended:
                records.append(result_summary(dialogue.hang_up()))
                where = {"source": source, "line": line.line_no, "ended": ended_at}
                raise ScriptOverrun(Wording("cli.chat.script_overrun", where), records)
            await dialogue.handle(line.event)
            records.append(turn_record(line.raw, dialogue.turns[-1]))
            ended_at = line.line_no
        records.append(result_summary(dialogue.hang_up()))
        return records
    finally:
        await dialogues.backends.aclose()
        await nlu.aclose()
        db.close()
        db.store.close()


async def run_interactive(
    settings: Settings,
    *,
    caller_id: str | None,
    nlu_choice: NluChoice,
    verbose: bool,
    words: ConsoleText,
) -> None:
    """Talk to a fresh dialogue in the terminal; ``words``: the admin's, for the labels."""
    you, bot = words("cli.chat.you"), words("cli.chat.bot")
    nlu = build_nlu(settings, nlu_choice)
    db = AsyncStore(open_store(settings.storage))
    dialogues = DialogueFactory.from_settings(settings, nlu, db)
    try:
        dialogue = dialogues(caller_id=caller_id, call_id=f"chat-{uuid.uuid4().hex[:12]}")
        greeting = await dialogue.start()
        console.print(f"[bold cyan]{escape(bot)}[/] {escape(greeting.text)}")
        console.print(f"[dim]{escape(words('cli.chat.keys'))}[/]")
        while not dialogue.ended:
            try:
                raw = await asyncio.to_thread(console.input, f"[bold]{escape(you)}[/] ")
            except EOFError:
                break
            try:
                event = parse_caller_line(raw) if raw.strip() else Silence()
            except ValueError as exc:
                console.print(f"[red]{shown(str(exc))}[/]")
                continue
            reply = await dialogue.handle(event)
            turn = dialogue.turns[-1]
            if verbose and turn.intent is not None:
                console.print(
                    f"[dim]{turn.intent.name} {turn.intent.confidence:.2f} "
                    f"({turn.intent.engine}) {shown(str(turn.intent.entities))}[/]"
                )
            console.print(f"[bold cyan]{escape(bot)}[/] {shown(reply.text)}")
        outcome = json.dumps(result_summary(dialogue.hang_up()), ensure_ascii=False)
        console.print(f"[dim]{escape(words('cli.chat.outcome', outcome=outcome))}[/]")
    finally:
        await dialogues.backends.aclose()
        await nlu.aclose()
        db.close()
        db.store.close()


# A plain command (cli/command_index.py attaches it), not a group: it has no
# subcommands, and a group's help showed `COMMAND [ARGS]...` as if it had.
def chat(
    ctx: typer.Context,
    script: Annotated[
        Path | None,
        typer.Option(
            "--script",
            help="Replay this conversation (one caller turn per line; <silence>, "
            "<dtmf 1234#>, '#' comments) instead of reading the terminal.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="With --script: print the turns and outcome as JSON.")
    ] = False,
    caller_id: Annotated[
        str | None, typer.Option("--caller-id", help="The caller's phone number.")
    ] = None,
    nlu: Annotated[
        NluChoice,
        typer.Option(
            "--nlu", help="auto: Rasa when it answers, else the fallback; fallback: never Rasa."
        ),
    ] = NluChoice.auto,
    live: LiveOption = False,
    language: LanguageOption = None,
) -> None:
    """Chat with the bot's dialogue in the terminal, or replay a scripted conversation.

    Typed text in, the bot's text out; what it creates goes to a throw-away copy unless --live."""
    state = app_context(ctx)
    lines = None
    if script is not None:
        try:
            text = script.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError.worded("script_unreadable", script=script, problem=exc) from exc
        lines = parse_script(text, str(script))
    say = functools.partial(typer.echo, err=True)
    configured = with_language(state.settings, language)
    words = admin_words(state.settings)  # the admin's (--language: the bot's)
    with scratch_settings(configured, live=live, say=say, words=words) as settings:
        # The fallback's first training takes a while (12-26 s of CPU measured): say so,
        # not silence. Later starts load it from the cache in well under a second.
        if not fallback_cached(settings):
            named = words.language_name(settings.shop.language)  # "Danish", not "da"
            say(words("cli.chat.training", language=named))
        if lines is None:
            asyncio.run(
                run_interactive(
                    settings,
                    caller_id=caller_id,
                    nlu_choice=nlu,
                    verbose=state.verbose,
                    words=words,
                )
            )
            return
        try:
            records = asyncio.run(
                run_script(settings, lines, caller_id=caller_id, nlu_choice=nlu, source=str(script))
            )
        except ScriptOverrun as exc:
            # The transcript first, then the error naming the line (exit 2).
            show_transcript(exc.records, as_json=as_json, words=words)
            raise
    show_transcript(records, as_json=as_json, words=words)


def show_transcript(records: list[dict[str, Any]], *, as_json: bool, words: ConsoleText) -> None:
    """The turns and the outcome (last), as JSON or for a person; ``words``: the admin's
    language, whose labels name who speaks (a Danish admin read "you:" / "bot:")."""
    if as_json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return
    you, bot = escape(words("cli.chat.you")), escape(words("cli.chat.bot"))
    for record in records[:-1]:
        console.print(f"[bold]{you}[/] {shown(record['caller'])}")
        console.print(f"[bold cyan]{bot}[/] {shown(record['bot'])}")
    outcome = json.dumps(records[-1], ensure_ascii=False)
    console.print(f"[dim]{escape(words('cli.chat.outcome', outcome=outcome))}[/]")
