"""`spillway callbacks ...`: the callback requests (the dialer is `spillway scheduler`)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from cli.admin_words import admin_words
from cli.context import app_context
from cli.customer_quote import customer_quote, promises, reading
from cli.database_use import open_announced, said
from cli.language import AdminLanguageOption
from cli.request_card import code_word, request_card
from cli.terminal_text import plain, shown
from dialplan.spool import callback_spool
from scheduler import intake, requests
from scheduler.csv_file import read_csv_file
from scheduler.csv_import import CsvError, RowError, parse_csv, to_fix
from scheduler.dialer import attempt_rows, describe
from scheduler.intake import NewRequest
from scheduler.requests import FINAL_STATUSES, RequestStatus
from scheduler.rule_facts import promise_times, row_facts
from scheduler.rules import CallingRules, next_allowed, rules_from_settings
from scheduler.spool import import_spool
from scheduler.subject_access import in_iso_times
from scheduler.timing.choice import Timing, TimingConfig, planned_timing
from scheduler.timing.slot_policy import told_by
from scheduler.windows import window_deadline, window_expiry, window_problem
from spillway.console_text import ConsoleText, load_console_text
from spillway.errors import InputError
from spillway.logs import mask_numbers
from spillway.phone import mask_phone, normalise_phone
from spillway.request_problem import cancelled_by_admin
from spillway.settings import Settings
from spillway.storage import Row, Store
from spillway.wording import say, worded
from web.reason_words import request_words

app = typer.Typer(
    help="Callback requests: list, show, explain, cancel, import (a CSV, the menu's spool), "
    "opt out.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)
# `callbacks import` holds the write lock this long at a time, then lets others in.
IMPORT_BATCH_S = 0.1
IMPORT_PAUSE_S = 0.1
JsonOption = Annotated[bool, typer.Option("--json", help="JSON instead of a table.")]
FullOption = Annotated[
    bool, typer.Option("--full", help="Whole numbers and names instead of masked ones.")
]


class StatusChoice(StrEnum):
    open = "open"
    all = "all"
    pending = "pending"
    dialling = "dialling"
    done = "done"
    unreached = "unreached"
    cancelled = "cancelled"
    invalid_number = "invalid_number"


def admin_text(ctx: typer.Context) -> ConsoleText:
    """The words the admin commands print: the language pack's, in the console's language
    (``web.language``, else ``shop.language``)."""
    return admin_words(app_context(ctx).settings)


def _shop_zone(ctx: typer.Context) -> ZoneInfo:
    return ZoneInfo(app_context(ctx).settings.shop.timezone)


def phone_filter(number: str, region: str) -> tuple[str, dict[str, Any]]:
    """SQL matching the requests of ``number`` given in any form (national, E.164, 00...)."""
    e164 = normalise_phone(number, region)
    if e164 is None:
        raise InputError.worded("not_a_phone", number=repr(number))
    # A number kept as given (status invalid_number) is found by what was typed, too.
    return "phone IN (:e164, :typed)", {"e164": e164, "typed": number.strip()}


@contextlib.contextmanager
def _store(ctx: typer.Context, *, may_create: bool = False, named: bool = True) -> Any:
    """The store, named on stderr (a listing's JSON stays clean on stdout); a command that
    needs data refuses a database that does not exist yet (cli.database_use), one that
    brings data (``may_create``: an import on a fresh install) says it created one.
    ``named`` False: a second opening in the same command, already named once."""
    storage = app_context(ctx).settings.storage
    db, key = open_announced(storage, may_create=may_create)
    if named:
        err_console.print(said(admin_text(ctx), key, storage), markup=False, soft_wrap=True)
    try:
        yield db
    finally:
        db.close()


def _request(db: Store, request_id: int) -> Any:
    rows = db.query("SELECT * FROM callback_requests WHERE id = :id", {"id": request_id})
    if not rows:
        raise InputError.worded("no_request", id=request_id)
    return rows[0]


def _masked(data: Any) -> Any:
    """A request as listed by default: its number and name masked, and numbers in its text."""
    if isinstance(data, str):
        return mask_numbers(data)
    if isinstance(data, list):
        return [_masked(item) for item in data]
    if not isinstance(data, dict):
        return data
    shown = {key: _masked(value) for key, value in data.items()}
    if isinstance(data.get("phone"), str):
        shown["phone"] = mask_phone(data["phone"])
    if isinstance(data.get("name"), str):
        shown["name"] = " ".join(word[:1] + "***" for word in data["name"].split())
    return shown


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        StatusChoice | None,
        typer.Option(help="Which requests (default: open ones; with --phone, all)."),
    ] = None,
    phone: Annotated[
        str | None,
        typer.Option(
            "--phone", help="Only this customer's requests: the number as national or E.164."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    as_json: JsonOption = False,
    full: FullOption = False,
) -> None:
    """List callback requests (numbers and names masked unless --full; times in the shop's zone).

    --json gives the stored codes (docs/OPERATIONS.md, "Codes in --json"): a request's
    `planned_by` and `first_attempt_policy` name the policy as configured
    ("traditional"), which `show`, `explain` and the console call conventional.
    """
    settings = app_context(ctx).settings
    if status is None:
        status = StatusChoice.all if phone else StatusChoice.open
    params: dict[str, Any]
    if status is StatusChoice.open:
        where, params = "status IN ('pending', 'dialling')", dict[str, Any]()
    elif status is StatusChoice.all:
        where, params = "1 = 1", {}
    else:
        where, params = "status = :s", {"s": status.value}
    if phone is not None:
        by_phone, phone_params = phone_filter(phone, settings.shop.country)
        where, params = f"({where}) AND {by_phone}", {**params, **phone_params}
    with _store(ctx) as db:
        rows = db.query(
            f"SELECT * FROM callback_requests WHERE {where} ORDER BY id DESC LIMIT :limit",
            {**params, "limit": limit},
        )
    views = [describe(r) if full else _masked(describe(r)) for r in rows]
    zone = ZoneInfo(settings.shop.timezone)
    if as_json:
        # The promise's deadline and expiry, as `show --json` gives them (the stored
        # columns are empty unless the customer asked for a window).
        rules = rules_from_settings(settings)
        for view, row in zip(views, rows, strict=True):
            deadline_at, view["expires_at"] = promise_times(
                rules, row, default_timezone=settings.callbacks.default_timezone
            )
            timing = planned_timing(
                row["timing"],
                traditional=bool(row["traditional"]),
                policy=settings.callbacks.policy,
            )
            view["deadline"] = told_by(
                rules,
                deadline_at,
                row["timezone"] or settings.callbacks.default_timezone,
                predicted=timing is Timing.PREDICTED,
                own_window=row["deadline"] is not None,
            )
        # The table's rows (the same masks), with its times as ISO 8601 in the shop's zone.
        print(json.dumps(in_iso_times(views, zone), indent=2, default=str, ensure_ascii=False))
        return
    t = admin_text(ctx)
    if status in (StatusChoice.all, StatusChoice.open):
        which = t(f"cli.callbacks.{status.value}")
    else:
        which = code_word(t, "status", status.value)
    if not rows:
        # A table with a title and no rows read as a failed query: said in a sentence.
        if phone:
            key = "none_for_phone" if status is StatusChoice.all else "none_for_phone_in"
            masked = mask_phone(params["e164"])
            console.print(t(f"cli.callbacks.{key}", phone=masked, which=which), markup=False)
        else:
            console.print(t("cli.callbacks.none_listed", which=which), markup=False)
        return
    table = Table(
        title=t(
            "cli.callbacks.title",
            which=which + (f", {mask_phone(params['e164'])}" if phone else ""),
            zone=zone.key,
        )
    )
    # Seven columns fit 80 characters; where a request came from is in `show` and --json.
    columns = ("id", "phone", "name", "status", "attempts", "earliest_call", "reason")
    for column in columns:
        # A number or a moment folded over two lines cannot be read or copied; words may fold.
        whole = column in ("id", "phone", "earliest_call")
        # A long word folds rather than ends in "…": nothing of it is hidden.
        table.add_column(t(f"cli.callbacks.{column}"), no_wrap=whole, overflow="fold")
    rules = rules_from_settings(settings)
    for r, row in zip(views, rows, strict=True):
        table.add_row(
            str(r["id"]),
            shown(r["phone"]),
            shown(r["name"] or "-"),  # masked ("A*** J***") unless --full, as the number
            shown(code_word(t, "status", str(r["status"]))),
            str(r["attempts"]),
            _earliest_call(rules, row, settings, zone, t) if r["status"] == "pending" else "-",
            shown(request_words(t, r["reason"]).words),
        )
    console.print(table)


def _earliest_call(
    rules: CallingRules, row: Row, settings: Settings, zone: ZoneInfo, text: ConsoleText
) -> str:
    """The first moment from the request's start the calling rules allow it to be dialled
    (the timing may choose a later one; a past one is due), or that there is none:
    never a time the rules refuse."""
    facts = row_facts(row, default_timezone=settings.callbacks.default_timezone)
    at = next_allowed(rules, facts, row["not_before"] or facts.created_at)
    if at is None:
        return text("cli.callbacks.none_allowed")
    # Short, with the weekday: the list fits an 80-column terminal (the title names the zone).
    return text.when(at, zone.key, text("cli.callbacks.earliest_when"))


@app.command("show")
def show(
    ctx: typer.Context,
    request_id: int,
    as_json: JsonOption = False,
    language: AdminLanguageOption = None,
) -> None:
    """One request and every attempt made for it; its promise and next call as
    `callbacks explain` gives them."""
    settings = app_context(ctx).settings
    zone = ZoneInfo(settings.shop.timezone)
    how = reading(settings, language)
    with _store(ctx) as db:
        row = _request(db, request_id)
        planned, told = promises(db, row, settings, how, now=time.time())
        data = describe(row)
        data["attempts_made"] = attempt_rows(db, request_id)
    if as_json:
        # One deadline and one expiry: the promise's (the stored columns hold one only
        # for a simulated request, and the promise already prefers it then). The
        # deadline is the one the customer was told and the card shows (a predicted
        # request's day's close); the rules' hour the dialer aims at is promise.deadline_at.
        data["deadline"], data["expires_at"] = planned.promised_by, planned.expires_at
        data["promise"] = {
            "deadline_at": planned.deadline_at,
            "promised_by": planned.promised_by,
            "expires_at": planned.expires_at,
            "given_up_at": planned.given_up_at,  # the window's end when it comes first
            "timezone": planned.timezone,
            "timeline": planned.timeline,
            "language": how.language,
        }
        data["told_customer"] = {"language": how.shop_language, "timeline": told}
        print(json.dumps(in_iso_times(data, zone), indent=2, default=str, ensure_ascii=False))
        return
    text = load_console_text(how.language)
    quote = customer_quote(text, told, how.shop_language) if how.quotes_customer else None
    card = request_card(data, data["attempts_made"], planned, zone=zone, text=text, told=quote)
    for line in card:
        console.print(line, soft_wrap=True)


@app.command("cancel")
def cancel(ctx: typer.Context, request_id: int) -> None:
    """Cancel an open request (an attempt already ringing is left to finish)."""
    t = admin_text(ctx)
    with _store(ctx) as db:
        row = _request(db, request_id)
        if RequestStatus(row["status"]) in FINAL_STATUSES:
            status = str(row["status"])
            said = worded(f"status.{status}") if f"status.{status}" in t.strings else status
            raise InputError.worded("already_closed", id=request_id, status=said)
        with db.transaction() as tx:
            requests.close(
                tx,
                request_id,
                RequestStatus.CANCELLED,
                now=time.time(),
                error=cancelled_by_admin(),
            )
    console.print(t("cli.callbacks.cancelled", id=request_id))


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="The requests, one a row: a CSV file (a spreadsheet saved as CSV) whose "
            "first row names the columns; only phone is required.",
        ),
    ],
    encoding: Annotated[
        str | None,
        typer.Option(
            help="The file's encoding (default: UTF-8, else Windows-1252 with a warning)."
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Refuse columns Spillway does not read.")
    ] = False,
    full: FullOption = False,
) -> None:
    """Import requests from CSV: columns phone, name, reason, timezone, segment, consent,
    timing ('conventional': the customer asked for a plain callback; the older column
    traditional, yes/no, says the same), not_before, not_after, idempotency_key (or their
    Danish names: telefon, navn, årsag, tidszone, segment, samtykke,
    almindeligt_tilbagekald, planlægning, tidligst, senest, nøgle), separated by commas,
    semicolons, tabs or bars (|), whichever makes a phone column of the header. Times:
    2026-12-07 09:00, or day first as Danish Excel writes them (07-12-2026 09:00,
    07.12.2026 09:00); 07/12/2026 is refused as ambiguous. A row for a number with an open
    request joins it: its reason is added and the window widened to cover both.
    Bad rows are reported by line (numbers masked unless --full); the good rows go in. A
    row whose consent says no, or whose number is on the do-not-call list, is refused and
    stores nothing. An erased person not on that list leaves no trace to match: an old
    file imported again records them anew.

    Exit codes (for cron):
    0 every row in, or refused as the customer asked (do-not-call, consent no);
    1 a row to correct (bad number, time, window, line): the good rows are in,
    and importing the file again adds each row once;
    2 the file is unreadable."""
    settings = app_context(ctx).settings
    try:
        text = read_csv_file(file, encoding=encoding)
        parsed = parse_csv(
            text.text,
            region=settings.shop.country,
            default_timezone=settings.callbacks.default_timezone,
            strict=strict,
            allowed_countries=settings.callback_countries(),
        )
    except CsvError as exc:
        raise InputError.worded("csv_file", file=file, problem=exc.wording) from exc
    t = admin_text(ctx)
    for warning in text.warnings + parsed.warnings:
        console.print(
            t("cli.callbacks.file_says", file=file, what=warning.said(t)),
            style="yellow",
            markup=False,
            soft_wrap=True,
        )
    added = already = 0
    merged: list[int] = []  # the open requests rows joined, one entry a row
    errors = list(parsed.errors)
    rules = rules_from_settings(settings)
    ready: list[tuple[int, NewRequest]] = []
    for line, request in parsed.requests:
        # The same window rules as the API: refused if never honoured, else covered.
        now = time.time()
        zone = request.timezone or settings.callbacks.default_timezone
        nb, na = request.not_before, request.not_after
        problem = window_problem(
            rules, phone=request.phone, now=now, timezone=zone, not_before=nb, not_after=na
        )
        if problem is not None:
            # The window's refusal by its words' name: callback.window_past.
            name = "window_" + problem.wording.key.rsplit(".", 1)[-1]
            errors.append(RowError.named(line, name, problem.wording))
            continue
        expires_at = window_expiry(rules, now=now, timezone=zone, not_before=nb, not_after=na)
        promised = window_deadline(rules, now=now, timezone=zone, not_before=nb, not_after=na)
        ready.append((line, dataclasses.replace(request, expires_at=expires_at, deadline=promised)))
    timing = TimingConfig.from_settings(settings)
    with _store(ctx, may_create=True) as db:
        # Short transactions with a pause between them: the API, the bot and the
        # dialer write in the pauses instead of timing out behind one long import.
        # SQLite's busy wait re-polls at most every 100 ms and queues nobody, so a
        # pause that long lets every waiting writer in.
        rows = iter(ready)
        while True:
            started = time.monotonic()
            with db.transaction() as tx:
                for line, request in rows:
                    try:
                        recorded = intake.record(
                            tx,
                            request,
                            region=settings.shop.country,
                            now=time.time(),
                            default_timezone=settings.callbacks.default_timezone,
                            allowed_countries=settings.callback_countries(),
                            hash_key=settings.gdpr.hash_key_bytes(),
                            timing=timing,
                            rules=rules,
                            refuse_do_not_call=True,
                        )
                    except intake.KeyReused as exc:
                        reused = exc.wording or exc.message
                        errors.append(RowError(line, exc.code, reused))
                        continue
                    except intake.OnDoNotCallList:
                        # Nothing stored: not even a closed row with the name.
                        listed = worded("cli.csv.do_not_call")
                        errors.append(RowError.named(line, "do_not_call", listed, request.phone))
                        continue
                    if recorded.merged:
                        merged.append(recorded.id)
                    already += recorded.replayed
                    added += not (recorded.merged or recorded.replayed)
                    if time.monotonic() - started >= IMPORT_BATCH_S:
                        break
                else:
                    break
            time.sleep(IMPORT_PAUSE_S)
    for error in sorted(errors, key=lambda e: e.line):
        said = t("cli.callbacks.file_row", file=file, row=error.said(t, full=full))
        console.print(plain(said), style="red", markup=False, soft_wrap=True)
    fix = to_fix(errors)
    console.print(
        t(
            "cli.callbacks.imported",
            requests=t.count("count.requests", added),
            merged=len(merged),
            into=merged_into(t, merged),
            already=already,
            rows=t.count("count.rows", len(errors)),
            to_fix=len(fix),
            do_not_call=sum(e.code == "callback.do_not_call" for e in errors),
            no_consent=sum(e.code == "callback.no_consent" for e in errors),
        ),
        soft_wrap=True,
    )
    if fix:
        told = t.count("cli.callbacks.rows_to_fix", len(fix), file=file)
        console.print(told, style="red", markup=False, soft_wrap=True)
        raise typer.Exit(1)
    if errors:  # refused only as the customers asked: the import did what it should
        console.print(t("cli.callbacks.refused_as_asked"), markup=False, soft_wrap=True)


# The summary names this many of the requests rows were merged into, then how many more.
MERGED_IDS_SHOWN = 10


def merged_into(t: ConsoleText, ids: list[int]) -> str:
    """The requests rows joined, after the summary's count: " (request 12, 14)"; "" for none."""
    unique = sorted(set(ids))
    if not unique:
        return ""
    shown = ", ".join(map(str, unique[:MERGED_IDS_SHOWN]))
    if len(unique) > MERGED_IDS_SHOWN:
        shown = t("cli.callbacks.ids_more", ids=shown, more=len(unique) - MERGED_IDS_SHOWN)
    return t.count("cli.callbacks.merged_into", len(unique), ids=shown)


@app.command("import-spool")
def import_spool_(ctx: typer.Context) -> None:
    """Import the requests the DTMF menu left in the spool while `spillway serve` was down
    (`spillway scheduler run` does this on every poll). Bad files are set aside in bad/."""
    settings = app_context(ctx).settings
    folder = callback_spool(settings).local
    with _store(ctx, may_create=True) as db:
        try:
            report = import_spool(
                db,
                folder,
                region=settings.shop.country,
                default_timezone=settings.callbacks.default_timezone,
                now=time.time(),
                allowed_countries=settings.callback_countries(),
                hash_key=settings.gdpr.hash_key_bytes(),
                timing=TimingConfig.from_settings(settings),
            )
        except OSError as exc:
            raise InputError.worded("spool_unreadable", folder=folder, problem=exc) from exc
    t = admin_text(ctx)
    for what, entries in (
        (t("cli.callbacks.spool_bad"), report.bad),
        (t("cli.callbacks.spool_failed"), report.failed),
    ):
        for name, reason in entries:
            console.print(
                plain(
                    t(
                        "cli.callbacks.spool_line",
                        file=folder / "new" / name,
                        what=what,
                        reason=say(reason, t),
                    )
                ),
                style="red",
                markup=False,
                soft_wrap=True,
            )
    console.print(
        t(
            "cli.callbacks.spool_imported",
            requests=t.count("count.requests", len(report.imported)),
            folder=folder,
            files=t.count("count.files", len(report.bad)),
            left=len(report.failed),
        ),
        markup=False,
        soft_wrap=True,
    )
    if report.bad or report.failed:
        raise typer.Exit(1)
