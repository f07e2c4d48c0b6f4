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
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
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
from spillway.callback_settings import (
    SANDBOX_CUSTOMER_CONTEXT,
    CallbackSettings,
    sandbox_only_dial_string,
)
from spillway.caller_id import caller_id_problem
from spillway.currency import with_currency
from spillway.errors import ConfigError
from spillway.settings_types import (
    AclNetworks,
    ContactLine,
    CountryCode,
    ExpandedPath,
    HttpUrlText,
    Section,
    TimeZoneName,
    template_check,
)
from spillway.wording import Wording, worded
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
DEFAULT_COUNTRY = "DK"


class PbxSettings(Section):
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
    # Where both AMI users may log in from (the rendered manager_spillway.conf's
    # `permit` lines; everything else is denied): the hosts running the scheduler,
    # `serve` and the admin tools. Unset: controller.advertise_host and each worker's
    # FastAGI host, the addresses the PBX already knows us by (loopback if none is IPv4).
    ami_permit: AclNetworks | None = None
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


class ControllerSettings(Section):
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
    cpu_per_bot_call: float = Field(0.2, gt=0, le=16)
    # Which of pbx.workers this process is; it then listens on that entry's ports.
    worker: str = Field("", pattern=f"^$|{WORKER_NAME}")

    def bot_call_limit(self) -> int:
        """``max_bot_calls``, or as many calls as this machine's cores hold."""
        cores = os.cpu_count() or 1
        return self.max_bot_calls or max(1, int(cores / self.cpu_per_bot_call + 1e-9))


class QueueSettings(Section):
    """The human queue and when the bot takes over."""

    name: str = Field("spillway-support", pattern=r"^[A-Za-z0-9_-]+$")
    agents: int = Field(2, ge=0)
    overflow_min_waiting: int = Field(1, ge=0)
    max_wait_s: int = Field(30, ge=1)
    agent_ring_s: int = Field(15, ge=1)


class StorageSettings(Section):
    """Where calls, callbacks and shop data are kept."""

    backend: Literal["sqlite", "postgres"] = "sqlite"
    # Unset: <paths.data_dir>/spillway.db (Settings fills it in from paths.data_dir).
    sqlite_path: ExpandedPath = Field(default_factory=lambda: paths.data_dir() / DB_FILE_NAME)
    postgres_dsn: SecretStr | None = None
    busy_timeout_ms: int = Field(5000, ge=0)


class NluSettings(Section):
    """Intent recognition: the Rasa service and the in-process fallback."""

    # Empty (or null): no Rasa, the in-process fallback classifier understands every call
    # (a small machine; `spillway doctor` then checks nothing on a port).
    rasa_url: str = "http://127.0.0.1:15005"
    timeout_ms: int = Field(800, ge=50)
    retry_after_s: float = Field(5.0, ge=0)
    min_confidence: float = Field(0.45, ge=0, le=1)
    # A yes the classifier alone heard (not the pack's plain yes or thanks phrases) must
    # be at least this sure, and leads only to a look-up, never to a case, an SMS or a
    # callback; a fainter one is asked again (docs/PERFORMANCE.md, h2-bot-understanding).
    min_yes_confidence: float = Field(0.9, ge=0, le=1)

    @field_validator("rasa_url", mode="before")
    @classmethod
    def _null_is_no_rasa(cls, value: object) -> object:
        return "" if value is None else value

    @property
    def uses_rasa(self) -> bool:
        """Whether Rasa is asked at all (``rasa_url`` set), or the fallback alone serves."""
        return bool(self.rasa_url.strip())


class SpeechSettings(Section):
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
    # Piper renders at a time (each with tts_threads); espeak-ng renders one at a time.
    tts_workers: int = Field(2, ge=1, le=64)
    # Whisper's decodes and Piper's renders share one pool of asr_threads workers,
    # earliest deadline first, instead of a pool each that the cores split between
    # them: ten callers ending a sentence at once are heard sooner
    # (docs/PERFORMANCE.md, "One pool for decodes and renders").
    shared_pool: bool = True
    # Answer at the first pause when what was said is complete on its own
    # ("yes", "no thanks", an order number; bot/turn_taking.py); the bot stops
    # and the turn goes on if the caller keeps talking.
    early_answer: bool = True
    # An order number of this many digits is complete at the pause (0: never early).
    early_order_digits: int = Field(5, ge=0, le=20)
    # A finished question on one of the shop's topics ("Where is my package?", a sure
    # intent) is answered at the pause too; a statement waits for the endpoint.
    early_questions: bool = True
    # Reply pieces (clauses) kept rendered in memory, least recently used dropped
    # first; 0: render every piece afresh.
    reply_cache_pieces: int = Field(256, ge=0, le=100000)


class ShopSettings(Section):
    """The shop the bot speaks for."""

    name: str = "Spillway Demo Shop"
    # The language pack callers are understood and answered in, and the sounds
    # Asterisk plays are in (spillway/languages/<code>): en or da.
    language: Literal["en", "da"] = "en"
    country: CountryCode = DEFAULT_COUNTRY
    # The currency of the shop's money (the pilot's costs; the console shows it beside
    # every amount), ISO 4217; unset or null: the country's (DK: DKK), see spillway.currency.
    currency: str = Field("DKK", pattern=r"^[A-Z]{3}$")
    timezone: TimeZoneName = "Europe/Copenhagen"
    # Said as written, in shop.language; unset: the language pack's (opening_hours_default),
    # so a Danish shop's callers never hear English hours by default.
    opening_hours: str | None = None
    return_window_days: int = Field(30, ge=0)
    # A Shopify-style Admin API for orders and stock; unset: the local database.
    api_url: HttpUrlText | None = None
    api_token: SecretStr | None = None
    api_timeout_s: float = Field(5.0, gt=0)
    # Links sent by SMS; {order} / {case} are filled in (URL-quoted) per message.
    return_label_url: Annotated[str, AfterValidator(template_check("order"))] = (
        "https://shop.example/returns/{order}"
    )
    photo_upload_url: Annotated[str, AfterValidator(template_check("case", "order"))] = (
        "https://shop.example/cases/{case}/photos"
    )

    @model_validator(mode="before")
    @classmethod
    def _currency_of_the_country(cls, data: Any) -> Any:
        return with_currency(data, DEFAULT_COUNTRY)


class SmsSettings(Section):
    """The SMS gateway (messages wait in an outbox table until sent)."""

    # False: the shop sends callers no text messages on purpose (the bot offers none,
    # and `spillway doctor` says SMS is off rather than warning about the gateway).
    enabled: bool = True
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

    def reaches_callers(self) -> bool:
        """Whether a text message the bot queues is ever sent: on, with a gateway.

        Without one nothing sends the outbox, so the bot must neither offer nor
        promise a text message (it reads a tracking number out instead, ...).
        """
        return self.enabled and self.gateway_url is not None

    @field_validator("claim_timeout_s")
    @classmethod
    def _claim_outlasts_a_post(cls, value: float, info: ValidationInfo) -> float:
        timeout = info.data.get("timeout_s")
        if timeout is not None and value <= timeout:
            raise PydanticCustomError(
                "claim_too_short",
                "more than sms.timeout_s ({timeout}), or a post still in flight could be "
                "taken up again",
                {"timeout": timeout},
            )
        return value


# The shortest API token `spillway web serve` accepts (generate_secret gives 32).
MIN_API_TOKEN_CHARS = 16


WEB_ROLES = ("viewer", "supervisor", "admin")
WEB_USER_NAME = r"^[a-z0-9][a-z0-9._-]{0,31}$"


def _web_users(value: dict[str, str]) -> dict[str, str]:
    for name, entry in value.items():
        role, _, password_hash = entry.partition(":")
        if not re.match(WEB_USER_NAME, name):
            raise PydanticCustomError(
                "web_user_name",
                "user names of lowercase letters, digits, '.', '_' or '-' (not {name})",
                {"name": repr(name)},
            )
        if role not in WEB_ROLES or not password_hash.startswith("$argon2"):
            raise PydanticCustomError(
                "web_user_entry",
                "ROLE:ARGON2-HASH with a role of viewer, supervisor or admin for {name}; "
                "`spillway web user add` writes it",
                {"name": repr(name)},
            )
    return value


class WebSettings(Section):
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
    # The console's language (spillway/languages/<code>/console.yaml); unset: the
    # shop's language (shop.language), the one the bot speaks.
    language: Literal["en", "da"] | None = None

    def require_api_token(self) -> str:
        """The API token, or a ConfigError naming the key when it is missing or too short."""
        token = self.api_token.get_secret_value() if self.api_token is not None else ""
        chars = len(token.strip())
        if chars < MIN_API_TOKEN_CHARS:
            code = "config.api_token_short" if chars else "config.api_token_missing"
            secrets = paths.secrets_file()
            raise ConfigError(
                worded(f"errors.{code}", chars=chars, least=MIN_API_TOKEN_CHARS, secrets=secrets),
                hint=worded("hints.config.api_token"),
                code=code,
            )
        return token

    # The console's users, one secrets-file line each
    # (SPILLWAY_WEB__USERS__<name>=<role>:<argon2 hash>); `spillway web user add` writes them.
    users: Annotated[dict[str, str], AfterValidator(_web_users)] = Field(default_factory=dict)
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


class DashboardSettings(Section):
    """Unused: the console is served by `spillway web serve` (the ``web`` section). Kept so
    that a configuration written from an older example still loads."""

    bind_host: str = "127.0.0.1"
    port: int = Field(18080, ge=1, le=65535)
    password_hash: SecretStr | None = None


class GdprSettings(Section):
    """Data protection: how long personal data is kept, whom customers ask about it, and
    the key of its keyed hashes."""

    # Callback requests, cases, SMS and the shop's customer ids, in months. Each table
    # follows one of the two periods (spillway.personal_data.PERSONAL_DATA) whatever it
    # holds: calls, attempts and signals carry a number too, and follow call_times_months
    # (`config check` warns when that is the longer: spillway.retention_periods).
    phone_numbers_months: int = Field(24, ge=1)
    # Calls, their events and transcripts, the callback attempts, customer signals and
    # shadow plans (when someone was called or could be reached), in months.
    call_times_months: int = Field(12, ge=1)
    # The scheduler daemon applies retention once a day; false: only `spillway gdpr retention`.
    daily_retention: bool = True
    # The copies `spillway db migrate` takes before a schema change (<data_dir>/backups):
    # the newest this many are kept, older ones deleted when it takes a new one.
    migration_backups_kept: int = Field(3, ge=1)
    # Whom a customer contacts about their data, as `gdpr export --format text`'s letter
    # says it ("privacy@shop.dk, 70 20 30 40"); unset: the letter names shop.name.
    contact: ContactLine | None = None
    # Art. 13: the bot's greeting (and its overflow offer) tells the caller that the
    # conversation is written down and kept, before their first words are; false: the
    # shop informs callers some other way (the record of processing says so).
    caller_notice: bool = True
    # Where a caller reads more, said after the notice without its https:// ("Read more
    # at shop.dk/privacy"); unset: the notice names no page.
    privacy_url: HttpUrlText | None = None
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
            raise ConfigError.worded("hash_key_missing", secrets=paths.secrets_file())
        return self.hash_key.get_secret_value().encode()


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_lines: bool = False


class PathSettings(Section):
    cache_dir: ExpandedPath = Field(default_factory=paths.cache_dir)
    data_dir: ExpandedPath = Field(default_factory=paths.data_dir)

    @property
    def models_dir(self) -> Path:
        """Fetched models: ``<cache_dir>/models``, so the config alone puts root's
        commands and the services on the same models."""
        return self.cache_dir / "models"

    @property
    def downloads_dir(self) -> Path:
        """Partial model downloads, outside the models directory."""
        return self.cache_dir / "downloads"


class Settings(BaseSettings):
    """All of Spillway's settings. Immutable; pass it (or a section) in explicitly."""

    model_config = SettingsConfigDict(
        env_prefix="SPILLWAY_",
        env_nested_delimiter="__",
        # SPILLWAY_CALLBACKS__HOLIDAYS=null means what `holidays: null` means in the file.
        env_parse_none_str="null",
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
                    "with_keys": "pbx.mode",  # the error line names where each came from
                },
            )
        return value

    @field_validator("callbacks")
    @classmethod
    def _caller_id_is_a_number(
        cls, value: CallbackSettings, info: ValidationInfo
    ) -> CallbackSettings:
        # The shop's country and the mode are read before callbacks (the fields' order).
        pbx, shop = info.data.get("pbx"), info.data.get("shop")
        if not isinstance(pbx, PbxSettings) or not isinstance(shop, ShopSettings):
            return value  # their own refusals name them
        problem = caller_id_problem(value.caller_id, shop.country, host=pbx.mode == "host")
        if problem is not None:
            raise problem
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
                worded("errors.config.ami_secret_missing", secrets=paths.secrets_file()),
                hint=self.ami_secret_hint(),
                code="config.ami_secret_missing",
            )
        return self.pbx.ami_secret.get_secret_value()

    def ami_secret_hint(self) -> Wording:
        """How to get the dialling AMI user's secret: the sandbox makes one; on a real PBX
        (``pbx.mode: host``) the admin writes one, and the dialplan renders the user."""
        if self.pbx.mode == "sandbox":
            return worded("hints.config.ami_secret_sandbox")
        return worded("hints.config.ami_secret_host", secrets=paths.secrets_file())

    def ami_admin_secret(self) -> str | None:
        """The admin AMI user's secret (None: not configured)."""
        secret = self.pbx.ami_admin_secret
        value = secret.get_secret_value() if secret is not None else ""
        return value or None
