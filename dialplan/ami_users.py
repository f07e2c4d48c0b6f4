"""Spillway's two AMI users: the dialling one and the admin one.

The dialling user (``pbx.ami_username``, used by the scheduler and the doctor's
test call) may only originate and read: ``write = originate,reporting``. What
needs more (``dialplan install``'s reload and read-back, the doctor's module
check, ``spillway call``'s hang-ups) logs in as the admin user
(``pbx.ami_admin_username``), which exists only where its secret is set. The
sandbox, a throw-away PBX on loopback, derives one from the dialling secret (as
it does the softphone's password) unless ``pbx.ami_admin_secret`` is set.
"""

from __future__ import annotations

import hashlib
import ipaddress

from spillway import paths
from spillway.ami import AmiEndpoint
from spillway.errors import ConfigError
from spillway.settings import Settings

# Write rights, by the actions that need them (Asterisk 22 main/manager.c, main/db.c:
# an action runs when the user holds any one of its flags).
DIALLING_WRITE = ("originate", "reporting")
ADMIN_WRITE = ("system", "call", "originate", "command", "reporting")


def permitted_networks(settings: Settings) -> tuple[str, ...]:
    """Where both users may log in from: ``pbx.ami_permit``, or by default the hosts
    Spillway runs on as the PBX knows them (``controller.advertise_host`` and each
    worker's FastAGI host, as written; loopback when none is an IPv4 address)."""
    if settings.pbx.ami_permit is not None:
        return settings.pbx.ami_permit
    hosts = [settings.controller.advertise_host, *(w.fastagi_host for w in settings.pbx.workers)]
    networks: list[str] = []
    for host in hosts:
        try:
            network = ipaddress.IPv4Network(host).with_netmask
        except ValueError:
            continue  # a name or IPv6: an ACL needs IPv4 networks (pbx.ami_permit)
        if network not in networks:
            networks.append(network)
    return tuple(networks) or ("127.0.0.1/255.255.255.255",)


def derived_admin_secret(ami_secret: str) -> str:
    """The sandbox's admin secret when none is configured."""
    return hashlib.sha256(f"spillway-ami-admin:{ami_secret}".encode()).hexdigest()[:32]


def admin_secret_for(settings: Settings, ami_secret: str | None) -> str | None:
    """The admin user's secret to render (None: render no admin user)."""
    configured = settings.ami_admin_secret()
    if configured is not None:
        return configured
    if settings.pbx.mode == "sandbox" and ami_secret is not None:
        return derived_admin_secret(ami_secret)
    return None


def dialling_endpoint(settings: Settings) -> AmiEndpoint:
    """The dialling user's AMI (the scheduler's)."""
    return AmiEndpoint.from_settings(settings.pbx, settings.require_ami_secret())


def admin_endpoint(settings: Settings) -> AmiEndpoint:
    """The admin user's AMI, or a ConfigError naming ``pbx.ami_admin_secret``."""
    pbx = settings.pbx
    secret = admin_secret_for(settings, settings.require_ami_secret())
    if secret is None:
        raise ConfigError(
            "config error: pbx.ami_admin_secret is missing: this needs the admin AMI user "
            f"({pbx.ami_admin_username}); expected a secret from SPILLWAY_PBX__AMI_ADMIN_SECRET "
            f"or the secrets file {paths.secrets_file()}",
            hint="set it and install the user it renders: `spillway dialplan install "
            "--no-reload`, then `asterisk -rx 'manager reload'` (docs/DIALPLAN.md, AMI users)",
        )
    return AmiEndpoint(pbx.host, pbx.ami_port, pbx.ami_admin_username, secret, pbx.ami_timeout_s)
