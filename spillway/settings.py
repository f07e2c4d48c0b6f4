"""Settings: read once at the edge into validated, immutable objects.

This module is the sections and their checks; :mod:`spillway.config_file` finds and
reads the file. Sources, lowest priority first: built-in defaults, the YAML file, the
secrets file (``~/.config/spillway/secrets.env``, dotenv format) and ``SPILLWAY_*``
environment variables (nested keys joined with ``__``, e.g.
``SPILLWAY_PBX__AMI_PORT=5038``). Secrets are refused in the YAML file, which is
meant to be committed.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from spillway import paths
from spillway.errors import ConfigError
from spillway.worker_settings import WORKER_NAME, WorkerList, check_own_worker

# Keys that hold secrets; they must never appear in the YAML file.
SECRET_KEYS = (
    ("pbx", "ami_secret"),
    ("pbx", "ami_admin_secret"),
    ("storage", "postgres_dsn"),
    ("shop", "api_token"),
    ("sms", "api_token"),
    ("dashboard", "password_hash"),
    ("web", "api_token"),
    ("gdpr", "hash_key"),
    ("web", "users"),
    ("web", "session_secret"),
)


DB_FILE_NAME = "spillway.db"

# "~" in a configured path means the home of the user running Spillway.
ExpandedPath = Annotated[Path, AfterValidator(lambda p: p.expanduser())]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PydanticCustomError("http_url", "an http:// or https:// URL")
    return value


HttpUrlText = Annotated[str, AfterValidator(_http_url)]


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "time_zone", "an IANA time zone name such as Europe/Copenhagen"
        ) from None
    return value


TimeZoneName = Annotated[str, AfterValidator(_time_zone)]


def _template_check(*allowed: str) -> Callable[[str], str]:
    """A validator for a link template: an http(s) URL using only ``allowed`` placeholders."""
    names = ", ".join(f"{{{a}}}" for a in allowed)

    def check(value: str) -> str:
        try:
            fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(value)]
        except ValueError as exc:
            raise PydanticCustomError(
                "url_template",
                "a URL template with {names} placeholders ({problem})",
                {"names": names, "problem": str(exc)},
            ) from exc
        for name, spec, conv in fields:
            if name is None:
                continue
            if name not in allowed or spec or conv:
                raise PydanticCustomError(
                    "url_template",
                    "a URL template whose placeholders are {names}, not {unknown}",
                    {
                        "names": names,
                        "unknown": f"{{{name}{'!' + conv if conv else ''}"
                        f"{':' + spec if spec else ''}}}",
                    },
                )
        return _http_url(value)

    return check


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PbxSettings(_Section):
    """How to reach Asterisk, and the sandbox's ports."""

    mode: Literal["sandbox", "host"] = "sandbox"
    host: str = "127.0.0.1"
    ami_port: int = Field(15038, ge=1, le=65535)
    ami_username: str = "spillway"
    ami_secret: SecretStr | None = None
    # A second AMI user for the admin tools that need more than dialling
    # (`dialplan install`'s reload, the doctor's module probes, test calls);
    # the dialler's own user may only originate and read.
    ami_admin_username: str = "spillway-admin"
    ami_admin_secret: SecretStr | None = None
    ami_timeout_s: float = Field(5.0, gt=0)
    sip_port: int = Field(15060, ge=1, le=65535)
    http_port: int = Field(18088, ge=1, le=65535)
    asterisk_config_dir: ExpandedPath = Path("/etc/asterisk")
    # Asterisk's sounds folder (astdatadir/sounds); the prompts Asterisk plays
    # itself (the DTMF menu, the callback announcement) go into spillway/<language>.
    sounds_dir: ExpandedPath = Path("/var/lib/asterisk/sounds")
    sandbox_instance: str = Field("default", pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    # Several `spillway serve` workers, asked in this order (docs/OPERATIONS.md);
    # empty: the one worker at controller.advertise_host and its ports.
    workers: WorkerList = ()


class ControllerSettings(_Section):
    """Our own listeners: FastAGI for call control and the media servers."""

    bind_host: str = "127.0.0.1"
    # The address Asterisk uses to reach us (differs from bind_host behind NAT).
    advertise_host: str = "127.0.0.1"
    fastagi_port: int = Field(14573, ge=1, le=65535)
    audiosocket_port: int = Field(19092, ge=1, le=65535)
    websocket_port: int = Field(18765, ge=1, le=65535)
    transport: Literal["websocket", "audiosocket"] = "websocket"
    max_connections: int = Field(200, ge=1)
    # At most this many FastAGI connections from one address (default: all of
    # them); lower it when hosts other than Asterisk can reach the port.
    max_connections_per_peer: int | None = Field(None, ge=1)
    # Asterisk answers an AGI command in milliseconds; a peer that does not is cut.
    agi_reply_timeout_s: float = Field(10.0, gt=0, le=300)
    # Bot calls at once; beyond it callers stay with the queue (or its DTMF menu)
    # before the decoders fall behind. Unset: this machine's cores divided by
    # cpu_per_bot_call.
    max_bot_calls: int | None = Field(None, ge=1)
    # Cores one bot call keeps busy (VAD, decoding, synthesis, media), measured by
    # bench/bench_conversations.py (docs/PERFORMANCE.md); sets the unset call limit.
    cpu_per_bot_call: float = Field(0.25, gt=0, le=16)
    # Which of pbx.workers this process is; it then listens on that entry's ports.
    worker: str = Field("", pattern=f"^$|{WORKER_NAME}")

    def bot_call_limit(self) -> int:
        """``max_bot_calls``, or as many calls as this machine's cores hold."""
        cores = os.cpu_count() or 1
        return self.max_bot_calls or max(1, int(cores / self.cpu_per_bot_call + 1e-9))


class QueueSettings(_Section):
    """The human queue and when the bot takes over."""

    name: str = Field("spillway-support", pattern=r"^[A-Za-z0-9_-]+$")
    agents: int = Field(2, ge=0)
    overflow_min_waiting: int = Field(1, ge=0)
    max_wait_s: int = Field(30, ge=1)
    agent_ring_s: int = Field(15, ge=1)


class StorageSettings(_Section):
    """Where calls, callbacks and shop data are kept."""

    backend: Literal["sqlite", "postgres"] = "sqlite"
    # Unset: <paths.data_dir>/spillway.db (Settings fills it in from paths.data_dir).
    sqlite_path: ExpandedPath = Field(default_factory=lambda: paths.data_dir() / DB_FILE_NAME)
    postgres_dsn: SecretStr | None = None
    busy_timeout_ms: int = Field(5000, ge=0)


class NluSettings(_Section):
    """Intent recognition: the Rasa service and the in-process fallback."""

    rasa_url: str = "http://127.0.0.1:15005"
    timeout_ms: int = Field(800, ge=50)
    retry_after_s: float = Field(5.0, ge=0)
    min_confidence: float = Field(0.45, ge=0, le=1)
    # A yes that leads to a case, an SMS or a callback must be at least this sure;
    # a fainter one is asked again (docs/PERFORMANCE.md, h2-bot-understanding).
    min_yes_confidence: float = Field(0.9, ge=0, le=1)


class SpeechSettings(_Section):
    """Speech recognition, endpointing and synthesis."""

    # auto: an installed Vosk model of the shop's language, else the language pack's
    # sherpa-onnx model if fetched, else Whisper (models/recogniser.py).
    asr_engine: Literal["auto", "vosk", "whisper", "sherpa"] = "auto"
    vosk_model: str = "vosk-model-small-en-us-0.15"
    whisper_model: str = "whisper-tiny.en"
    # sherpa-onnx offline Whisper export (`spillway models fetch sherpa-onnx-whisper-small`).
    sherpa_model: str = "sherpa-onnx-whisper-small"
    # Beams Whisper keeps while decoding (1: greedy, the fastest); unset: the language
    # pack's (English 1; Danish 5, which hears the weak base model's Danish better).
    whisper_beam_size: int | None = Field(None, ge=1, le=10)
    piper_voice: str = "en_US-joe-medium"
    sample_rate_hz: Literal[8000, 16000] = 8000
    endpoint_silence_ms: int = Field(300, ge=50, le=5000)
    bargein_min_voiced_ms: int = Field(150, ge=20, le=2000)
    # Whisper starts decoding after this much silence and keeps the result if
    # the caller stays quiet to the endpoint; 0 turns speculation off.
    speculate_pause_ms: int = Field(150, ge=0, le=5000)
    # Below this recogniser confidence (Whisper: exp of the mean token log-probability;
    # Vosk: mean word confidence) the bot asks "could you say that again?" and acts on
    # nothing. 0.37 = exp(-1), Whisper's own threshold for a failed decode; right
    # decodes of digits score as low as 0.42 (docs/PERFORMANCE.md, h2-bot-understanding).
    min_asr_confidence: float = Field(0.37, ge=0, le=1)
    vosk_beam: float = Field(8.0, gt=0)
    vosk_max_active: int = Field(2000, ge=100)
    # Idle recognisers kept warm between calls (each holds its graph cache:
    # up to ~100 MiB with the Korean small model); 0 = a fresh one per call.
    vosk_pool_size: int = Field(8, ge=0, le=256)
    # How many of them `spillway serve` warms with the bot's prompts at start.
    vosk_prewarm: int = Field(8, ge=0, le=256)
    asr_threads: int = Field(2, ge=1, le=64)
    tts_threads: int = Field(1, ge=1, le=64)
    # Answer at the first pause when what was said is complete on its own
    # ("yes", "no thanks", an order number; bot/turn_taking.py); the bot stops
    # and the turn goes on if the caller keeps talking.
    early_answer: bool = True
    # An order number of this many digits is complete at the pause (0: never early).
    early_order_digits: int = Field(5, ge=0, le=20)
    # Reply pieces (clauses) kept rendered in memory, least recently used dropped
    # first; 0: render every piece afresh.
    reply_cache_pieces: int = Field(256, ge=0, le=100000)


class ShopSettings(_Section):
    """The shop the bot speaks for."""

    name: str = "Spillway Demo Shop"
    # The language pack callers are understood and answered in, and the sounds
    # Asterisk plays are in (spillway/languages/<code>): en or da.
    language: Literal["en", "da"] = "en"
    country: str = Field("DK", pattern=r"^[A-Z]{2}$")
    timezone: TimeZoneName = "Europe/Copenhagen"
    opening_hours: str = "Monday to Friday from nine to five"
    return_window_days: int = Field(30, ge=0)
    # A Shopify-style Admin API for orders and stock; unset: the local database.
    api_url: HttpUrlText | None = None
    api_token: SecretStr | None = None
    api_timeout_s: float = Field(5.0, gt=0)
    # Links sent by SMS; {order} / {case} are filled in (URL-quoted) per message.
    return_label_url: Annotated[str, AfterValidator(_template_check("order"))] = (
        "https://shop.example/returns/{order}"
    )
    photo_upload_url: Annotated[str, AfterValidator(_template_check("case", "order"))] = (
        "https://shop.example/cases/{case}/photos"
    )


class SmsSettings(_Section):
    """The SMS gateway (messages wait in an outbox table until sent)."""

    gateway_url: HttpUrlText | None = None
    api_token: SecretStr | None = None
    sender: str = "Spillway"
    timeout_s: float = Field(5.0, gt=0)
    send_interval_s: float = Field(5.0, gt=0)
    batch_size: int = Field(50, ge=1, le=10_000)
    max_attempts: int = Field(5, ge=1, le=50)
    retry_base_s: float = Field(30.0, ge=0)
    retry_max_s: float = Field(1800.0, ge=0)
    # A row left in 'sending' this long (its sender died mid-post) is taken up again.
    claim_timeout_s: float = Field(120.0, gt=0)

    @field_validator("claim_timeout_s")
    @classmethod
    def _claim_outlasts_a_post(cls, value: float, info: ValidationInfo) -> float:
        timeout = info.data.get("timeout_s")
        if timeout is not None and value <= timeout:
            raise PydanticCustomError(
                "claim_timeout",
                "more than sms.timeout_s ({timeout}), or a post still in flight could be "
                "taken up again",
                {"timeout": timeout},
            )
        return value


HoursWindow = tuple[float, float] | None

# The sandbox's simulated customers: a context that exists only in the sandbox.
SANDBOX_CUSTOMER_CONTEXT = "spillway-sim-customer"
SANDBOX_DIAL_STRING = f"Local/{{digits}}@{SANDBOX_CUSTOMER_CONTEXT}"


def sandbox_only_dial_string(dial_string: str) -> bool:
    """Whether ``dial_string`` dials into a context only the sandbox has."""
    return f"@{SANDBOX_CUSTOMER_CONTEXT}" in dial_string.replace(" ", "")


# The shortest API token `spillway web serve` accepts (generate_secret gives 32).
MIN_API_TOKEN_CHARS = 16


class PilotRoiSettings(_Section):
    """What a callback costs and earns, for the pilot's ROI (`spillway report pilot`)."""

    staff_cost_per_hour: float = Field(35.0, ge=0)  # an agent's hour, all costs included
    minutes_per_attempt: float = Field(6.75, ge=0)  # agent time one attempt takes
    lead_value: float = Field(0.0, ge=0)  # what reaching a customer is worth; 0: not counted
    investment: float = Field(0.0, ge=0)  # what the predicted timing cost over the pilot


class PilotEvidenceSettings(_Section):
    """The effect the pilot is sized to detect, and how sure it must be."""

    alpha: float = Field(0.05, gt=0, lt=0.5)  # the intervals are 1 - alpha (95 %)
    power: float = Field(0.8, gt=0.5, lt=1)
    min_effect_points: float = Field(5.0, gt=0, le=100)  # contact rates, percentage points
    min_effect_attempts: float = Field(0.3, gt=0)  # attempts per contact
    min_effect_hours: float = Field(2.0, gt=0)  # hours to first contact


class PilotSettings(_Section):
    """A pilot of the predicted timing against the conventional one, split at intake,
    and what it is measured and costed by (`spillway report pilot`)."""

    # The share of new requests drawn to the predicted timing (the rest conventional),
    # per request from a hash of its id; null: no pilot (callbacks.policy decides).
    share_predicted: float | None = Field(None, ge=0, le=1)
    # Only requests of these queues or teams (the door's queue, else the request's
    # segment, else queue.name); empty: every request.
    queues: tuple[str, ...] = ()
    roi: PilotRoiSettings = PilotRoiSettings()
    evidence: PilotEvidenceSettings = PilotEvidenceSettings()


class CallbackSettings(_Section):
    """The callback scheduler: how it dials, and the calling rules it never breaks."""

    # What Asterisk dials for a customer: {e164} (+4520123456) or {digits} (4520123456).
    # The sandbox's simulated customers by default; with pbx.mode: host a real trunk,
    # e.g. PJSIP/{e164}@my-trunk (refused there: the sandbox's context, see below).
    dial_string: str = SANDBOX_DIAL_STRING
    caller_id: str = "Spillway <4500000000>"
    ring_s: int = Field(30, ge=5, le=180)
    # customer: ring the customer, then queue them for an agent (ahead of callers);
    # agent: queue for an agent first, then ring the customer while the agent listens.
    dial_first: Literal["customer", "agent"] = "customer"
    # How long an answered customer (or, agent first, the attempt) waits for an agent.
    agent_wait_s: int = Field(60, ge=5, le=600)
    # Asterisk's AMD() on the customer's answer: an answering machine is recorded as
    # "machine", hung up and tried again later (needs app_amd).
    amd: bool = False
    # Whisper what the callback is about to the agent who takes it, before the
    # customer is put through (the customer waits the 2 s it takes). Off: the
    # agent has the SPILLWAY_* variables and the SpillwayHandoff event.
    agent_whisper: bool = False
    # Calling hours in the customer's local time, [start, end); null: no calls that day.
    weekdays: HoursWindow = (8.0, 20.0)
    saturday: HoursWindow = (10.0, 16.0)
    sunday: HoursWindow = None
    holidays: str | None = "DK"  # a country code of the holidays package; null: none
    # Where callbacks may dial: ISO country codes, "001" for satellite and other
    # non-geographic services; empty: the shop's country (shop.country) only.
    # Any other number is recorded as invalid_number at every door, and checked
    # again right before dialling.
    allowed_countries: tuple[Annotated[str, Field(pattern=r"^([A-Z]{2}|001)$")], ...] = ()
    extra_holidays: tuple[date, ...] = ()
    max_attempts: int = Field(6, ge=1)
    max_per_number_day: int = Field(3, ge=1)
    max_per_number_week: int = Field(8, ge=1)
    min_gap_minutes: float = Field(60, ge=0)
    retry_backoff_minutes: float = Field(120, ge=0)
    deadline_business_hours: float = Field(4, gt=0)
    expiry_hours: float = Field(72, gt=0)
    # Callbacks in flight beyond the agents that are free right now (0: never more).
    pacing: int = Field(0, ge=0)
    max_in_flight: int = Field(20, ge=1)
    poll_interval_s: float = Field(2.0, gt=0, le=60)
    # A request claimed by a dialer that then went silent is taken up again after this.
    lease_timeout_s: float = Field(600, gt=0)
    default_timezone: TimeZoneName = "Europe/Copenhagen"
    # When to call: "predicted" (the contact model, explored with Thompson
    # sampling, inside the rules; the conventional rule whenever the model is
    # missing, stale or fails) or "traditional" (as soon as allowed, then back-off);
    # "shadow": the conventional plan is dialled and the predicted one logged beside it.
    policy: Literal["predicted", "traditional", "shadow"] = "predicted"
    # A pilot overrides the policy for the requests it covers (docs: configs/spillway.yaml).
    pilot: PilotSettings = PilotSettings()
    lead_half_life_hours: float = Field(24, gt=0)  # a lead's value halves every N hours
    model_refit_minutes: float = Field(30, gt=0)
    model_max_age_hours: float = Field(24, gt=0)  # older than this: stale, conventional rule
    # The customer's own signals (web visits, e-mail opens, calls) tilt their predicted
    # hours: a signal's weight halves every N days, and none counts past the horizon;
    # strength: how far they move the model (0: not at all, 1: as the evidence says).
    signal_half_life_days: float = Field(14, gt=0)
    signal_horizon_days: float = Field(90, gt=0, le=3660)
    signal_strength: float = Field(1.0, ge=0, le=5)
    # Industry of each segment, for the model's cold-start prior ("it", "consumer", ...).
    segment_industry: dict[str, str] = {}
    # Where the DTMF menu's callback script leaves requests while `spillway serve`
    # is down, as this host sees it; null: the sandbox's folder, or
    # <data_dir>/spool/callbacks. The scheduler imports from here.
    spool_dir: ExpandedPath | None = None
    # The same folder as Asterisk sees it, when that differs (a container, a chroot).
    pbx_spool_dir: str | None = None
    # The script as Asterisk runs it: a name in its agi-bin folder, or a full path.
    spool_script: str = "spillway-callback-spool.py"

    @field_validator("weekdays", "saturday", "sunday")
    @classmethod
    def _window(cls, value: HoursWindow) -> HoursWindow:
        if value is not None and not 0 <= value[0] < value[1] <= 24:
            raise PydanticCustomError("hours", "[start, end) hours with 0 <= start < end <= 24")
        return value


WEB_ROLES = ("viewer", "supervisor", "admin")
WEB_USER_NAME = r"^[a-z0-9][a-z0-9._-]{0,31}$"


def _web_users(value: dict[str, str]) -> dict[str, str]:
    for name, entry in value.items():
        role, _, password_hash = entry.partition(":")
        if not re.match(WEB_USER_NAME, name):
            raise PydanticCustomError(
                "web_user",
                "user names of lowercase letters, digits, '.', '_' or '-' (not {name!r})",
                {"name": name},
            )
        if role not in WEB_ROLES or not password_hash.startswith("$argon2"):
            raise PydanticCustomError(
                "web_user",
                "ROLE:ARGON2-HASH with a role of viewer, supervisor or admin for {name!r}; "
                "`spillway web user add` writes it",
                {"name": name},
            )
    return value


class WebSettings(_Section):
    """The web application: the callback API, /metrics and the operations console."""

    bind_host: str = "127.0.0.1"
    port: int = Field(18081, ge=1, le=65535)
    # Bearer token for the API: SPILLWAY_WEB__API_TOKEN or the secrets file, never the YAML.
    api_token: SecretStr | None = None
    max_body_bytes: int = Field(16384, ge=256, le=1_048_576)
    # A connection that has not sent a whole request head in this time is closed
    # (a client that never finishes its headers must not hold a file descriptor).
    header_timeout_s: float = Field(10.0, gt=0, le=300)
    # Open connections at once, and from one address; beyond them new ones are closed
    # at once. Kept well under the process's file-descriptor limit.
    max_connections: int = Field(512, ge=1)
    max_connections_per_peer: int = Field(64, ge=1)

    def require_api_token(self) -> str:
        """The API token, or a ConfigError naming the key when it is missing or too short."""
        token = self.api_token.get_secret_value() if self.api_token is not None else ""
        if len(token.strip()) < MIN_API_TOKEN_CHARS:
            problem = "is missing" if not token.strip() else f"has {len(token.strip())} characters"
            raise ConfigError(
                f"config error: web.api_token {problem}: expected at least "
                f"{MIN_API_TOKEN_CHARS} characters from SPILLWAY_WEB__API_TOKEN or the "
                f"secrets file {paths.secrets_file()}",
                hint="spillway web serve refuses to run an API anyone could guess; "
                "`python -c 'import secrets; print(secrets.token_urlsafe(24))'` makes one",
            )
        return token

    # The console's users, one secrets-file line each
    # (SPILLWAY_WEB__USERS__<name>=<role>:<argon2 hash>); `spillway web user add` writes them.
    users: Annotated[dict[str, str], AfterValidator(_web_users)] = {}
    # Signs the session cookie; `spillway web user add` creates it. Unset: a random key per
    # start of `spillway web serve` (everyone logs in again after a restart).
    session_secret: SecretStr | None = None
    # A session ends this long after its login, however busy (a wallboard polls all day).
    session_hours: float = Field(12.0, gt=0, le=24 * 7)
    # Send the cookie over HTTPS only; set it when a TLS proxy fronts the console.
    cookie_https_only: bool = False
    # Failed logins allowed per user name and per client address in login_window_minutes.
    login_failures_per_user: int = Field(5, ge=1)
    login_failures_per_address: int = Field(20, ge=1)
    login_window_minutes: int = Field(15, ge=1)


class DashboardSettings(_Section):
    """Unused: the console is served by `spillway web serve` (the ``web`` section). Kept so
    that a configuration written from an older example still loads."""

    bind_host: str = "127.0.0.1"
    port: int = Field(18080, ge=1, le=65535)
    password_hash: SecretStr | None = None


class GdprSettings(_Section):
    """Data protection: how long personal data is kept, and the key of its keyed hashes."""

    # Callback requests, cases and SMS (rows that carry a phone number), in months.
    phone_numbers_months: int = Field(24, ge=1)
    # Calls, their transcripts and the callback attempts (when someone was called), in months.
    call_times_months: int = Field(12, ge=1)
    # The scheduler daemon applies retention once a day; false: only `spillway gdpr retention`.
    daily_retention: bool = True
    # HMAC key for the numbers kept as keyed hashes (a forgotten person's do-not-call
    # entry): SPILLWAY_GDPR__HASH_KEY or the secrets file, never the YAML.
    hash_key: SecretStr | None = None

    def hash_key_bytes(self) -> bytes | None:
        """The keyed-hash secret as the intake doors and the dialer use it (None: unset)."""
        if self.hash_key is None or not self.hash_key.get_secret_value():
            return None
        return self.hash_key.get_secret_value().encode()

    def require_hash_key(self) -> bytes:
        """The keyed-hash secret, or a ConfigError saying how to create it."""
        if self.hash_key is None or not self.hash_key.get_secret_value():
            raise ConfigError(
                "config error: gdpr.hash_key is missing: expected a secret from "
                f"SPILLWAY_GDPR__HASH_KEY or the secrets file {paths.secrets_file()}",
                hint="`spillway gdpr key` creates one",
            )
        return self.hash_key.get_secret_value().encode()


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_lines: bool = False


class PathSettings(_Section):
    cache_dir: ExpandedPath = Field(default_factory=paths.cache_dir)
    data_dir: ExpandedPath = Field(default_factory=paths.data_dir)


class Settings(BaseSettings):
    """All of Spillway's settings. Immutable; pass it (or a section) in explicitly."""

    model_config = SettingsConfigDict(
        env_prefix="SPILLWAY_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    pbx: PbxSettings = PbxSettings()
    controller: ControllerSettings = ControllerSettings()
    queue: QueueSettings = QueueSettings()
    storage: StorageSettings = Field(default_factory=StorageSettings)
    nlu: NluSettings = NluSettings()
    speech: SpeechSettings = SpeechSettings()
    shop: ShopSettings = ShopSettings()
    sms: SmsSettings = SmsSettings()
    callbacks: CallbackSettings = CallbackSettings()
    web: WebSettings = WebSettings()
    dashboard: DashboardSettings = DashboardSettings()
    gdpr: GdprSettings = GdprSettings()
    logging: LoggingSettings = LoggingSettings()
    paths: PathSettings = Field(default_factory=PathSettings)

    @model_validator(mode="before")
    @classmethod
    def _paths_follow_data_dir(cls, data: Any) -> Any:
        """An unset ``storage.sqlite_path`` lives in ``paths.data_dir`` (as configured)."""
        if not isinstance(data, dict):
            return data
        storage = data.get("storage")
        if isinstance(storage, BaseModel) or (
            storage is not None and not isinstance(storage, dict)
        ):
            return data  # a section given whole (already built), or bad input pydantic names
        if storage is not None and storage.get("sqlite_path") is not None:
            return data
        where = data.get("paths")
        if isinstance(where, PathSettings):
            folder: Any = where.data_dir
        elif isinstance(where, dict) and where.get("data_dir") is not None:
            folder = where["data_dir"]
        else:
            folder = paths.data_dir()
        if not isinstance(folder, str | Path):
            return data  # not a path: the paths section's own check names the key
        return {
            **data,
            "storage": {**(storage or {}), "sqlite_path": Path(folder).expanduser() / DB_FILE_NAME},
        }

    @field_validator("callbacks")
    @classmethod
    def _host_mode_dials_a_real_trunk(
        cls, value: CallbackSettings, info: ValidationInfo
    ) -> CallbackSettings:
        pbx = info.data.get("pbx")
        if (
            isinstance(pbx, PbxSettings)
            and pbx.mode == "host"
            and sandbox_only_dial_string(value.dial_string)
        ):
            raise PydanticCustomError(
                "host_dial_string",
                "a dial string of this PBX's trunk with pbx.mode: host, e.g. {example} "
                "({context} exists only in the sandbox, so every callback would fail)",
                {
                    "example": "PJSIP/{e164}@my-trunk",
                    "context": SANDBOX_CUSTOMER_CONTEXT,
                    "key": "callbacks.dial_string",
                    "value": value.dial_string,
                },
            )
        return value

    @field_validator("controller")
    @classmethod
    def _worker_is_listed(
        cls, value: ControllerSettings, info: ValidationInfo
    ) -> ControllerSettings:
        pbx = info.data.get("pbx")
        if isinstance(pbx, PbxSettings):
            check_own_worker(value.worker, pbx.workers)
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The YAML file arrives as init kwargs; the environment and the
        # secrets file must override it, so init goes last.
        return (env_settings, dotenv_settings, init_settings)

    def callback_countries(self) -> frozenset[str]:
        """Where callbacks may dial: ``callbacks.allowed_countries``, else the shop's country."""
        return frozenset(self.callbacks.allowed_countries or (self.shop.country,))

    def require_ami_secret(self) -> str:
        """The AMI secret, or a ConfigError saying where to put it."""
        if self.pbx.ami_secret is None or not self.pbx.ami_secret.get_secret_value():
            raise ConfigError(
                "config error: pbx.ami_secret is missing: expected a secret from "
                f"SPILLWAY_PBX__AMI_SECRET or the secrets file {paths.secrets_file()}",
                hint="`spillway pbx sandbox up` creates one for the sandbox",
            )
        return self.pbx.ami_secret.get_secret_value()

    def ami_admin_secret(self) -> str | None:
        """The admin AMI user's secret (None: not configured)."""
        secret = self.pbx.ami_admin_secret
        value = secret.get_secret_value() if secret is not None else ""
        return value or None

