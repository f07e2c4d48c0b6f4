"""The Health page's checks: what the database and the settings say, each with its cause
and the command that fixes it.

`spillway doctor` (cli/doctor.py, above the web floor) also reaches out to
Asterisk's AMI, the speech models, the NLU server and the shop's API; the web
application checks only what it can see from where it stands: the database,
the scheduler nodes' heartbeats, the callback backlog, the contact model's
age, the SMS outbox, calls left open, and its own settings. The page says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.backends.sms import outbox_counts
from bot.backends.sms_sender import NO_GATEWAY_HINT
from scheduler.dialer import status_report
from spillway.errors import SpillwayError
from spillway.schema import latest_version
from spillway.settings import Settings
from spillway.storage import Store

# A due callback waiting longer than this means the dialers are stopped or behind.
BACKLOG_LAG_S = 600.0
# A call record open this long belongs to a controller that died.
STUCK_CALL_S = 3600.0


@dataclass(frozen=True, slots=True)
class HealthCheck:
    name: str
    ok: bool
    cause: str  # what was found, in plain words
    fix: str = ""  # the command (or setting) that fixes it


def _database(store: Store) -> HealthCheck:
    try:
        store.check_writable()
        version = max((int(m["version"]) for m in store.applied_migrations()), default=0)
    except SpillwayError as exc:
        return HealthCheck(
            "database", False, str(exc), "check storage.sqlite_path and its folder's permissions"
        )
    if version < latest_version():
        return HealthCheck(
            "database",
            False,
            f"schema v{version}, this version of Spillway needs v{latest_version()}",
            "spillway db migrate",
        )
    return HealthCheck("database", True, f"{store.backend}, writable, schema v{version}")


def _scheduler(
    store: Store, now: float, stale_after_s: float, max_age_h: float
) -> list[HealthCheck]:
    report = status_report(store, now)
    checks = []
    nodes = report["nodes"]
    alive = [n for n in nodes if n["seen_s_ago"] <= stale_after_s]
    if not nodes:
        checks.append(
            HealthCheck(
                "scheduler",
                False,
                "no scheduler node has ever run: callbacks are recorded but nobody dials them",
                "spillway scheduler run",
            )
        )
    for n in nodes:
        up = n["seen_s_ago"] <= stale_after_s
        error = f"; its last error: {n['last_error']}" if n["last_error"] else ""
        checks.append(
            HealthCheck(
                f"scheduler node {n['node']}",
                up or bool(alive),
                f"heartbeat {n['seen_s_ago']:.0f} s ago, dialled {n['dialled']}{error}"
                if up
                else f"silent for {n['seen_s_ago']:.0f} s (stopped, or lost the database){error}",
                "" if up else f"spillway scheduler run --node {n['node']}",
            )
        )
        age = n["model_age_h"]
        if up and (age is None or age > max_age_h):
            checks.append(
                HealthCheck(
                    f"contact model on {n['node']}",
                    False,
                    "no model yet" if age is None else f"{age:.1f} h old (limit {max_age_h:g} h)",
                    "the conventional rule plans meanwhile; see `spillway scheduler status` and "
                    "the node's log for why it does not refit",
                )
            )
        if up and n["policy_fallbacks"]:
            checks.append(
                HealthCheck(
                    f"policy fallbacks on {n['node']}",
                    False,
                    f"{n['policy_fallbacks']} plans made by the conventional rule because the "
                    "model was missing, stale or failed",
                    "spillway scheduler status",
                )
            )
    lag = float(report["lag_s"])
    checks.append(
        HealthCheck(
            "callback backlog",
            lag <= BACKLOG_LAG_S,
            f"{report['due_now']} due now, the oldest waiting {lag / 60:.0f} min, "
            f"{report['in_flight']} in flight",
            ""
            if lag <= BACKLOG_LAG_S
            else "spillway scheduler status; start more dialers "
            "(spillway scheduler run) or raise callbacks.max_in_flight",
        )
    )
    return checks


def _sms(store: Store, settings: Settings) -> HealthCheck:
    counts = outbox_counts(store)
    waiting = counts["pending"] + counts["sending"]
    queue = f"outbox: {waiting} waiting, {counts['sent']} sent, {counts['failed']} failed"
    if settings.sms.gateway_url is None:
        return HealthCheck(
            "SMS gateway",
            waiting == 0,
            f"not configured, messages stay queued; {queue}",
            NO_GATEWAY_HINT,
        )
    return HealthCheck(
        "SMS gateway",
        counts["failed"] == 0,
        f"{settings.sms.gateway_url}; {queue}",
        "spillway sms outbox --status failed" if counts["failed"] else "",
    )


def _open_calls(store: Store, now: float) -> HealthCheck:
    [row] = store.query(
        "SELECT COUNT(*) AS n FROM calls WHERE ended_at IS NULL AND started_at < :old",
        {"old": now - STUCK_CALL_S},
    )
    stuck = int(row["n"])
    return HealthCheck(
        "call records",
        stuck == 0,
        f"{stuck} call(s) open for over an hour: their controller stopped mid-call"
        if stuck
        else "no call left open",
        "restart `spillway serve` (it closes them)" if stuck else "",
    )


def _web(settings: Settings) -> list[HealthCheck]:
    token = settings.web.api_token
    admins = [n for n, v in settings.web.users.items() if v.startswith("admin:")]
    return [
        HealthCheck(
            "callback API token",
            token is not None and bool(token.get_secret_value()),
            "set" if token is not None else "not set: the API and /metrics answer 503",
            "" if token is not None else "put SPILLWAY_WEB__API_TOKEN in the secrets file",
        ),
        HealthCheck(
            "console admin",
            bool(admins),
            f"admins: {', '.join(sorted(admins))}" if admins else "no user has the admin role",
            "" if admins else "spillway web user add NAME --role admin --password-stdin",
        ),
        HealthCheck(
            "session key",
            settings.web.session_secret is not None,
            "kept in the secrets file"
            if settings.web.session_secret is not None
            else "a random key per start: everyone logs in again after a restart",
            ""
            if settings.web.session_secret is not None
            else "spillway web user add (creates SPILLWAY_WEB__SESSION_SECRET)",
        ),
    ]


def health_checks(
    store: Store, settings: Settings, now: float, *, stale_after_s: float
) -> list[HealthCheck]:
    """Every check the web application can make (worker thread); never raises."""
    checks = [_database(store)]
    try:
        checks += _scheduler(store, now, stale_after_s, settings.callbacks.model_max_age_hours)
        checks.append(_sms(store, settings))
        checks.append(_open_calls(store, now))
    except SpillwayError as exc:
        checks.append(HealthCheck("database queries", False, str(exc), "spillway doctor"))
    return checks + _web(settings)
