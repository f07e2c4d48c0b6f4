"""The dialer nodes' heartbeats, and what `spillway scheduler status` reads from them.

Every dialer node keeps one row of ``scheduler_nodes`` up to date: a
heartbeat once per poll while it dials (:func:`beat`, with what it dialled,
its last error, its policy fallbacks and its model's age), or, while it is up
but cannot dial (AMI login failed ...), that reason (:func:`node_not_dialling`).
:func:`status_report` reads them back with the requests due and in flight; a
node that missed its heartbeats is down, whatever its row says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scheduler.due import DUE_COLUMNS, due_now
from scheduler.requests import RequestStatus
from scheduler.rules import CallingRules, rules_from_settings
from spillway.settings import Settings
from spillway.storage import Store

# A node's state while it is connected to AMI and dialling.
DIALLING_STATE = "dialling"


@dataclass(frozen=True, slots=True)
class NodeBeat:
    """One heartbeat of a dialling node: what its ``scheduler_nodes`` row then says."""

    node: str
    now: float  # epoch seconds
    dialled: int
    last_error: str | None
    policy_fallbacks: int  # plans the conventional rule made because the policy failed
    model_fitted_at: float | None  # the model behind the policy (None: no model)


def beat(store: Store, heartbeat: NodeBeat, *, starting: bool) -> None:
    """Record a dialling node's heartbeat; ``starting``: it (re)started now."""
    store.execute(
        "INSERT INTO scheduler_nodes (node, started_at, heartbeat_at, dialled, last_error, "
        "policy_fallbacks, model_fitted_at, state) "
        "VALUES (:n, :now, :now, :d, :e, :f, :m, :state) "
        "ON CONFLICT (node) DO UPDATE SET heartbeat_at = :now, dialled = :d, "
        "last_error = :e, policy_fallbacks = :f, model_fitted_at = :m, state = :state"
        + (", started_at = :now" if starting else ""),
        {
            "n": heartbeat.node,
            "now": heartbeat.now,
            "d": heartbeat.dialled,
            "e": heartbeat.last_error,
            "f": heartbeat.policy_fallbacks,
            "m": heartbeat.model_fitted_at,
            "state": DIALLING_STATE,
        },
    )


def node_not_dialling(store: Store, node: str, now: float, state: str) -> None:
    """Record a node that is up but cannot dial (AMI login failed ...), with its heartbeat.

    Without it a node that never logs in to AMI writes no row, and
    `scheduler status` and /metrics show nothing at all.
    """
    store.execute(
        "INSERT INTO scheduler_nodes (node, started_at, heartbeat_at, dialled, last_error, "
        "last_error_at, state) VALUES (:n, :now, :now, 0, :s, :now, :s) "
        "ON CONFLICT (node) DO UPDATE SET heartbeat_at = :now, last_error = :s, "
        "last_error_at = :now, state = :s",
        {"n": node, "now": now, "s": state[:300]},
    )


# A node beats once per poll; one that missed this many beats is down (stopped,
# crashed or stuck), however recently it was seen in absolute terms.
MISSED_HEARTBEATS = 3
MIN_DOWN_AFTER_S = 5.0


def down_after_s(poll_interval_s: float) -> float:
    """How long without a heartbeat makes a dialer node down."""
    return max(MISSED_HEARTBEATS * poll_interval_s, MIN_DOWN_AFTER_S)


def settings_status_report(store: Any, settings: Settings, now: float) -> dict[str, Any]:
    """:func:`status_report` under the configured calling rules and poll interval: what
    `scheduler status`, `doctor` and the console's Health page each say."""
    cb = settings.callbacks
    return status_report(
        store,
        now,
        poll_interval_s=cb.poll_interval_s,
        rules=rules_from_settings(settings),
        default_timezone=cb.default_timezone,
    )


def status_report(
    store: Any,
    now: float,
    *,
    poll_interval_s: float = 2.0,
    rules: CallingRules | None = None,
    default_timezone: str = "UTC",
) -> dict[str, Any]:
    """What `spillway scheduler status` shows: due now (:func:`scheduler.due.due_now`
    under ``rules``), in flight, lag, the nodes (each up or down by its heartbeat:
    ``poll_interval_s`` is how often nodes beat)."""
    silent_s = down_after_s(poll_interval_s)
    waiting = store.query(
        f"SELECT {DUE_COLUMNS} FROM callback_requests WHERE status = 'pending' "
        "AND (not_before IS NULL OR not_before <= :now)",
        {"now": now},
    )
    due = due_now(rules or CallingRules(), waiting, now, default_timezone=default_timezone)
    counts = {
        r["status"]: r["n"]
        for r in store.query("SELECT status, count(*) AS n FROM callback_requests GROUP BY status")
    }
    nodes = store.query("SELECT * FROM scheduler_nodes ORDER BY heartbeat_at DESC")
    return {
        "due_now": due.count,
        "lag_s": round(now - due.waiting_since, 1) if due.waiting_since is not None else 0.0,
        "in_flight": counts.get(RequestStatus.DIALLING.value, 0),
        "by_status": counts,
        "nodes": [
            {
                "node": n["node"],
                # up: the node beats (down: it missed its heartbeats); state: whether
                # it dials, or why not ("AMI login failed: authentication").
                "up": now - n["heartbeat_at"] <= silent_s,
                "state": n["state"],
                "up_s": round(now - n["started_at"], 1),
                "seen_s_ago": round(now - n["heartbeat_at"], 1),
                "dialled": n["dialled"],
                "policy_fallbacks": n["policy_fallbacks"],
                "model_age_h": (
                    round((now - n["model_fitted_at"]) / 3600, 2)
                    if n["model_fitted_at"] is not None
                    else None
                ),
                "last_error": n["last_error"],
            }
            for n in nodes
        ],
    }
