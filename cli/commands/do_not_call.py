"""`spillway callbacks optout`: the do-not-call list and the opt-out of AI timing.

A number put on the list has its open requests cancelled and is never called back;
``--remove`` takes it off again (asking first), and ``--ai-timing`` keeps a number's
callbacks out of the timing model instead. Attached to the ``callbacks`` group by
cli/command_index.py, so it loads only with that group, as ``callbacks explain`` does.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.admin_confirm import confirmed
from cli.commands.callbacks import _store, admin_text
from cli.context import app_context
from cli.terminal_text import plain
from scheduler import do_not_call
from scheduler.timing import optout as timing_optout
from spillway.errors import InputError
from spillway.number_lists import DO_NOT_CALL
from spillway.phone import mask_phone, normalise_phone

console = Console()


def optout(
    ctx: typer.Context,
    number: Annotated[str | None, typer.Argument(help="A number never to call back.")] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="A do-not-call list (Robinson list): one number a line."),
    ] = None,
    ai_timing: Annotated[
        bool,
        typer.Option(
            "--ai-timing",
            help="Not a do-not-call entry: this number's callbacks are never timed by the "
            "model (always a plain callback, as soon as the rules allow).",
        ),
    ] = False,
    remove: Annotated[
        bool,
        typer.Option(
            "--remove",
            help="Take the number off the do-not-call list (a customer who consents again; "
            "asks first), or with --ai-timing undo that.",
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="With --remove: do not ask for confirmation.")
    ] = False,
) -> None:
    """Put numbers on the do-not-call list (their open requests are cancelled), or, with
    --ai-timing, opt a number out of AI timing for good. --remove takes a number off
    again."""
    settings = app_context(ctx).settings
    if ai_timing:
        _optout_ai_timing(ctx, number, remove=remove, file=file)
        return
    if remove:
        _remove_do_not_call(ctx, number, file=file, yes=yes)
        return
    t = admin_text(ctx)
    numbers: list[tuple[str, str, str]] = []  # (where it was given, the number, the source)
    if number:
        numbers.append((t("cli.callbacks.argument"), number, "admin"))
    if file is not None:
        try:
            lines = file.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError.worded("file_unreadable", file=file, problem=exc) from exc
        numbers += [
            (
                t("cli.callbacks.file_line", file=file, line=i),
                line.split(",")[0].strip(),
                "robinson",
            )
            for i, line in enumerate(lines, 1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
    if not numbers:
        raise InputError.worded("optout_nothing")
    bad = cancelled = 0
    # A do-not-call list may be loaded before the first request: a new database is said.
    with _store(ctx, may_create=True) as db:
        with db.transaction() as tx:
            for where, raw, source in numbers:
                done = do_not_call.opt_out(
                    tx, raw, source=source, now=time.time(), region=settings.shop.country
                )
                if done is not None:
                    cancelled += done.cancelled
                else:
                    bad += 1
                    console.print(
                        plain(t("cli.callbacks.not_a_number", where=where, number=repr(raw))),
                        style="red",
                        markup=False,
                        soft_wrap=True,
                    )
    console.print(
        t(
            "cli.callbacks.opted_out",
            numbers=t.count("count.numbers", len(numbers) - bad),
            refused=bad,
            callbacks=t.count("count.open_callbacks", cancelled),
        )
    )
    if bad:
        raise typer.Exit(1)


def _remove_do_not_call(
    ctx: typer.Context, number: str | None, *, file: Path | None, yes: bool
) -> None:
    """`callbacks optout --remove NUMBER`: the number may be called back again (its
    requests cancelled by the opt-out stay cancelled). The entry an erasure left as the
    number's keyed hash goes too."""
    if file is not None or not number:
        raise InputError.worded("remove_one_number")
    settings = app_context(ctx).settings
    e164 = normalise_phone(number, settings.shop.country)
    if e164 is None:
        raise InputError.worded("not_a_phone", number=repr(number))
    key = settings.gdpr.hash_key_bytes()
    t = admin_text(ctx)
    shown_phone = mask_phone(e164)
    with _store(ctx) as db:
        with db.transaction() as tx:
            on_list = DO_NOT_CALL.holds(tx, e164, hash_key=key)
        if not on_list:
            console.print(t("cli.callbacks.not_on_do_not_call", phone=shown_phone), markup=False)
            return
        if not yes and not confirmed(t, t("cli.callbacks.remove_confirm", phone=shown_phone)):
            console.print(t("cli.callbacks.remove_not_done", phone=shown_phone), markup=False)
            raise typer.Exit(1)
        with db.transaction() as tx:
            DO_NOT_CALL.take_off(tx, e164, region=settings.shop.country, hash_key=key)
    console.print(t("cli.callbacks.removed_do_not_call", phone=shown_phone), markup=False)


def _optout_ai_timing(
    ctx: typer.Context, number: str | None, *, remove: bool, file: Path | None
) -> None:
    """`callbacks optout --ai-timing [--remove] NUMBER`."""
    if file is not None or not number:
        raise InputError.worded("ai_timing_one_number")
    region = app_context(ctx).settings.shop.country
    with _store(ctx, may_create=not remove) as db, db.transaction() as tx:
        if remove:
            e164, was_on = timing_optout.remove(tx, number, region=region)
        else:
            e164 = timing_optout.add(tx, number, source="admin", now=time.time(), region=region)
            was_on = True
    t = admin_text(ctx)
    if e164 is None:
        said = t(
            "cli.callbacks.not_a_number", where=t("cli.callbacks.argument"), number=repr(number)
        )
        console.print(plain(said), style="red", markup=False)
        raise typer.Exit(1)
    if not remove:
        console.print(t("cli.callbacks.ai_timing_on", phone=mask_phone(e164)), markup=False)
    elif was_on:
        console.print(t("cli.callbacks.ai_timing_off", phone=mask_phone(e164)), markup=False)
    else:
        console.print(t("cli.callbacks.ai_timing_unchanged", phone=mask_phone(e164)), markup=False)
