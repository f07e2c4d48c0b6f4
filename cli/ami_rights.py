"""The doctor asks the live Asterisk what Spillway's AMI users may do.

The dialling user (the scheduler's) should only originate and read. Asterisk's
``ListCommands`` answers with the actions the logged-in user may run, so the
rights in force are read from the PBX itself, whatever file granted them. The
modules are checked as the admin user, since ``ModuleCheck`` needs ``system``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cli.admin_words import admin_words
from cli.doctor import Check
from dialplan.ami_users import admin_endpoint
from dialplan.render import REQUIRED_MODULES
from spillway.ami import AmiClient, AmiEndpoint
from spillway.errors import SpillwayError
from spillway.settings import Settings

# A right that reaches beyond placing calls, and an action that only it allows
# (Asterisk 22 main/manager.c): `command` runs any CLI command (`core stop now`),
# `system` restarts, loads modules and edits AstDB.
RISKY_RIGHTS = {"command": "Command", "system": "ModuleLoad"}


def risky_rights(actions: Iterable[str]) -> list[str]:
    """The risky rights that the actions a user may run (``ListCommands``) reveal."""
    allowed = {a.lower() for a in actions}
    return [right for right, action in RISKY_RIGHTS.items() if action.lower() in allowed]


async def allowed_actions(endpoint: AmiEndpoint) -> list[str]:
    """The AMI actions ``endpoint``'s user may run, as Asterisk lists them."""
    ami = await AmiClient.connect(endpoint)
    try:
        response: Any = await ami.action({"Action": "ListCommands"})
    finally:
        await ami.close()
    first = response[0] if isinstance(response, list) else response
    return [str(key) for key in first if str(key) not in ("Response", "ActionID", "content")]


async def check_ami_rights(settings: Settings) -> Check:
    """Warn when the live dialling user may run CLI commands or system actions."""
    t = admin_words(settings)
    name = t("cli.doctor.rights")
    secret = settings.pbx.ami_secret.get_secret_value() if settings.pbx.ami_secret else ""
    user = settings.pbx.ami_username
    if not secret:
        # Unknown is not OK: say so, as a warning the admin can act on.
        return Check(
            name,
            True,
            t("cli.doctor.rights_no_secret", user=user),
            # The login check's own fix (the list of fixes says it once).
            settings.ami_secret_hint().said(t),
            warning=True,
        )
    try:
        actions = await allowed_actions(AmiEndpoint.from_settings(settings.pbx, secret))
    except SpillwayError as exc:
        return Check(
            name,
            True,
            t("cli.doctor.rights_not_checked", user=user, error=exc),
            t("cli.doctor.rights_start_fix"),
            warning=True,
        )
    risky = risky_rights(actions)
    if risky:
        return Check(
            name,
            True,
            t(
                "cli.doctor.rights_risky",
                user=user,
                actions=", ".join(RISKY_RIGHTS[r] for r in risky),
                rights=", ".join(risky),
            ),
            t("cli.doctor.rights_risky_fix", user=user),
            warning=True,
        )
    return Check(name, True, t("cli.doctor.rights_ok", user=user))


async def check_modules(settings: Settings) -> list[Check]:
    """The required modules, asked as the admin user (ModuleCheck needs `system`)."""
    t = admin_words(settings)
    try:
        ami = await AmiClient.connect(admin_endpoint(settings))
    except SpillwayError as exc:
        unchecked = t("cli.doctor.modules_not_checked", error=exc.args[0])
        return [Check(t("cli.doctor.modules"), True, unchecked, warning=True)]
    checks = []
    try:
        for module in REQUIRED_MODULES:
            name = t("cli.doctor.module", module=module)
            try:
                await ami.action({"Action": "ModuleCheck", "Module": module})
                checks.append(Check(name, True, t("cli.doctor.module_loaded")))
            except SpillwayError:
                load = f"asterisk -rx 'module load {module}.so'"
                checks.append(Check(name, False, t("cli.doctor.module_not_loaded"), load))
    finally:
        await ami.close()
    return checks
