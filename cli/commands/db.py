"""`spillway db ...`: the database schema, its contents, backups and restores (in the
admin's language: ``cli.db`` in console.yaml; a migration by its pack description,
``cli.db.described.v<version>``, else its name as recorded)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.admin_words import admin_words
from cli.commands.simulate import database_name
from cli.context import app_context
from cli.database_use import database_label, is_missing, open_existing
from scheduler.simulation import store as sim_store
from spillway import audit
from spillway.console_text import ConsoleText
from spillway.erasure_replay import (
    ErasureLog,
    Replayed,
    do_not_call_rows,
    merged,
    read_erasure_log,
    replay_erasures,
)
from spillway.errors import InputError
from spillway.migration_backups import file_name, folder_of, migration_backups, prune
from spillway.private_files import private_folder
from spillway.schema import MIGRATIONS, UNUSED_VERSIONS, latest_version
from spillway.storage import Store, open_store

app = typer.Typer(help="Inspect and migrate Spillway's database.", no_args_is_help=True)
console = Console()

# How a backup `spillway db backup` wrote begins, by backend: SQLite's file header, and
# pg_dump's custom format (what `pg_restore` reads).
BACKUP_HEADERS = {"sqlite": b"SQLite format 3\x00", "postgres": b"PGDMP"}
BACKEND_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def is_backup(head: bytes, backend: str) -> bool:
    """Whether a file beginning with ``head`` can be a backup of a ``backend`` database:
    a CSV or a log given by mistake is refused before the database is touched."""
    return head.startswith(BACKUP_HEADERS[backend])


def described(t: ConsoleText, version: int, name: str) -> str:
    """What migration ``version`` did, in the admin's language; the English name the
    database recorded when the pack has none for it (one newer than this code)."""
    return t.strings.get(f"cli.db.described.v{version}", name)


@app.command("migrate")
def migrate(
    ctx: typer.Context,
    backup_first: Annotated[
        bool,
        typer.Option(
            "--backup/--no-backup", help="Back the database up first (into <data_dir>/backups)."
        ),
    ] = True,
) -> None:
    """Apply pending schema migrations (they are recorded in _migrations); a database with
    data is backed up first."""
    settings = app_context(ctx).settings
    t = admin_words(settings)
    store = open_store(settings.storage, migrate=False)
    try:
        done = {r["version"] for r in store.applied_migrations()}
        if backup_first and done and max(done) < latest_version() and store.has_data():
            folder = folder_of(settings.paths.data_dir)
            private_folder(folder)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            target = folder / file_name(stamp, latest_version(), store.backend)
            _backup(store, target)
            console.print(t("cli.db.backed_up_first", file=target), markup=False, soft_wrap=True)
            # Only once the new copy is whole: they hold erased people's data too.
            kept = settings.gdpr.migration_backups_kept
            if gone := prune(folder, kept):
                said = t.count("cli.db.pruned_backups", len(gone), kept=kept, folder=folder)
                console.print(said, markup=False, soft_wrap=True)
        applied = store.migrate()
    finally:
        store.close()
    if not applied:
        console.print(t("cli.db.up_to_date"), markup=False)
    for migration in applied:
        name = described(t, migration.version, migration.name)
        said = t("cli.db.applied", version=migration.version, name=name)
        console.print(said, markup=False, soft_wrap=True)


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Show the applied migrations, any pending ones, and the rows per table; with no
    SQLite database yet, say so and create none (`spillway db migrate` creates it)."""
    settings = app_context(ctx).settings
    t = admin_words(settings)
    path = settings.storage.sqlite_path
    if settings.storage.backend == "sqlite" and not path.exists():
        every = t.count("cli.db.migrations", len(MIGRATIONS))
        said = t("cli.db.no_database", path=path, version=latest_version(), migrations=every)
        console.print(said, style="yellow", markup=False, soft_wrap=True)
        return
    store = open_store(settings.storage, migrate=False)
    try:
        # The path on a line of its own, never wrapped: it is copied whole.
        console.print(f"{store.backend}: {settings.storage.sqlite_path}", soft_wrap=True)
        table = Table(title=t("cli.db.migrations_title"))
        table.add_column(t("cli.db.migration"))
        table.add_column(t("cli.db.name"))
        applied = store.applied_migrations()
        for row in applied:
            table.add_row(str(row["version"]), described(t, row["version"], row["name"]))
        console.print(table)
        done = {row["version"] for row in applied}
        # A gap in the list is a number never used, not a step missing: say so.
        if skipped := sorted(v for v in UNUSED_VERSIONS if done and v < max(done)):
            numbers = ", ".join(map(str, skipped))
            console.print(t.count("cli.db.unused", len(skipped), numbers=numbers), markup=False)
        pending = [m for m in MIGRATIONS if m.version not in done]
        if not done:
            # A new database: one line, not every migration's name.
            console.print(
                t(
                    "cli.db.no_schema",
                    version=latest_version(),
                    migrations=t.count("cli.db.migrations", len(pending)),
                ),
                style="yellow",
                markup=False,
                soft_wrap=True,
            )
        elif pending:
            names = ", ".join(f"{m.version} {described(t, m.version, m.name)}" for m in pending)
            console.print(
                t.count("cli.db.pending", len(pending), names=names),
                style="yellow",
                markup=False,
                soft_wrap=True,
            )
        else:
            console.print(t("cli.db.up_to_date_version", version=latest_version()), markup=False)
        counts = Table(title=t("cli.db.rows_title"))
        counts.add_column(t("cli.db.table"))
        counts.add_column(t("cli.db.rows"), justify="right")
        for name, count in sorted(store.table_counts().items()):
            counts.add_row(name, str(count))
        console.print(counts)
    finally:
        store.close()
    for line in backups_lines(t, settings.paths.data_dir, settings.gdpr.migration_backups_kept):
        console.print(line, markup=False, soft_wrap=True)


def backups_lines(t: ConsoleText, data_dir: Path, kept: int) -> list[str]:
    """What `db status` says of the copies `db migrate` took (they hold personal data):
    where they are, how many are kept, and each one's age."""
    folder = folder_of(data_dir)
    found = migration_backups(folder)
    if not found:
        return []
    now = time.time()
    lines = [t.count("cli.db.migration_backups", len(found), folder=folder, kept=kept)]
    for backup in found:
        age = t.count("cli.db.days_old", backup.age_days(now))
        lines.append(f"  {backup.path.name} ({age})")
    return lines


def _backup(store: Store, target: Path) -> None:
    # Written beside the target and renamed, so a file of that name is always whole.
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        store.backup(partial)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)  # no half copy left beside the target
        raise


@app.command("backup")
def backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Where to write the copy.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
    make_folder: Annotated[
        bool, typer.Option("--make-folder", help="Create FILE's folder if it does not exist.")
    ] = False,
) -> None:
    """A consistent copy of the database while the daemons run (SQLite's online backup
    API; pg_dump's custom format for PostgreSQL)."""
    if file.is_dir():
        # `db backup /var/backups/spillway/` names the folder: --force could not help.
        stamp = time.strftime("%Y-%m-%d")
        raise InputError.worded(
            "backup_is_folder", folder=file, example=file / f"spillway-{stamp}.db"
        )
    if file.exists() and not force:
        raise InputError.worded("backup_exists", file=file)
    if not file.parent.is_dir() and not make_folder:
        # A mistyped folder would leave a copy of personal data in a stray one.
        raise InputError.worded("backup_folder_missing", folder=file.parent.resolve())
    settings = app_context(ctx).settings
    # A backup of a database that does not exist is refused, not an empty file made.
    store = open_existing(settings.storage)
    try:
        private_folder(file.parent)
        _backup(store, file)
    finally:
        store.close()
    t = admin_words(settings)
    database = database_label(settings.storage)
    console.print(t("cli.db.backed_up", file=file, database=database), markup=False, soft_wrap=True)


@app.command("restore")
def restore(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A file `spillway db backup` wrote.")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a database that holds data.")
    ] = False,
    erasures_from: Annotated[
        Path | None,
        typer.Option(
            "--erasures-from",
            help="A SQLite database whose erasures are redone on the restored data: the "
            "old live spillway.db, or a later backup (for a restore into a new database).",
        ),
    ] = None,
    ignore_later_erasures: Annotated[
        bool,
        typer.Option(
            "--ignore-later-erasures",
            help="Restore into a new database without an erasure log: you have made sure "
            "nobody was erased after the backup was written.",
        ),
    ] = False,
) -> None:
    """Replace the database with a backup. A database that holds data is only overwritten
    with --force (stop `spillway serve` and `spillway scheduler run` first); a new, empty
    one only with --erasures-from or --ignore-later-erasures."""
    if not file.is_file():
        raise InputError.worded("no_backup", file=file)
    settings = app_context(ctx).settings
    backend = settings.storage.backend
    if not is_backup(_head(file, backend), backend):
        raise InputError.worded("not_a_backup", file=file, backend=BACKEND_NAMES[backend])
    taken = written_at(file)
    given = _erasure_log(erasures_from) if erasures_from else None
    # Restoring onto a machine with no database yet is recovery: it is made, and said.
    created = is_missing(settings.storage)
    database = database_label(settings.storage)
    unknown = given is None and not ignore_later_erasures
    if created and unknown:  # refused before an empty file is made
        raise InputError.worded("restore_erasures_unknown", database=database, taken=taken)
    store = open_store(settings.storage, migrate=False)
    try:
        fresh = not store.has_data()
        if not fresh and not force:
            raise InputError.worded("restore_over_data")
        if fresh and unknown:
            raise InputError.worded("restore_erasures_unknown", database=database, taken=taken)
        here = ErasureLog(audit.entries(store), do_not_call_rows(store))
        log = merged(here, given) if given else here
        store.restore(file)
        store.migrate()  # a backup from an older version is brought up to date
        kept = audit.keep_newer(store, log.entries)
        # The right to erasure outlives the backup: redone before the data can be used.
        redone = replay_erasures(
            store,
            kept,
            log.marks,
            key=settings.gdpr.hash_key_bytes(),
            actor=audit.current_actor(),
            now=time.time(),
        )
    finally:
        store.close()
    t = admin_words(settings)
    key = "cli.db.restored_new" if created else "cli.db.restored"
    console.print(t(key, file=file, database=database), markup=False, soft_wrap=True)
    if given is not None:
        records = t.count("cli.db.audit_records", len(given.entries))
        said = t("cli.db.read_erasure_log", file=erasures_from, records=records)
        console.print(said, markup=False, soft_wrap=True)
    elif fresh:  # --ignore-later-erasures: what the admin took on, said once more
        said = t("cli.db.no_erasure_log", taken=taken)
        console.print(said, style="red", markup=False, soft_wrap=True)
    if kept:
        console.print(
            t("cli.db.kept_audit", records=t.count("cli.db.audit_records", len(kept))),
            markup=False,
            soft_wrap=True,
        )
    for line, bad in restore_lines(t, redone):
        console.print(line, style="red" if bad else None, markup=False, soft_wrap=True)


def _head(file: Path, backend: str) -> bytes:
    with file.open("rb") as given:
        return given.read(len(BACKUP_HEADERS[backend]))


def written_at(file: Path) -> str:
    """When ``file`` was last written (its modification time, local, to the minute): for
    a backup, when it was taken, unless it was copied since without keeping times."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(file.stat().st_mtime))


def _erasure_log(path: Path) -> ErasureLog:
    """``--erasures-from``'s file read, or refused when it is no SQLite database."""
    if not path.is_file() or not is_backup(_head(path, "sqlite"), "sqlite"):
        raise InputError.worded("not_an_erasure_log", file=path)
    return read_erasure_log(path)


def restore_lines(t: ConsoleText, redone: Replayed) -> list[tuple[str, bool]]:
    """What a restore says it did about erasures and the do-not-call list, each line with
    whether it asks the admin to act (only when an erasure could not be identified)."""
    lines: list[tuple[str, bool]] = []
    if redone.erased_again:
        lines.append((t.count("cli.db.erased_again", redone.erased_again), False))
    if redone.absent:
        lines.append((t.count("cli.db.erasures_absent", redone.absent), False))
    if redone.blocked or redone.cancelled:
        said = t(
            "cli.db.blocked_again",
            entries=t.count("cli.db.entries", redone.blocked),
            requests=t.count("count.requests", redone.cancelled),
        )
        lines.append((said, False))
    if redone.unidentified:
        lines.append((t.count("cli.db.erasures_unidentified", redone.unidentified), True))
    return lines


@app.command("purge-simulated")
def purge_simulated(ctx: typer.Context) -> None:
    """Remove what `spillway simulate --store` wrote: the simulated callback requests and
    their attempts. Real requests are not touched."""
    settings = app_context(ctx).settings
    storage = settings.storage
    store = open_store(storage)
    try:
        removed = sim_store.purge(store)
    finally:
        store.close()
    t = admin_words(settings)
    console.print(
        t(
            "cli.simulate.purged",
            requests=t.count("cli.simulate.requests", removed.requests),
            attempts=t.count("cli.simulate.attempts", removed.attempts),
            database=database_name(storage),
        ),
        markup=False,
        soft_wrap=True,
    )
