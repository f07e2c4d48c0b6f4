"""The pilot's money: cost per callback per arm, and the ROI of predicted timing.

The material's formula, ROI = (saved cost + extra revenue - investment) / investment,
with the conventional arm as the baseline the predicted arm is measured against,
both scaled to the predicted arm's callbacks (what the predicted timing did
with the callbacks it got):

- *staff cost* of an arm: its attempts x ``minutes_per_attempt`` / 60 x
  ``staff_cost_per_hour``; *cost per callback*: that over its callable requests;
- *saved cost*: (conventional cost per callback - predicted cost per callback)
  x the predicted arm's callbacks;
- *extra revenue*: (predicted contact rate - conventional contact rate) x the
  predicted arm's callbacks x ``lead_value``;
- *investment*: ``callbacks.pilot.roi.investment``, what predicted timing cost
  over the pilot. Without it (0) there is no ROI to show, and the report says so.

The conventional arm is the baseline: its ROI against itself is not a figure.

Each sum is a difference of two means over requests times the predicted arm's
callbacks (saved cost: of the cost of each request's attempts; saved cost plus extra
revenue: of each request's lead value if reached less its attempts' cost), so each
has a normal interval at the pilot's confidence (:func:`scheduler.pilot.stats.mean_difference`),
and so does the ROI. A saving of 10.679 DKK said without one reads as a fact when
the attempts per contact may differ by chance; the team lead is told the range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scheduler.contact_facts import RequestRecord
from scheduler.pilot.stats import Interval, mean_difference
from spillway.callback_settings import PilotRoiSettings


def _round(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)


def arm_money(records: Sequence[RequestRecord], roi: PilotRoiSettings) -> dict[str, Any]:
    """Attempts, staff cost, cost per callback and revenue of one arm."""
    callable_ = [r for r in records if r.callable]
    attempts = sum(r.attempts for r in callable_)
    contacts = sum(r.reached for r in callable_)
    cost = attempts * roi.minutes_per_attempt / 60 * roi.staff_cost_per_hour
    return {
        "callbacks": len(callable_),
        "attempts": attempts,
        "contacts": contacts,
        "staff_cost": round(cost, 2),
        "cost_per_callback": _round(cost / len(callable_)) if callable_ else None,
        "revenue": round(contacts * roi.lead_value, 2),
        "contact_rate": contacts / len(callable_) if callable_ else None,
    }


def _scaled(interval: Interval | None, by: float, less: float = 0.0) -> list[float] | None:
    if interval is None:
        return None
    return [round((interval.low * by - less), 4), round((interval.high * by - less), 4)]


def money_intervals(
    arms: Mapping[str, Sequence[RequestRecord]], roi: PilotRoiSettings, alpha: float
) -> dict[str, list[float] | None]:
    """The saved cost's, the gain's (saved cost + extra revenue) and the ROI's intervals,
    as the sums are scaled (to the predicted arm's callbacks); None where an arm has fewer
    than two callable requests (and the ROI's without an investment)."""
    per_attempt = roi.minutes_per_attempt / 60 * roi.staff_cost_per_hour
    callable_ = {arm: [r for r in arms[arm] if r.callable] for arm in ("predicted", "conventional")}
    if min(len(c) for c in callable_.values()) < 2:
        return {"saved_cost": None, "gain": None, "roi": None}
    cost = {a: [r.attempts * per_attempt for r in rs] for a, rs in callable_.items()}
    worth = {
        a: [r.reached * roi.lead_value - r.attempts * per_attempt for r in rs]
        for a, rs in callable_.items()
    }
    n = len(callable_["predicted"])
    saved = mean_difference(cost["conventional"], cost["predicted"], alpha)
    gain = mean_difference(worth["predicted"], worth["conventional"], alpha)
    inv = roi.investment
    return {
        "saved_cost": _scaled(saved, n),
        "gain": _scaled(gain, n),
        "roi": _scaled(gain, n / inv, 1.0) if inv > 0 else None,
    }


def pilot_roi(
    arms: Mapping[str, Sequence[RequestRecord]], roi: PilotRoiSettings, alpha: float = 0.05
) -> dict[str, Any]:
    """Cost per callback per arm, and the predicted arm's ROI against the conventional one,
    each sum with its ``1 - alpha`` interval."""
    pred, conv = arm_money(arms["predicted"], roi), arm_money(arms["conventional"], roi)
    saved = extra = value = None
    why = ""
    if pred["callbacks"] and conv["callbacks"]:
        n = pred["callbacks"]
        # Unrounded per-callback costs: the rounding is for the eye, not for the sums.
        cpc_conv = conv["staff_cost"] / conv["callbacks"]
        cpc_pred = pred["staff_cost"] / pred["callbacks"]
        saved = (cpc_conv - cpc_pred) * n
        extra = (pred["contact_rate"] - conv["contact_rate"]) * n * roi.lead_value
        if roi.investment > 0:
            value = (saved + extra - roi.investment) / roi.investment
        else:
            why = "set callbacks.pilot.roi.investment to see the ROI"
    else:
        why = "both arms need callbacks"
    for arm in (pred, conv):
        arm["contact_rate"] = _round(arm["contact_rate"], 4)
    return {
        "formula": "ROI = (saved cost + extra revenue - investment) / investment",
        "settings": roi.model_dump(),
        "arms": {
            "predicted": {**pred, "roi": _round(value, 4)},
            "conventional": {**conv, "roi": None, "baseline": True},
        },
        "terms": {
            "saved_cost": _round(saved),
            "extra_revenue": _round(extra),
            "investment": roi.investment,
        },
        "roi": _round(value, 4),
        # [low, high] of saved_cost, saved_cost + extra_revenue, and roi (None: not counted).
        "intervals": money_intervals(arms, roi, alpha),
        "confidence": round(1 - alpha, 4),
        "note": why,
        "explained": {
            "staff_cost": "attempts x minutes_per_attempt / 60 x staff_cost_per_hour",
            "cost_per_callback": "staff cost / callable requests",
            "saved_cost": "(conventional - predicted cost per callback) x predicted callbacks",
            "extra_revenue": "(predicted - conventional contact rate) x predicted callbacks"
            " x lead_value",
            "investment": "callbacks.pilot.roi.investment: what predicted timing cost",
        },
    }
