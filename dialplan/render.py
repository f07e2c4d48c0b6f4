"""Render Asterisk configuration from Spillway's settings.

Two sets of files come out of the same templates: the include-able
``*_spillway.conf`` files that go into a real PBX's configuration folder, and,
for the sandbox only, the small base files (asterisk.conf, modules.conf, ...)
that include them. Rendering is pure: settings in, file texts out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial

import jinja2

from dialplan.ami_users import (
    ADMIN_WRITE,
    DIALLING_WRITE,
    admin_secret_for,
    permitted_networks,
)
from dialplan.sounds import queue_announcement, sound_dirs, stock_fallback
from dialplan.spool import callback_spool
from spillway.call import PLAIN_CALLBACK_KEY
from spillway.settings import Settings
from spillway.workers import workers_of

SECRET_MASK = "********"

# The include-able files; `dialplan install` writes these (:func:`spillway_files`: the
# sandbox's softphone file is not one on a real PBX).
SPILLWAY_FILES = (
    "extensions_spillway.conf",
    "queues_spillway.conf",
    "manager_spillway.conf",
    "websocket_client_spillway.conf",
    "pjsip_spillway.conf",
)

# The loopback softphone account (sandbox only); see pjsip_spillway.conf.j2.
SOFTPHONE_USER = "softphone"
SOFTPHONE_FILE = "pjsip_spillway.conf"


def spillway_files(settings: Settings) -> tuple[str, ...]:
    """The include-able files for this PBX. With ``pbx.mode: host`` the softphone's file
    would be a comment only, yet `dialplan install` would write it and add an
    ``#include`` of it to the production pjsip.conf: it is left out."""
    if settings.pbx.mode == "sandbox":
        return SPILLWAY_FILES
    return tuple(name for name in SPILLWAY_FILES if name != SOFTPHONE_FILE)


SANDBOX_FILES = (
    "asterisk.conf",
    "modules.conf",
    "logger.conf",
    "manager.conf",
    "extensions.conf",
    "queues.conf",
    "websocket_client.conf",
    "pjsip.conf",
    "http.conf",
    "rtp.conf",
    "cdr.conf",
)

# Files Asterisk looks for at start; empty is a valid answer and keeps the
# log free of errors that would hide real ones.
SANDBOX_EMPTY_FILES = (
    "cel.conf",
    "features.conf",
    "acl.conf",
    "udptl.conf",
    "pjproject.conf",
    "ccss.conf",
    "chan_websocket.conf",
    "queuerules.conf",
    "musiconhold.conf",
    "amd.conf",
)

# Loaded explicitly (autoload = no): fast start, nothing listening beyond loopback.
SANDBOX_MODULES = (
    "res_timing_timerfd",
    "res_sorcery_config",
    "res_sorcery_memory",
    "res_sorcery_astdb",
    "res_pjproject",
    "res_rtp_asterisk",
    "res_speech",
    "res_agi",
    "res_musiconhold",
    "res_http_websocket",
    "res_websocket_client",
    "res_audiosocket",
    "res_pjsip",
    "res_pjsip_session",
    "res_pjsip_pubsub",
    "res_pjsip_sdp_rtp",
    "res_pjsip_authenticator_digest",
    "res_pjsip_endpoint_identifier_user",
    "res_pjsip_endpoint_identifier_ip",
    "res_pjsip_registrar",
    "res_pjsip_caller_id",
    "res_pjsip_dtmf_info",
    "res_pjsip_nat",
    "chan_pjsip",
    "chan_audiosocket",
    "chan_websocket",
    "chan_bridge_media",
    "bridge_simple",
    "bridge_softmix",
    "bridge_holding",
    "bridge_builtin_features",
    "pbx_config",
    "app_dial",
    "app_queue",
    "app_audiosocket",
    "app_amd",
    "app_playback",
    "app_echo",
    "app_record",
    "app_mixmonitor",
    "app_stack",
    "app_verbose",
    "app_senddtmf",
    "app_read",
    "app_exec",
    "app_userevent",
    "app_originate",
    "app_stream_echo",
    "app_milliwatt",
    "app_waitforsilence",
    "app_playtones",
    "func_channel",
    "func_callerid",
    "func_strings",
    "func_logic",
    "func_global",
    "func_math",
    "func_cut",
    "func_uri",
    "func_timeout",
    "func_hangupcause",
    "func_db",
    "func_json",
    "func_env",
    "format_wav",
    "format_pcm",
    "format_sln",
    "format_gsm",
    "codec_ulaw",
    "codec_alaw",
    "codec_gsm",
    "codec_resample",
    "codec_a_mu",
)

# The modules `spillway doctor` requires on any PBX.
REQUIRED_MODULES = ("res_agi", "app_audiosocket", "chan_websocket", "app_queue")


@dataclass(frozen=True, slots=True)
class RenderedFile:
    name: str
    text: str


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("dialplan", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def queue_members(settings: Settings) -> list[str]:
    """Simulated agents for the sandbox: Local channels in ``spillway-agents``."""
    if settings.pbx.mode != "sandbox":
        return []
    return [
        f"Local/agent{i}@spillway-agents/n,0,Agent {i}" for i in range(1, settings.queue.agents + 1)
    ]


def softphone_password(ami_secret: str) -> str:
    """The loopback softphone's SIP password, derived so there is no second secret."""
    return hashlib.sha256(f"spillway-softphone:{ami_secret}".encode()).hexdigest()[:16]


def render_spillway(settings: Settings, *, ami_secret: str | None) -> list[RenderedFile]:
    """The include-able files; secrets are masked when ``ami_secret`` is None.

    The admin AMI user is rendered only where it has a secret (see
    :mod:`dialplan.ami_users`); masked, it is shown when one is configured.
    """
    env = _environment()
    admin_secret = admin_secret_for(settings, ami_secret or SECRET_MASK)
    if ami_secret is None and admin_secret is not None:
        admin_secret = SECRET_MASK
    context = {
        "pbx": settings.pbx,
        "c": settings.controller,
        "q": settings.queue,
        "members": queue_members(settings),
        "secret": ami_secret if ami_secret is not None else SECRET_MASK,
        "admin_secret": admin_secret,
        "dialling_write": ",".join(DIALLING_WRITE),
        "admin_write": ",".join(ADMIN_WRITE),
        "ami_permit": permitted_networks(settings),
        "sip_user": SOFTPHONE_USER,
        "sip_password": softphone_password(ami_secret) if ami_secret is not None else SECRET_MASK,
        "spool": callback_spool(settings),
        "cb": settings.callbacks,
        "snd": sound_dirs(settings).pbx,
        "queue_announce": queue_announcement(settings.shop.language, sound_dirs(settings).pbx),
        "plain_key": PLAIN_CALLBACK_KEY,
        # Some of this queue's requests are timed by prediction: the menu offers the
        # plain callback.
        "offers_timing": offers_timing(settings),
        # stock("a&b"): Asterisk's own sounds as a fallback, only in their language.
        "stock": partial(stock_fallback, settings.shop.language),
        "workers": workers_of(settings),
    }
    return [
        RenderedFile(name, env.get_template(f"{name}.j2").render(context))
        for name in spillway_files(settings)
    ]


def offers_timing(settings: Settings) -> bool:
    """Whether a menu request of this queue may be timed by prediction: the policy is
    ``predicted``, or a pilot covers the queue (all queues, or this one named) — the
    rule of ``scheduler.timing.choice.in_pilot``, a floor above, for the menu's door."""
    pilot = settings.callbacks.pilot
    if settings.callbacks.policy == "predicted":
        return True
    return pilot.share_predicted is not None and (
        not pilot.queues or settings.queue.name in pilot.queues
    )


def render_sandbox(
    settings: Settings, *, base: str, ami_secret: str, rtp_start: int = 20000
) -> list[RenderedFile]:
    """Everything a sandbox instance needs: base files plus the include-able ones."""
    env = _environment()
    context = {
        "pbx": settings.pbx,
        "instance": settings.pbx.sandbox_instance,
        "base": base,
        "modules": SANDBOX_MODULES,
        "rtp_start": rtp_start,
    }
    files = [
        RenderedFile(name, env.get_template(f"sandbox/{name}.j2").render(context))
        for name in SANDBOX_FILES
    ]
    files += [
        RenderedFile(name, "; Spillway sandbox -- empty on purpose.\n")
        for name in SANDBOX_EMPTY_FILES
    ]
    return files + render_spillway(settings, ami_secret=ami_secret)
