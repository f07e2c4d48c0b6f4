"""The Health page's checks: what the database and the settings say, each with its cause
and the command that fixes it.

`spillway doctor` (cli/doctor.py, above the web floor) also reaches out to
Asterisk's AMI, the speech models, the NLU server and the shop's API; the web
application checks only what it can see from where it stands: the database,
the scheduler nodes' heartbeats, the callback backlog, the contact model's
age, the SMS outbox, calls left open, and its own settings. The page says so.

Every check's name, cause and fix is said in the console's language (the
``health.*`` keys of the language pack's console.yaml); what an error itself
says (a database's exception) is shown as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.backends.sms import outbox_counts
from bot.backends.sms_state import SmsState, sms_verdict
from scheduler.daemon import times_by_model
from scheduler.dialer import settings_status_report
from spillway.console_text import ConsoleText
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
    warning: bool = False  # passes, but the admin should act on it (doctor's WARN)


def _database(store: Store, t: ConsoleText) -> HealthCheck:
    name = t("health.name.database")
    try:
        store.check_writable()
        version = max((int(m["version"]) for m in store.applied_migrations()), default=0)
    except SpillwayError as exc:
        return HealthCheck(name, False, str(exc), t("health.fix.database"))
    if version < latest_version():
        cause = t("health.cause.schema_old", version=version, latest=latest_version())
        return HealthCheck(name, False, cause, "spillway db migrate")
    return HealthCheck(
        name, True, t("health.cause.database_ok", backend=store.backend, version=version)
    )


def _node(n: dict[str, Any], up: bool, any_alive: bool, t: ConsoleText) -> HealthCheck:
    error = t("health.cause.last_error", error=n["last_error"]) if n["last_error"] else ""
    ago = t.duration(n["seen_s_ago"])
    return HealthCheck(
        t("health.name.node", node=n["node"]),
        up or any_alive,
        t("health.cause.node_up", ago=ago, dialled=t.number(n["dialled"]), error=error)
        if up
        else t("health.cause.node_silent", ago=ago, error=error),
        "" if up else f"spillway scheduler run --node {n['node']}",
    )


def _model(n: dict[str, Any], settings: Settings, t: ConsoleText) -> HealthCheck | None:
    """The contact model of a running node: a problem when it is stale, or missing because
    its fit failed (the node then plans by the conventional rule and counts fallbacks);
    before the first fit a normal state, said as `spillway scheduler status` says it.
    None when the node has a fresh model, or no callbacks are timed by one."""
    cb = settings.callbacks
    name = t("health.name.model", node=n["node"])
    age = n["model_age_h"]
    if age is not None:
        if age <= cb.model_max_age_hours:
            return None
        cause = t(
            "health.cause.model_old", age=t.number(age, 1), limit=f"{cb.model_max_age_hours:g}"
        )
        return HealthCheck(name, False, cause, t("health.fix.model"))
    if not times_by_model(settings):
        return None  # the conventional rule times every callback: no model to fit
    if n["policy_fallbacks"]:  # the fit failed: its error is the node's last
        error = t("health.cause.last_error", error=n["last_error"]) if n["last_error"] else ""
        return HealthCheck(name, False, t("health.cause.no_model") + error, t("health.fix.model"))
    timing = t("model.first_fit", minutes=t.number(cb.model_refit_minutes))
    return HealthCheck(name, True, t("health.cause.first_fit", timing=timing))


def _scheduler(
    store: Store, settings: Settings, now: float, stale_after_s: float, t: ConsoleText
) -> list[HealthCheck]:
    report = settings_status_report(store, settings, now)
    checks = []
    nodes = report["nodes"]
    alive = [n for n in nodes if n["seen_s_ago"] <= stale_after_s]
    if not nodes:
        checks.append(
            HealthCheck(
                t("health.name.scheduler"),
                False,
                t("health.cause.no_node"),
                "spillway scheduler run",
            )
        )
    for n in nodes:
        up = n["seen_s_ago"] <= stale_after_s
        checks.append(_node(n, up, bool(alive), t))
        if up and (model := _model(n, settings, t)) is not None:
            checks.append(model)
        if up and n["policy_fallbacks"]:
            checks.append(
                HealthCheck(
                    t("health.name.fallbacks", node=n["node"]),
                    False,
                    t("health.cause.fallbacks", plans=t.number(n["policy_fallbacks"])),
                    "spillway scheduler status",
                )
            )
    lag = float(report["lag_s"])
    checks.append(
        HealthCheck(
            t("health.name.backlog"),
            lag <= BACKLOG_LAG_S,
            t.count(
                "health.cause.backlog",
                report["due_now"],
                minutes=t.number(lag / 60),
                in_flight=t.number(report["in_flight"]),
            ),
            "" if lag <= BACKLOG_LAG_S else t("health.fix.backlog"),
        )
    )
    return checks


def _sms(store: Store, settings: Settings, t: ConsoleText) -> HealthCheck:
    """The state `spillway doctor` gives (:func:`bot.backends.sms_state.sms_verdict`), said
    in the console's words: a WARN when callers are offered no text message for want of a
    gateway, or when messages failed; a problem when messages wait with none to send them."""
    counts = outbox_counts(store)
    waiting = counts["pending"] + counts["sending"]
    queue = t(
        "health.cause.outbox",
        waiting=t.number(waiting),
        sent=t.number(counts["sent"]),
        failed=t.number(counts["failed"]),
    )
    verdict = sms_verdict(settings.sms, counts)
    if verdict.state is SmsState.SENDING:
        cause = f"{settings.sms.gateway_url}; {queue}"
    else:
        cause = t(f"health.cause.sms_{verdict.state}", queue=queue)
    if verdict.stuck:  # waiting: set a gateway, then send them
        fix = t("health.fix.sms_unset")
    elif verdict.needs_gateway:  # nothing waiting: a gateway, or SMS off on purpose
        fix = t("health.fix.sms_choose")
    else:
        fix = "spillway sms outbox --status failed" if verdict.failed else ""
    return HealthCheck(t("health.name.sms"), verdict.ok, cause, fix, warning=verdict.warning)


def _open_calls(store: Store, now: float, t: ConsoleText) -> HealthCheck:
    [row] = store.query(
        "SELECT COUNT(*) AS n FROM calls WHERE ended_at IS NULL AND started_at < :old",
        {"old": now - STUCK_CALL_S},
    )
    stuck = int(row["n"])
    return HealthCheck(
        t("health.name.calls"),
        stuck == 0,
        t.count("health.cause.calls_stuck", stuck) if stuck else t("health.cause.calls_ok"),
        t("health.fix.calls") if stuck else "",
    )


def _web(settings: Settings, t: ConsoleText) -> list[HealthCheck]:
    token = settings.web.api_token
    admins = [n for n, v in settings.web.users.items() if v.startswith("admin:")]
    kept = settings.web.session_secret is not None
    keyed = settings.gdpr.hash_key_bytes() is not None
    return [
        HealthCheck(
            t("health.name.token"),
            token is not None and bool(token.get_secret_value()),
            t("health.cause.token_set") if token is not None else t("health.cause.token_unset"),
            "" if token is not None else t("health.fix.token"),
        ),
        HealthCheck(
            t("health.name.admin"),
            bool(admins),
            t("health.cause.admins", names=", ".join(sorted(admins)))
            if admins
            else t("health.cause.no_admin"),
            "" if admins else "spillway web user add NAME --role admin --password-stdin",
        ),
        HealthCheck(
            t("health.name.session"),
            kept,
            t("health.cause.session_kept") if kept else t("health.cause.session_random"),
            "" if kept else t("health.fix.session"),
        ),
        # Without it the Data protection page's erasure (and `spillway gdpr forget`)
        # refuses to run: said here, before someone confirms an erasure.
        HealthCheck(
            t("health.name.hash_key"),
            keyed,
            t("health.cause.hash_key_set") if keyed else t("health.cause.hash_key_unset"),
            "" if keyed else "spillway gdpr key",
        ),
    ]


def health_checks(
    store: Store, settings: Settings, now: float, *, stale_after_s: float, text: ConsoleText
) -> list[HealthCheck]:
    """Every check the web application can make (worker thread), said in ``text``'s
    language; never raises."""
    checks = [_database(store, text)]
    try:
        checks += _scheduler(store, settings, now, stale_after_s, text)
        checks.append(_sms(store, settings, text))
        checks.append(_open_calls(store, now, text))
    except SpillwayError as exc:
        checks.append(HealthCheck(text("health.name.queries"), False, str(exc), "spillway doctor"))
    return checks + _web(settings, text)
