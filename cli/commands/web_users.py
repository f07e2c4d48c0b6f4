"""`spillway web user add|list|remove`: the console's users, kept in the secrets file.

A user is one line, ``SPILLWAY_WEB__USERS__<name>=<role>:<argon2 hash>``; the
password is read from standard input (never an argument, which `ps` shows)
and only its hash is stored. The first user added also gets the key that
signs the session cookie (``SPILLWAY_WEB__SESSION_SECRET``), so sessions
survive a restart of `spillway web serve`. The server reads its users when it
starts: restart it after a change.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from cli.admin_words import admin_words
from cli.context import app_context
from spillway.errors import InputError
from spillway.secrets import generate_secret, remove_secret, set_secret
from web.users import Role, entry, secret_name, valid_name

app = typer.Typer(help="The console's users (kept in the secrets file).", no_args_is_help=True)
MIN_PASSWORD_CHARS = 10


class RoleChoice(StrEnum):
    viewer = "viewer"
    supervisor = "supervisor"
    admin = "admin"


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user name (lowercase letters, digits, . _ -).")],
    # A plain string checked here, not a click choice: click refuses a wrong one in
    # English, and the admin's language says it with the roles (input.bad_role).
    role: Annotated[
        str, typer.Option(help="What the user may do: viewer, supervisor or admin.")
    ] = RoleChoice.viewer.value,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a user, or replace their role and password."""
    if not valid_name(name):
        raise InputError.worded("bad_user_name", name=repr(name))
    if role not in set(RoleChoice):
        raise InputError.worded("bad_role", role=repr(role))
    if not password_stdin:
        raise InputError.worded("password_stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError.worded("password_short", most=MIN_PASSWORD_CHARS)
    settings = app_context(ctx).settings
    path = set_secret(secret_name(name), entry(Role.named(role), password))
    if settings.web.session_secret is None:
        set_secret("SPILLWAY_WEB__SESSION_SECRET", generate_secret() + generate_secret())
    t = admin_words(settings)
    typer.echo(t("cli.web_users.added", name=name, role=t(f"role.{role}"), path=path))


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """The users and their roles (never the hashes)."""
    settings = app_context(ctx).settings
    users = settings.web.users
    if not users:
        typer.echo(admin_words(settings)("cli.web_users.none"))
        return
    for name in sorted(users):
        typer.echo(f"{name}\t{users[name].partition(':')[0]}")


@app.command("remove")
def remove(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The user to remove.")]
) -> None:
    """Remove a user; their sessions end when the server restarts."""
    if not valid_name(name) or not remove_secret(secret_name(name)):
        raise InputError.worded("no_user", name=repr(name))
    typer.echo(admin_words(app_context(ctx).settings)("cli.web_users.removed", name=name))
