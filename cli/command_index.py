"""The index of `spillway`'s commands, so that each loads only when it is used.

The command modules import the bot (scikit-learn, scipy, the NLU), the web app
(argon2) and numpy; importing them all up front cost every command ~3 s, even
``--help``. Here each top-level command is a name, the one-line summary that
``spillway --help`` lists, and a function that imports and attaches it. The root
group imports a command's module only when that command is run, its help is
asked, or something walks the tree (the CLI tests); ``spillway --help`` itself
shows the summaries and imports nothing. tests/test_cli.py checks that every
summary is the loaded command's own.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    # Typer vendors its own Click; these are the types its groups use.
    from typer._click import Command, Context

# The root app's own settings; a loaded command is built under the same ones.
RICH_MARKUP_MODE: Final = "rich"
PRETTY_EXCEPTIONS: Final = False


@dataclass(frozen=True)
class LazyCommand:
    """A top-level command: its name, its line in ``spillway --help``, how to attach it."""

    name: str
    summary: str
    attach: Callable[[typer.Typer], None]


def _call(app: typer.Typer) -> None:
    from cli.commands import call

    app.command("call")(call.call)


def _serve(app: typer.Typer) -> None:
    from cli.commands import serve

    app.command("serve")(serve.serve)


def _chat(app: typer.Typer) -> None:
    from cli.commands import chat

    app.command("chat")(chat.chat)


def _install_services(app: typer.Typer) -> None:
    from cli.commands import services

    app.command("install-services")(services.install_services)


def _group(module: str, name: str, attribute: str = "app") -> Callable[[typer.Typer], None]:
    def attach(app: typer.Typer) -> None:
        import importlib

        app.add_typer(getattr(importlib.import_module(module), attribute), name=name)

    return attach


def _callbacks(app: typer.Typer) -> None:
    from cli.commands import callbacks, do_not_call, explain

    # `callbacks optout` and `callbacks explain` live in their own modules (they import
    # callbacks' helpers); attached once, in the order `callbacks --help` lists them.
    attached = {info.name for info in callbacks.app.registered_commands}
    if "optout" not in attached:
        callbacks.app.command("optout")(do_not_call.optout)
    if "explain" not in attached:
        callbacks.app.command("explain")(explain.explain_command)
    app.add_typer(callbacks.app, name="callbacks")


# In the order `spillway --help` lists them; a plain name is a command cli.main defines.
INDEX: tuple[LazyCommand | str, ...] = (
    LazyCommand(
        "call",
        "Place a spoken test call through Asterisk into the overflow route, and show each turn\n"
        "(said, heard, understood, answered, latency) and the outcome; with --menu, the DTMF\n"
        "menu's path.",
        _call,
    ),
    LazyCommand(
        "serve", "Run the call controller: FastAGI routing and the bot's media server.", _serve
    ),
    LazyCommand(
        "install-services",
        "Write systemd units (restart on failure, secrets from an EnvironmentFile, a dedicated\n"
        "user, hardening, readiness checks) for serve, scheduler, web and nlu (no nlu unit when\n"
        "nlu.rasa_url is empty: the fallback classifier inside serve then understands calls).",
        _install_services,
    ),
    "version",
    "doctor",
    LazyCommand("pbx", "Manage the PBX Spillway talks to.", _group("cli.commands.pbx", "pbx")),
    LazyCommand("db", "Inspect and migrate Spillway's database.", _group("cli.commands.db", "db")),
    LazyCommand(
        "config", "Check and show the configuration.", _group("cli.commands.config", "config")
    ),
    LazyCommand(
        "dialplan",
        "Render, check, diff and install Spillway's Asterisk configuration.",
        _group("cli.commands.dialplan", "dialplan"),
    ),
    LazyCommand(
        "chat",
        "Chat with the bot's dialogue in the terminal, or replay a scripted conversation.",
        _chat,
    ),
    LazyCommand(
        "nlu",
        "Intent understanding: the Rasa service and the in-process fallback.",
        _group("cli.commands.nlu", "nlu"),
    ),
    LazyCommand(
        "models",
        "Speech models: list, fetch, verify, locate.",
        _group("cli.commands.models", "models"),
    ),
    LazyCommand(
        "sms",
        "The SMS outbox: list queued, sent and failed messages; send the due ones.",
        _group("cli.commands.sms", "sms"),
    ),
    LazyCommand(
        "callbacks",
        "Callback requests: list, show, explain, cancel, import (a CSV, the menu's spool), "
        "opt out.",
        _callbacks,
    ),
    LazyCommand(
        "scheduler",
        "The callback dialer: run it, or see how it is doing.",
        _group("cli.commands.scheduler", "scheduler"),
    ),
    LazyCommand(
        "web",
        "The web application: the console, the callback API and /metrics.",
        _group("cli.commands.web", "web"),
    ),
    LazyCommand(
        "gdpr",
        "Data protection: export or forget a person, apply retention, hold, the Art. 30 record.",
        _group("cli.commands.gdpr", "gdpr"),
    ),
    LazyCommand(
        "signals",
        "The customers' signals (web visits, e-mail opens, calls, SMS replies): import a CSV, "
        "map the shop's customer ids to numbers, list a customer's events.",
        _group("cli.commands.signals", "signals"),
    ),
    LazyCommand(
        "simulate",
        "Simulate callback timing policies against a world (YAML); see docs/SIMULATION.md.",
        _group("cli.commands.simulate", "simulate"),
    ),
    LazyCommand("report", "Reports over the database.", _group("cli.commands.report", "report")),
    LazyCommand(
        "demo",
        "The demo: run it end to end, or load its shop data.",
        _group("cli.commands.demo", "demo"),
    ),
)
LAZY: dict[str, LazyCommand] = {e.name: e for e in INDEX if isinstance(e, LazyCommand)}

# Built once per process: every root group (each CliRunner.invoke builds one) shares them.
_loaded: dict[str, Command] = {}


def _nothing() -> None:
    """A callback, so that a holder with one command is still a group."""


def load(name: str) -> Command:
    """The real command `name`, imported and built as the root app would build it."""
    if name not in _loaded:
        holder = typer.Typer(
            rich_markup_mode=RICH_MARKUP_MODE, pretty_exceptions_enable=PRETTY_EXCEPTIONS
        )
        holder.callback()(_nothing)
        LAZY[name].attach(holder)
        _loaded[name] = typer.main.get_group(holder).commands[name]
    return _loaded[name]


def summary_of(command: Command) -> str:
    """The line `--help` lists for a command: the first paragraph of its help."""
    return inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0].strip()


class LazyGroup(TyperGroup):
    """The root group: commands from INDEX load on use; its own help lists summaries only."""

    _listing = False

    def list_commands(self, ctx: Context) -> list[str]:
        names = [e.name if isinstance(e, LazyCommand) else e for e in INDEX]
        return names + [n for n in self.commands if n not in names]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in LAZY:
            return super().get_command(ctx, cmd_name)
        if self._listing and cmd_name not in _loaded:
            # Listing only: a stand-in with the summary, so `--help` imports nothing.
            return TyperCommand(name=cmd_name, help=LAZY[cmd_name].summary)
        return load(cmd_name)

    def format_help(self, ctx: Context, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
