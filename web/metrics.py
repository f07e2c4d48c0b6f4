"""``GET /metrics``: Prometheus metrics of the whole installation, read from the database.

Every scheduler node, the bot's calls and the callback queue keep their state
in the shared database (``scheduler_nodes``, ``callback_attempts``,
``callback_requests``, ``calls``), so one scrape of the web application sees
all nodes, alive or not, with no per-process registry to lose on a restart.
The collector reads that state on each scrape (in the store's worker thread,
never on the event loop); :func:`read_metrics` is the pure part, tested on a
real SQLite database.

The bot's calls are counted by how they ended, in the one vocabulary of
:class:`spillway.call.CallOutcome` (every word present, zero or not), with
the containment, resolved / ended bot calls, computed the same way the
console does (:func:`spillway.call.containment`).

What the metrics say about the best-time-to-call fallback (issue 12): a node
whose model failed or went stale counts the plans the conventional rule made
in ``spillway_scheduler_policy_fallbacks_total``, and
``spillway_scheduler_model_age_seconds`` shows how old its model is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from spillway.call import CallOutcome, containment
from spillway.storage import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True, slots=True)
class NodeState:
    """One scheduler node's row in ``scheduler_nodes``."""

    node: str
    heartbeat_age_s: float
    dialled: int
    policy_fallbacks: int
    model_age_s: float | None
    state: str | None = None  # "dialling", or why not ("AMI login failed: authentication")


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """Everything one scrape reports; counts keyed by their label values."""

    nodes: list[NodeState]
    requests_by_status: dict[str, int]
    attempts_by_outcome: dict[tuple[str, str], int]  # (outcome, policy) of ended attempts
    attempts_in_flight: int
    calls_by_outcome: dict[str, int]  # every CallOutcome word, and in_progress

    @property
    def containment(self) -> float | None:
        """Resolved / ended bot calls (None: no bot call has ended)."""
        return containment(self.calls_by_outcome)


def read_metrics(store: Store, now: float) -> MetricsSnapshot:
    """The installation's state from the database at ``now`` (epoch seconds)."""
    nodes = [
        NodeState(
            node=r["node"],
            heartbeat_age_s=max(0.0, now - r["heartbeat_at"]),
            dialled=int(r["dialled"]),
            policy_fallbacks=int(r["policy_fallbacks"]),
            model_age_s=None
            if r["model_fitted_at"] is None
            else max(0.0, now - r["model_fitted_at"]),
            state=r["state"],
        )
        for r in store.query(
            "SELECT node, heartbeat_at, dialled, policy_fallbacks, model_fitted_at, state "
            "FROM scheduler_nodes ORDER BY node"
        )
    ]
    requests = {
        r["status"]: int(r["n"])
        for r in store.query("SELECT status, COUNT(*) AS n FROM callback_requests GROUP BY status")
    }
    attempts = {
        (r["outcome"], r["policy"]): int(r["n"])
        for r in store.query(
            "SELECT outcome, policy, COUNT(*) AS n FROM callback_attempts "
            "WHERE ended_at IS NOT NULL GROUP BY outcome, policy"
        )
    }
    [open_row] = store.query("SELECT COUNT(*) AS n FROM callback_attempts WHERE ended_at IS NULL")
    # A call that ended with no outcome never reached the bot (an agent took it
    # from the queue): not one of the bot's calls.
    calls = {o.value: 0 for o in CallOutcome}
    for r in store.query(
        "SELECT outcome, COUNT(*) AS n FROM calls WHERE outcome IS NOT NULL "
        "OR ended_at IS NULL GROUP BY outcome"
    ):
        calls[r["outcome"] or "in_progress"] = int(r["n"])
    return MetricsSnapshot(nodes, requests, attempts, int(open_row["n"]), calls)


def metric_families(snapshot: MetricsSnapshot, *, stale_after_s: float) -> Iterator[Metric]:
    """The snapshot as Prometheus metric families (``stale_after_s``: a node counts as down)."""
    up = GaugeMetricFamily(
        "spillway_scheduler_up",
        f"1 if the scheduler node's heartbeat is under {stale_after_s:g} s old",
        labels=["node"],
    )
    heartbeat = GaugeMetricFamily(
        "spillway_scheduler_heartbeat_age_seconds",
        "Seconds since the node's last heartbeat",
        labels=["node"],
    )
    dialled = CounterMetricFamily(
        "spillway_scheduler_dialled",
        "Callback attempts the node started since it last started",
        labels=["node"],
    )
    fallbacks = CounterMetricFamily(
        "spillway_scheduler_policy_fallbacks",
        "Plans the conventional rule made because the configured policy failed or its model "
        "was missing or stale, since the node last started",
        labels=["node"],
    )
    model_age = GaugeMetricFamily(
        "spillway_scheduler_model_age_seconds",
        "Age of the contact model behind the node's policy (absent: no model)",
        labels=["node"],
    )
    dialling = GaugeMetricFamily(
        "spillway_scheduler_dialling",
        "1 if the node is connected to AMI and dialling; 0 if it is up but cannot dial "
        "(the state label says why, e.g. AMI login failed: authentication)",
        labels=["node", "state"],
    )
    for n in snapshot.nodes:
        up.add_metric([n.node], 1.0 if n.heartbeat_age_s <= stale_after_s else 0.0)
        if n.state is not None:
            dialling.add_metric([n.node, n.state], 1.0 if n.state == "dialling" else 0.0)
        heartbeat.add_metric([n.node], n.heartbeat_age_s)
        dialled.add_metric([n.node], n.dialled)
        fallbacks.add_metric([n.node], n.policy_fallbacks)
        if n.model_age_s is not None:
            model_age.add_metric([n.node], n.model_age_s)
    yield from (up, heartbeat, dialled, fallbacks, model_age, dialling)

    requests = GaugeMetricFamily(
        "spillway_callback_requests", "Callback requests by status", labels=["status"]
    )
    for status, count in sorted(snapshot.requests_by_status.items()):
        requests.add_metric([status], count)
    yield requests
    attempts = CounterMetricFamily(
        "spillway_callback_attempts",
        "Ended callback attempts by outcome and the policy that planned them",
        labels=["outcome", "policy"],
    )
    for (outcome, policy), count in sorted(snapshot.attempts_by_outcome.items()):
        attempts.add_metric([outcome or "unknown", policy], count)
    yield attempts
    yield GaugeMetricFamily(
        "spillway_callback_attempts_in_flight",
        "Callback attempts started and not yet ended",
        value=snapshot.attempts_in_flight,
    )
    calls = CounterMetricFamily(
        "spillway_bot_calls", "Calls the overflow bot took, by outcome", labels=["outcome"]
    )
    for outcome, count in sorted(snapshot.calls_by_outcome.items()):
        calls.add_metric([outcome], count)
    yield calls
    if snapshot.containment is not None:
        yield GaugeMetricFamily(
            "spillway_bot_containment_ratio",
            "Share of the bot's ended calls it resolved alone (resolved / ended bot calls)",
            value=snapshot.containment,
        )


class _Snapshot(Collector):
    """A one-off collector around an already-read snapshot (the read is the slow part)."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families


def exposition(snapshot: MetricsSnapshot, *, stale_after_s: float) -> bytes:
    """The Prometheus text format of ``snapshot``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(metric_families(snapshot, stale_after_s=stale_after_s)))
    return generate_latest(registry)
