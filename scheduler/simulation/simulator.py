"""The simulator: the real scheduler core on a simulated clock, against a simulated population.

The same calling rules (:mod:`scheduler.rules`), policies
(:mod:`scheduler.timing.policy`, :mod:`scheduler.timing.slot_policy`), contact model and
refit (:func:`scheduler.timing.contact_model.fit`, once a simulated day from the
attempt log) as the daemon; only AMI is replaced, by a draw from the
customer's true answer probability at the attempt's local hour. Agents are
a capacity: an answered call holds one for ``talk_minutes``, an unanswered
one for half a minute, and a call waits for a free agent.

The run goes on until the last request is closed, so every request counts
in full. :mod:`scheduler.sim_check` recomputes every rule from the attempt
log, independently of this code.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np

from scheduler.closing import closing_problem, no_time
from scheduler.outcomes import AttemptOutcome
from scheduler.rules import (
    FINAL_RULES,
    HOUR_S,
    CallingRules,
    RequestFacts,
    deadline,
    local,
    next_allowed,
    refusal,
)
from scheduler.simulation.signal_world import SimSignals, has_signals
from scheduler.simulation.told_window import ToldWindow, told_windows
from scheduler.simulation.world import (
    MAX_PROB,
    Arrival,
    Population,
    Segment,
    World,
    arrivals,
    has_seasons,
    patience_hours,
    population,
    season_of,
    segment_truth,
    true_season_factor,
)
from scheduler.timing.contact_model import AttemptLog, ContactModel, FloatArray, fit, slot_of
from scheduler.timing.policy import ConventionalPolicy, FallbackPolicy, Plan, Policy
from scheduler.timing.segment_activity import prior_tilts
from scheduler.timing.signal_evidence import SignalSettings
from scheduler.timing.slot_policy import (
    SlotPolicy,
    fixed_probabilities,
    model_expected,
    model_probabilities,
    model_season_factor,
)
from scheduler.windows import window_deadline, window_expiry
from spillway import request_problem as problem

UNANSWERED_HOLD_S = 30.0
REFIT_EVERY_S = 86400.0


class PolicyName(StrEnum):
    TRADITIONAL = "traditional"
    PREDICTED = "predicted"
    SEGMENT_ORACLE = "segment_oracle"
    ORACLE = "oracle"
    # A pilot: each request drawn at its arrival to the predicted or the traditional policy.
    PILOT = "pilot"


# The policies `spillway simulate report` compares (a pilot is a mix of two of them).
COMPARED = (
    PolicyName.TRADITIONAL,
    PolicyName.PREDICTED,
    PolicyName.SEGMENT_ORACLE,
    PolicyName.ORACLE,
)
PILOT_SHARE_PREDICTED = 0.5
PREDICTED_ARM, CONVENTIONAL_ARM = "predicted", "conventional"
# The shop's own zone: where a customer is assumed to live when their zone is withheld.
SHOP_ZONE: str = Segment.model_fields["timezone"].default


class Withheld(StrEnum):
    """A data source the policy and its model are denied, for the ablation per source
    (bench/signals_ablation.py): the world itself is unchanged, only what they know."""

    # Every segment's industry unused: the business-hours prior for all of them.
    INDUSTRY = "industry"
    # Every customer assumed in the shop's zone: the model learns, and the policy plans,
    # in the shop's hours; the calling rules still hold in the customer's own zone.
    TIME_ZONE = "time_zone"


def pilot_arm(seed: int, customer_id: str, created_at: float) -> str:
    """The pilot arm of one simulated request: ``predicted`` or ``conventional``.

    Random per request and reproducible: a hash of the world's seed, the
    customer and the request's arrival time (a customer who asks twice may
    land in either arm each time, as in a real per-request pilot).
    """
    digest = hashlib.blake2b(f"{seed}:{customer_id}:{created_at!r}".encode(), digest_size=8)
    draw = int.from_bytes(digest.digest(), "big") / 2.0**64
    return PREDICTED_ARM if draw < PILOT_SHARE_PREDICTED else CONVENTIONAL_ARM


@dataclass(frozen=True, slots=True)
class PilotPolicy:
    """Each request planned by the arm :func:`pilot_arm` drew for it, at every attempt."""

    predicted: Policy
    conventional: Policy
    seed: int
    name: str = PolicyName.PILOT.value

    def plan(
        self, facts: RequestFacts, now: float, last: AttemptOutcome | None, rules: CallingRules
    ) -> Plan:
        arm = pilot_arm(self.seed, facts.phone, facts.created_at)
        chosen = self.predicted if arm == PREDICTED_ARM else self.conventional
        return chosen.plan(facts, now, last, rules)


@dataclass(slots=True)
class SimAttempt:
    request: int
    customer: int
    attempt_no: int
    at: float
    answered: bool
    policy: str
    propensity: float | None  # the plan's pick share (offline evaluation weighs by it)
    local_weekday: int
    local_hour: int
    # The model's P(answer) for this call when it was placed (None: no model), for calibration.
    predicted_p: float | None = None
    season: str | None = None  # the segment's season on the local date (None: none)
    # The chance of an answer the plan stated for its hour (None: its policy states none),
    # as the dialer logs it with a real attempt.
    chance: float | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """One planning decision as logged: its context, what was chosen, with what probability."""

    request: int
    facts: RequestFacts
    now: float
    last: AttemptOutcome | None
    plan: Plan


@dataclass(slots=True)
class SimRequest:
    id: int
    customer: int
    created_at: float
    deadline_at: float
    attempts: list[float] = field(default_factory=list)
    contacted_at: float | None = None
    closed: bool = False
    # The window the caller named and was told back (UNIX seconds; None: none named),
    # and the expiry that covers it (None: the rules' own, from ``created_at``).
    not_before: float | None = None
    not_after: float | None = None
    expires_at: float | None = None
    # Why it closed without contact, as the dialer keeps it in ``last_error`` (None: reached).
    problem: str | None = None


@dataclass(slots=True)
class SimRun:
    """One run's raw record: the requests, the attempts and the last model."""

    world: World
    policy: str
    people: Population
    requests: list[SimRequest]
    attempts: list[SimAttempt]
    model: ContactModel | None
    decisions: list[Decision]  # every plan, for offline evaluation (replay)


def _day_hour(at: float, zone: str) -> tuple[int, int]:
    when = local(at, zone)
    return when.weekday(), when.hour


@dataclass
class _Simulation:
    world: World
    rules: CallingRules
    people: Population
    policy: Policy
    uses_model: bool
    rng: np.random.Generator
    model: ContactModel | None = None
    signals: SimSignals | None = None  # the world's signals (None: it has none)
    withheld: frozenset[Withheld] = frozenset()
    # How ``predicted`` weighs signals (None: not at all, nor pooled into the priors).
    signal_settings: SignalSettings | None = None
    requests: list[SimRequest] = field(default_factory=list)
    attempts: list[SimAttempt] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    by_number_day: dict[int, dict[date, int]] = field(default_factory=dict)
    agents_free_at: list[float] = field(default_factory=list)
    now: float = 0.0

    def segment_of(self, customer: int) -> str:
        return self.world.segments[int(self.people.segment[customer])].name

    def facts(self, request: SimRequest) -> RequestFacts:
        people = self.people
        return RequestFacts(
            phone=people.ids[request.customer],
            timezone=people.timezone[request.customer],
            created_at=request.created_at,
            attempts=len(request.attempts),
            last_attempt_at=request.attempts[-1] if request.attempts else None,
            number_attempts_by_day=self.by_number_day.get(request.customer, {}),
            not_before=request.not_before,
            not_after=request.not_after,
            expires_at=request.expires_at,
            segment=self.segment_of(request.customer),
            deadline_at=request.deadline_at,
        )

    def plan(self, request: SimRequest, last: AttemptOutcome | None) -> Plan:
        facts = self.facts(request)
        if self.signals is not None:
            facts = replace(facts, signals=self.signals.until(request.customer, self.now))
        if Withheld.TIME_ZONE in self.withheld:
            facts = replace(facts, timezone=SHOP_ZONE)
        plan = self.policy.plan(facts, self.now, last, self.rules)
        self.decisions.append(Decision(request.id, facts, self.now, last, plan))
        return plan

    def give_up(self, request: SimRequest, now: float, plan: Plan | None) -> None:
        """Close ``request`` unreached, keeping why as the dialer does: the rule that
        refuses it for good (out of attempts, expired), else no allowed time left."""
        request.closed = True
        why = refusal(self.rules, self.facts(request), now)
        found: problem.Problem | str
        if why is not None and (plan is None or why.rule in FINAL_RULES):
            phone = self.people.ids[request.customer]
            found = closing_problem(why, phone, self.rules.allowed_regions)
        else:
            found = problem.no_time() if plan is None else no_time(plan)
        request.problem = found.stored() if isinstance(found, problem.Problem) else found

    def _learned_slot(self, attempt: SimAttempt) -> int:
        """The attempt's hour of the week as the model learns it (the shop's, if withheld)."""
        if Withheld.TIME_ZONE in self.withheld:
            return slot_of(*_day_hour(attempt.at, SHOP_ZONE))
        return slot_of(attempt.local_weekday, attempt.local_hour)

    def refit(self) -> None:
        industry = {s.name: s.industry for s in self.world.segments if s.industry}
        log = AttemptLog(
            customer=[self.people.ids[a.customer] for a in self.attempts],
            segment=[self.segment_of(a.customer) for a in self.attempts],
            slot=np.array([self._learned_slot(a) for a in self.attempts], dtype=np.int64),
            attempt_no=np.array([a.attempt_no for a in self.attempts], dtype=np.int64),
            answered=np.array([a.answered for a in self.attempts], dtype=np.bool_),
            industry={} if Withheld.INDUSTRY in self.withheld else industry,
            season=[a.season or "" for a in self.attempts] if has_seasons(self.world) else (),
        )
        self.model = fit(log, now=self.now, prior_tilt=self._prior_tilt(log.industry))

    def _prior_tilt(self, industry: Mapping[str, str]) -> dict[str, FloatArray]:
        """Each segment's pooled signals as a tilt of its cold-start prior, as the daemon's
        refit reads them (none without signals, or when ``predicted`` ignores them)."""
        if self.signals is None or self.signal_settings is None:
            return {}
        zone = SHOP_ZONE if Withheld.TIME_ZONE in self.withheld else None
        pooled = self.signals.segment_counts(self.now, self.signal_settings, zone)
        counts = {self.world.segments[i].name: row for i, row in pooled.items()}
        return prior_tilts(counts, industry, self.signal_settings.strength)

    def dial(self, request: SimRequest, last_plan: Plan) -> bool:
        """One attempt now; whether the customer answered."""
        customer = request.customer
        when = local(self.now, self.people.timezone[customer])
        slot = slot_of(when.weekday(), when.hour)
        p = float(self.people.truth[customer, slot])
        segment = self.world.segments[int(self.people.segment[customer])]
        season = segment.season_on(when.date())
        if season is not None:  # school holidays: the segment answers more or less often
            p = min(MAX_PROB, p * season.answer_factor)
        answered = bool(self.rng.random() < p)
        believed = None
        if self.model is not None:
            mean = self.model.mean(
                self.people.ids[customer], self.segment_of(customer), len(request.attempts) + 1
            )
            zone = SHOP_ZONE if Withheld.TIME_ZONE in self.withheld else None
            believed = float(mean[slot if zone is None else slot_of(*_day_hour(self.now, zone))])
        request.attempts.append(self.now)
        days = self.by_number_day.setdefault(customer, {})
        days[when.date()] = days.get(when.date(), 0) + 1
        self.attempts.append(
            SimAttempt(
                request.id,
                customer,
                len(request.attempts),
                self.now,
                answered,
                last_plan.policy,
                last_plan.pick_share,
                when.weekday(),
                when.hour,
                believed,
                None if season is None else season.name,
                last_plan.chance,
            )
        )
        hold_s = self.world.rules.talk_minutes * 60 if answered else UNANSWERED_HOLD_S
        heapq.heappush(self.agents_free_at, self.now + hold_s)
        return answered


def _arrived(sim: _Simulation, arrival: Arrival, told: ToldWindow | None) -> SimRequest:
    """A new request, promised as production promises it: from its creation, or inside
    the window the caller was told (:mod:`scheduler.windows`, as at intake)."""
    zone = sim.people.timezone[arrival.customer]
    request = SimRequest(len(sim.requests), arrival.customer, arrival.at, 0.0)
    if told is None:
        request.deadline_at = deadline(sim.rules, arrival.at, zone)
        return request
    nb, na = told.not_before, told.not_after
    request.not_before, request.not_after = nb, na
    rules = sim.rules
    promised = window_deadline(rules, now=arrival.at, timezone=zone, not_before=nb, not_after=na)
    request.deadline_at = promised if promised is not None else deadline(rules, arrival.at, zone)
    request.expires_at = window_expiry(
        rules, now=arrival.at, timezone=zone, not_before=nb, not_after=na
    )
    return request


def make_policy(
    name: PolicyName,
    world: World,
    people: Population,
    sim: Callable[[], _Simulation] | None = None,
    signals: SignalSettings | None = SignalSettings(),
) -> Policy:
    """The named policy for ``world``; ``predicted`` reads the model of the running ``sim``
    (and the customer's signals as ``signals`` says; None: not at all)."""
    patience_s = patience_hours(world) * HOUR_S
    if name is PolicyName.TRADITIONAL:
        return ConventionalPolicy(retry_backoff_s=world.rules.retry_backoff_minutes * 60)
    if name is PolicyName.PILOT:
        return PilotPolicy(
            make_policy(PolicyName.PREDICTED, world, people, sim, signals),
            make_policy(PolicyName.TRADITIONAL, world, people, sim),
            world.seed,
        )
    if name is PolicyName.PREDICTED:
        if sim is None:
            raise ValueError("the predicted policy reads the model of a running simulation")
        running = sim
        probabilities = model_probabilities(
            lambda: running().model,
            now=lambda: running().now,
            max_age_s=3 * REFIT_EVERY_S,
            signals=signals,
        )
        # As in the dialer: the conventional rule whenever the model is unavailable.
        return FallbackPolicy(
            SlotPolicy(
                name.value,
                probabilities,
                patience_s,
                seed=world.seed,
                season_of=season_of(world),
                season_factor=model_season_factor(lambda: running().model),
                expected=model_expected(
                    lambda: running().model, now=lambda: running().now, signals=signals
                ),
            ),
            ConventionalPolicy(retry_backoff_s=world.rules.retry_backoff_minutes * 60),
        )
    index = {pid: i for i, pid in enumerate(people.ids)}
    if name is PolicyName.ORACLE:
        table = fixed_probabilities(lambda facts: people.truth[index[facts.phone]])
    else:
        truth = segment_truth(world)
        table = fixed_probabilities(lambda facts: truth[int(people.segment[index[facts.phone]])])
    return SlotPolicy(
        name.value,
        table,
        patience_s,
        explores=False,
        season_of=season_of(world),
        season_factor=true_season_factor(world),
    )


PolicyFactory = Callable[[World, Population, Callable[[], _Simulation]], Policy]
"""``(world, people, running simulation) -> policy``: a policy outside the four named ones
(the benchmark's bound, which reads the running simulation's attempts)."""


def simulate(
    world: World,
    policy: PolicyName | PolicyFactory,
    *,
    progress: Callable[[float], None] | None = None,
    signals: SignalSettings | None = SignalSettings(),
    withheld: frozenset[Withheld] = frozenset(),
) -> SimRun:
    """Run ``world`` under ``policy`` to the last request's close (``signals``: how
    ``predicted`` weighs the customers' signals, when the world has any; ``withheld``:
    the data sources the policy and its model are denied)."""
    rng = np.random.default_rng(world.seed)
    people = population(world, rng)
    incoming = arrivals(world, people, rng)
    # The answers have their own stream, so every policy meets the same customers and requests.
    sim_box: list[_Simulation] = []
    if isinstance(policy, PolicyName):
        chosen = make_policy(policy, world, people, lambda: sim_box[0], signals)
    else:
        chosen = policy(world, people, lambda: sim_box[0])
    sim = _Simulation(
        world,
        world.rules.calling_rules(),
        people,
        chosen,
        policy in (PolicyName.PREDICTED, PolicyName.PILOT),
        np.random.default_rng([world.seed, 1]),
        withheld=withheld,
        signal_settings=signals,
    )
    if has_signals(world):
        sim.signals = SimSignals(world, people, sim.rules.expiry_s)
    sim_box.append(sim)
    # Events: (time, order, kind, payload). Kinds: 0 arrival, 1 due.
    events: list[tuple[float, int, int, Any]] = []
    order = 0
    windows = told_windows(world, people, incoming)
    for arrival in incoming:
        events.append((arrival.at, order, 0, order))  # the payload: the arrival's index
        order += 1
    heapq.heapify(events)
    plans: dict[int, Plan] = {}
    start = world.start.timestamp()
    if sim.uses_model:
        sim.now = start
        sim.refit()  # no attempts yet: the cold-start priors
    next_refit = start + REFIT_EVERY_S
    horizon = start + world.days * 86400.0
    last_report = 0.0
    while events:
        at, _, kind, payload = heapq.heappop(events)
        sim.now = at
        if sim.uses_model and at >= next_refit:
            sim.refit()
            next_refit = (math.floor((at - start) / REFIT_EVERY_S) + 1) * REFIT_EVERY_S + start
        if progress is not None and at - last_report > 6 * HOUR_S:
            last_report = at
            progress(min(1.0, (at - start) / (horizon - start + sim.rules.expiry_s)))
        if kind == 0:
            request = _arrived(sim, incoming[int(payload)], windows[int(payload)])
            sim.requests.append(request)
            if sim.signals is not None:
                sim.signals.arrived(request.customer, at)
            outcome: AttemptOutcome | None = None
        else:
            request = sim.requests[int(payload)]
            # An agent must be free; otherwise the call waits for the first one to be.
            while sim.agents_free_at and sim.agents_free_at[0] <= at:
                heapq.heappop(sim.agents_free_at)
            busy = len(sim.agents_free_at) >= world.rules.agents
            if busy or refusal(sim.rules, sim.facts(request), at) is not None:
                # Later: when an agent is free, at the first moment the rules allow.
                start_from = sim.agents_free_at[0] if busy else at
                later = next_allowed(sim.rules, sim.facts(request), start_from)
                if later is None:
                    sim.give_up(request, at, None)
                else:
                    heapq.heappush(events, (later, order, 1, request.id))
                    order += 1
                continue
            if sim.dial(request, plans[request.id]):
                request.contacted_at = at
                request.closed = True
                continue
            outcome = AttemptOutcome.NO_ANSWER
        plan = sim.plan(request, outcome)
        plans[request.id] = plan
        if plan.at is None:
            sim.give_up(request, at, plan)
            continue
        heapq.heappush(events, (plan.at, order, 1, request.id))
        order += 1
    if progress is not None:
        progress(1.0)
    return SimRun(
        world,
        chosen.name,
        people,
        sim.requests,
        sim.attempts,
        sim.model,
        sim.decisions,
    )
