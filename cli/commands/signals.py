"""`spillway signals ...`: the customers' signals (import a CSV, map customer ids, list)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from cli.admin_words import admin_words
from cli.commands.callbacks import _store, phone_filter
from cli.context import app_context
from cli.request_card import moment
from cli.terminal_text import plain, shown
from scheduler.csv_file import read_csv_file
from scheduler.csv_import import CsvError
from scheduler.signal_csv import (
    MAX_SIGNAL_CSV_BYTES,
    MAX_SIGNAL_ROWS,
    read_mapping_csv,
    read_signal_csv,
)
from scheduler.signal_customers import customer_id_problem, map_customer, unmap_customer
from scheduler.signal_intake import EventReader, IncomingSignal, SignalProblem, store_events
from spillway.console_text import ConsoleText
from spillway.errors import InputError
from spillway.phone import mask_phone, normalise_phone
from spillway.storage import Store
from spillway.wording import Wording, say

app = typer.Typer(
    help="The customers' signals (web visits, e-mail opens, calls, SMS replies): import a "
    "CSV, map the shop's customer ids to numbers, list a customer's events.",
    no_args_is_help=True,
)
console = Console()
# `signals import` writes this many rows a transaction (one bulk statement, well under a
# second), then pauses so the API, the bot and the dialer write in between; SQLite's
# busy wait re-polls at most every 100 ms, so a pause that long lets every waiter in.
IMPORT_BATCH_ROWS = 20_000
IMPORT_PAUSE_S = 0.1
SOURCE = "csv"


def _write(db: Store, batch: list[tuple[int, IncomingSignal]]) -> tuple[int, list[SignalProblem]]:
    with db.transaction() as tx:
        return store_events(tx, batch, source=SOURCE, now_s=time.time(), all_or_nothing=False)


def import_signals(
    db: Store, text: str, reader: EventReader
) -> tuple[int, int, list[Wording], list[SignalProblem]]:
    """Store every good row of ``text``: (rows read good, new events, warnings, bad rows)."""
    rows = read_signal_csv(text, reader)
    problems: list[SignalProblem] = []
    good = stored = 0
    batch: list[tuple[int, IncomingSignal]] = []
    for item in rows.rows:
        if isinstance(item, SignalProblem):
            problems.append(item)
            continue
        batch.append(item)
        if len(batch) >= IMPORT_BATCH_ROWS:
            new, unmapped = _write(db, batch)
            stored, good = stored + new, good + len(batch) - len(unmapped)
            problems.extend(unmapped)
            batch = []
            time.sleep(IMPORT_PAUSE_S)
    if batch:
        new, unmapped = _write(db, batch)
        stored, good = stored + new, good + len(batch) - len(unmapped)
        problems.extend(unmapped)
    return good, stored, rows.warnings, problems


def _problem_line(file: Path, problem: SignalProblem, t: ConsoleText) -> str:
    """``<file> line <n>: <field> '<value>': <why> [<code>]``, in the admin's language."""
    return plain(t("cli.callbacks.file_row", file=file, row=problem.row().said(t)))


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with a header row: kind, at, phone or customer_id, and optionally id."
        ),
    ],
    encoding: Annotated[
        str | None,
        typer.Option(
            help="The file's encoding (default: UTF-8, else Windows-1252 with a warning)."
        ),
    ] = None,
) -> None:
    """Import signals from CSV: columns kind (web_visit, email_open, inbound_call, sms_reply
    or your own), at (ISO 8601; without an offset, shop.timezone; or epoch seconds), phone
    or customer_id (mapped with `spillway signals map`), id (optional: without it, an id
    made from the row). Separated by commas, semicolons, tabs or bars. Bad rows are named
    by line; the good rows go in, and importing a file again stores nothing twice."""
    settings = app_context(ctx).settings
    reader = EventReader(
        settings.shop.country, ZoneInfo(settings.shop.timezone), time.time(), id_required=False
    )
    try:
        text = read_csv_file(
            file, encoding=encoding, max_bytes=MAX_SIGNAL_CSV_BYTES, rows=MAX_SIGNAL_ROWS
        )
        with _store(ctx, may_create=True) as db:
            good, stored, warnings, problems = import_signals(db, text.text, reader)
    except CsvError as exc:
        raise InputError.worded("csv_file", file=file, problem=exc.wording) from exc
    t = admin_words(settings)
    for warning in [*text.warnings, *warnings]:
        said = t("cli.callbacks.file_says", file=file, what=say(warning, t))
        console.print(said, style="yellow", markup=False, soft_wrap=True)
    for problem in sorted(problems, key=lambda p: p.where):
        console.print(_problem_line(file, problem, t), style="red", markup=False, soft_wrap=True)
    console.print(
        t(
            "cli.signals.imported",
            events=t.count("cli.signals.events", stored),
            already=good - stored,
            rows=t.count("count.rows", len(problems)),
        ),
        soft_wrap=True,
    )
    if problems:
        raise typer.Exit(1)


@app.command("map")
def map_(
    ctx: typer.Context,
    customer_id: Annotated[
        str | None, typer.Argument(help="The shop's id of the customer.")
    ] = None,
    phone: Annotated[str | None, typer.Argument(help="Their number, national or E.164.")] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="A CSV of many: columns customer_id and phone."),
    ] = None,
    remove: Annotated[
        bool, typer.Option("--remove", help="Forget the mapping of CUSTOMER_ID.")
    ] = False,
) -> None:
    """Map the shop's customer ids to phone numbers, so that signals sent with a
    customer_id reach the customer (one, or --file; --remove forgets one). The mapping is
    personal data: `spillway gdpr` exports and erases it."""
    settings = app_context(ctx).settings
    region = settings.shop.country
    t = admin_words(settings)
    if remove:
        if customer_id is None or phone is not None or file is not None:
            raise InputError.worded("remove_one_customer_id")
        with _store(ctx, may_create=True) as db, db.transaction() as tx:
            gone = unmap_customer(tx, customer_id)
        said = t("cli.signals.unmapped" if gone else "cli.signals.not_mapped", id=customer_id)
        console.print(plain(said), markup=False)
        return
    if file is not None:
        if customer_id is not None:
            raise InputError.worded("map_both")
        try:
            text = read_csv_file(file)
            good, bad = read_mapping_csv(text.text, region)
        except CsvError as exc:
            raise InputError.worded("csv_file", file=file, problem=exc.wording) from exc
        now = time.time()
        with _store(ctx, may_create=True) as db, db.transaction() as tx:
            for _line, cid, number in good:
                map_customer(tx, cid, number, now_s=now)
        for refused in bad:
            said = _problem_line(file, refused, t)
            console.print(said, style="red", markup=False, soft_wrap=True)
        ids = t.count("cli.signals.customer_ids", len(good))
        console.print(t("cli.signals.mapped", ids=ids, rows=t.count("count.rows", len(bad))))
        if bad:
            raise typer.Exit(1)
        return
    if customer_id is None or phone is None:
        raise InputError.worded("map_nothing")
    if (why := customer_id_problem(customer_id)) is not None:
        raise InputError.worded(why, id=repr(customer_id))
    e164 = normalise_phone(phone, region)
    if e164 is None:
        raise InputError.worded("not_a_phone", number=repr(phone))
    with _store(ctx, may_create=True) as db, db.transaction() as tx:
        map_customer(tx, customer_id, e164, now_s=time.time())
    console.print(f"{plain(customer_id)} -> {mask_phone(e164)}", markup=False)


@app.command("list")
def list_(
    ctx: typer.Context,
    phone: Annotated[
        str | None,
        typer.Option(
            "--phone", help="Only this customer's events: the number as national or E.164."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Whole numbers instead of masked ones.")
    ] = False,
) -> None:
    """List signals, newest first (numbers masked unless --full; times in the shop's zone)."""
    settings = app_context(ctx).settings
    where, params = "1 = 1", dict[str, Any]()
    if phone is not None:
        where, params = phone_filter(phone, settings.shop.country)
    with _store(ctx) as db:
        rows = db.query(
            "SELECT event_id, phone, kind, at, source FROM customer_signals "
            f"WHERE {where} ORDER BY at DESC, event_id LIMIT :limit",
            {**params, "limit": limit},
        )
    if not full:
        rows = [{**r, "phone": mask_phone(r["phone"])} for r in rows]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    zone = ZoneInfo(settings.shop.timezone)
    t = admin_words(settings)
    table = Table(title=t("cli.signals.title", zone=zone.key))
    for column in (
        "cli.signals.at",
        "cli.signals.kind",
        "cli.callbacks.phone",
        "cli.callbacks.source",
        "cli.callbacks.id",
    ):
        table.add_column(t(column))
    for r in rows:
        table.add_row(
            moment(r["at"], zone),
            shown(r["kind"]),
            shown(r["phone"]),
            shown(r["source"]),
            shown(r["event_id"]),
        )
    console.print(table)
