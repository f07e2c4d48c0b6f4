"""`spillway gdpr ...`: access, erasure, retention, holds and the record of processing.

A thin layer over :mod:`scheduler.subject_access`, :mod:`spillway.erasure`,
:mod:`spillway.retention` and :mod:`spillway.processing_record`, all driven
by the map of personal data (:mod:`spillway.personal_data`).
"""

from __future__ import annotations

import json
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.admin_confirm import confirmed
from cli.commands.callbacks import FullOption, _shop_zone, _store
from cli.context import app_context
from cli.request_card import moment
from scheduler.forget_person import (
    SPOOL_FILES,
    ForgetPreview,
    forget_everywhere,
    preview_forget,
)
from scheduler.subject_access import export_person
from scheduler.subject_letter import subject_letter
from spillway.audit import audit_log, checked_reason, current_actor
from spillway.console_text import ConsoleText, console_language, load_console_text
from spillway.errors import InputError
from spillway.phone import mask_phone, normalise_phone
from spillway.processing_record import processing_record
from spillway.retention import Held, Periods, apply_retention, hold, holds, release
from spillway.secrets import generate_secret, set_secret

app = typer.Typer(
    help="Data protection: export or forget a person, apply retention, hold, the Art. 30 record.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)


class ExportFormat(StrEnum):
    """What `gdpr export` writes: the JSON of every row, or the letter to the customer."""

    JSON = "json"
    TEXT = "text"


PhoneArg = Annotated[str, typer.Argument(help="The person's number, national or E.164.")]


def _text(ctx: typer.Context) -> ConsoleText:
    """The words these commands print: the language pack's, in the console's language."""
    return load_console_text(console_language(app_context(ctx).settings))


def _e164(ctx: typer.Context, raw: str) -> str:
    e164 = normalise_phone(raw, app_context(ctx).settings.shop.country)
    if e164 is None:
        raise InputError.worded("not_a_phone", number=repr(raw))
    return e164


@app.command("export")
def export(
    ctx: typer.Context,
    phone: PhoneArg,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write it here (default: stdout).")
    ] = None,
    format_: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            help="json: every stored row, for machines (the default); text: a letter to "
            "the customer in the shop's language (shop.language), everything in words.",
        ),
    ] = ExportFormat.JSON,
) -> None:
    """Everything stored about a person, as JSON, with the explanation of each open
    callback's timing (the right of access, GDPR Art. 15); --format text: the same as a
    letter to hand the customer. Nothing stored: the JSON still (no rows), and a sentence
    saying so on stderr, so a script reading stdout gets JSON."""
    settings = app_context(ctx).settings
    e164 = _e164(ctx, phone)
    with _store(ctx) as db:
        found = export_person(db, e164, settings, now=time.time(), actor=current_actor())
    if format_ is ExportFormat.TEXT:
        text = subject_letter(found, settings)
    else:
        text = found.json_text()
    t = _text(ctx)
    if found.rows == 0:
        nothing = t("cli.gdpr.nothing_stored", phone=mask_phone(e164))
        err_console.print(nothing, style="yellow", markup=False, soft_wrap=True)
    if out is None:
        print(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    console.print(
        t(
            "cli.gdpr.exported",
            rows=t.count("count.rows", found.rows),
            phone=mask_phone(e164),
            out=out,
        ),
        markup=False,
    )


@app.command("forget")
def forget(
    ctx: typer.Context,
    phone: PhoneArg,
    yes: Annotated[
        bool,
        typer.Option("--yes", "-y", help="Do not ask for confirmation (what goes is still said)."),
    ] = False,
    release_hold: Annotated[
        str | None,
        typer.Option(
            "--release-hold",
            metavar="WHY",
            help="The number is on hold (an access request in progress): release the hold "
            "with this reason (kept in the audit log), then erase. Without it a held "
            "number is not erased.",
        ),
    ] = None,
) -> None:
    """Erase a person everywhere (GDPR Art. 17): their calls, transcripts, callbacks, cases,
    messages and callback spool files go, open callbacks are cancelled, a do-not-call entry
    stays as a keyed hash. Says first what goes, table by table; a number on hold (an
    access request in progress) is not erased unless --release-hold says why the hold ends."""
    settings = app_context(ctx).settings
    e164 = _e164(ctx, phone)
    settings.gdpr.require_hash_key()  # before asking: without it nothing can be erased
    if release_hold is not None:
        release_hold = checked_reason(release_hold, e164)  # refused before anything is read
    t = _text(ctx)
    with _store(ctx) as db:
        seen = preview_forget(db, e164)
    _say_what_goes(t, seen, e164, _shop_zone(ctx), release_hold)
    if seen.hold is not None and release_hold is None:  # --yes or not: an answer is owed
        console.print(t("cli.gdpr.nothing_erased"))
        raise typer.Exit(1)
    if not yes and not confirmed(t, t("cli.gdpr.forget_confirm", phone=e164)):
        console.print(t("cli.gdpr.nothing_erased"))
        raise typer.Exit(1)
    with _store(ctx, named=False) as db:
        # A hold is released first (audited with its reason), in forget_everywhere, so
        # the console's page cannot erase a held number either.
        done = forget_everywhere(
            db, e164, settings, actor=current_actor(), now=time.time(), release_hold=release_hold
        )
    if done.counts:  # in the preview's words, so what went reads like what was to go
        console.print(t("cli.gdpr.forgotten_what", phone=mask_phone(e164)), markup=False)
        _say_tables(t, done.counts)
    console.print(
        t(
            "cli.gdpr.forgotten",
            rows=t.count("count.rows", done.erased.total),
            callbacks=t.count("count.open_callbacks", done.erased.cancelled),
        )
    )
    if done.erased.do_not_call_kept:  # never claimed for a number that was not on the list
        console.print(t("cli.gdpr.do_not_call_kept"))


def _say_tables(t: ConsoleText, counts: dict[str, int]) -> None:
    """One line per table (or the callback spool) with what it held, in the pack's words:
    "  call transcripts: 3 rows", never the database's table names."""
    for name, n in counts.items():
        unit = "count.files" if name == SPOOL_FILES else "count.rows"
        line = t("cli.gdpr.forget_table", table=t(f"table.{name}"), rows=t.count(unit, n))
        console.print(line, markup=False)


def _say_what_goes(
    t: ConsoleText, seen: ForgetPreview, e164: str, zone: ZoneInfo, release_hold: str | None
) -> None:
    """Before the question (and with --yes): the rows that go, per table, and the hold."""
    if not seen.rows:
        console.print(t("cli.gdpr.forget_nothing", phone=e164), markup=False)
    else:
        console.print(t("cli.gdpr.forget_what", phone=e164), markup=False)
        _say_tables(t, seen.rows)
    if seen.hold is None:
        if release_hold is not None:
            console.print(t("cli.gdpr.not_held", phone=mask_phone(e164)), markup=False)
        return
    facts = {
        "when": moment(seen.hold["held_at"], zone),
        "who": seen.hold["held_by"],
        "reason": seen.hold["reason"] or "-",
    }
    if release_hold is None:
        said = t("cli.gdpr.forget_held", **facts)
        err_console.print(said, style="bold red", markup=False, soft_wrap=True)
    else:
        said = t("cli.gdpr.forget_releases", why=release_hold, **facts)
        console.print(said, style="yellow", markup=False, soft_wrap=True)


@app.command("retention")
def retention(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would be removed.")
    ] = False,
) -> None:
    """Remove personal data past its retention period (gdpr.* settings); held people stay,
    the contact model's anonymous aggregates are kept."""
    settings = app_context(ctx).settings
    with _store(ctx) as db:
        counted = apply_retention(
            db,
            Periods.from_settings(settings.gdpr),
            now=time.time(),
            dry_run=dry_run,
            actor=current_actor(),
        )
    _say_tables(_text(ctx), {name: n for name, n in counted.items() if n})
    said = "cli.gdpr.retention_would" if dry_run else "cli.gdpr.retention_removed"
    console.print(_text(ctx).count(said, sum(counted.values())))


@app.command("hold")
def hold_(
    ctx: typer.Context,
    phone: PhoneArg,
    reason: Annotated[
        str,
        typer.Option(
            help="Why (e.g. the access request's reference); required, kept in the audit "
            "log, never the number."
        ),
    ] = "",
) -> None:
    """Keep a person's data from retention (an access request in progress) until released."""
    e164 = _e164(ctx, phone)
    checked_reason(reason, e164, action="hold")  # refused before the database is opened
    with _store(ctx) as db:
        done = hold(db, e164, reason=reason, actor=current_actor(), now=time.time())
    said = "cli.gdpr.held" if done is Held.PLACED else "cli.gdpr.held_already"
    console.print(_text(ctx)(said, phone=mask_phone(e164)), markup=False)


@app.command("release")
def release_(
    ctx: typer.Context,
    phone: PhoneArg,
    reason: Annotated[
        str,
        typer.Option(
            help="Why the hold ends (e.g. 'SAR-17 answered'); required, kept in the audit "
            "log, never the number."
        ),
    ] = "",
) -> None:
    """Let retention reach a held person's data again; the reason goes into the audit log."""
    e164 = _e164(ctx, phone)
    checked_reason(reason, e164)  # refused before the database is opened
    with _store(ctx) as db:
        released = release(db, e164, reason=reason, actor=current_actor(), now=time.time())
    said = "cli.gdpr.released" if released else "cli.gdpr.not_held"
    console.print(_text(ctx)(said, phone=mask_phone(e164)), markup=False)


@app.command("holds")
def holds_(ctx: typer.Context, full: FullOption = False) -> None:
    """The people on hold (numbers masked unless --full, as everywhere)."""
    zone = _shop_zone(ctx)
    t = _text(ctx)
    with _store(ctx) as db:
        held = holds(db)
    if not held:
        console.print(t("cli.gdpr.nobody_held"))
        return
    for row in held:
        phone = row["phone"] if full else mask_phone(row["phone"])
        console.print(
            t(
                "cli.gdpr.hold_line",
                phone=phone,
                when=moment(row["held_at"], zone),
                who=escape(row["held_by"]),
                reason=escape(row["reason"] or ""),
            )
        )


@app.command("audit")
def audit_(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
) -> None:
    """The audit log: who exported, erased, expired or held data, when, and how many rows."""
    zone = _shop_zone(ctx)
    t = _text(ctx)
    with _store(ctx) as db:
        rows = audit_log(db, limit=limit)
    # A table, as `callbacks list` shows its rows: a padded line per entry cannot line up
    # once an action's word ("tilbageholdelse") is longer than the padding.
    table = Table(title=t("cli.gdpr.audit_title", zone=zone.key))
    for column in ("when", "action", "actor", "rows", "reason"):
        # A moment or an action folded over two lines cannot be read; the rest may wrap.
        whole = column in ("when", "action")
        # A long word folds rather than ends in "…": nothing of it is hidden.
        table.add_column(t(f"cli.gdpr.audit_{column}"), no_wrap=whole, overflow="fold")
    for row in rows:
        table.add_row(
            moment(row["at"], zone),
            t.strings.get(f"audit.{row['action']}", row["action"]),
            escape(row["actor"]),
            escape(_audit_tables(t, row["detail"]) or t.number(int(row["rows"]))),
            escape(row["reason"] or ""),
        )
    console.print(table)


def _audit_tables(t: ConsoleText, detail: str | None) -> str:
    """An entry's rows per table (stored as JSON, table name to count), one a line, in the
    pack's words for the tables (their sum is the entry's rows); a detail that is not
    such JSON as stored."""
    try:
        counts = json.loads(detail or "{}")
    except ValueError:
        return detail or ""
    if not isinstance(counts, dict):
        return str(detail)
    return "\n".join(
        t("cli.gdpr.audit_table_rows", table=t.strings.get(f"table.{name}", name), n=n)
        for name, n in counts.items()
    )


@app.command("record")
def record(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write it here.")] = None,
) -> None:
    """The record of processing activities (GDPR Art. 30), as Markdown, from the
    configuration and the map of personal data."""
    text = processing_record(app_context(ctx).settings)
    if out is None:
        print(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(_text(ctx)("cli.gdpr.record_written", out=out), markup=False)


@app.command("key")
def key(ctx: typer.Context) -> None:
    """Create the keyed-hash secret (gdpr.hash_key) in the secrets file, if there is none."""
    settings = app_context(ctx).settings
    t = _text(ctx)
    if settings.gdpr.hash_key is not None:
        console.print(t("cli.gdpr.key_set"))
        return
    path = set_secret("SPILLWAY_GDPR__HASH_KEY", generate_secret())
    console.print(t("cli.gdpr.key_written", path=path), markup=False)
