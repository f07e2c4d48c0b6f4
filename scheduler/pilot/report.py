"""The pilot's evidence: predicted against conventional timing, per KPI, with intervals.

Counted over the requests the pilot split drew (``timing`` 'predicted' or
'conventional' with ``timing_reason`` 'pilot') created in the window.
Customers who opted out of AI timing (``timing_reason`` 'customer') are in
neither arm: they chose their timing, so counting them would bias the
conventional arm; they are reported apart. "Contact" and "attempt" mean what
they mean on the console (:mod:`scheduler.contact_facts`). Each rate counts the
requests whose outcome is known (first attempt made, or no longer open; for
"within 3 attempts": reached, three made, or no longer open): a request still
waiting for its first call is not a miss, as predicted timing waits by design and
would otherwise be judged on calls it has not made yet; the waiting ones are
reported per arm. Real and simulated requests (`spillway simulate --store`) are
never mixed: the real ones are counted when the window has any, else the
simulated ones, and how many of the other kind were left out is said. Intention to treat:
a request counts in the arm it was drawn into, also when the conventional rule
planned it because the model was missing or stale (that is part of what
predicted timing delivers).

Per KPI: both arms, the difference predicted - conventional with its
``1 - alpha`` interval (:mod:`scheduler.pilot.stats`: Newcombe's hybrid
score interval for the two rates, the delta method for attempts per contact,
a percentile bootstrap for the median hours), the units per arm against the units needed to
detect ``callbacks.pilot.evidence``'s effect, and a verdict only when the
interval excludes zero. `spillway report pilot` and the console's Pilot page
both show :func:`pilot_report`'s dict, so their figures are the same.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.contact_facts import (
    RequestRecord,
    attempt_facts_sql,
    callback_figures,
    request_record,
)
from scheduler.pilot.roi import pilot_roi
from scheduler.pilot.stats import (
    BOOTSTRAP_RESAMPLES,
    Interval,
    bootstrap_difference,
    median,
    n_for_means,
    n_for_proportions,
    newcombe,
    ratio_difference,
)
from scheduler.timing.shadow import shadow_report
from spillway.callback_settings import PilotEvidenceSettings, PilotSettings
from spillway.storage import Store

ARMS = ("predicted", "conventional")
Arms = dict[str, list[RequestRecord]]  # the requests of each arm
WITHIN_ATTEMPTS = 3
# Baseline rates for the sample size before the conventional arm has a known outcome:
# the callback product material's figures for traditional callbacks (what AI timing was
# sold against: 23 % reached at the first attempt, 45 % reached in all). The material
# has no "within 3 attempts", so that KPI starts from its overall contact rate, not from
# the first-attempt one (which sized both rows alike); the report says which baseline it
# used (``baseline.source``: "assumed", "assumed_overall" or "conventional").
PRIOR_BASELINE = 0.23
PRIOR_OVERALL = 0.45
# How long the sample size takes is said from the pilot's pace so far, once it has run a day.
MIN_DAYS_FOR_PACE = 1.0
WEEK_S = 7 * 86400.0
REAL, SIMULATED = "real", "simulated"
# A contact this soon after the request was made on a call placed the moment the
# customer asked (a median below it is shown as 0,00 h, and said why).
AT_ONCE_H = 1 / 60

_IN_PILOT = (
    "(timing IN ('predicted', 'conventional') AND timing_reason = 'pilot') "
    "OR timing_reason = 'customer'"
)
_WINDOW = f"created_at >= :since AND created_at < :until AND ({_IN_PILOT})"
_REQUESTS = (
    "SELECT id, created_at, status, planned_by, timing, timing_reason, simulated "
    f"FROM callback_requests WHERE {_WINDOW}"
)
_ATTEMPTS = attempt_facts_sql(f"SELECT id FROM callback_requests WHERE {_WINDOW}")


def _per_arm() -> dict[str, int]:
    return {a: 0 for a in ARMS}


@dataclass
class PilotRows:
    """The pilot's requests of one kind (real or simulated): per arm, the customers' own
    choices apart, and per arm how many of the other kind were left out."""

    arms: dict[str, list[RequestRecord]] = field(default_factory=lambda: {a: [] for a in ARMS})
    opted_out: list[RequestRecord] = field(default_factory=list)
    simulated: dict[str, int] = field(default_factory=_per_arm)
    kind: str = REAL  # which requests are counted: REAL or SIMULATED
    left_out: dict[str, int] = field(default_factory=_per_arm)  # of the other kind, per arm


def split_rows(
    rows: Sequence[tuple[RequestRecord, str, str, bool]], kind: str | None = None
) -> PilotRows:
    """The pilot's rows (record, timing, timing_reason, simulated) as :class:`PilotRows` of
    one ``kind``; None: the real ones if there are any, else the simulated ones. Never
    both: a simulated month beside four real requests would drown them (and "the pilot's
    start" would be the simulation's)."""
    if kind is None:
        kind = REAL if any(not simulated for *_, simulated in rows) or not rows else SIMULATED
    out = PilotRows(kind=kind)
    for record, timing, reason, simulated in rows:
        if simulated != (kind == SIMULATED):
            if reason != "customer":
                out.left_out[timing] += 1
        elif reason == "customer":
            out.opted_out.append(record)
        else:
            out.arms[timing].append(record)
            out.simulated[timing] += simulated
    return out


def pilot_rows(store: Store, since: float, until: float, kind: str | None = None) -> PilotRows:
    """The pilot's requests created in [since, until), with their attempts' facts, of one
    ``kind`` (:func:`split_rows`)."""
    window = {"since": since, "until": until}
    made = {r["request_id"]: r for r in store.query(_ATTEMPTS, window)}
    return split_rows(
        [
            (
                request_record(r, made.get(r["id"])),
                str(r["timing"]),
                str(r["timing_reason"]),
                bool(r["simulated"]),
            )
            for r in store.query(_REQUESTS, window)
        ],
        kind,
    )


def _r(value: float | None, places: int = 4) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), places)


def _verdict(interval: Interval | None, better: str) -> str | None:
    if interval is None or not interval.excludes_zero():
        return None
    higher = interval.low > 0
    return "predicted better" if higher == (better == "higher") else "predicted worse"


def _kpi(
    key: str,
    label: str,
    better: str,
    values: dict[str, float | None],
    n: dict[str, int],
    interval: Interval | None,
    method: str,
    needed: int | None,
    effect: str,
    baseline: dict[str, Any] | None = None,
) -> dict[str, Any]:
    p, c = values["predicted"], values["conventional"]
    diff = p - c if p is not None and c is not None and interval is not None else None
    verdict = _verdict(interval, better)
    return {
        "key": key,
        "label": label,
        "better": better,
        "predicted": _r(p),
        "conventional": _r(c),
        "difference": _r(diff),
        "interval": [_r(interval.low), _r(interval.high)] if interval else None,
        "method": method,
        "n": n,
        "n_needed_per_arm": needed,
        "detectable_effect": effect,
        # The rate the sample size starts from, and where it comes from (rates only).
        "baseline": baseline,
        "enough": needed is not None and min(n.values()) >= needed,
        "verdict": verdict,
        "verdict_text": verdict
        # As the English console says it (pilot.verdicts): plain words, not "the interval
        # covers 0", which a team lead cannot act on.
        or ("the difference may be chance" if interval else "too few callbacks yet"),
    }


def _rate_kpi(
    key: str,
    label: str,
    arms: Arms,
    hit: Callable[[RequestRecord], bool],
    known: Callable[[RequestRecord], bool],
    ev: PilotEvidenceSettings,
    prior: tuple[float, str] = (PRIOR_BASELINE, "assumed"),
) -> dict[str, Any]:
    """A rate over the requests whose outcome is ``known`` (not over those still waiting);
    ``prior``: the baseline and its source while the conventional arm has no known outcome."""
    counted = {a: [r for r in arms[a] if known(r)] for a in ARMS}
    x = {a: sum(hit(r) for r in counted[a]) for a in ARMS}
    n = {a: len(counted[a]) for a in ARMS}
    values = {a: x[a] / n[a] if n[a] else None for a in ARMS}
    interval = (
        newcombe(x["predicted"], n["predicted"], x["conventional"], n["conventional"], ev.alpha)
        if all(n.values())
        else None
    )
    baseline, source = values["conventional"], "conventional"
    if baseline is None or not 0 < baseline < 1:
        baseline, source = prior
    effect = ev.min_effect_points / 100
    return _kpi(
        key,
        label,
        "higher",
        values,
        n,
        interval,
        "Newcombe hybrid score interval (Wilson)",
        n_for_proportions(baseline, effect, ev.alpha, ev.power),
        f"+{ev.min_effect_points:g} points from {baseline:.0%}",
        {"rate": round(baseline, 4), "source": source},
    )


def _pooled_sd(samples: Sequence[Sequence[float]]) -> float | None:
    usable = [s for s in samples if len(s) >= 2]
    if not usable:
        return None
    dof = sum(len(s) - 1 for s in usable)
    return math.sqrt(sum(statistics.variance(s) * (len(s) - 1) for s in usable) / dof)


BOOTSTRAP = f"percentile bootstrap over requests, {BOOTSTRAP_RESAMPLES} resamples"


def _attempts_kpi(arms: Arms, ev: PilotEvidenceSettings) -> dict[str, Any]:
    # Over the settled requests: an open one's attempts so far, without the contact that
    # may still come, would count against the arm that waits longer.
    callable_ = {a: [r for r in arms[a] if r.settled] for a in ARMS}
    contacts = {a: sum(r.reached for r in callable_[a]) for a in ARMS}
    values = {
        a: sum(r.attempts for r in callable_[a]) / contacts[a] if contacts[a] else None
        for a in ARMS
    }
    columns = {
        a: ([float(r.attempts) for r in callable_[a]], [float(r.reached) for r in callable_[a]])
        for a in ARMS
    }
    interval = (
        ratio_difference(*columns["predicted"], *columns["conventional"], alpha=ev.alpha)
        if all(c >= 2 for c in contacts.values())
        else None
    )
    sd = _pooled_sd([[float(r.attempts) for r in callable_[a] if r.reached] for a in ARMS])
    return _kpi(
        "attempts_per_contact",
        "Attempts per contact",
        "lower",
        values,
        contacts,
        interval,
        "delta method for each ratio, normal interval with unequal variances",
        n_for_means(sd, ev.min_effect_attempts, ev.alpha, ev.power) if sd else None,
        f"-{ev.min_effect_attempts:g} attempts",
    )


def _hours_kpi(arms: Arms, ev: PilotEvidenceSettings) -> dict[str, Any]:
    hours = {
        a: [h for r in arms[a] if r.callable and (h := r.hours_to_contact) is not None]
        for a in ARMS
    }
    values = {a: statistics.median(hours[a]) if hours[a] else None for a in ARMS}
    at_once = {a: sum(h < AT_ONCE_H for h in hours[a]) for a in ARMS}
    interval = (
        bootstrap_difference(hours["predicted"], hours["conventional"], median, alpha=ev.alpha)
        if all(len(h) >= 2 for h in hours.values())
        else None
    )
    sd = _pooled_sd(list(hours.values()))
    # A median needs pi/2 times the units a mean does (its efficiency under normality).
    needed = (
        math.ceil(n_for_means(sd, ev.min_effect_hours, ev.alpha, ev.power) * math.pi / 2)
        if sd
        else None
    )
    kpi = _kpi(
        "median_hours_to_contact",
        "Hours to first contact (median, of those reached)",
        "lower",
        values,
        {a: len(hours[a]) for a in ARMS},
        interval,
        BOOTSTRAP,
        needed,
        f"-{ev.min_effect_hours:g} h",
    )
    # Contacts made within a minute of the request: a median of 0.00 h is these, not an
    # error (the conventional rule calls as soon as the customer asks).
    return kpi | {"at_once": at_once}


def primary_kpi(arms: Arms, ev: PilotEvidenceSettings) -> dict[str, Any]:
    """The primary KPI, first-attempt contact, with its interval, sample size and verdict:
    the report's ``primary`` (the console's Overview counts it alone, without the other
    KPIs' bootstrap, which takes seconds on a large store)."""
    return _rate_kpi(
        "first_attempt_contact_rate",
        "First-attempt contact rate",
        arms,
        lambda r: r.first_attempt_answered,
        lambda r: r.known_within(1),
        ev,
    )


def observed_weeks(rows: PilotRows, since: float, until: float) -> float | None:
    """How many weeks the pilot has run in [since, until): from its first request counted
    (or ``since``, if later) to ``until``; None before it has run :data:`MIN_DAYS_FOR_PACE`
    (twenty rows imported a minute ago are no pace)."""
    first = min((r.created_at for arm in rows.arms.values() for r in arm), default=None)
    if first is None:
        return None
    span = until - max(since, first)
    return span / WEEK_S if span >= MIN_DAYS_FOR_PACE * 86400 else None


def weeks_needed(kpi: dict[str, Any], weeks: float | None) -> float | None:
    """How many weeks of the pilot each group takes to reach the KPI's sample size at the
    pace so far (the units it counts per week, in the group slower to gather them); None
    without a sample size, a pace, or units yet."""
    needed = kpi.get("n_needed_per_arm")
    slowest = min(kpi["n"].values())
    if needed is None or not weeks or slowest <= 0:
        return None
    return round(needed / (slowest / weeks), 1)


def with_pace(kpi: dict[str, Any], weeks: float | None) -> dict[str, Any]:
    """``kpi`` with ``weeks_needed`` (:func:`weeks_needed`)."""
    return kpi | {"weeks_needed": weeks_needed(kpi, weeks)}


def pilot_report(
    rows: PilotRows,
    settings: PilotSettings,
    *,
    window: dict[str, Any] | None = None,
    shadow: dict[str, Any] | None = None,
    weeks: float | None = None,
) -> dict[str, Any]:
    """The pilot's KPIs, intervals, sample sizes, verdicts and money (what the CLI prints);
    ``weeks``: how long the pilot has run (:func:`observed_weeks`), for each sample
    size's duration at that pace."""
    ev = settings.evidence
    arms = rows.arms
    return {
        "window": window or {},
        "weeks_observed": None if weeks is None else round(weeks, 2),
        "confidence": round(1 - ev.alpha, 4),
        "power": ev.power,
        "data": rows.kind,
        "left_out": {**rows.left_out, "kind": SIMULATED if rows.kind == REAL else REAL},
        "arms": {a: _arm_figures(rows, a) for a in ARMS},
        "primary": with_pace(primary_kpi(arms, ev), weeks),
        "secondary": [
            with_pace(kpi, weeks)
            for kpi in (
                _rate_kpi(
                    "contact_within_3_attempts",
                    f"Contact within {WITHIN_ATTEMPTS} attempts",
                    arms,
                    lambda r: r.reached_within(WITHIN_ATTEMPTS),
                    lambda r: r.known_within(WITHIN_ATTEMPTS),
                    ev,
                    (PRIOR_OVERALL, "assumed_overall"),
                ),
                _attempts_kpi(arms, ev),
                _hours_kpi(arms, ev),
            )
        ],
        "opted_out": {
            **callback_figures(rows.opted_out),
            "note": "customers who asked for a plain callback: conventional, in neither arm",
        },
        "money": pilot_roi(arms, settings.roi, ev.alpha),
        "shadow": shadow,
    }


def _arm_figures(rows: PilotRows, arm: str) -> dict[str, Any]:
    records = rows.arms[arm]
    return {
        **callback_figures(records),
        "simulated": rows.simulated[arm],
        # Not yet called: in no rate until their first call (or until they close).
        "waiting_first_call": sum(r.waiting_first_call for r in records),
    }


def _is_rate(key: str) -> bool:
    return key.endswith("rate") or key.startswith("contact_within")


def shown_value(key: str, value: float | None) -> str:
    """A KPI's value as the CLI and the console show it (rates in %)."""
    if value is None:
        return "-"
    return f"{value:.1%}" if _is_rate(key) else f"{value:.2f}"


def shown_difference(kpi: dict[str, Any]) -> str:
    """A KPI's difference and interval as shown: points for rates, units otherwise."""
    if kpi["difference"] is None or kpi["interval"] is None:
        return "-"
    low, high = kpi["interval"]
    if _is_rate(kpi["key"]):
        return f"{kpi['difference'] * 100:+.1f} pts [{low * 100:+.1f}, {high * 100:+.1f}]"
    return f"{kpi['difference']:+.2f} [{low:+.2f}, {high:+.2f}]"


def instant(raw: str, name: str, zone: str) -> float:
    """An ISO date or date-time; without an offset it is in ``zone``. ValueError names ``name``."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{name}: an ISO date or time such as 2026-03-02T08:00:00+01:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.timestamp()


def pilot_window(
    since: str | None, until: str | None, zone: str, now: float
) -> tuple[float, float]:
    """[since, until) of the report: the whole pilot up to now unless told."""
    start = instant(since, "since", zone) if since else 0.0
    end = instant(until, "until", zone) if until else now
    if end <= start:
        raise ValueError("until: must be after since")
    return start, end


def primary_from_store(
    store: Store, settings: PilotSettings, since: float, until: float
) -> dict[str, Any]:
    """Read and count (worker thread): the primary KPI alone for [since, until), as
    :func:`pilot_report_from_store`'s ``primary`` for the same window, and per arm its
    requests and how many are simulated, as the report's ``arms`` has them: the Overview
    says when its line is drawn from simulated requests (`simulate --store`)."""
    rows = pilot_rows(store, since, until)
    return {
        "primary": with_pace(
            primary_kpi(rows.arms, settings.evidence), observed_weeks(rows, since, until)
        ),
        "data": rows.kind,
        "left_out": {**rows.left_out, "kind": SIMULATED if rows.kind == REAL else REAL},
        "arms": {
            a: {
                "requests": len(rows.arms[a]),
                "simulated": rows.simulated[a],
                "waiting_first_call": sum(r.waiting_first_call for r in rows.arms[a]),
            }
            for a in ARMS
        },
    }


def pilot_report_from_store(
    store: Store,
    settings: PilotSettings,
    since: float,
    until: float,
    zone: str,
    kind: str | None = None,
) -> dict[str, Any]:
    """Read and count (worker thread): the pilot's report for [since, until), of the real
    or the simulated requests (``kind``; None: :func:`split_rows` chooses)."""
    tz = ZoneInfo(zone)
    rows = pilot_rows(store, since, until, kind)
    created = [r.created_at for arm in rows.arms.values() for r in arm]
    first, last = min(created, default=None), max(created, default=None)
    window: dict[str, Any] = {
        # 0: from the pilot's first request (no --since given).
        "since": (
            datetime.fromtimestamp(since, tz).isoformat(timespec="seconds")
            if since > 0
            else "the pilot's start"
        ),
        "until": datetime.fromtimestamp(until, tz).isoformat(timespec="seconds"),
        "time_zone": zone,
        # The first request counted (with no --since: where "the pilot's start" is).
        "first_request": None
        if first is None
        else datetime.fromtimestamp(first, tz).isoformat(timespec="seconds"),
        # The newest, to the microsecond: the console says whether the pilot was switched
        # on after it started (web.pilot_state), a second's rounding would hide it.
        "last_request": None
        if last is None
        else datetime.fromtimestamp(last, tz).isoformat(timespec="microseconds"),
    }
    return pilot_report(
        rows,
        settings,
        window=window,
        shadow=shadow_report(store, since, until),
        weeks=observed_weeks(rows, since, until),
    )
