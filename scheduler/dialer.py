"""The callback dialer: claim due requests, apply the rules, dial, record, reschedule.

One :meth:`Dialer.tick` fills the free capacity (agents free in the queue,
plus ``pacing``, never above ``max_in_flight``): each due request is claimed
in the database (a lease, so several dialers share one database and a dead
one's claims are taken up again), re-checked against the hard rules, given an
attempt row *before* Asterisk is asked to dial, and dialled. What became of
the attempt is read from Asterisk's own record (:mod:`scheduler.outcomes`).

Nothing lost, nothing doubled: a dialer killed at any moment leaves either a
claimed request with no attempt (taken up again once its lease is stale), or
an open attempt, which :meth:`Dialer.reconcile` settles from Asterisk's
record and channel list before anything else is dialled: dialled and
finished (its outcome is stored), still under way (watched to its end), or
never started (dialled again, not counted as an attempt).

A broken row, a failing policy or a failed Originate affects that request
only; a failing policy falls back to the conventional rule.

The rules' facts about a claim are read by :mod:`scheduler.rule_facts`; the
node's heartbeat and `spillway scheduler status` are :mod:`scheduler.dialer_nodes`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from scheduler import requests
from scheduler.callback_context import CallbackBrief, callback_brief
from scheduler.closing import closing_problem, closing_status, no_time
from scheduler.dialer_nodes import NodeBeat, beat

# The nodes' status lives in dialer_nodes; callers import these two from here too.
from scheduler.dialer_nodes import node_not_dialling as node_not_dialling
from scheduler.dialer_nodes import settings_status_report as settings_status_report
from scheduler.dialer_nodes import status_report as status_report
from scheduler.originate import DialOrder, Originator
from scheduler.outcomes import REACHED, AttemptOutcome, outcome_of, outcome_when_gone
from scheduler.requests import RequestStatus
from scheduler.rule_facts import load_facts
from scheduler.rules import (
    FINAL_RULES,
    CallingRules,
    RequestFacts,
    local,
    next_allowed,
    refusal,
)
from scheduler.signals import signals_for
from scheduler.timing.choice import Timing, planned_timing
from scheduler.timing.plan_reason import stored_chance
from scheduler.timing.policy import ConventionalPolicy, FallbackPolicy, Plan, Policy
from scheduler.timing.shadow import record_shadow
from scheduler.timing.slot_policy import ModelNotFittedYet
from spillway import request_problem as problem
from spillway.caller_id import SANDBOX_CALLER_ID
from spillway.errors import StorageError
from spillway.language_pack import DEFAULT_LANGUAGE
from spillway.leases import LeaseSpec
from spillway.settings import Settings
from spillway.storage import AsyncStore, Row, Transaction, is_storage_fault

log = logging.getLogger(__name__)
Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class DialerConfig:
    queue: str = "spillway-support"
    dial_string: str = "Local/{digits}@spillway-sim-customer"
    caller_id: str = SANDBOX_CALLER_ID
    ring_s: int = 30
    agent_wait_s: int = 60
    agent_first: bool = False
    pacing: int = 0
    max_in_flight: int = 20
    poll_interval_s: float = 2.0
    status_poll_s: float = 0.5
    lease_timeout_s: float = 600.0
    retry_backoff_s: float = 7200.0
    default_timezone: str = "Europe/Copenhagen"
    node: str = ""
    hash_key: bytes | None = field(default=None, repr=False)
    # callbacks.policy: the timing of requests that have none stored (from before).
    policy: str = "predicted"
    # callbacks.signal_horizon_days: how far back the customer's signals are read for planning.
    signal_horizon_s: float = 90 * 86400.0
    # shop.language: the agent's summary of a request that carries none is written in it.
    language: str = DEFAULT_LANGUAGE

    @classmethod
    def from_settings(cls, settings: Settings, *, node: str = "") -> DialerConfig:
        cb = settings.callbacks
        return cls(
            queue=settings.queue.name,
            dial_string=cb.dial_string,
            caller_id=cb.caller_id,
            ring_s=cb.ring_s,
            agent_wait_s=cb.agent_wait_s,
            agent_first=cb.dial_first == "agent",
            pacing=cb.pacing,
            max_in_flight=cb.max_in_flight,
            poll_interval_s=cb.poll_interval_s,
            lease_timeout_s=cb.lease_timeout_s,
            retry_backoff_s=cb.retry_backoff_minutes * 60,
            default_timezone=cb.default_timezone,
            node=node or f"{socket.gethostname()}-{uuid.uuid4().hex[:6]}",
            hash_key=settings.gdpr.hash_key_bytes(),
            policy=cb.policy,
            signal_horizon_s=cb.signal_horizon_days * 86400.0,
            language=settings.shop.language,
        )

    @property
    def lease(self) -> LeaseSpec:
        return LeaseSpec(
            requests.DIAL_LEASE.table,
            claimed_status=requests.DIAL_LEASE.claimed_status,
            claim_timeout_s=self.lease_timeout_s,
            retry_base_s=0,
            retry_max_s=0,
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    id: str
    request_id: int
    phone: str
    attempt_no: int
    started_at: float
    brief: CallbackBrief = field(default_factory=CallbackBrief)  # what callers are told


# The longest wait between tries while the database cannot be written.
STORAGE_BACKOFF_MAX_S = 60.0
# A plan this close to now is dialled now (not released and claimed again).
PLAN_SLACK_S = 60.0


class _Deferred:
    """A claim the rules sent back (a later time, or closed): try the next request."""


DEFERRED = _Deferred()


class Dialer:
    """One dialer node."""

    def __init__(
        self,
        store: AsyncStore,
        pbx: Originator,
        rules: CallingRules,
        config: DialerConfig,
        *,
        policy: Policy | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.store = store
        self.pbx = pbx
        self.rules = rules
        self.config = config
        self.fallback = ConventionalPolicy(retry_backoff_s=config.retry_backoff_s)
        self.policy: Policy = policy or self.fallback
        self._planner: Policy = (
            self.fallback
            if policy is None
            else FallbackPolicy(policy, self.fallback, self._policy_failed)
        )
        self.clock = clock
        self.in_flight: dict[str, asyncio.Task[None]] = {}
        self.dialled = 0
        self.fallbacks = 0  # plans the conventional rule made because the policy failed
        self.last_error: str | None = None
        # The storage fault being waited out (None: none), and the current back-off.
        self.storage_fault: str | None = None
        self.storage_backoff_s = 0.0
        # The age of the model behind the policy, for `scheduler status` (None: no model).
        self.model_fitted_at: Callable[[], float | None] = lambda: None
        # Why the model behind the policy could not be fitted (None: it was, or is being).
        self.model_error: Callable[[], str | None] = lambda: None

    # -- the loop ----------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Reconcile, then tick until ``stop``; in-flight attempts are left to Asterisk.

        A storage fault (a full disk, a read-only database, PostgreSQL gone)
        stops nothing: it is logged once, the claims and attempts in flight
        are kept, and the loop tries again with back-off until it clears.
        """
        reconciled = False
        while not stop.is_set():
            try:
                if not reconciled:
                    await self.store.run(self._heartbeat, True)
                    await self.reconcile()
                    reconciled = True
                await self.tick()
                await self.store.run(self._heartbeat, False)
                wait_s = self._storage_ok()
            except StorageError as exc:
                wait_s = self._storage_fault(exc)
            try:
                await asyncio.wait_for(stop.wait(), wait_s)
            except TimeoutError:
                pass

    def _storage_fault(self, exc: StorageError) -> float:
        """Log a storage fault once (not per retry); the seconds to wait before the next try."""
        self.storage_backoff_s = min(max(1.0, self.storage_backoff_s * 2), STORAGE_BACKOFF_MAX_S)
        message = f"storage fault: {exc.message}"
        if message != self.storage_fault:
            log.error(
                "%s; keeping %d attempt(s) in flight and their claims, retrying every %.0f s "
                "up to %.0f s until it clears",
                message,
                len(self.in_flight),
                self.storage_backoff_s,
                STORAGE_BACKOFF_MAX_S,
            )
            self.storage_fault = message
        self.last_error = message
        return self.storage_backoff_s

    def _storage_ok(self) -> float:
        if self.storage_fault is not None:
            log.warning("storage fault cleared (%s): dialling again", self.storage_fault)
            self.storage_fault = None
        self.storage_backoff_s = 0.0
        return self.config.poll_interval_s

    async def tick(self) -> int:
        """Dial what the free capacity allows; how many attempts were started."""
        free = await self.pbx.free_agents(self.config.queue)
        room = min(self.config.max_in_flight, free + self.config.pacing) - len(self.in_flight)
        started = 0
        while room > 0:
            claimed = await self.store.run(self._claim, self.clock())
            if claimed is None:
                break
            if isinstance(claimed, _Deferred):
                continue
            room -= 1
            started += 1
            self._watch(claimed, dial=True)
        return started

    def _watch(self, attempt: Attempt, *, dial: bool) -> None:
        task = asyncio.create_task(self._attempt(attempt, dial=dial), name=f"dial-{attempt.id}")
        self.in_flight[attempt.id] = task
        task.add_done_callback(lambda _t: self.in_flight.pop(attempt.id, None))

    async def wait_idle(self, timeout_s: float) -> None:
        """Wait until no attempt is in flight (tests, shutdown)."""
        async with asyncio.timeout(timeout_s):
            while self.in_flight:
                await asyncio.gather(*list(self.in_flight.values()), return_exceptions=True)

    # -- one attempt ----------------------------------------------------------------
    async def _attempt(self, attempt: Attempt, *, dial: bool) -> None:
        try:
            if dial:
                order = DialOrder(
                    attempt.id,
                    attempt.request_id,
                    attempt.phone,
                    self.config.dial_string,
                    self.config.caller_id,
                    self.config.ring_s,
                    self.config.agent_wait_s,
                    agent_first=self.config.agent_first,
                    topic=attempt.brief.topic,
                    handoff=attempt.brief.handoff,
                )
                await self.pbx.originate(order)
                self.dialled += 1
            outcome = await self._outcome(attempt)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # this attempt only; reconcile settles it from Asterisk
            self._error(f"attempt {attempt.id} for request {attempt.request_id}: {exc}")
            return
        while True:  # the outcome is known; a storage fault only delays writing it
            try:
                await self.store.run(self._finish, attempt, outcome, self.clock())
                break
            except StorageError as exc:
                await asyncio.sleep(self._storage_fault(exc))
        try:
            await self.pbx.forget(attempt.id)
        except Exception as exc:  # a stale AstDB key costs nothing
            log.debug("could not forget %s: %s", attempt.id, exc)

    async def _outcome(self, attempt: Attempt) -> AttemptOutcome:
        """Poll Asterisk's record of the attempt until it is final."""
        limit = (
            self.config.ring_s + 15 + (self.config.agent_wait_s if self.config.agent_first else 0)
        )
        deadline = time.monotonic() + limit
        while True:
            status = await self.pbx.status(attempt.id)
            outcome = outcome_of(status) if status is not None else None
            if outcome is not None:
                return outcome
            if time.monotonic() > deadline:
                live = attempt.id in await self.pbx.live_attempts()
                if status is None:
                    # Never reached the dial step: was it ever originated?
                    return AttemptOutcome.LOST if live else AttemptOutcome.NOT_STARTED
                if not live:
                    return outcome_when_gone(status)
                deadline = time.monotonic() + limit  # still ringing or queued: keep watching
            await asyncio.sleep(self.config.status_poll_s)

    async def reconcile(self) -> int:
        """Settle the open attempts no dialer is watching; how many were found."""
        open_attempts: list[Attempt] = await self.store.run(self._open_attempts)
        live = await self.pbx.live_attempts() if open_attempts else set()
        found = 0
        for attempt in open_attempts:
            if attempt.id in self.in_flight:
                continue
            found += 1
            status = await self.pbx.status(attempt.id)
            outcome = outcome_of(status)
            if outcome is None and attempt.id not in live:
                outcome = outcome_when_gone(status)
            if outcome is AttemptOutcome.NOT_STARTED and attempt.id in live:
                outcome = None  # originated, not yet at the dial step
            log.warning(
                "reconciling attempt %s (request %d): %s",
                attempt.id,
                attempt.request_id,
                outcome.value if outcome else "still under way",
            )
            if outcome is None:
                self._watch(attempt, dial=False)
            else:
                await self.store.run(self._finish, attempt, outcome, self.clock())
        return found

    # -- the database side (worker thread) ----------------------------------------
    def _claim(self, now: float) -> Attempt | _Deferred | None:
        with self.store.store.transaction() as tx:
            row = requests.claim_due(tx, now=now, lease=self.config.lease)
            if row is None:
                return None
            try:
                return self._start(tx, row, now)
            except Exception as exc:  # a broken row: that request only
                if is_storage_fault(exc):
                    raise  # the database, not the row: nothing is closed, the loop waits
                self._error(f"request {row['id']}: {exc}")
                requests.close(
                    tx, row["id"], RequestStatus.UNREACHED, now=now, error=problem.broken(exc)
                )
                return DEFERRED

    def _start(self, tx: Transaction, row: Row, now: float) -> Attempt | _Deferred:
        facts = load_facts(
            tx,
            row,
            default_timezone=self.config.default_timezone,
            counting_claim=True,
            hash_key=self.config.hash_key,
        )
        why = refusal(self.rules, facts, now)
        if why is not None:
            later = None if why.rule in FINAL_RULES else next_allowed(self.rules, facts, now)
            if later is None:
                requests.close(
                    tx,
                    row["id"],
                    closing_status(why),
                    now=now,
                    error=closing_problem(why, row["phone"], self.rules.allowed_regions),
                    uncount=True,
                )
            else:
                requests.release(tx, row["id"], not_before=later, uncount=True)
            return DEFERRED
        planned_by, pick_share = row["planned_by"], row["plan_pick_share"]
        chance = stored_chance(row["plan_reason"])
        if planned_by is None:
            # A first attempt nobody planned yet: the policy picks its time too.
            plan = self._plan(tx, facts, now, None, row)
            if plan.at is None:
                requests.close(
                    tx,
                    row["id"],
                    RequestStatus.UNREACHED,
                    now=now,
                    error=no_time(plan),
                    uncount=True,
                )
                return DEFERRED
            record_shadow(tx, row["id"], plan, now)  # shadow mode: the plan not used
            if plan.at > now + PLAN_SLACK_S:
                requests.release(tx, row["id"], not_before=plan.at, uncount=True, plan=plan)
                return DEFERRED
            requests.keep_plan(tx, row["id"], plan)
            planned_by, pick_share, chance = plan.policy, plan.pick_share, plan.chance
        attempt = Attempt(
            f"cb-{uuid.uuid4().hex}",
            row["id"],
            row["phone"],
            row["attempts"],
            now,
            callback_brief(row["id"], row["reason"], row["context"], self.config.language),
        )
        when = local(now, facts.timezone)
        tx.insert(
            "callback_attempts",
            {
                "id": attempt.id,
                "request_id": attempt.request_id,
                "phone": attempt.phone,
                "attempt_no": attempt.attempt_no,
                "started_at": now,
                "local_weekday": when.weekday(),
                "local_hour": when.hour,
                "hours_since_request": round((now - row["created_at"]) / 3600, 3),
                "segment": row["segment"],
                "policy": planned_by,
                "pick_share": pick_share,
                "chance": chance,
                "node": self.config.node,
            },
        )
        return attempt

    def _finish(self, attempt: Attempt, outcome: AttemptOutcome, now: float) -> None:
        with self.store.store.transaction() as tx:
            ended = tx.query(
                "SELECT ended_at FROM callback_attempts WHERE id = :id", {"id": attempt.id}
            )
            if not ended or ended[0]["ended_at"] is not None:
                # Settled already: by the node that dialled it, while this one (restarted
                # beside it) watched it from reconcile. Its status, read after that node
                # forgot it, says nothing ("never started" would dial it again).
                return
            if outcome is AttemptOutcome.NOT_STARTED:
                # Asterisk never dialled it: no attempt, due again at once.
                tx.execute("DELETE FROM callback_attempts WHERE id = :id", {"id": attempt.id})
                requests.release(tx, attempt.request_id, not_before=None, uncount=True)
                return
            tx.execute(
                "UPDATE callback_attempts SET ended_at = :at, outcome = :o WHERE id = :id",
                {"at": now, "o": outcome.value, "id": attempt.id},
            )
            if outcome in REACHED:
                requests.close(tx, attempt.request_id, RequestStatus.DONE, now=now)
                return
            [row] = tx.query(
                "SELECT * FROM callback_requests WHERE id = :id", {"id": attempt.request_id}
            )
            if row["status"] != RequestStatus.DIALLING.value:
                return  # cancelled (or closed) while it rang
            facts = load_facts(
                tx, row, default_timezone=self.config.default_timezone, counting_claim=False
            )
            why = refusal(self.rules, facts, now)
            if why is not None and why.rule in FINAL_RULES:
                # Opted out while it rang (or out of attempts): say so, not "no time left".
                requests.close(
                    tx,
                    attempt.request_id,
                    closing_status(why),
                    now=now,
                    error=closing_problem(why, row["phone"], self.rules.allowed_regions),
                )
                return
            plan = self._plan(tx, facts, now, outcome, row)
            if plan.at is None:
                requests.close(
                    tx, attempt.request_id, RequestStatus.UNREACHED, now=now, error=no_time(plan)
                )
            else:
                requests.release(
                    tx, attempt.request_id, not_before=plan.at, uncount=False, plan=plan
                )

    def _plan(
        self,
        tx: Transaction,
        facts: RequestFacts,
        now: float,
        outcome: AttemptOutcome | None,
        row: Row,
    ) -> Plan:
        """Plan by the request's own timing: the rule for conventional, the model for
        predicted (the rule when it fails), callbacks.policy for rows without one."""
        timing = planned_timing(
            row["timing"], traditional=bool(row["traditional"]), policy=self.config.policy
        )
        # Shadow mode's policy dials the conventional plan and logs the predicted one
        # beside it; never for a customer who asked for a plain callback.
        shadowed = self.config.policy == "shadow" and row["timing_reason"] != "customer"
        planner = self._planner if timing is Timing.PREDICTED or shadowed else self.fallback
        if planner is not self.fallback:
            # The customer's own recent signals, read in this transaction (the model's tilt).
            found = signals_for(
                tx, [facts.phone], since_s=now - self.config.signal_horizon_s, until_s=now
            )
            facts = replace(facts, signals=tuple(found[facts.phone]))
        return planner.plan(facts, now, outcome, self.rules)

    def _policy_failed(self, exc: Exception) -> None:
        why = str(exc)
        if isinstance(exc, ModelNotFittedYet):
            failed = self.model_error()
            if failed is None:
                # Before the first fit the conventional rule times the request, as designed:
                # not a fault, nor a fallback (`scheduler status` says it as the timing).
                return
            why = failed  # the fit itself failed: that is the error to see
        self.fallbacks += 1
        self._error(f"policy {self.policy.name} failed, using the conventional rule: {why}")

    def _open_attempts(self) -> list[Attempt]:
        rows = self.store.store.query(
            "SELECT id, request_id, phone, attempt_no, started_at FROM callback_attempts "
            "WHERE ended_at IS NULL ORDER BY started_at"
        )
        return [
            Attempt(r["id"], r["request_id"], r["phone"], r["attempt_no"], r["started_at"])
            for r in rows
        ]

    def _heartbeat(self, starting: bool) -> None:
        beat(
            self.store.store,
            NodeBeat(
                node=self.config.node,
                now=self.clock(),
                dialled=self.dialled,
                last_error=self.last_error,
                policy_fallbacks=self.fallbacks,
                model_fitted_at=self.model_fitted_at(),
            ),
            starting=starting,
        )

    def _error(self, message: str) -> None:
        # The same failure on every plan (a model gone stale) is logged once, not per request.
        if message != self.last_error:
            log.warning("%s", message)
        self.last_error = message


def attempt_rows(store: Any, request_id: int) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in store.query(
            "SELECT * FROM callback_attempts WHERE request_id = :id ORDER BY started_at",
            {"id": request_id},
        )
    ]


def describe(row: Row) -> dict[str, Any]:
    """A request row as JSON-able data."""
    data = dict(row)
    data["context"] = json.loads(row["context"] or "{}")
    return data
